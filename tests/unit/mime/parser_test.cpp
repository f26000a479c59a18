// mime/parser: the structure parse_message records (RFC 5322 header/body
// split, RFC 2046 §5.1 multipart delimiters, §5.2.1 message/rfc822,
// RFC 2045 §5 / RFC 2231 / RFC 2183 / RFC 3282 / RFC 2557 Content-* fields,
// parse_limits). Every range is checked exactly: either as literal offsets
// or located by content with find(), independently of the parser.
#include <gtest/gtest.h>

#include "mime/parser.hpp"
#include "mime_test_util.hpp"

namespace lemonade::mime {
namespace {

using test::crlf;
using test::slice;

// The part's header is exactly `header` and its body exactly `body`, and
// they sit where header + body first occurs in m.
void expect_part(const std::string& m, const part& p, std::string_view header, std::string_view body) {
  auto at = m.find(std::string(header) + std::string(body));
  ASSERT_NE(at, std::string::npos) << "test bug: header+body not in the message";
  EXPECT_EQ(p.header, (byte_range{at, header.size()}));
  EXPECT_EQ(p.body, (byte_range{at + header.size(), body.size()}));
  EXPECT_EQ(slice(m, p.header), header);
  EXPECT_EQ(slice(m, p.body), body);
}

std::vector<std::uint32_t> kids(std::initializer_list<std::uint32_t> l) { return l; }

TEST(MimeParse, SinglePartMessage) {
  auto m = crlf("From: a@b.example\nSubject: hi\n\nline one\nline two\n");
  ASSERT_EQ(m.size(), 54u);
  auto s = parse_message(m);
  EXPECT_EQ(s.size, 54u);
  EXPECT_FALSE(s.limited);
  ASSERT_EQ(s.parts.size(), 1u);
  ASSERT_EQ(s.envelopes.size(), 1u);
  auto& p = s.root();
  EXPECT_EQ(p.header, (byte_range{0, 34}));  // the blank line belongs to the header
  EXPECT_EQ(p.body, (byte_range{34, 20}));
  EXPECT_EQ(p.lines, 2u);
  EXPECT_EQ(p.kind, part_kind::leaf);
  EXPECT_FALSE(p.opaque);
  EXPECT_EQ(p.type, "text");  // RFC 2045 §5.2 default
  EXPECT_EQ(p.subtype, "plain");
  EXPECT_TRUE(p.params.empty());
  EXPECT_EQ(p.encoding, "");
  EXPECT_EQ(p.parent, no_index);
  EXPECT_TRUE(p.children.empty());
  EXPECT_EQ(p.envelope, 0u);
  EXPECT_EQ(s.envelopes[0].subject, "hi");
}

TEST(MimeParse, BareLfMessage) {
  std::string m = "Subject: x\nFrom: a@b\n\nbody\nmore";
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 1u);
  EXPECT_EQ(s.root().header, (byte_range{0, 22}));
  EXPECT_EQ(s.root().body, (byte_range{22, 9}));
  EXPECT_EQ(s.root().lines, 2u);  // one LF, plus the last line without one
  EXPECT_EQ(s.envelopes[0].subject, "x");
}

TEST(MimeParse, MessageWithoutBlankLine) {
  // A line that is not a field ends the header; the body starts there.
  auto m = crlf("Subject: x\nthis is body\n");
  auto s = parse_message(m);
  EXPECT_EQ(s.root().header, (byte_range{0, 12}));
  EXPECT_EQ(s.root().body, (byte_range{12, 14}));
  EXPECT_EQ(s.root().lines, 1u);
  EXPECT_EQ(s.envelopes[0].subject, "x");
}

TEST(MimeParse, MessageWithNoHeader) {
  auto m = crlf("hello world\nsecond\n");
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 1u);
  EXPECT_EQ(s.root().header, (byte_range{0, 0}));
  EXPECT_EQ(s.root().body, (byte_range{0, 21}));
  EXPECT_EQ(s.root().lines, 2u);
  EXPECT_EQ(s.envelopes[0], envelope{});

