// RFC 8970 PREVIEW text (mime::make_preview): which part, how it is
// cleaned, and the limits of §3.3.
#include <gtest/gtest.h>

#include <chrono>

#include "mime/parser.hpp"
#include "mime/preview.hpp"

namespace lemonade::mime {
namespace {

std::string preview(const std::string& m, std::size_t max = 200) { return make_preview(m, parse_message(m), max); }

TEST(preview, plain_text_without_quotes_and_signature) {
  std::string m =
      "From: a@x\r\nSubject: re\r\n\r\nSounds good,   see you\r\nat  noon.\r\n\r\n"
      "On Mon, 1 Jan 2024, Bob wrote:\r\n> Lunch?\r\n>> earlier\r\n-- \r\nAlice\r\nphone 123\r\n";
  EXPECT_EQ(preview(m), "Sounds good, see you at noon.");
}

TEST(preview, alternative_prefers_plain_and_decodes) {
  std::string m =
      "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Caf=E9 au lait =\r\nand more\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>HTML version</p>\r\n--b--\r\n";
  EXPECT_EQ(preview(m), "Caf\xc3\xa9 au lait and more");
}

TEST(preview, html_reduced_to_text) {
  std::string m =
      "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><title>T</title><style>p{color:red}</style></head>"
      "<body><script>var x = 1;</script><div><p>Hello&nbsp;<b>world</b> &amp; you</p><ul><li>one</li><li>two</li>"
      "</ul><blockquote>quoted reply</blockquote></div></body></html>\r\n";
  EXPECT_EQ(preview(m), "Hello world & you one two");
}

// Found by fuzz_mime_message: U+06A0 is D A0 in UTF-8, and its second
// octet was taken for a Latin-1 no-break space, splitting the character.
TEST(preview, characters_holding_a0_stay_whole) {
  std::string m = "\xda\xa0\xda\xa0";
  EXPECT_EQ(preview(m), "\xda\xa0\xda\xa0");
  EXPECT_EQ(preview("Subject: x\r\n\r\na\xc2\xa0" "b\r\n"), "a b");  // a real no-break space
}

TEST(preview, no_text_is_empty) {
  // §3.2: "the server MUST return a zero-length string".
  std::string m =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: image/png\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b\r\nContent-Type: text/plain\r\n"
      "Content-Disposition: attachment; filename=a.txt\r\n\r\nan attachment\r\n--b--\r\n";
  EXPECT_EQ(preview(m), "");
  // A forwarded message's text is not the message's own.
  std::string fwd =
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
      "Subject: inner\r\n\r\ninner text\r\n--b--\r\n";
  EXPECT_EQ(preview(fwd), "");
}

TEST(preview, at_most_max_characters_never_half_a_character) {
  std::string body;
  for (int i = 0; i < 300; ++i) body += "\xc3\xa9";  // é, two octets each
  auto p = preview("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n");
  EXPECT_EQ(p.size(), 400u);  // 200 characters (§3.3: "SHOULD limit ... to 200")
  EXPECT_EQ(preview("\r\n" + std::string(500, 'x') + "\r\n", 256).size(), 256u);
}

TEST(preview, deep_html_is_quick) {
  // An HTML bomb: 100,000 nested <div>s (500 KB). Only the first 32 KB
  // are parsed.
  std::string html;
  for (int i = 0; i < 100000; ++i) html += "<div>";
  html += "deep";
  auto start = std::chrono::steady_clock::now();
  preview("Content-Type: text/html\r\n\r\n" + html + "\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  std::string nested;
  for (int i = 0; i < 300; ++i) nested += "<div><span>";
  EXPECT_EQ(preview("Content-Type: text/html\r\n\r\n" + nested + "found it\r\n"), "found it");
}

}  // namespace
}  // namespace lemonade::mime
