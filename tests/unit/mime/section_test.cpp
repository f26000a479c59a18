// mime: RFC 3501 §6.4.5 section numbers (find_part, find_message), on a
// message shaped like the RFC's own example:
//   HEADER / TEXT   MULTIPART/MIXED
//   1               TEXT/PLAIN
//   2               APPLICATION/OCTET-STREAM
//   3               MESSAGE/RFC822
//   3.HEADER/TEXT   MULTIPART/MIXED
//   3.1             TEXT/PLAIN
//   3.2             APPLICATION/OCTET-STREAM
//   4               MULTIPART/MIXED
//   4.1             IMAGE/GIF
//   4.1.MIME        (the MIME header of the IMAGE/GIF)
//   4.2             MESSAGE/RFC822
//   4.2.HEADER/TEXT MULTIPART/MIXED
//   4.2.1           TEXT/PLAIN
//   4.2.2           MULTIPART/ALTERNATIVE
//   4.2.2.1         TEXT/PLAIN
//   4.2.2.2         TEXT/RICHTEXT
#include <gtest/gtest.h>

#include "mime/parser.hpp"
#include "mime_test_util.hpp"

namespace lemonade::mime {
namespace {

using test::crlf;
using test::slice;
using path = std::vector<std::uint32_t>;

const std::string rfc3501_example = crlf(
    "From: a@example.com\n"
    "Subject: RFC 3501 6.4.5\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b0\"\n"
    "\n"
    "--b0\n"
    "Content-Type: text/plain\n"
    "\n"
    "PART-1\n"
    "--b0\n"
    "Content-Type: application/octet-stream\n"
    "\n"
    "PART-2\n"
    "--b0\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: b@example.com\n"
    "Subject: part 3\n"
    "Content-Type: multipart/mixed; boundary=\"b3\"\n"
    "\n"
    "--b3\n"
    "Content-Type: text/plain\n"
    "\n"
    "PART-3.1\n"
    "--b3\n"
    "Content-Type: application/octet-stream\n"
    "\n"
    "PART-3.2\n"
    "--b3--\n"
    "--b0\n"
    "Content-Type: multipart/mixed; boundary=\"b4\"\n"
    "\n"
    "--b4\n"
    "Content-Type: image/gif\n"
    "\n"
    "PART-4.1\n"
    "--b4\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: c@example.com\n"
    "Subject: part 4.2\n"
    "Content-Type: multipart/mixed; boundary=\"b42\"\n"
    "\n"
    "--b42\n"
    "Content-Type: text/plain\n"
    "\n"
    "PART-4.2.1\n"
    "--b42\n"
    "Content-Type: multipart/alternative; boundary=\"b422\"\n"
    "\n"
    "--b422\n"
    "Content-Type: text/plain\n"
    "\n"
    "PART-4.2.2.1\n"
    "--b422\n"
    "Content-Type: text/richtext\n"
    "\n"
    "PART-4.2.2.2\n"
    "--b422--\n"
    "--b42--\n"
    "--b4--\n"
    "--b0--\n");

class MimeSection : public ::testing::Test {
 protected:
  const std::string& m = rfc3501_example;
  message_structure s = parse_message(rfc3501_example);