  // A continuation line with no field above it is not a header either.
  auto c = parse_message(crlf(" indented\nSubject: x\n\nbody"));
  EXPECT_EQ(c.root().header, (byte_range{0, 0}));
  EXPECT_FALSE(c.envelopes[0].subject);
}

TEST(MimeParse, EmptyAndHeaderOnlyMessages) {
  auto e = parse_message("");
  ASSERT_EQ(e.parts.size(), 1u);
  EXPECT_EQ(e.root().header, (byte_range{0, 0}));
  EXPECT_EQ(e.root().body, (byte_range{0, 0}));
  EXPECT_EQ(e.root().lines, 0u);

  auto h = parse_message("Subject: x");  // no line end at all
  EXPECT_EQ(h.root().header, (byte_range{0, 10}));
  EXPECT_EQ(h.root().body, (byte_range{10, 0}));
  EXPECT_EQ(h.envelopes[0].subject, "x");
}

TEST(MimeParse, MultipartMixedWithPreambleAndEpilogue) {
  auto m = crlf(
      "From: a@b\n"
      "Content-Type: multipart/mixed; boundary=\"xyz\"\n"
      "\n"
      "preamble\n"
      "--xyz\n"
      "Content-Type: text/plain\n"
      "\n"
      "part one\n"
      "--xyz\n"
      "\n"
      "part two\n"
      "\n"
      "--xyz--\n"
      "epilogue\n");
  ASSERT_EQ(m.size(), 155u);
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 3u);
  auto& r = s.parts[0];
  EXPECT_EQ(r.header, (byte_range{0, 60}));
  EXPECT_EQ(r.body, (byte_range{60, 95}));  // preamble and epilogue included
  EXPECT_EQ(r.kind, part_kind::multipart);
  EXPECT_EQ(r.type, "multipart");
  EXPECT_EQ(r.subtype, "mixed");
  EXPECT_EQ(r.params, (std::vector<parameter>{{"boundary", "xyz", false}}));
  EXPECT_EQ(r.lines, 0u);
  EXPECT_EQ(r.children, kids({1, 2}));
  // RFC 2046 §5.1.1: the CRLF before "--xyz" belongs to the delimiter.
  EXPECT_EQ(s.parts[1].header, (byte_range{77, 28}));
  EXPECT_EQ(s.parts[1].body, (byte_range{105, 8}));
  EXPECT_EQ(slice(m, s.parts[1].body), "part one");
  EXPECT_EQ(s.parts[1].lines, 1u);
  EXPECT_EQ(s.parts[1].parent, 0u);
  EXPECT_EQ(s.parts[1].envelope, no_index);
  EXPECT_EQ(s.parts[2].header, (byte_range{122, 2}));  // just the blank line
  EXPECT_EQ(s.parts[2].body, (byte_range{124, 10}));
  EXPECT_EQ(slice(m, s.parts[2].body), "part two\r\n");
  EXPECT_EQ(s.parts[2].lines, 1u);
  EXPECT_EQ(s.parts[2].type, "text");
  EXPECT_EQ(s.parts[2].subtype, "plain");
  EXPECT_FALSE(s.limited);
}

TEST(MimeParse, MultipartBareLf) {
  std::string m = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n--b--\n";
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 3u);
  expect_part(m, s.parts[1], "\n", "one");
  expect_part(m, s.parts[2], "\n", "two");
}

const std::string nested_alternative = crlf(
    "Content-Type: multipart/mixed; boundary=outer\n"
    "\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=inner\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "\n"
    "plain\n"
    "--inner\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>html</p>\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: application/pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0=\n"
    "--outer--\n");

