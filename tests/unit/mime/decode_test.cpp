// mime/decode and mime/charset: RFC 2047 encoded words (the RFC 2047 §8
// examples first), RFC 2045 §6.7/§6.8 transfer encodings, RFC 2231 §4
// parameter values, charset conversion through iconv, UTF-8 repair.
#include <gtest/gtest.h>

#include <random>

#include "core/strings.hpp"
#include "mime/charset.hpp"
#include "mime/decode.hpp"
#include "mime_test_util.hpp"

namespace lemonade::mime {
namespace {

struct text_case {
  std::string_view input;
  std::string_view want;
};

const text_case rfc2047_examples[] = {
    // RFC 2047 §8, the header examples.
    {"=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"},
    {"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>", "Keld J\u00f8rn Simonsen <keld@dkuug.dk>"},
    {"=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", "Andr\u00e9 Pirard <PIRARD@vm1.ulg.ac.be>"},
    {"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
     "If you can read this you understand the example."},
    {"Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n    (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)",
     "Nathaniel Borenstein <nsb@thumper.bellcore.com>    "
     "(\u05dd\u05d5\u05dc\u05e9 \u05df\u05d1 \u05d9\u05dc\u05d8\u05e4\u05e0)"},
    {"=?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>", "Olle J\u00e4rnefors <ojarnef@admin.kth.se>"},
    {"=?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>", "Patrik F\u00e4ltstr\u00f6m <paf@nada.kth.se>"},
    // RFC 2047 §8, the white-space table.
    {"(=?ISO-8859-1?Q?a?=)", "(a)"},
    {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
    {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
    {"(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"},
    {"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
    {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
    {"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"},
    // A UTF-8 character split across two words survives (§6.2 joining).
    {"=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=", "caf\u00e9"},
    {"=?utf-8?B?w6k=?==?UTF-8?b?w6k=?=", "\u00e9\u00e9"},
    {"=?UTF-8?B?4oI=?= =?utf-8?B?rA==?=", "\u20ac"},
    // Encoded words inside other text, and text around them.
    {"Re: =?utf-8?q?caf=C3=A9?= ok", "Re: caf\u00e9 ok"},
    {"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"},
    {"x=?utf-8?q?a?=y", "xay"},
    // An RFC 2231 §5 language suffix on the charset.
    {"=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"},
    // Malformed words stay as written.
    {"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
    {"=?utf-8?q?a b?=", "=?utf-8?q?a b?="},
    {"=?utf-8?q?unclosed", "=?utf-8?q?unclosed"},
    {"=??q?a?=", "=??q?a?="},
    {"=?=?utf-8?q?a?=", "=?a"},
    // Undeclared 8-bit text is read as ISO-8859-1; valid UTF-8 is kept.
    {"caf\xe9", "caf\u00e9"},
    {"caf\xc3\xa9", "caf\u00e9"},
    // Unfolding only: white space is kept, line ends are removed.
    {" a\r\n\tb ", " a\tb "},
    {"", ""},
};

TEST(MimeDecode, HeaderValueRfc2047) {
  for (auto& c : rfc2047_examples) EXPECT_EQ(decode_header_value(c.input), c.want) << "input: " << c.input;
}

// decode_header_value and parameter_value_utf8 promise UTF-8. A charset
// iconv does not know must not leak raw 8-bit octets: read them as
// ISO-8859-1, as undeclared header text is.
TEST(MimeDecode, UnknownCharsetIsStillUtf8) {
  EXPECT_EQ(decode_header_value("=?x-unknown?q?caf=E9?="), "caf\u00e9");
  EXPECT_EQ(decode_header_value("=?x-unknown?q?plain?="), "plain");
  EXPECT_EQ(parameter_value_utf8({"filename", "x-unknown''caf%E9", true}), "caf\u00e9");
}

TEST(MimeDecode, Base64Lenient) {
  EXPECT_EQ(decode_base64("SGVsbG8gV29ybGQ="), "Hello World");
  EXPECT_EQ(decode_base64("SGVs\r\nbG8*gV29y\nbGQ="), "Hello World");  // line ends and junk skipped
  EXPECT_EQ(decode_base64("SGk=SGk="), "HiHi");                         // concatenated streams
  EXPECT_EQ(decode_base64("SGVsbG8"), "Hello");                         // missing padding
  EXPECT_EQ(decode_base64("S"), "");                                    // 6 bits: no octet
  EXPECT_EQ(decode_base64("===="), "");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("/+/+"), "\xff\xef\xfe");
}

// The four-characters-at-once path and the one-at-a-time path agree:
// random data, encoded with line ends at random places, fed in random
// pieces (a quantum split between calls carries its bits over).
TEST(MimeDecode, Base64InPiecesWithLineEnds) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string data(rng() % 3000, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    std::string encoded = core::base64_encode(data), wrapped;
    for (char c : encoded) {
      wrapped += c;
      if (rng() % 37 == 0) wrapped += "\r\n";
    }
    EXPECT_EQ(decode_base64(wrapped), data);
    std::string out;
    base64_state st;
    for (std::size_t at = 0; at < wrapped.size();) {
      auto n = std::min<std::size_t>(wrapped.size() - at, 1 + rng() % 9);
      decode_base64(std::string_view(wrapped).substr(at, n), st, out);
      at += n;
    }
    EXPECT_EQ(out, data);
  }
}

TEST(MimeDecode, QuotedPrintable) {
  // RFC 2045 §6.7: "=XX" either case, soft breaks, trailing white space dropped.
  EXPECT_EQ(decode_quoted_printable("caf=C3=A9 =\r\nsuite  \r\nend=3d\r\n"), "caf\u00e9 suite\r\nend=\r\n");
  EXPECT_EQ(decode_quoted_printable("=41=4a=4A"), "AJJ");
  EXPECT_EQ(decode_quoted_printable("a=zz b=\nc\n"), "a=zz bc\n");  // bare LF soft break
  EXPECT_EQ(decode_quoted_printable("tab\t\t\r\nx"), "tab\r\nx");
  EXPECT_EQ(decode_quoted_printable("x= \t\r\ny"), "xy");  // white space after the soft-break '='
  EXPECT_EQ(decode_quoted_printable("a=\r\n\r\nb"), "a\r\nb");
  EXPECT_EQ(decode_quoted_printable("trailing ="), "trailing ");
  EXPECT_EQ(decode_quoted_printable("=4"), "=4");
  EXPECT_EQ(decode_quoted_printable(""), "");
}

TEST(MimeDecode, TransferEncoding) {
  EXPECT_EQ(decode_transfer_encoding("SGk=", "base64"), "Hi");
  EXPECT_EQ(decode_transfer_encoding("SGk=", "BASE64"), "Hi");
  EXPECT_EQ(decode_transfer_encoding("a=3Db", "quoted-printable"), "a=b");
  EXPECT_EQ(decode_transfer_encoding("a=3Db", "7bit"), "a=3Db");
  EXPECT_EQ(decode_transfer_encoding("SGk=", ""), "SGk=");
  EXPECT_EQ(decode_transfer_encoding("SGk=", "x-uuencode"), "SGk=");
}

TEST(MimeDecode, ParameterValueUtf8) {
  // RFC 2231 §4 and §4.1 examples.
  EXPECT_EQ(parameter_value_utf8({"title", "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", true}),
            "This is ***fun***");
  EXPECT_EQ(parameter_value_utf8(
                {"title", "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!", true}),
            "This is even more ***fun*** isn't it!");
  EXPECT_EQ(parameter_value_utf8({"filename", "iso-8859-1''caf%E9.txt", true}), "caf\u00e9.txt");
  EXPECT_EQ(parameter_value_utf8({"filename", "''%C3%A9t%C3%A9", true}), "\u00e9t\u00e9");  // no charset: UTF-8
  EXPECT_EQ(parameter_value_utf8({"filename", "UTF-8''%e2%82%ac", true}), "\u20ac");
  EXPECT_EQ(parameter_value_utf8({"f", "koi8-r''%F0%D2%C9%D7%C5%D4", true}),
            "\u041f\u0440\u0438\u0432\u0435\u0442");
  EXPECT_EQ(parameter_value_utf8({"f", "utf-8''100%", true}), "100%");
  EXPECT_EQ(parameter_value_utf8({"f", "utf-8''%4", true}), "%4");
  EXPECT_EQ(parameter_value_utf8({"f", "no-quotes%41", true}), "no-quotesA");
  // Plain values: RFC 2047 words decoded (not standard, widely sent).
  EXPECT_EQ(parameter_value_utf8({"name", "=?utf-8?b?w6l0w6k=?=", false}), "\u00e9t\u00e9");
  EXPECT_EQ(parameter_value_utf8({"name", "plain.txt", false}), "plain.txt");
}

TEST(MimeCharset, KnownCharsets) {
  EXPECT_EQ(charset_to_utf8("caf\xe9", "iso-8859-1"), "caf\u00e9");
  EXPECT_EQ(charset_to_utf8("caf\xe9", "ISO-8859-1"), "caf\u00e9");
  EXPECT_EQ(charset_to_utf8("caf\xe9", "\"iso-8859-1\""), "caf\u00e9");
  EXPECT_EQ(charset_to_utf8("caf\xe9", "iso-8859-1*fr"), "caf\u00e9");  // RFC 2231 §5 language
  EXPECT_EQ(charset_to_utf8("\x80", "iso-8859-1"), "\u0080");
  EXPECT_EQ(charset_to_utf8("\x80 \x93q\x94", "windows-1252"), "\u20ac \u201cq\u201d");
  EXPECT_EQ(charset_to_utf8("\xf0\xd2\xc9\xd7\xc5\xd4", "koi8-r"), "\u041f\u0440\u0438\u0432\u0435\u0442");
  EXPECT_EQ(charset_to_utf8("\x1b$B$3$s$K$A$O\x1b(B", "iso-2022-jp"),
            "\u3053\u3093\u306b\u3061\u306f");
  EXPECT_EQ(charset_to_utf8("\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd", "shift_jis"),
            "\u3053\u3093\u306b\u3061\u306f");
  EXPECT_EQ(charset_to_utf8("\x82\xb1\x82\xf1", "Shift_JIS"), "\u3053\u3093");
  EXPECT_EQ(charset_to_utf8("\x82\xb1\x82\xf1", "x-sjis"), "\u3053\u3093");
  EXPECT_EQ(charset_to_utf8("\xd6\xd0\xce\xc4", "gb2312"), "\u4e2d\u6587");
  EXPECT_EQ(charset_to_utf8("caf\xc3\xa9", "utf-8"), "caf\u00e9");
  EXPECT_EQ(charset_to_utf8("plain", "us-ascii"), "plain");
}

TEST(MimeCharset, InvalidSequencesBecomeReplacementCharacters) {
  EXPECT_EQ(charset_to_utf8("a\xa0" "b", "shift_jis"), "a\ufffd" "b");  // EILSEQ: skip one octet, go on
  EXPECT_EQ(charset_to_utf8("a\x82", "shift_jis"), "a\ufffd");          // truncated at the end
  EXPECT_EQ(charset_to_utf8("a\xff" "b", "utf-8"), "a\ufffd" "b");
  EXPECT_EQ(charset_to_utf8("a\xff" "b", ""), "a\ufffd" "b");  // empty: US-ASCII, repaired
}

TEST(MimeCharset, UnknownCharset) {
  // convert_to_utf8 reports it; charset_to_utf8 still returns UTF-8: valid
  // UTF-8 kept, other octets read as ISO-8859-1.
  EXPECT_EQ(convert_to_utf8("abc", "x-unknown-charset"), std::nullopt);
  EXPECT_EQ(charset_to_utf8("abc\xff", "x-unknown-charset"), "abc\u00ff");
  EXPECT_EQ(charset_to_utf8("caf\xc3\xa9 caf\xe9", "x-unknown-charset"), "caf\u00e9 caf\u00e9");
  EXPECT_EQ(charset_to_utf8("plain", "x-unknown-charset"), "plain");
  // iconv error-handler suffixes are not charset names.
  EXPECT_EQ(convert_to_utf8("abc", "utf-16//IGNORE"), std::nullopt);
  EXPECT_EQ(convert_to_utf8("abc", std::string(100, 'a')), std::nullopt);
  EXPECT_EQ(convert_to_utf8("caf\xe9", "latin1"), "caf\u00e9");
}

TEST(MimeCharset, RepairUtf8) {
  const std::string fffd = "\ufffd";
  EXPECT_EQ(repair_utf8("a\xff" "b"), "a" + fffd + "b");
  EXPECT_EQ(repair_utf8("a\xff" "b", true), "a\u00ff" "b");
  EXPECT_EQ(repair_utf8("\xc0\xaf"), fffd + fffd);                     // overlong
  EXPECT_EQ(repair_utf8("\xe0\x80\xaf"), fffd + fffd + fffd);          // overlong, 3 octets
  EXPECT_EQ(repair_utf8("\xed\xa0\x80"), fffd + fffd + fffd);          // surrogate
  EXPECT_EQ(repair_utf8(""), "");
  EXPECT_EQ(repair_utf8("plain \xc3\xa9t\xc3\xa9"), "plain \xc3\xa9t\xc3\xa9");  // valid: unchanged
  EXPECT_EQ(repair_utf8("\xff" "ab\xff"), fffd + "ab" + fffd);             // at both ends
  EXPECT_EQ(repair_utf8("ab\xc3"), "ab" + fffd);                           // cut short at the end
  EXPECT_EQ(repair_utf8("\xf4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // above U+10FFFF
  EXPECT_EQ(repair_utf8("\xe2\x82"), fffd + fffd);                     // truncated
  EXPECT_EQ(repair_utf8("\xf0\x9f\x98\x80 \u20ac \u00e9"), "\xf0\x9f\x98\x80 \u20ac \u00e9");
  EXPECT_EQ(repair_utf8(""), "");
}

}  // namespace
}  // namespace lemonade::mime
