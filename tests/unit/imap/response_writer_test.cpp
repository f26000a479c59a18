// imap/response/writer: strings go out quoted when RFC 3501 §9 allows
// (quoted = DQUOTE *QUOTED-CHAR DQUOTE, QUOTED-CHAR = any TEXT-CHAR except
// quoted-specials, or "\" quoted-specials), else as a literal.

#include "imap/response/writer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lemonade::imap::response {
namespace {

std::string written(std::string_view s, bool utf8 = false) {
  std::string out = "x ";
  write_string(out, s, utf8);
  return out;
}

TEST(response_writer, quoted_strings_escape_quote_and_backslash) {
  EXPECT_EQ(written(""), "x \"\"");
  EXPECT_EQ(written("plain text"), "x \"plain text\"");
  EXPECT_EQ(written("a \"b\" c"), "x \"a \\\"b\\\" c\"");
  EXPECT_EQ(written("\\"), "x \"\\\\\"");
  EXPECT_EQ(written("\"\"\\\\"), "x \"\\\"\\\"\\\\\\\\\"");
  EXPECT_EQ(written("end\\"), "x \"end\\\\\"");
  EXPECT_EQ(written("\"start"), "x \"\\\"start\"");
}

TEST(response_writer, what_cannot_be_quoted_is_a_literal) {
  EXPECT_EQ(written("two\r\nlines"), "x {10}\r\ntwo\r\nlines");
  EXPECT_EQ(written("caf\xc3\xa9"), "x {5}\r\ncaf\xc3\xa9");
  EXPECT_EQ(written("caf\xc3\xa9", true), "x \"caf\xc3\xa9\"");  // UTF8=ACCEPT
  std::string long_text(2000, 'a');
  EXPECT_EQ(written(long_text), "x {2000}\r\n" + long_text);
}

}  // namespace
}  // namespace lemonade::imap::response