TEST(MimeParse, NestedAlternativeInsideMixed) {
  auto& m = nested_alternative;
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 5u);
  EXPECT_EQ(s.parts[0].children, kids({1, 4}));
  EXPECT_EQ(s.parts[1].children, kids({2, 3}));
  EXPECT_EQ(s.parts[1].kind, part_kind::multipart);
  EXPECT_EQ(s.parts[1].subtype, "alternative");
  EXPECT_EQ(s.parts[1].parent, 0u);
  expect_part(m, s.parts[1], "Content-Type: multipart/alternative; boundary=inner\r\n\r\n",
              "--inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n--inner\r\nContent-Type: text/html\r\n\r\n"
              "<p>html</p>\r\n--inner--");
  expect_part(m, s.parts[2], "Content-Type: text/plain\r\n\r\n", "plain");
  EXPECT_EQ(s.parts[2].parent, 1u);
  EXPECT_EQ(s.parts[2].lines, 1u);
  expect_part(m, s.parts[3], "Content-Type: text/html\r\n\r\n", "<p>html</p>");
  EXPECT_EQ(s.parts[3].subtype, "html");
  EXPECT_EQ(s.parts[3].parent, 1u);
  expect_part(m, s.parts[4], "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n", "JVBERi0=");
  EXPECT_EQ(s.parts[4].type, "application");
  EXPECT_EQ(s.parts[4].subtype, "pdf");
  EXPECT_EQ(s.parts[4].encoding, "base64");
  EXPECT_EQ(s.parts[4].lines, 0u);  // not text: no line count
  EXPECT_EQ(s.parts[4].parent, 0u);
  EXPECT_EQ(s.envelopes.size(), 1u);
}

const std::string rfc822_message = crlf(
    "From: outer@x\n"
    "Subject: outer\n"
    "Content-Type: multipart/mixed; boundary=b1\n"
    "\n"
    "--b1\n"
    "Content-Type: text/plain\n"
    "\n"
    "see attached\n"
    "--b1\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@y\n"
    "Subject: inner\n"
    "Content-Type: multipart/alternative; boundary=b2\n"
    "\n"
    "--b2\n"
    "\n"
    "inner text\n"
    "--b2--\n"
    "--b1--\n");

TEST(MimeParse, MessageRfc822WithItsOwnMultipart) {
  auto& m = rfc822_message;
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 5u);
  ASSERT_EQ(s.envelopes.size(), 2u);
  EXPECT_EQ(s.parts[0].envelope, 0u);
  expect_part(m, s.parts[1], "Content-Type: text/plain\r\n\r\n", "see attached");
  auto& msg = s.parts[2];
  const std::string inner_header =
      "From: inner@y\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n";
  const std::string inner_body = "--b2\r\n\r\ninner text\r\n--b2--";
  expect_part(m, msg, "Content-Type: message/rfc822\r\n\r\n", inner_header + inner_body);
  EXPECT_EQ(msg.kind, part_kind::message);
  EXPECT_FALSE(msg.opaque);
  EXPECT_EQ(msg.lines, 8u);  // 7 LFs and "--b2--" without one
  EXPECT_EQ(msg.envelope, no_index);
  EXPECT_EQ(msg.children, kids({3}));
  auto& enc = s.parts[3];
  expect_part(m, enc, inner_header, inner_body);
  EXPECT_EQ(enc.header.offset, msg.body.offset);
  EXPECT_EQ(enc.body.end(), msg.body.end());
  EXPECT_EQ(enc.kind, part_kind::multipart);
  EXPECT_EQ(enc.envelope, 1u);
  EXPECT_EQ(enc.parent, 2u);
  EXPECT_EQ(enc.children, kids({4}));
  expect_part(m, s.parts[4], "\r\n", "inner text");
  EXPECT_EQ(s.parts[4].parent, 3u);
  EXPECT_EQ(s.envelopes[0].subject, "outer");
  EXPECT_EQ(s.envelopes[1].subject, "inner");
  EXPECT_EQ(s.envelopes[1].from, (std::vector<address>{test::addr(test::nil, test::nil, "inner", "y")}));
}

