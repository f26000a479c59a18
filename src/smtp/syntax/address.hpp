#pragma once
// RFC 5321 §4.1.2 paths and mailboxes (with RFC 6531 UTF-8 when allowed),
// and RFC 3461 §4 xtext.

#include <optional>
#include <string>
#include <string_view>

namespace lemonade::smtp::syntax {

struct mailbox {
  std::string local;   // Local-part, a Quoted-string's content unquoted
  std::string domain;  // Domain or address-literal ("[192.0.2.1]"); empty
                       // only for RCPT TO:<Postmaster> (§4.1.1.3)
  bool empty() const { return local.empty() && domain.empty(); }
  // The address as a path writes it: local part quoted when it is not a
  // Dot-string, "@domain" when there is one.
  std::string text() const;
};

// "<" [A-d-l ":"] Mailbox ">", or "<>" when `null_ok` (a reverse path);
// a source route (A-d-l) is accepted and ignored (§4.1.1.3, §C). On
// success, `consumed` is the octets the path took. `utf8`: RFC 6531
// UTF8-non-ascii allowed in the local part and domain.
struct path_result {
  std::optional<mailbox> address;  // empty mailbox for "<>"
  std::size_t consumed = 0;
  std::string error;  // when !address
};
path_result parse_path(std::string_view text, bool null_ok, bool utf8);

// RFC 5321 Dot-string: Atom *("." Atom).
bool is_dot_string(std::string_view s, bool utf8);
// RFC 5321 Domain (sub-domains of letters, digits, hyphens; UTF-8 labels
// with `utf8`) or an address-literal.
bool is_domain(std::string_view s, bool utf8);

// RFC 3461 §4 xtext: "+" and two upper-case hex digits for '+', '=' and
// octets outside 33..126. decode: nullopt when malformed.
std::string xtext_encode(std::string_view s);
std::optional<std::string> xtext_decode(std::string_view s);

}  // namespace lemonade::smtp::syntax
