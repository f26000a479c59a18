// sort: RFC 5256 §2.1 base subject extraction and the reply/forward test
// THREAD=REFERENCES uses. One table: raw Subject value, base subject,
// whether a subj-refwd, "(fwd)" or "[fwd: ...]" was removed.
#include <gtest/gtest.h>

#include <string>

#include "sort/base_subject.hpp"

namespace lemonade::sort {
namespace {

struct subject_case {
  const char* raw;
  const char* base;
  bool reply;
};

const subject_case cases[] = {
    // Nothing to remove.
    {"", "", false},
    {"Hello", "Hello", false},
    {"Hello World", "Hello World", false},
    // Step (1): tabs and continuations to space, runs to one space.
    {"  Hello \t  World  ", "Hello World", false},
    {"Hello\r\n World", "Hello World", false},
    {"Hello\r\n\tWorld", "Hello World", false},
    // subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":", any case.
    {"Re: Hello", "Hello", true},
    {"RE: Hello", "Hello", true},
    {"re: hello", "hello", true},
    {"rE:Hello", "Hello", true},
    {"Re : Hello", "Hello", true},
    {"Re\t:\tHello", "Hello", true},
    {"Re[2]: Hello", "Hello", true},
    {"Re [2]: Hello", "Hello", true},
    {"Re[2] : Hello", "Hello", true},
    {"Re(2): Hello", "Re(2): Hello", false},  // parentheses are not a blob
    {"Fwd: Hello", "Hello", true},
    {"FWD: Hello", "Hello", true},
    {"Fw: Hello", "Hello", true},
    {"fw[x]: Hello", "Hello", true},
    {"Fwd[x]: Hello", "Hello", true},
    {"Re: Re: Fwd: RE[3]: Hello", "Hello", true},
    {"Re:Re:Re:", "", true},
    {"Re:", "", true},
    // Look-alikes that are not subj-refwd.
    {"Ref: Hello", "Ref: Hello", false},
    {"Fwx: Hello", "Fwx: Hello", false},
    {"Regarding: Hello", "Regarding: Hello", false},
    {"Re Hello", "Re Hello", false},
    {"re", "re", false},
    {"AW: Hello", "AW: Hello", false},  // only English prefixes are in the grammar
    {"Hello Re: World", "Hello Re: World", false},
    // Blobs: removed in front of a subj-refwd (step 3) or when text
    // remains after them (step 4).
    {"[list] Hello", "Hello", false},
    {"[list]Hello", "Hello", false},
    {"[list] Re: Hello", "Hello", true},
    {"Re: [list] Hello", "Hello", true},
    {"[a] [b] Re: [c] Hello", "Hello", true},
    {"[a][b]Re:[c]Hello", "Hello", true},
    {"Re: [list] Re: [list] Hello", "Hello", true},
    {"[list]", "[list]", false},           // a blob alone is the subj-base
    {"Re: [list]", "[list]", true},
    {"[a] [b]", "[b]", false},             // the last blob stays
    {"[]", "[]", false},
    {"[] Hello", "Hello", false},
    {"[unclosed Hello", "[unclosed Hello", false},
    {"Hello [list]", "Hello [list]", false},
    // Step (2): trailers.
    {"Hello (fwd)", "Hello", true},
    {"Hello(fwd)", "Hello", true},
    {"Hello (FWD) (Fwd)  ", "Hello", true},
    {"(fwd)", "", true},
    {"Hello (fwd) there", "Hello (fwd) there", false},
    {"Hello (fw)", "Hello (fw)", false},
    // Step (6): the [fwd: ...] wrapper, then again from step (2).
    {"[fwd: Hello]", "Hello", true},
    {"[Fwd: Hello]", "Hello", true},
    {"[FWD:Hello]", "Hello", true},
    {"[fwd: Re: Hello]", "Hello", true},
    {"[fwd: [fwd: Hello]]", "Hello", true},
    {"[fwd: Hello] (fwd)", "Hello", true},
    {"Re: [fwd: Re: Hello (fwd)]", "Hello", true},
    {"[fwd: [list] Hello]", "Hello", true},
    {"[fwd:]", "", true},
    {"[fwd: Hello] World", "World", false},  // a blob with text after it (step 4)
    {"[fwd: Hello", "[fwd: Hello", false},
    // Non-ASCII: UTF-8 octets are BLOBCHARs and subj-base text.
    {"[\xD0\xA1\xD0\xBF\xD0\xB8\xD1\x81\xD0\xBE\xD0\xBA] Re: \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
     "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", true},
    {"Re: caf\xC3\xA9", "caf\xC3\xA9", true},
    // Step (1): RFC 2047 encoded words decoded first, so a prefix inside
    // one is found, and white space inside one is collapsed.
    {"=?utf-8?q?Re=3A_Caf=C3=A9?=", "Caf\xC3\xA9", true},
    {"=?iso-8859-1?q?R=E9sum=E9?=", "R\xC3\xA9sum\xC3\xA9", false},
    {"Re: =?utf-8?b?w6k=?=", "\xC3\xA9", true},
    {"=?utf-8?q?Fwd=3A?= =?utf-8?q?_Hello?=", "Hello", true},
    {"=?utf-8?q?a=09=09b?=", "a b", false},
    {"=?utf-8?q?=5Blist=5D?= Hello", "Hello", false},
    // Undeclared 8-bit text is read as ISO-8859-1 (mime::decode_header_value).
    {"Re: caf\xE9", "caf\xC3\xA9", true},
};

TEST(SortBaseSubject, Table) {
  for (auto& c : cases) {
    auto got = extract_base_subject(c.raw);
    EXPECT_EQ(got.text, c.base) << "subject: " << c.raw;
    EXPECT_EQ(got.reply_or_forward, c.reply) << "subject: " << c.raw;
  }
}

TEST(SortBaseSubject, IsStable) {
  // The extraction repeats until nothing matches: applying it to a base
  // subject changes nothing more.
  for (auto& c : cases) {
    auto once = extract_base_subject(c.raw);
    auto twice = extract_base_subject_utf8(once.text);
    EXPECT_EQ(twice.text, once.text) << "subject: " << c.raw;
  }
}

TEST(SortBaseSubject, Utf8EntryPointSkipsDecoding) {
  // Already-decoded text is not decoded again.
  auto b = extract_base_subject_utf8("Re: =?utf-8?q?x?=");
  EXPECT_EQ(b.text, "=?utf-8?q?x?=");
  EXPECT_TRUE(b.reply_or_forward);
  EXPECT_EQ(extract_base_subject_utf8("Re:\tA\r\n  B"), (base_subject{"A B", true}));
}

TEST(SortBaseSubject, LongInputs) {
  // Many prefixes and blobs: linear work, nothing left over.
  std::string s;
  for (int i = 0; i < 20000; ++i) s += "Re: [x] ";
  s += "Hello";
  for (int i = 0; i < 20000; ++i) s += " (fwd)";
  EXPECT_EQ(extract_base_subject(s), (base_subject{"Hello", true}));
  std::string nested;
  for (int i = 0; i < 2000; ++i) nested += "[fwd: ";
  nested += "Hello";
  for (int i = 0; i < 2000; ++i) nested += "]";
  EXPECT_EQ(extract_base_subject(nested), (base_subject{"Hello", true}));
}

}  // namespace
}  // namespace lemonade::sort