TEST(MimeParse, DigestDefaultsToMessageRfc822) {
  auto m = crlf(
      "Content-Type: multipart/digest; boundary=d\n"
      "\n"
      "--d\n"
      "\n"
      "From: x@y\n"
      "Subject: one\n"
      "\n"
      "body one\n"
      "--d\n"
      "Content-Type: text/plain\n"
      "\n"
      "not a message\n"
      "--d--\n");
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 4u);
  EXPECT_EQ(s.parts[0].children, kids({1, 3}));
  auto& d = s.parts[1];
  EXPECT_EQ(d.type, "message");  // RFC 2046 §5.1.5
  EXPECT_EQ(d.subtype, "rfc822");
  EXPECT_TRUE(d.params.empty());
  EXPECT_EQ(d.kind, part_kind::message);
  expect_part(m, d, "\r\n", "From: x@y\r\nSubject: one\r\n\r\nbody one");
  EXPECT_EQ(d.lines, 4u);
  expect_part(m, s.parts[2], "From: x@y\r\nSubject: one\r\n\r\n", "body one");
  EXPECT_EQ(s.parts[2].envelope, 1u);
  EXPECT_EQ(s.parts[2].type, "text");  // inside the encapsulated message the default is text/plain again
  ASSERT_EQ(s.envelopes.size(), 2u);
  EXPECT_EQ(s.envelopes[1].subject, "one");
  EXPECT_EQ(s.parts[3].type, "text");
  EXPECT_EQ(s.parts[3].kind, part_kind::leaf);
}

TEST(MimeParse, MissingCloseDelimiter) {
  auto m = crlf(
      "Content-Type: multipart/mixed; boundary=q\n"
      "\n"
      "--q\n"
      "\n"
      "first\n"
      "--q\n"
      "\n"
      "second runs to the end\n");
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 3u);
  expect_part(m, s.parts[1], "\r\n", "first");
  expect_part(m, s.parts[2], "\r\n", "second runs to the end\r\n");
  EXPECT_EQ(s.parts[2].body.end(), m.size());
  EXPECT_FALSE(s.limited);
}

TEST(MimeParse, NoDelimiterGivesOneSynthesizedTextPart) {
  auto m = crlf("Content-Type: multipart/mixed; boundary=q\n\njust text\n--qq\nno delimiter\n");
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 2u);
  EXPECT_EQ(s.parts[0].kind, part_kind::multipart);
  auto& p = s.parts[1];
  EXPECT_EQ(p.header, (byte_range{s.parts[0].body.offset, 0}));
  EXPECT_EQ(p.body, s.parts[0].body);
  EXPECT_EQ(p.type, "text");
  EXPECT_EQ(p.subtype, "plain");
  EXPECT_EQ(p.lines, 3u);
  EXPECT_FALSE(p.opaque);
  EXPECT_EQ(p.kind, part_kind::leaf);
}

// RFC 3501 §7.4.2 body-type-mpart: "1*body" — a multipart always has a part.
// A body holding only the close delimiter must not give a multipart with no
// children (decode_structure rejects that shape, so the round trip fails).
TEST(MimeParse, OnlyCloseDelimiterStillHasOnePart) {
  auto m = crlf("Content-Type: multipart/mixed; boundary=q\n\npreamble\n--q--\nepilogue\n");
  auto s = parse_message(m);
  EXPECT_EQ(s.parts[0].kind, part_kind::multipart);
  ASSERT_EQ(s.parts[0].children.size(), 1u);
  auto& p = s.parts[s.parts[0].children[0]];
  EXPECT_EQ(p.kind, part_kind::leaf);
  EXPECT_EQ(p.type, "text");
  EXPECT_GE(p.header.offset, s.parts[0].body.offset);
  EXPECT_LE(p.body.end(), s.parts[0].body.end());
  EXPECT_EQ(decode_structure(encode_structure(s)), s);
}

TEST(MimeParse, BoundaryWithTransportPadding) {
  auto m = crlf("Content-Type: multipart/mixed; boundary=q\n\n--q \t\none\n--q\t\n\ntwo\n--q--  \nepilogue\n");
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 3u);
  // Part one has no header lines and no blank line: header empty.
  EXPECT_EQ(s.parts[1].header, (byte_range{m.find("one"), 0}));
  EXPECT_EQ(s.parts[1].body, (byte_range{m.find("one"), 3}));
  expect_part(m, s.parts[2], "\r\n", "two");
}

TEST(MimeParse, BoundaryPrefixOfALongerLineIsNotADelimiter) {
  auto m = crlf(
      "Content-Type: multipart/mixed; boundary=abc\n"
      "\n"
      "--abc\n"
      "\n"
      "--abcdef\n"
      "--abc def\n"
      "x--abc\n"
      "still one\n"
      "--abc--\n");
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 2u);
  expect_part(m, s.parts[1], "\r\n", "--abcdef\r\n--abc def\r\nx--abc\r\nstill one");
  EXPECT_EQ(s.parts[1].lines, 4u);
}