  // The body octets of the part a path names ("<none>" when there is none).
  std::string body(const path& p) const {
    auto i = find_part(s, p);
    if (!i) return "<none>";
    return std::string(slice(m, s.parts[*i].body));
  }
  std::string type(const path& p) const {
    auto i = find_part(s, p);
    if (!i) return "<none>";
    return s.parts[*i].type + "/" + s.parts[*i].subtype;
  }
  std::string message_header(const path& p) const {
    auto i = find_message(s, p);
    if (!i) return "<none>";
    return std::string(slice(m, s.parts[*i].header));
  }
};

TEST_F(MimeSection, Rfc3501ExampleLeaves) {
  ASSERT_EQ(s.parts.size(), 15u);
  EXPECT_EQ(body({1}), "PART-1");
  EXPECT_EQ(body({2}), "PART-2");
  EXPECT_EQ(body({3, 1}), "PART-3.1");
  EXPECT_EQ(body({3, 2}), "PART-3.2");
  EXPECT_EQ(body({4, 1}), "PART-4.1");
  EXPECT_EQ(body({4, 2, 1}), "PART-4.2.1");
  EXPECT_EQ(body({4, 2, 2, 1}), "PART-4.2.2.1");
  EXPECT_EQ(body({4, 2, 2, 2}), "PART-4.2.2.2");
  EXPECT_EQ(type({1}), "text/plain");
  EXPECT_EQ(type({2}), "application/octet-stream");
  EXPECT_EQ(type({3}), "message/rfc822");
  EXPECT_EQ(type({3, 1}), "text/plain");
  EXPECT_EQ(type({3, 2}), "application/octet-stream");
  EXPECT_EQ(type({4}), "multipart/mixed");
  EXPECT_EQ(type({4, 1}), "image/gif");
  EXPECT_EQ(type({4, 2}), "message/rfc822");
  EXPECT_EQ(type({4, 2, 1}), "text/plain");
  EXPECT_EQ(type({4, 2, 2}), "multipart/alternative");
  EXPECT_EQ(type({4, 2, 2, 1}), "text/plain");
  EXPECT_EQ(type({4, 2, 2, 2}), "text/richtext");
}

TEST_F(MimeSection, Rfc3501ExampleComposites) {
  // 3 and 4.2: the message/rfc822 part; its body is the whole encapsulated message.
  auto b3 = body({3});
  EXPECT_EQ(b3.substr(0, 21), "From: b@example.com\r\n");
  EXPECT_EQ(b3.substr(b3.size() - 8), "\r\n--b3--");
  auto b42 = body({4, 2});
  EXPECT_EQ(b42.substr(0, 21), "From: c@example.com\r\n");
  EXPECT_EQ(b42.substr(b42.size() - 9), "\r\n--b42--");
  // 4: the multipart part, from its first delimiter to its close delimiter.
  auto b4 = body({4});
  EXPECT_EQ(b4.substr(0, 6), "--b4\r\n");
  EXPECT_TRUE(b4.ends_with("\r\n--b42--\r\n--b4--"));
  EXPECT_TRUE(body({4, 2, 2}).starts_with("--b422\r\n"));
  EXPECT_TRUE(body({4, 2, 2}).ends_with("PART-4.2.2.2\r\n--b422--"));
  // 4.1.MIME: the part's own header.
  auto i = find_part(s, {4, 1});
  ASSERT_TRUE(i);
  EXPECT_EQ(slice(m, s.parts[*i].header), "Content-Type: image/gif\r\n\r\n");
  // The empty path is the message.
  EXPECT_EQ(find_part(s, {}), 0u);
}

TEST_F(MimeSection, Rfc3501ExampleMessages) {
  EXPECT_EQ(find_message(s, {}), 0u);
  EXPECT_EQ(message_header({}), "From: a@example.com\r\nSubject: RFC 3501 6.4.5\r\nMIME-Version: 1.0\r\n"
                                "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
  EXPECT_EQ(message_header({3}),
            "From: b@example.com\r\nSubject: part 3\r\nContent-Type: multipart/mixed; boundary=\"b3\"\r\n\r\n");
  EXPECT_EQ(message_header({4, 2}),
            "From: c@example.com\r\nSubject: part 4.2\r\nContent-Type: multipart/mixed; boundary=\"b42\"\r\n\r\n");
  auto m3 = find_message(s, {3});
  ASSERT_TRUE(m3);
  EXPECT_EQ(s.parts[*m3].envelope, 1u);
  EXPECT_EQ(s.envelopes[1].subject, "part 3");
  auto m42 = find_message(s, {4, 2});
  ASSERT_TRUE(m42);
  EXPECT_EQ(s.envelopes[s.parts[*m42].envelope].subject, "part 4.2");
  // 3.TEXT: the encapsulated message's body.
  EXPECT_TRUE(std::string(slice(m, s.parts[*m3].body)).starts_with("--b3\r\nContent-Type: text/plain"));
  // Only message/rfc822 parts (and the message) have HEADER / TEXT.
  for (const path& p : {path{1}, path{2}, path{4}, path{4, 1}, path{3, 1}, path{4, 2, 2}, path{9}, path{0}})
    EXPECT_EQ(find_message(s, p), std::nullopt) << p.size();
}

TEST_F(MimeSection, Rfc3501ExampleInvalidNumbers) {
  for (const path& p : {path{0}, path{5}, path{1, 1}, path{2, 1}, path{3, 0}, path{3, 3}, path{4, 0}, path{4, 3},
                        path{4, 1, 1}, path{4, 2, 3}, path{4, 2, 2, 3}, path{4, 2, 2, 1, 1}, path{4, 2, 1, 1},
                        path{0xffffffffu}, path{1, 0xffffffffu}})
    EXPECT_EQ(find_part(s, p), std::nullopt) << "path of length " << p.size() << " starting " << p[0];
}

TEST(MimeSectionSimple, NonMultipartMessageHasPartOne) {
  auto m = crlf("Subject: x\n\nhello\n");
  auto s = parse_message(m);
  EXPECT_EQ(find_part(s, {1}), 0u);  // part 1 is the message itself (its body)
  EXPECT_EQ(slice(m, s.parts[*find_part(s, {1})].body), "hello\r\n");
  EXPECT_EQ(find_part(s, {2}), std::nullopt);
  EXPECT_EQ(find_part(s, {0}), std::nullopt);
  EXPECT_EQ(find_part(s, {1, 1}), std::nullopt);
  EXPECT_EQ(find_message(s, {1}), std::nullopt);
}

TEST(MimeSectionSimple, NonMultipartEncapsulatedMessage) {
  auto m = crlf(
      "Content-Type: multipart/mixed; boundary=x\n\n"
      "--x\n\nfirst\n"
      "--x\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n"
      "--x--\n");
  auto s = parse_message(m);
  auto p21 = find_part(s, {2, 1});  // the encapsulated message's only part: itself
  ASSERT_TRUE(p21);
  EXPECT_EQ(*p21, find_message(s, {2}).value());
  EXPECT_EQ(slice(m, s.parts[*p21].body), "inner body");
  EXPECT_EQ(find_part(s, {2, 2}), std::nullopt);
  EXPECT_EQ(find_part(s, {2, 1, 1}), std::nullopt);
}

TEST(MimeSectionSimple, MessageWhoseBodyIsMessageRfc822) {
  auto m = crlf("Content-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=y\n\n--y\n\nz\n--y--\n");
  auto s = parse_message(m);
  ASSERT_EQ(s.parts.size(), 3u);
  EXPECT_EQ(find_part(s, {1}), 0u);
  EXPECT_EQ(find_part(s, {1, 1}), 2u);
  EXPECT_EQ(slice(m, s.parts[2].body), "z");
  EXPECT_EQ(find_message(s, {1}), 1u);
}

TEST(MimeSectionSimple, OpaqueCompositesHaveNoSubparts) {
  auto m = crlf(
      "Content-Type: multipart/mixed; boundary=z\n\n"
      "--z\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYUBiDQoNCmhp\n"
      "--z--\n");
  auto s = parse_message(m);
  EXPECT_TRUE(find_part(s, {1}));
  EXPECT_EQ(find_part(s, {1, 1}), std::nullopt);
  EXPECT_EQ(find_message(s, {1}), std::nullopt);
  EXPECT_EQ(find_part(message_structure{}, {1}), std::nullopt);
  EXPECT_EQ(find_message(message_structure{}, {}), std::nullopt);
}

}  // namespace
}  // namespace lemonade::mime
