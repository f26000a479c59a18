// mime: the storage form of message_structure (encode_structure /
// decode_structure): exact round trips, and corrupt rows reported as
// nullopt, never trusted and never a crash.
#include <gtest/gtest.h>

#include <random>

#include "mime/parser.hpp"
#include "mime_test_util.hpp"

namespace lemonade::mime {
namespace {

using test::crlf;

std::vector<std::string> sample_messages() {
  return {
      "",
      crlf("Subject: x\n\nhello\n"),
      "Subject: bare LF\nFrom: a@b\n\nbody",
      crlf(
          "From: \"Ann\" <a@b.example>\nTo: Team: c@d, <@r:e@f>;\nCc: undisclosed\nSubject: =?utf-8?q?x?=\n"
          "Message-ID: <1@x>\nIn-Reply-To: <0@x>\nDate: Wed, 17 Jul 1996 02:23:25 -0700\n"
          "Content-Type: multipart/mixed; boundary=b1\n\n"
          "--b1\nContent-Type: text/plain; charset=\"utf-8\"; title*0*=utf-8''%C3%A9; title*1=x\n"
          "Content-ID: <c1>\nContent-Description: desc\nContent-Transfer-Encoding: quoted-printable\n"
          "Content-Disposition: inline; filename=a.txt\nContent-Language: en, de\n"
          "Content-Location: http://x/y\n\ncaf=C3=A9\n"
          "--b1\nContent-Type: message/rfc822\n\nFrom: inner@y\nSubject: inner\n"
          "Content-Type: multipart/alternative; boundary=b2\n\n--b2\n\ninner\n--b2\nContent-Type: text/html\n\n<p>\n--b2--\n"
          "--b1\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYUBiDQoNCmhp\n"
          "--b1\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: d1\n\nx\n--d--\n"
          "--b1--\nepilogue\n"),
      crlf("Content-Type: multipart/mixed; boundary=q\n\nno delimiter at all\n"),
      crlf("Content-Type: multipart/mixed; boundary=q\n\n--q\n\nunclosed\n"),
  };
}

TEST(MimeSerialize, RoundTripEqualsTheOriginal) {
  for (auto& m : sample_messages()) {
    auto s = parse_message(m);
    auto enc = encode_structure(s);
    auto dec = decode_structure(enc);
    ASSERT_TRUE(dec) << m;
    EXPECT_EQ(*dec, s) << m;
    EXPECT_EQ(encode_structure(*dec), enc);
  }
}

TEST(MimeSerialize, RoundTripWithLimits) {
  parse_limits tight;
  tight.max_depth = 2;
  tight.max_parts = 4;
  for (auto& m : sample_messages()) {
    auto s = parse_message(m, tight);
    auto dec = decode_structure(encode_structure(s));
    ASSERT_TRUE(dec) << m;
    EXPECT_EQ(*dec, s) << m;
  }
}

TEST(MimeSerialize, EveryProperPrefixIsRejected) {
  for (auto& m : sample_messages()) {
    auto enc = encode_structure(parse_message(m));
    for (std::size_t n = 0; n < enc.size(); ++n)
      EXPECT_EQ(decode_structure(std::string_view(enc).substr(0, n)), std::nullopt) << "prefix " << n << " of " << m;
    // Trailing octets are corruption too.
    EXPECT_EQ(decode_structure(enc + '\0'), std::nullopt);
  }
}

TEST(MimeSerialize, OtherVersionIsRejected) {
  auto enc = encode_structure(parse_message(crlf("Subject: x\n\nhello\n")));
  enc[0] = static_cast<char>(enc[0] + 1);
  EXPECT_EQ(decode_structure(enc), std::nullopt);
  EXPECT_EQ(decode_structure(""), std::nullopt);
}

TEST(MimeSerialize, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(20240611);
  int accepted = 0, rejected = 0;
  for (auto& m : sample_messages()) {
    auto enc = encode_structure(parse_message(m));
    for (int round = 0; round < 2000; ++round) {
      auto bad = enc;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) bad[rng() % bad.size()] ^= static_cast<char>(1u << (rng() % 8));
      auto dec = decode_structure(bad);
      if (!dec) {
        ++rejected;
        continue;
      }
      ++accepted;
      // Whatever is accepted is self-consistent: it encodes back to a row
      // that decodes to the same value, and its ranges lie in its size.
      auto again = decode_structure(encode_structure(*dec));
      ASSERT_TRUE(again);
      EXPECT_EQ(*again, *dec);
      for (auto& p : dec->parts) {
        EXPECT_LE(p.header.end(), dec->size);
        EXPECT_EQ(p.body.offset, p.header.end());
        EXPECT_LE(p.body.end(), dec->size);
        for (auto c : p.children) EXPECT_LT(c, dec->parts.size());
      }
      // Section lookups on an accepted structure stay in bounds.
      for (const std::vector<std::uint32_t>& path : {std::vector<std::uint32_t>{}, {1}, {1, 1}, {2, 1}, {1, 2, 1}}) {
        if (auto i = find_part(*dec, path)) {
          EXPECT_LT(*i, dec->parts.size());
        }
        if (auto i = find_message(*dec, path)) {
          EXPECT_LT(*i, dec->parts.size());
        }
      }
    }
  }
  EXPECT_GT(rejected, 0);
  RecordProperty("accepted", accepted);
}

TEST(MimeSerialize, GarbageNeverCrashes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    std::string junk(rng() % 64, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    if (!junk.empty() && round % 2) junk[0] = 1;  // the right version octet
    (void)decode_structure(junk);
  }
}

}  // namespace
}  // namespace lemonade::mime