TEST(MimeParse, EmptyPartsBetweenAdjacentDelimiters) {
  auto m = crlf("Content-Type: multipart/mixed; boundary=q\n\n--q\n--q\n\nx\n--q--\n");
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 3u);
  auto second_delim = m.find("--q\r\n--q") + 5;
  EXPECT_EQ(s.parts[1].header, (byte_range{second_delim, 0}));
  EXPECT_EQ(s.parts[1].body, (byte_range{second_delim, 0}));
  EXPECT_EQ(s.parts[1].lines, 0u);
  expect_part(m, s.parts[2], "\r\n", "x");
}

const std::string base64_rfc822 = crlf(
    "Content-Type: multipart/mixed; boundary=z\n"
    "\n"
    "--z\n"
    "Content-Type: message/rfc822\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "RnJvbTogYUBiDQoNCmhp\n"
    "--z--\n");

TEST(MimeParse, Base64MessageRfc822IsOpaque) {
  auto s = parse_message(base64_rfc822);
  ASSERT_EQ(s.parts.size(), 2u);
  auto& p = s.parts[1];
  EXPECT_EQ(p.kind, part_kind::leaf);
  EXPECT_TRUE(p.opaque);
  EXPECT_EQ(p.type, "message");
  EXPECT_EQ(p.subtype, "rfc822");
  EXPECT_EQ(p.encoding, "base64");
  EXPECT_TRUE(p.children.empty());
  EXPECT_EQ(p.lines, 1u);
  EXPECT_EQ(slice(base64_rfc822, p.body), "RnJvbTogYUBiDQoNCmhp");
  EXPECT_EQ(s.envelopes.size(), 1u);
  EXPECT_FALSE(s.limited);  // an encoding is not a limit
}

TEST(MimeParse, DepthLimit) {
  parse_limits one;
  one.max_depth = 1;
  auto s = parse_message(nested_alternative, one);
  EXPECT_TRUE(s.limited);
  ASSERT_EQ(s.parts.size(), 3u);
  EXPECT_EQ(s.parts[0].children, kids({1, 2}));
  auto& alt = s.parts[1];
  EXPECT_EQ(alt.kind, part_kind::leaf);
  EXPECT_TRUE(alt.opaque);
  EXPECT_EQ(alt.type, "multipart");
  EXPECT_EQ(alt.subtype, "alternative");
  EXPECT_TRUE(alt.children.empty());
  // Same ranges as without the limit.
  auto full = parse_message(nested_alternative);
  EXPECT_EQ(alt.header, full.parts[1].header);
  EXPECT_EQ(alt.body, full.parts[1].body);
  EXPECT_EQ(s.parts[2].body, full.parts[4].body);

  parse_limits zero;
  zero.max_depth = 0;
  auto z = parse_message(nested_alternative, zero);
  EXPECT_TRUE(z.limited);
  ASSERT_EQ(z.parts.size(), 1u);
  EXPECT_TRUE(z.parts[0].opaque);
  EXPECT_EQ(z.parts[0].kind, part_kind::leaf);

  // message/rfc822 is a level too.
  auto r = parse_message(rfc822_message, one);
  EXPECT_TRUE(r.limited);
  ASSERT_EQ(r.parts.size(), 3u);
  EXPECT_TRUE(r.parts[2].opaque);
  EXPECT_EQ(r.parts[2].kind, part_kind::leaf);
  EXPECT_EQ(r.envelopes.size(), 1u);

  parse_limits two;
  two.max_depth = 2;
  auto r2 = parse_message(rfc822_message, two);
  EXPECT_TRUE(r2.limited);  // the encapsulated multipart would be level 3
  ASSERT_EQ(r2.parts.size(), 4u);
  EXPECT_EQ(r2.parts[3].type, "multipart");
  EXPECT_TRUE(r2.parts[3].opaque);
  EXPECT_EQ(r2.parts[3].envelope, 1u);

  EXPECT_FALSE(parse_message(rfc822_message).limited);
}

