#pragma once
// Typed responses (STYLE.md §2 step 5). Executors build these; only the
// writer turns them into bytes, choosing atom, quoted string or literal
// and the mailbox-name encoding for the session.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lemonade::imap::response {

struct value;
using list = std::vector<value>;

struct atom {          // sent verbatim: keywords of the protocol, flags
  std::string text;
};
struct number {
  std::uint64_t n;
};
struct nil {};
struct string {        // quoted when it can be, else a literal
  std::string text;
};
struct astring {       // an atom when it can be, else as string
  std::string text;
};
struct mailbox {       // UTF-8 name; modified UTF-7 unless UTF-8 is enabled
  std::string utf8;
};
struct literal {       // always "{n}" CRLF octets: message bodies
  std::string octets;
  bool literal8 = false;  // "~{n}": RFC 3516 FETCH BINARY data holding a NUL
  bool encrypted = false; // "~{Xn}": an encrypted object (docs/xencrypted.md)
};

// Octets already in wire form, made by an emitter (writer.hpp) with the
// session's writer options: FETCH's ENVELOPE and BODYSTRUCTURE, written
// straight from the stored structure with no tree of values between.
struct raw {
  std::string octets;
};
// "{n}" CRLF whose n octets the executor supplies itself, streamed from
// the blob after the writer's bytes up to this point (large bodies never
// sit in memory whole). The writer reports where (writer.hpp).
struct literal_ref {
  std::uint64_t length;
  std::uint32_t id;  // the executor's own reference
  bool literal8 = false;
  bool encrypted = false;
};

struct value {
  std::variant<atom, number, nil, string, astring, mailbox, literal, list, literal_ref, raw> v;
  template <class T>
  value(T x) : v(std::move(x)) {}
};

enum class status { ok, no, bad, preauth, bye };

// "[" resp-text-code "]"
struct code {
  std::string name;
  std::vector<value> args;
};

// "* " items separated by SP, e.g. {atom{"LIST"}, list{...}, string{"/"}, mailbox{"INBOX"}}
struct untagged {
  std::vector<value> items;
};

// tagged or untagged status response: "tag OK [CODE] text" / "* OK ..."
struct status_line {
  std::string tag;  // "*" for untagged
  response::status st;
  std::optional<response::code> resp_code;
  std::string text;
};

struct continuation {
  std::string text;  // "+ text"; base64 data for SASL
};

}  // namespace lemonade::imap::response
