// sort: RFC 5051 i;unicode-casemap (casemap_key, casemap_compare).
#include <gtest/gtest.h>

#include <string>

#include "sort/collate.hpp"

namespace lemonade::sort {
namespace {

TEST(SortCollate, Rfc5051Example) {
  // RFC 5051 §2: U+01C4 LATIN CAPITAL LETTER DZ WITH CARON has the
  // titlecase U+01C5, which decomposes to U+0044 U+017E, and U+017E to
  // U+007A U+030C: the result is U+0044 U+007A U+030C.
  EXPECT_EQ(casemap_key("\xC7\x84"), "Dz\xCC\x8C");
  // U+01C6 (small dz with caron) and U+01C5 (the titlecase itself) meet it.
  EXPECT_EQ(casemap_key("\xC7\x86"), "Dz\xCC\x8C");
  EXPECT_EQ(casemap_key("\xC7\x85"), "Dz\xCC\x8C");
  // Decomposition output is not titlecased again: "D" + "Ž" stays upper.
  EXPECT_EQ(casemap_key("D\xC5\xBD"), "DZ\xCC\x8C");
}

TEST(SortCollate, AsciiIsCaseInsensitive) {
  EXPECT_EQ(casemap_key("Hello, World! 123"), "HELLO, WORLD! 123");
  EXPECT_EQ(casemap_key(""), "");
  EXPECT_EQ(casemap_compare("hello", "HELLO"), 0);
  EXPECT_LT(casemap_compare("a", "B"), 0);
  EXPECT_GT(casemap_compare("b", "A"), 0);
  EXPECT_LT(casemap_compare("abc", "ABCD"), 0);
  // Octet order of the prepared strings: '[' (0x5B) sorts after 'Z' but
  // before the letters' lower case, which no longer exists.
  EXPECT_LT(casemap_compare("z", "["), 0);
}

TEST(SortCollate, DiacriticsDecomposeAndFollowTheBaseLetter) {
  // U+00E9 and "e" + U+0301 are one key: E + COMBINING ACUTE ACCENT.
  EXPECT_EQ(casemap_key("\xC3\xA9"), "E\xCC\x81");
  EXPECT_EQ(casemap_key("e\xCC\x81"), "E\xCC\x81");
  EXPECT_EQ(casemap_compare("caf\xC3\xA9", "CAFE\xCC\x81"), 0);
  // "Åland" sorts with the A's, before "B".
  EXPECT_LT(casemap_compare("\xC3\x85land", "Berlin"), 0);
  EXPECT_GT(casemap_compare("\xC3\x85land", "Aland"), 0);
  // Combining marks in canonical order (NFKD): ogonek (ccc 202) before
  // acute (ccc 230), whatever order they were written in.
  EXPECT_EQ(casemap_key("a\xCC\x81\xCC\xA8"), casemap_key("a\xCC\xA8\xCC\x81"));
}

TEST(SortCollate, SimpleTitlecaseOnly) {
  // Greek sigma: final and medial small forms both titlecase to U+03A3.
  EXPECT_EQ(casemap_key("\xCF\x83"), "\xCE\xA3");
  EXPECT_EQ(casemap_key("\xCF\x82"), "\xCE\xA3");
  // U+00DF has no simple titlecase mapping (its full one is "Ss"): kept.
  EXPECT_EQ(casemap_key("stra\xC3\x9F" "e"), "STRA\xC3\x9F" "E");
  EXPECT_NE(casemap_compare("Stra\xC3\x9F" "e", "STRASSE"), 0);
  // U+FB01 LATIN SMALL LIGATURE FI has no simple titlecase; NFKD gives
  // "fi", which is not titlecased again.
  EXPECT_EQ(casemap_key("\xEF\xAC\x81"), "fi");
  // Cyrillic.
  EXPECT_EQ(casemap_compare("\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", "\xD0\x9F\xD0\xA0\xD0\x98\xD0\x92\xD0\x95\xD0\xA2"), 0);
}

TEST(SortCollate, CompatibilityDecomposition) {
  // Full-width letters (U+FF21, U+FF41) fold to ASCII.
  EXPECT_EQ(casemap_key("\xEF\xBC\xA1"), "A");
  EXPECT_EQ(casemap_key("\xEF\xBD\x81"), "A");
  // U+2460 CIRCLED DIGIT ONE, U+00BD VULGAR FRACTION ONE HALF.
  EXPECT_EQ(casemap_key("\xE2\x91\xA0"), "1");
  EXPECT_EQ(casemap_key("\xC2\xBD"), "1\xE2\x81\x84" "2");
  // Hangul syllables decompose to jamo (NFKD), and keep their order.
  EXPECT_EQ(casemap_key("\xED\x95\x9C"), "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");
  EXPECT_LT(casemap_compare("\xEA\xB0\x80", "\xEB\x82\x98"), 0);  // GA before NA
}

TEST(SortCollate, InvalidUtf8IsBinary) {
  // RFC 5051 §2: strings that "cannot be converted to Unicode are not
  // rejected, but are treated as binary": the octets are the key.
  for (std::string s : {std::string("\xFF\xFE" "abc"), std::string("abc\xC3"), std::string("\xC0\xAF"),
                        std::string("\xED\xA0\x80"), std::string("\xF4\x90\x80\x80"), std::string("caf\xE9")})
    EXPECT_EQ(casemap_key(s), s);
  // Such keys still compare as octets, and are not case-mapped: the
  // binary "caf\xE9" sorts after every valid "CAF..." key.
  EXPECT_LT(casemap_compare("caf\xE9", "caf\xFF"), 0);
  EXPECT_GT(casemap_compare("caf\xE9", "CAFZ"), 0);
}

TEST(SortCollate, NulAndControlCharactersAreKept) {
  std::string s("a\0b\x01", 4);
  EXPECT_EQ(casemap_key(s), std::string("A\0B\x01", 4));
  EXPECT_EQ(casemap_key(std::string("\xC3\xA9\0", 3)), std::string("E\xCC\x81\0", 4));
}

}  // namespace
}  // namespace lemonade::sort
