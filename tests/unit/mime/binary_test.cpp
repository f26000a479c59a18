// mime/binary: RFC 3516 decoding of a part for FETCH BINARY, and the
// re-encoding of NUL-holding parts of a literal8 APPEND (§4.4: no data lost).
#include <gtest/gtest.h>

#include "mime/binary.hpp"
#include "mime/decode.hpp"
#include "mime/parser.hpp"

namespace lemonade::mime {
namespace {

using namespace std::string_literals;

part leaf(std::string type, std::string encoding) {
  part p;
  p.type = std::move(type);
  p.subtype = "plain";
  p.encoding = std::move(encoding);
  return p;
}

TEST(MimeBinary, DecodesByTransferEncoding) {
  EXPECT_EQ(binary_content("AEFC", leaf("application", "base64")), "\0AB"s);
  EXPECT_EQ(binary_content("a=3Db=\r\nc", leaf("application", "quoted-printable")), "a=bc");
  EXPECT_EQ(binary_content("as is", leaf("application", "8bit")), "as is");
  EXPECT_EQ(binary_content("as is", leaf("application", "")), "as is");
  EXPECT_EQ(binary_content("x", leaf("application", "x-uuencode")), std::nullopt);
  // §6: text goes out with CRLF line ends whatever the decoding gave.
  EXPECT_EQ(binary_content("YQpiDWM=", leaf("text", "base64")), "a\r\nb\r\nc");
  EXPECT_EQ(classify_cte("BASE64"), cte_kind::base64);
  EXPECT_EQ(classify_cte("Binary"), cte_kind::identity);
}

// binary_decoder fed in pieces of every size gives what binary_content()
// gives for the whole body: base64 quanta, "=XX" pairs, soft breaks, CRLF
// pairs and trailing white space split across pieces.
std::string decode_in_pieces(std::string_view body, const part& p, std::size_t piece) {
  binary_decoder d(classify_cte(p.encoding), p.type == "text");
  std::string out;
  for (std::size_t at = 0; at < body.size(); at += piece) d.feed(body.substr(at, piece), out);
  d.finish(out);
  return out;
}

TEST(MimeBinary, DecoderInPiecesEqualsWhole) {
  struct sample {
    std::string type, encoding, body;
  };
  std::vector<sample> samples = {
      {"application", "base64", "AAEC\r\nAwQF\r\nBgcI=\r\nCQ=="},
      {"text", "base64", "YQpiDWMNCmQNDQo="},
      {"text", "quoted-printable", "caf=C3=A9 \t \r\nsoft=\r\nbreak=3D=\nx\n=4\r\nbare\rcr  \r\n"},
      {"application", "quoted-printable", "=00=FF=\r\n=0D=0A\r\nend"},
      {"text", "7bit", "a\nb\r\nc\rd\r\r\n\n"},
  };
  for (auto& s : samples) {
    auto p = leaf(s.type, s.encoding);
    auto whole = binary_content(s.body, p);
    ASSERT_TRUE(whole);
    for (std::size_t piece = 1; piece <= s.body.size(); ++piece)
      EXPECT_EQ(decode_in_pieces(s.body, p, piece), *whole) << s.encoding << " piece " << piece;
  }
}

TEST(MimeBinary, DecoderHoldsNoLongQuotedPrintableLine) {
  // A line with no end is decoded as it comes (only a few octets of it are
  // held back), and gives the same octets as the whole.
  std::string body;
  for (int i = 0; i < 3000; ++i) body += "ab=3D  c =\t";
  body += "x=";
  auto p = leaf("application", "quoted-printable");
  auto whole = binary_content(body, p);
  ASSERT_TRUE(whole);
  for (std::size_t piece : {1u, 7u, 1000u, 4097u, 65536u}) EXPECT_EQ(decode_in_pieces(body, p, piece), *whole);
}

TEST(MimeBinary, NulPartsBecomeBase64AndDecodeBack) {
  auto payload = "\0\x01\xff\0z"s;
  auto msg = "From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n"
             "--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
             "--q\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding:\r\n binary\r\n\r\n" +
             payload + "\r\n--q--\r\n";
  auto fixed = encode_nul_parts(msg, parse_message(msg));
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->find('\0'), std::string::npos);
  // The folded field is replaced whole.
  EXPECT_NE(fixed->find("Content-Transfer-Encoding: base64\r\n\r\nAAH/AHo=\r\n--q--"), std::string::npos) << *fixed;
  EXPECT_EQ(fixed->find("binary"), std::string::npos);
  auto s = parse_message(*fixed);
  ASSERT_EQ(s.parts.size(), 3u);
  auto& p = s.parts[2];
  EXPECT_EQ(p.encoding, "base64");
  EXPECT_EQ(binary_content(std::string_view(*fixed).substr(p.body.offset, p.body.length), p), payload);
  // The text part is untouched.
  EXPECT_EQ(fixed->substr(0, fixed->find("--q\r\nContent-Type: application")),
            msg.substr(0, msg.find("--q\r\nContent-Type: application")));
}

TEST(MimeBinary, NulInASinglePartMessageAddsTheField) {
  auto msg = "Subject: x\r\nContent-Type: application/octet-stream\r\n\r\nab\0cd"s;
  auto fixed = encode_nul_parts(msg, parse_message(msg));
  ASSERT_TRUE(fixed);
  EXPECT_EQ(*fixed, "Subject: x\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                    "YWIAY2Q=");
}

TEST(MimeBinary, LongBase64IsWrappedAt76) {
  std::string payload(100, '\0');
  auto msg = "Content-Type: application/octet-stream\r\n\r\n" + payload;
  auto fixed = encode_nul_parts(msg, parse_message(msg));
  ASSERT_TRUE(fixed);
  auto body = fixed->substr(fixed->find("\r\n\r\n") + 4);
  EXPECT_EQ(body.find("\r\n"), 76u);
  EXPECT_EQ(decode_base64(body), payload);
}

TEST(MimeBinary, NulOutsideABodyCannotBeKept) {
  auto msg = "Subject: a\0b\r\n\r\nbody"s;
  EXPECT_EQ(encode_nul_parts(msg, parse_message(msg)), std::nullopt);
  auto clean = "Subject: ab\r\n\r\nbody"s;
  EXPECT_EQ(encode_nul_parts(clean, parse_message(clean)), clean);
}

// RFC 6152 §3: relaying 8-bit mail to a hop without 8BITMIME converts it.
// A text part becomes quoted-printable (RFC 2045 §6.7): octets over 126
// and '=' as =XX, white space before a line break as =20, CRLF kept, lines
// of at most 76 characters with soft breaks; decoding gives the original.
TEST(MimeDowngrade, EightBitTextBecomesQuotedPrintable) {
  auto msg = "From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9f""e a=b \r\nend\r\n"s;
  auto down = downgrade(msg, parse_message(msg), false);
  ASSERT_TRUE(down);
  EXPECT_EQ(*down, "From: a@b.example\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe a=3Db=20\r\nend\r\n");
  auto s = parse_message(*down);
  auto& p = s.parts[0];
  EXPECT_EQ(binary_content(std::string_view(*down).substr(p.body.offset, p.body.length), p),
            "Gr\xc3\xbc\xc3\x9f""e a=b \r\nend\r\n");
  // 8-bit octets may pass: nothing to do.
  EXPECT_EQ(downgrade(msg, parse_message(msg), true), msg);
}

TEST(MimeDowngrade, LongLinesGetSoftBreaks) {
  std::string line(200, 'x');
  line[150] = '\xe9';
  auto msg = "Content-Type: text/plain; charset=latin1\r\n\r\n" + line + "\r\n";
  auto down = downgrade(msg, parse_message(msg), false);
  ASSERT_TRUE(down);
  auto body = down->substr(down->find("\r\n\r\n") + 4);
  std::size_t at = 0;
  while (at < body.size()) {
    auto end = body.find("\r\n", at);
    EXPECT_LE(end - at, 76u) << body;
    at = end + 2;
  }
  EXPECT_EQ(decode_quoted_printable(body), line + "\r\n");
  // A message without MIME-Version gets one with its encoding (RFC 2045 §4).
  EXPECT_NE(down->find("MIME-Version: 1.0\r\n"), std::string::npos) << *down;
}

// Non-text parts become base64; parts that can go as they are, and the
// boundaries around them, are copied octet for octet; a multipart labelled
// 8bit is relabelled 7bit (RFC 2045 §6.4).
TEST(MimeDowngrade, MultipartPartsAreEncodedOneByOne) {
  auto image = "\x89PNG\r\n\x1a\n\xff"s;
  auto msg = "Subject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n"
             "Content-Transfer-Encoding: 8bit\r\n\r\npreamble\r\n"
             "--q\r\nContent-Type: text/plain\r\n\r\nplain ascii\r\n"
             "--q\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: binary\r\n\r\n" + image +
             "\r\n--q--\r\n";
  auto down = downgrade(msg, parse_message(msg), false);
  ASSERT_TRUE(down);
  EXPECT_EQ(*down, "Subject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n"
                   "Content-Transfer-Encoding: 7bit\r\n\r\npreamble\r\n"
                   "--q\r\nContent-Type: text/plain\r\n\r\nplain ascii\r\n"
                   "--q\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgr/"
                   "\r\n--q--\r\n");
  // Binary to an 8BITMIME hop: the bare LF must go, the label says 8bit.
  auto eight = downgrade(msg, parse_message(msg), true);
  ASSERT_TRUE(eight);
  EXPECT_NE(eight->find("Content-Transfer-Encoding: 8bit\r\n\r\npreamble"), std::string::npos) << *eight;
  EXPECT_NE(eight->find("iVBORw0KGgr/"), std::string::npos);
}

// A message/rfc822 part's own parts are converted; 8-bit octets in a
// header cannot be (that needs SMTPUTF8, RFC 6532): the message is
// returned instead.
TEST(MimeDowngrade, EncapsulatedMessagesAndHeaders) {
  auto msg = "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
             "Subject: inner\r\nContent-Type: text/plain\r\n\r\ncaf\xc3\xa9\r\n"s;
  auto down = downgrade(msg, parse_message(msg), false);
  ASSERT_TRUE(down);
  EXPECT_EQ(*down, "MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                   "Subject: inner\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                   "\r\ncaf=C3=A9\r\n");
  // A label that no longer holds is corrected even where the content can
  // go as it is: 8bit over 7-bit text to a hop without 8BITMIME.
  auto labelled = "Subject: l\r\nContent-Transfer-Encoding: 8bit\r\n\r\nascii\r\n"s;
  EXPECT_EQ(downgrade(labelled, parse_message(labelled), false),
            "Subject: l\r\nContent-Transfer-Encoding: 7bit\r\n\r\nascii\r\n");
  EXPECT_EQ(downgrade(labelled, parse_message(labelled), true), labelled);
  auto header = "Subject: caf\xc3\xa9\r\n\r\nascii body\r\n"s;
  EXPECT_EQ(downgrade(header, parse_message(header), false), std::nullopt);
  EXPECT_EQ(downgrade(header, parse_message(header), true), header);
}

}  // namespace
}  // namespace lemonade::mime
