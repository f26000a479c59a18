// mime/text: case folding and the text SEARCH matches (RFC 3501 §6.4.4),
// extracted once per message.
#include <gtest/gtest.h>

#include <algorithm>

#include "mime/parser.hpp"
#include "mime/text.hpp"
#include "mime_test_util.hpp"

namespace lemonade::mime {
namespace {

using test::crlf;

TEST(MimeText, FoldCase) {
  EXPECT_EQ(fold_case("HeLLo WORLD 123 [~]"), "hello world 123 [~]");
  EXPECT_EQ(fold_case("\u00c4\u00d6\u00dc"), "\u00e4\u00f6\u00fc");  // ÄÖÜ -> äöü
  EXPECT_EQ(fold_case("\u041f\u0420\u0418\u0412\u0415\u0422 \u041c\u0438\u0440"),
            "\u043f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440");  // ПРИВЕТ Мир
  EXPECT_EQ(fold_case("\u0391\u0392\u0393 \u03a3\u039f\u03a6\u0399\u0391"),
            "\u03b1\u03b2\u03b3 \u03c3\u03bf\u03c6\u03b9\u03b1");  // ΑΒΓ ΣΟΦΙΑ (simple mapping: σ, not ς)
  EXPECT_EQ(fold_case("\u00e4\u3053\xf0\x9f\x98\x80"), "\u00e4\u3053\xf0\x9f\x98\x80");  // unchanged
  EXPECT_EQ(fold_case("A\xff" "B"), "a\ufffd" "b");  // invalid UTF-8 repaired first
  EXPECT_EQ(fold_case(""), "");
}

// Collects for_each_header's values.
std::vector<std::string> header_values(std::string_view headers, std::string_view name) {
  std::vector<std::string> out;
  for_each_header(headers, name, [&](std::string_view v) { out.emplace_back(v); });
  return out;
}

TEST(MimeText, ForEachHeader) {
  std::string_view h = "subject: a\nsubject: b\nx-subject: c\nsubjects: d\nsubject: \nfrom: e\n";
  EXPECT_EQ(header_values(h, "subject"), (std::vector<std::string>{"a", "b", ""}));
  EXPECT_EQ(header_values(h, "from"), (std::vector<std::string>{"e"}));
  EXPECT_EQ(header_values(h, "to"), (std::vector<std::string>{}));
  EXPECT_EQ(header_values("subject: no final newline", "subject"), (std::vector<std::string>{"no final newline"}));
  EXPECT_EQ(header_values("", "subject"), (std::vector<std::string>{}));
}

const std::string search_message = crlf(
    "From: =?ISO-8859-1?Q?Andr=E9?= <andre@x>\n"
    "Subject: Hello\n"
    " WORLD\n"
    "Content-Type: multipart/mixed; boundary=s\n"
    "\n"
    "--s\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Caf=E9 OLE\n"
    "--s\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "PGI+R1LDnE48L2I+\n"
    "--s\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "U0VDUkVUQklOQVJZ\n"
    "--s\n"
    "Content-Type: text/plain; charset*=us-ascii'en'koi8-r\n"  // an RFC 2231 value
    "\n"
    "\xf0\xd2\xc9\xd7\xc5\xd4\n"
    "--s\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@y\n"
    "Subject: Inner SUBJECT\n"
    "\n"
    "Inner BODY\n"
    "--s--\n");

TEST(MimeText, ExtractSearchTextBody) {
  auto s = parse_message(search_message);
  ASSERT_EQ(s.parts.size(), 7u);
  auto t = extract_search_text(search_message, s);
  // The text parts decoded (transfer encoding, then charset) and folded;
  // the encapsulated message's header and body; not the
  // application/octet-stream attachment ("SECRETBINARY").
  EXPECT_EQ(t.body,
            "caf\u00e9 ole\n"
            "<b>gr\u00fcn</b>\n"
            "\u043f\u0440\u0438\u0432\u0435\u0442\n"
            "from: inner@y\n"
            "subject: inner subject\n"
            "inner body");
}

TEST(MimeText, ExtractSearchTextHeaders) {
  auto s = parse_message(search_message);
  auto t = extract_search_text(search_message, s);
  // "name: decoded value\n": one line per field, the value unfolded,
  // decoded, folded — and without the white space that followed the colon.
  EXPECT_EQ(t.headers,
            "from: andr\u00e9 <andre@x>\n"
            "subject: hello world\n"
            "content-type: multipart/mixed; boundary=s\n"
            " from: andr\u00e9 <andre@x>\n");
  std::vector<std::string> subjects;
  for_each_header(t.headers, "subject", [&](std::string_view v) { subjects.emplace_back(v); });
  EXPECT_EQ(subjects, (std::vector<std::string>{"hello world"}));
}

// A decoded value holding CR or LF (here from an encoded word) must not
// start a new line: that would forge a field ("from: x") for HEADER/FROM
// searches.
TEST(MimeText, ExtractSearchTextHeaderValueStaysOnOneLine) {
  auto m = crlf("Subject: =?utf-8?q?a=0D=0Afrom:_x?=\nFrom: real@y\n\nbody\n");
  auto t = extract_search_text(m, parse_message(m));
  EXPECT_EQ(std::count(t.headers.begin(), t.headers.end(), '\n'), 3);  // and " from: <real@y>"
  std::vector<std::string> froms;
  for_each_header(t.headers, "from", [&](std::string_view v) { froms.emplace_back(v); });
  ASSERT_EQ(froms.size(), 1u);
  EXPECT_NE(froms[0].find("real@y"), std::string::npos);
}

// Field names may hold 8-bit octets (header.hpp tolerates them); the
// search text must stay UTF-8 all the same.
TEST(MimeText, ExtractSearchTextEightBitFieldName) {
  auto m = crlf("X-Caf\xe9: v\nSubject: s\n\nbody\n");
  auto t = extract_search_text(m, parse_message(m));
  EXPECT_EQ(t.headers, "x-caf\ufffd: v\nsubject: s\n");
}

TEST(MimeText, ExtractSearchTextLimitCutsAtACharacter) {
  auto s = parse_message(search_message);
  EXPECT_EQ(extract_search_text(search_message, s, 5).body, "caf\u00e9");
  EXPECT_EQ(extract_search_text(search_message, s, 4).body, "caf");  // not half of the é
  EXPECT_EQ(extract_search_text(search_message, s, 0).body, "");
}

TEST(MimeText, ExtractSearchTextSmallCases) {
  auto e = extract_search_text("", parse_message(""));
  EXPECT_EQ(e.headers, "");
  EXPECT_EQ(e.body, "");

  // A single-part message: its body is the text; in an unknown charset
  // 8-bit octets are read as ISO-8859-1 (charset_to_utf8).
  auto m = crlf("Content-Type: text/plain; charset=x-unknown\n\nCAF\xe9\n");
  EXPECT_EQ(extract_search_text(m, parse_message(m)).body, "caf\u00e9\r\n");

  // A non-text single part has no body text.
  auto img = crlf("Content-Type: image/png\n\nPNGDATA\n");
  EXPECT_EQ(extract_search_text(img, parse_message(img)).body, "");

  // An opaque (base64) message/rfc822 is not searched as text.
  auto enc = crlf(
      "Content-Type: multipart/mixed; boundary=z\n\n"
      "--z\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYUBiDQoNCmhp\n"
      "--z--\n");
  EXPECT_EQ(extract_search_text(enc, parse_message(enc)).body, "");
}

// RFC 5322 §3.4: comments and CFWS may sit inside an address; SEARCH FROM
// user@domain.org must still find it, so the parsed form joins the text.
TEST(MimeText, ExtractSearchTextEnvelopeAddresses) {
  // Raw lines for HEADER; then the envelope's addresses (RFC 3501 §6.4.4,
  // §7.4.2) on lines starting with a space, for FROM/TO/CC/BCC: comments
  // gone, display names decoded, the first field of each name only.
  auto m = crlf("From: <user (comment)@ (comment) domain.org>\nTo: a@b, Bob <bob@c>\n"
                "Cc: =?utf-8?q?J=C3=BCrgen?= <j@d>, undisclosed: ;\nTo: second@x\nSubject: x\n\nbody\n");
  auto t = extract_search_text(m, parse_message(m));
  EXPECT_EQ(t.headers,
            "from: <user (comment)@ (comment) domain.org>\n"
            "to: a@b, bob <bob@c>\n"
            "cc: j\xc3\xbcrgen <j@d>, undisclosed: ;\n"
            "to: second@x\n"
            "subject: x\n"
            " from: <user@domain.org>\n"
            " to: <a@b>, bob <bob@c>\n"
            " cc: j\xc3\xbcrgen <j@d>, undisclosed: ;\n");
}

}  // namespace
}  // namespace lemonade::mime