TEST(MimeParse, DeepNestingHitsTheCeilingWithoutCrashing) {
  // 300 levels of message/rfc822 with max_depth far above the ceiling.
  std::string m;
  for (int i = 0; i < 300; ++i) m += "Content-Type: message/rfc822\r\n\r\n";
  m += "body\r\n";
  parse_limits big;
  big.max_depth = 100000;
  auto s = parse_message(m, big);
  EXPECT_TRUE(s.limited);
  // The message and 256 encapsulated levels below it; the last is opaque.
  ASSERT_EQ(s.parts.size(), 257u);
  EXPECT_EQ(s.envelopes.size(), 257u);
  EXPECT_EQ(s.parts[255].kind, part_kind::message);
  EXPECT_EQ(s.parts[256].kind, part_kind::leaf);
  EXPECT_TRUE(s.parts[256].opaque);
  EXPECT_EQ(decode_structure(encode_structure(s)), s);
}

TEST(MimeParse, PartLimit) {
  parse_limits three;
  three.max_parts = 3;
  auto s = parse_message(rfc822_message, three);
  EXPECT_TRUE(s.limited);
  ASSERT_EQ(s.parts.size(), 3u);
  EXPECT_TRUE(s.parts[2].opaque);  // the message/rfc822 part is not opened
  EXPECT_EQ(s.parts[2].type, "message");
  EXPECT_EQ(s.envelopes.size(), 1u);

  parse_limits two;
  two.max_parts = 2;
  auto t = parse_message(rfc822_message, two);
  EXPECT_TRUE(t.limited);
  ASSERT_EQ(t.parts.size(), 3u);  // one opaque remainder past the count
  auto& rest = t.parts[2];
  auto start = rfc822_message.find("Content-Type: message/rfc822");
  EXPECT_EQ(rest.header, (byte_range{start, 0}));
  EXPECT_EQ(rest.body, (byte_range{start, rfc822_message.size() - start}));  // to the multipart's end
  EXPECT_TRUE(rest.opaque);
  EXPECT_EQ(rest.type, "application");
  EXPECT_EQ(rest.subtype, "octet-stream");
  EXPECT_EQ(rest.lines, 0u);
  EXPECT_EQ(rest.parent, 0u);

  parse_limits none;
  none.max_parts = 0;  // acts as 1
  auto n = parse_message(nested_alternative, none);
  EXPECT_TRUE(n.limited);
  ASSERT_EQ(n.parts.size(), 2u);
  EXPECT_TRUE(n.parts[1].opaque);
}

