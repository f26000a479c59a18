// mime/header and mime/content_fields: header lines and fields (RFC 5322
// §2.2, §3.6), RFC 3501 §6.4.5 HEADER.FIELDS / HEADER.FIELDS.NOT, and the
// Content-* field grammar (RFC 2045 §5.1, RFC 2231, RFC 2183, RFC 3282).
#include <gtest/gtest.h>

#include "mime/content_fields.hpp"
#include "mime/header.hpp"
#include "mime_test_util.hpp"

namespace lemonade::mime {
namespace {

using names = std::vector<std::string>;
using params = std::vector<parameter>;

struct line_case {
  std::string_view line;
  header_line kind;
  std::size_t colon;  // for fields
};

const line_case line_cases[] = {
    {"", header_line::blank, 0},
    {"\r\n", header_line::blank, 0},
    {"\n", header_line::blank, 0},
    {" x\r\n", header_line::continuation, 0},
    {"\tx", header_line::continuation, 0},
    {" ", header_line::continuation, 0},  // RFC 5322 §4.2 obs-FWS: white space only
    {"Subject: x\r\n", header_line::field, 7},
    {"Subject : x", header_line::field, 8},  // RFC 5322 §4.5 WSP before the colon
    {"Subject:", header_line::field, 7},
    {"X-\xc3\xa9: y", header_line::field, 4},  // 8-bit tolerated
    {"Subject", header_line::other, 0},
    {":x", header_line::other, 0},
    {"Bad Name: x", header_line::other, 0},
    {"--boundary\r\n", header_line::other, 0},
    {"a\x01" "b: c", header_line::other, 0},
    {"From user@host Mon Jan 1", header_line::other, 0},
};

TEST(MimeHeader, LineKinds) {
  for (auto& c : line_cases) {
    std::size_t colon = 12345;
    EXPECT_EQ(header_line_kind(c.line, &colon), c.kind) << "line: " << c.line;
    if (c.kind == header_line::field) {
      EXPECT_EQ(colon, c.colon) << "line: " << c.line;
    }
  }
}

TEST(MimeHeader, SplitHeader) {
  std::string_view h = "Subject: a\r\n b\r\nFrom : c\r\nX:\r\n\r\nbody: x\r\n";
  auto f = split_header(h);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].name, "Subject");
  EXPECT_EQ(f[0].value, " a\r\n b");
  EXPECT_EQ(f[0].raw, "Subject: a\r\n b\r\n");
  EXPECT_EQ(f[1].name, "From");
  EXPECT_EQ(f[1].value, " c");
  EXPECT_EQ(f[1].raw, "From : c\r\n");
  EXPECT_EQ(f[2].name, "X");
  EXPECT_EQ(f[2].value, "");
  EXPECT_EQ(f[2].raw, "X:\r\n");
  EXPECT_TRUE(split_header("").empty());
  EXPECT_TRUE(split_header(" continuation first\r\nA: b\r\n").empty());
  auto lf = split_header("A: 1\nB: 2");
  ASSERT_EQ(lf.size(), 2u);
  EXPECT_EQ(lf[0].raw, "A: 1\n");
  EXPECT_EQ(lf[1].raw, "B: 2");
  EXPECT_EQ(lf[1].value, " 2");
}

TEST(MimeHeader, FieldValue) {
  std::string_view h = "Subject:  a\r\n  b \r\nsubject: second\r\n\r\n";
  EXPECT_EQ(field_value(h, "SUBJECT"), "a  b");
  EXPECT_EQ(field_value(h, "From"), std::nullopt);
}

TEST(MimeHeader, HeaderFieldsRfc3501) {
  std::string_view h =
      "Subject: hello\r\n world\r\nFrom: a@b\r\nTo: c@d\r\nX-Subject: no\r\nsubject: second\r\n\r\n";
  // Continuation lines kept, names case-insensitive but otherwise exact,
  // the blank line appended.
  EXPECT_EQ(header_fields(h, names{"SUBJECT", "to"}, false),
            "Subject: hello\r\n world\r\nTo: c@d\r\nsubject: second\r\n\r\n");
  EXPECT_EQ(header_fields(h, names{"SUBJECT", "to"}, true), "From: a@b\r\nX-Subject: no\r\n\r\n");
  EXPECT_EQ(header_fields(h, names{"nothing"}, false), "\r\n");
  EXPECT_EQ(header_fields(h, names{}, true), std::string(h));
  EXPECT_EQ(header_fields(h, names{"subj"}, false), "\r\n");  // no prefix matching
  // No blank line in the header: none is added.
  EXPECT_EQ(header_fields("Subject: a\r\nFrom: b\r\n", names{"subject"}, false), "Subject: a\r\n");
  EXPECT_EQ(header_fields("Subject: a\nFrom: b\n\n", names{"from"}, false), "From: b\n\n");
  EXPECT_EQ(header_fields("Subject : a\r\n\r\n", names{"subject"}, false), "Subject : a\r\n\r\n");
  // Only the header is read: "body: x" after the blank line is not a field.
  EXPECT_EQ(header_fields("Subject: a\r\n\r\nbody: x\r\n", names{"body"}, false), "\r\n");
  EXPECT_EQ(header_fields("", names{"a"}, false), "");
}

