// SASL PLAIN parsing (RFC 4616) and UTF-8 validation (RFC 3629).

#include "auth/sasl.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/strings.hpp"

namespace lemonade::auth {
namespace {

using namespace std::string_literals;

TEST(auth_sasl, parse_plain_table) {
  struct row {
    std::string message;
    std::optional<plain_credentials> expected;
  };
  const std::string o255(255, 'o');
  const std::vector<row> rows = {
      // RFC 4616 §4 examples.
      {"\0tim\0tanstaaftanstaaf"s, plain_credentials{"", "tim", "tanstaaftanstaaf"}},
      {"Ursel\0Kurt\0xipj3plmq"s, plain_credentials{"Ursel", "Kurt", "xipj3plmq"}},
      // Identities and password in UTF-8.
      {"\0J\xc3\xbcrgen\0p\xc3\xa4ss"s, plain_credentials{"", "J\xc3\xbcrgen", "p\xc3\xa4ss"}},
      // RFC 4616 §2: at least 255 octets each must be accepted.
      {o255 + '\0' + o255 + '\0' + o255, plain_credentials{o255, o255, o255}},
      // Password that is not UTF-8: accepted, it only has to match a hash.
      {"\0user\0\xff\xfe"s, plain_credentials{"", "user", "\xff\xfe"}},
      // Spaces and other octets are part of the fields.
      {"\0 user \0 pass "s, plain_credentials{"", " user ", " pass "}},

      {"", std::nullopt},                          // empty message
      {"userpass", std::nullopt},                  // no NUL
      {"user\0pass"s, std::nullopt},               // one NUL
      {"a\0b\0c\0d"s, std::nullopt},               // three NULs
      {"\0user\0pa\0ss"s, std::nullopt},           // NUL inside the password
      {"\0\0pass"s, std::nullopt},                 // empty authcid
      {"\0user\0"s, std::nullopt},                 // empty password
      {"\0\0"s, std::nullopt},                     // both empty
      {"\0\xff\0pass"s, std::nullopt},             // authcid not UTF-8
      {"\0\xc0\xaf\0pass"s, std::nullopt},         // overlong '/' in authcid
      {"\xfe\0user\0pass"s, std::nullopt},         // authzid not UTF-8
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(core::hex_encode(r.message));
    EXPECT_EQ(parse_plain(r.message), r.expected);
  }
}

TEST(auth_sasl, is_valid_utf8_table) {
  struct row {
    std::string text;
    bool valid;
  };
  const std::vector<row> rows = {
      {"", true},
      {"plain ascii", true},
      {"\0"s, true},                          // NUL is a character; callers refuse it
      {"\xc3\xa9", true},                     // U+00E9
      {"\xe2\x82\xac", true},                 // U+20AC
      {"\xf0\x9f\x98\x80", true},             // U+1F600
      {"\xf4\x8f\xbf\xbf", true},             // U+10FFFF, the last code point
      {"\xef\xbf\xbf", true},                 // U+FFFF, a noncharacter but valid
      {"\x80", false},                        // lone continuation octet
      {"\xc3", false},                        // truncated at the end
      {"\xc3\x28", false},                    // bad continuation
      {"\xe2\x82", false},                    // truncated 3-octet form
      {"\xc0\xaf", false},                    // overlong '/'
      {"\xe0\x80\xaf", false},                // overlong '/'
      {"\xf0\x80\x80\xaf", false},            // overlong '/'
      {"\xed\xa0\x80", false},                // U+D800, a surrogate
      {"\xed\xbf\xbf", false},                // U+DFFF, a surrogate
      {"\xf4\x90\x80\x80", false},            // U+110000, past the end
      {"\xf8\x88\x80\x80\x80", false},        // 5-octet form
      {"\xff", false},
      {"ok\xc3\xa9ok\xc3", false},            // valid prefix, bad end
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(core::hex_encode(r.text));
    EXPECT_EQ(is_valid_utf8(r.text), r.valid);
  }
}

}  // namespace
}  // namespace lemonade::auth