TEST(MimeParse, ContentTypeRfc2231Continuations) {
  // RFC 2231 §3 (continuations) and §4.1 (mixed encoded/plain sections; the
  // RFC's example has no ';' between the parameters).
  auto s3 = parse_message(crlf(
      "Content-Type: message/external-body; access-type=URL;\n"
      " URL*0=\"ftp://\";\n"
      " URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"\n\n"));
  EXPECT_EQ(s3.root().type, "message");
  EXPECT_EQ(s3.root().subtype, "external-body");
  EXPECT_EQ(s3.root().kind, part_kind::leaf);
  EXPECT_EQ(s3.root().params,
            (std::vector<parameter>{{"access-type", "URL", false},
                                    {"url", "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar", false}}));

  auto s4 = parse_message(crlf(
      "Content-Type: application/x-stuff;\n"
      " title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A\n\n"));
  EXPECT_EQ(s4.root().params,
            (std::vector<parameter>{{"title", "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", true}}));

  auto s41 = parse_message(crlf(
      "Content-Type: application/x-stuff\n"
      " title*0*=us-ascii'en'This%20is%20even%20more%20\n"
      " title*1*=%2A%2A%2Afun%2A%2A%2A%20\n"
      " title*2=\"isn't it!\"\n\n"));
  EXPECT_EQ(s41.root().type, "application");
  EXPECT_EQ(s41.root().subtype, "x-stuff");
  EXPECT_EQ(s41.root().params,
            (std::vector<parameter>{
                {"title", "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!", true}}));

  // Sections out of order are joined in section order.
  auto so = parse_message(crlf("Content-Type: text/plain; name*1=\"b\"; name*0=\"a\"; name*2=c\n\n"));
  EXPECT_EQ(so.root().params, (std::vector<parameter>{{"name", "abc", false}}));
}

TEST(MimeParse, ContentTypeCharsetAndDefaults) {
  auto s = parse_message(crlf("Content-Type: Text/Plain; CHARSET=\"ISO-8859-1\"; format=flowed (comment)\n\nx"));
  EXPECT_EQ(s.root().type, "text");
  EXPECT_EQ(s.root().subtype, "plain");
  EXPECT_EQ(s.root().params,
            (std::vector<parameter>{{"charset", "ISO-8859-1", false}, {"format", "flowed", false}}));

  // An invalid Content-Type: the default applies, with no parameters.
  auto bad = parse_message(crlf("Content-Type: garbage; charset=utf-8\n\nx"));
  EXPECT_EQ(bad.root().type, "text");
  EXPECT_EQ(bad.root().subtype, "plain");
  EXPECT_TRUE(bad.root().params.empty());
  EXPECT_EQ(bad.root().lines, 1u);

  // A multipart without a boundary stays an opaque leaf.
  auto nb = parse_message(crlf("Content-Type: multipart/mixed\n\n--x\n\ny\n--x--\n"));
  ASSERT_EQ(nb.parts.size(), 1u);
  EXPECT_TRUE(nb.root().opaque);
  EXPECT_EQ(nb.root().kind, part_kind::leaf);
  EXPECT_FALSE(nb.limited);
}

TEST(MimeParse, OtherContentFields) {
  auto m = crlf(
      "Content-Type: image/jpeg\n"
      "Content-Transfer-Encoding: Base64\n"
      "Content-ID: <part1@example.com>\n"
      "Content-Description: A =?utf-8?q?caf=C3=A9?= menu\n"
      "Content-Disposition: attachment; filename=genome.jpeg;\n"
      "  modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\";\n"
      "Content-Language: en, fr-CA (Canadian French), i-klingon\n"
      "Content-Location: http://www.example.com/some/\n"
      "  long/path.html\n"
      "\n"
      "/9j/\n");
  auto s = parse_message(m);
  auto& p = s.root();
  EXPECT_EQ(p.type, "image");
  EXPECT_EQ(p.subtype, "jpeg");
  EXPECT_EQ(p.encoding, "base64");
  EXPECT_EQ(p.id, "<part1@example.com>");
  EXPECT_EQ(p.description, "A =?utf-8?q?caf=C3=A9?= menu");  // raw
  EXPECT_EQ(p.disposition, "attachment");  // RFC 2183 §2 example
  EXPECT_EQ(p.disposition_params,
            (std::vector<parameter>{{"filename", "genome.jpeg", false},
                                    {"modification-date", "Wed, 12 Feb 1997 16:29:51 -0500", false}}));
  EXPECT_EQ(p.languages, (std::vector<std::string>{"en", "fr-CA", "i-klingon"}));
  EXPECT_EQ(p.location, "http://www.example.com/some/long/path.html");  // RFC 2557 §4.4.1
  EXPECT_EQ(p.lines, 0u);

  auto inl = parse_message(crlf("Content-Disposition: INLINE\nContent-Language: de\n\nx"));
  EXPECT_EQ(inl.root().disposition, "inline");
  EXPECT_TRUE(inl.root().disposition_params.empty());
  EXPECT_EQ(inl.root().languages, (std::vector<std::string>{"de"}));
  EXPECT_FALSE(inl.root().location);
  EXPECT_FALSE(inl.root().id);
}

TEST(MimeParse, FirstFieldWins) {
  auto s = parse_message(crlf(
      "Content-Type: text/html\nContent-Type: image/png\nContent-Transfer-Encoding: 8bit\n"
      "Content-Transfer-Encoding: base64\n\nx"));
  EXPECT_EQ(s.root().subtype, "html");
  EXPECT_EQ(s.root().encoding, "8bit");
}

}  // namespace
}  // namespace lemonade::mime