TEST(MimeContentFields, ContentType) {
  auto ct = parse_content_type(" Text/Plain ; charset=us-ascii (Plain text)");
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->type, "text");
  EXPECT_EQ(ct->subtype, "plain");
  EXPECT_EQ(ct->params, (params{{"charset", "us-ascii", false}}));
  auto c2 = parse_content_type("(comment) text / html;charset=\"UTF-8\"");
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->subtype, "html");
  EXPECT_EQ(c2->params, (params{{"charset", "UTF-8", false}}));
  EXPECT_EQ(parse_content_type("text"), std::nullopt);
  EXPECT_EQ(parse_content_type("/plain"), std::nullopt);
  EXPECT_EQ(parse_content_type("text/"), std::nullopt);
  EXPECT_EQ(parse_content_type(""), std::nullopt);
}

struct params_case {
  std::string_view text;
  params want;
};

const params_case params_cases[] = {
    // Unquoted tspecials, common in boundaries.
    {"; boundary=----=_Part_0_123.456", {{"boundary", "----=_Part_0_123.456", false}}},
    {"; boundary=\"a b\\\"c\"", {{"boundary", "a b\"c", false}}},
    {" charset=utf-8", {{"charset", "utf-8", false}}},  // missing ';'
    {"; a=1 b=2", {{"a", "1", false}, {"b", "2", false}}},
    {"; charset=a; CHARSET=b", {{"charset", "a", false}}},  // a repeated parameter keeps its first value
    {"; junk; charset=x; =y; z", {{"charset", "x", false}}},
    {"; name=x; name*=utf-8''y", {{"name", "x", false}, {"name", "utf-8''y", true}}},
    // RFC 2231 §4.1: a plain first section %-encoded into the extended value.
    {"; title*0=\"a b\"; title*1*=%41", {{"title", "''a%20b%41", true}}},
    {"; t*1=b; t*0=a; t*1=ignored", {{"t", "ab", false}}},
    {"; t*x=1", {{"t*x", "1", false}}},  // not a section number: kept whole
    {"; a = \"spaced\" ", {{"a", "spaced", false}}},
    {"", {}},
};

TEST(MimeContentFields, ParametersTable) {
  for (auto& c : params_cases) EXPECT_EQ(parse_parameters(c.text), c.want) << "text: " << c.text;
}

TEST(MimeContentFields, ParameterCountIsLimited) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "; p" + std::to_string(i) + "=v";
  auto ps = parse_parameters(text);
  EXPECT_EQ(ps.size(), 256u);
  EXPECT_EQ(ps.back().name, "p255");
}

TEST(MimeContentFields, FindParameter) {
  params ps{{"name", "ext", true}, {"name", "plain", false}, {"other", "o", false}};
  ASSERT_TRUE(find_parameter(ps, "name"));
  EXPECT_EQ(find_parameter(ps, "name")->value, "plain");  // the plain one first
  params only_ext{{"name", "ext", true}};
  ASSERT_TRUE(find_parameter(only_ext, "name"));
  EXPECT_EQ(find_parameter(only_ext, "name")->value, "ext");
  EXPECT_EQ(find_parameter(ps, "missing"), nullptr);
}

TEST(MimeContentFields, DispositionLanguageToken) {
  auto cd = parse_content_disposition("Attachment; filename*=utf-8''%e2%82%ac.txt; size=12");
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->type, "attachment");
  EXPECT_EQ(cd->params, (params{{"filename", "utf-8''%e2%82%ac.txt", true}, {"size", "12", false}}));
  EXPECT_EQ(parse_content_disposition("  "), std::nullopt);
  EXPECT_EQ(parse_content_disposition("; filename=x"), std::nullopt);

  EXPECT_EQ(parse_language_list("en-US, (c) fr ,, de"), (names{"en-US", "fr", "de"}));
  EXPECT_EQ(parse_language_list(""), names{});
  EXPECT_EQ(parse_token(" (c) 7BIT "), "7bit");
  EXPECT_EQ(parse_token("Quoted-Printable; x"), "quoted-printable");
  EXPECT_EQ(parse_token(""), "");
}

}  // namespace
}  // namespace lemonade::mime
