#pragma once
// SASL PLAIN (RFC 4616) message parsing, and the UTF-8 check the SASL
// mechanisms share. Pure functions: no I/O, no state, thread-safe.
//
// The caller (IMAP AUTHENTICATE, SMTP AUTH) has already base64-decoded the
// client response (RFC 4422 §5) and bounded its length with the line limit.

#include <optional>
#include <string>
#include <string_view>

namespace lemonade::auth {

// RFC 4616 §2: the identities and password of one PLAIN message.
// authzid is empty when the client sent none ("act as myself").
struct plain_credentials {
  std::string authzid;
  std::string authcid;
  std::string password;

  friend bool operator==(const plain_credentials&, const plain_credentials&) = default;
};

// Parses message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 §2).
// Returns nullopt when the message is malformed:
//  - not exactly two NUL octets;
//  - empty authcid or empty passwd (both are 1*SAFE);
//  - authzid or authcid not valid UTF-8.
// The password is accepted as any non-empty run of non-NUL octets, even if
// it is not UTF-8 (see sasl.cpp for why). No field is capped: RFC 4616 §2
// requires accepting at least 255 octets each, and the caller's line limit
// bounds the whole message.
std::optional<plain_credentials> parse_plain(std::string_view message);

// True when s is well-formed UTF-8 (RFC 3629 §4): no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF. NUL is allowed here;
// callers that forbid it check separately.
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace lemonade::auth
