// mime: ENVELOPE (RFC 3501 §7.4.2) as parse_message records it, and the
// RFC 5322 §3.4 address lists behind it (parse_address_list), RFC 3501 and
// RFC 5322 Appendix A examples first.
#include <gtest/gtest.h>

#include "mime/parser.hpp"
#include "mime_test_util.hpp"

namespace lemonade::mime {
namespace {

using test::addr;
using test::crlf;
using test::nil;
using addresses = std::vector<address>;

envelope envelope_of(std::string_view header_lines) {
  auto s = parse_message(crlf(std::string(header_lines) + "\nbody\n"));
  return s.envelopes.at(0);
}

TEST(MimeEnvelope, Rfc3501Example) {
  // The message behind the RFC 3501 §8 FETCH ENVELOPE example.
  auto e = envelope_of(
      "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
      "From: Terry Gray <gray@cac.washington.edu>\n"
      "Subject: IMAP4rev1 WG mtg summary and minutes\n"
      "To: imap@cac.washington.edu\n"
      "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\n"
      "Message-Id: <B27397-0100000@cac.washington.edu>\n"
      "MIME-Version: 1.0\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n");
  envelope want;
  want.date = "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)";
  want.subject = "IMAP4rev1 WG mtg summary and minutes";
  want.from = {addr("Terry Gray", nil, "gray", "cac.washington.edu")};
  want.sender = want.from;
  want.reply_to = want.from;
  want.to = {addr(nil, nil, "imap", "cac.washington.edu")};
  want.cc = {addr(nil, nil, "minutes", "CNRI.Reston.VA.US"), addr("John Klensin", nil, "KLENSIN", "MIT.EDU")};
  want.message_id = "<B27397-0100000@cac.washington.edu>";
  EXPECT_EQ(e, want);
  EXPECT_EQ(e.from, want.from);
  EXPECT_EQ(e.cc, want.cc);
  EXPECT_TRUE(e.bcc.empty());
  EXPECT_FALSE(e.in_reply_to);
}

TEST(MimeEnvelope, StringFieldsUnfoldedTrimmedAndAbsentIsNil) {
  auto e = envelope_of(
      "Subject:   folded\n"
      "   subject  \n"
      "In-Reply-To: <a@b>\n"
      "Message-ID:\n"
      " <c@d>\n");
  EXPECT_EQ(e.subject, "folded   subject");
  EXPECT_EQ(e.in_reply_to, "<a@b>");
  EXPECT_EQ(e.message_id, "<c@d>");
  EXPECT_FALSE(e.date);
  EXPECT_TRUE(e.from.empty());
  EXPECT_TRUE(e.sender.empty());
  EXPECT_TRUE(e.reply_to.empty());

  auto empty = envelope_of("Subject:\nDate: \n");
  EXPECT_EQ(empty.subject, "");  // present but empty: not NIL
  EXPECT_EQ(empty.date, "");

  auto first = envelope_of("Subject: one\nSubject: two\nFrom: a@b\nFrom: c@d\n");
  EXPECT_EQ(first.subject, "one");
  EXPECT_EQ(first.from, (addresses{addr(nil, nil, "a", "b")}));
}

TEST(MimeEnvelope, SenderAndReplyToDefaultToFrom) {
  // RFC 3501 §7.4.2: absent or empty Sender / Reply-To take From's value.
  auto absent = envelope_of("From: Ann <a@b.example>\n");
  addresses from{addr("Ann", nil, "a", "b.example")};
  EXPECT_EQ(absent.sender, from);
  EXPECT_EQ(absent.reply_to, from);

  auto empty = envelope_of("From: Ann <a@b.example>\nSender:\nReply-To:  \n");
  EXPECT_EQ(empty.sender, from);
  EXPECT_EQ(empty.reply_to, from);

  auto own = envelope_of("From: Ann <a@b.example>\nSender: s@b.example\nReply-To: Rita <r@b.example>\n");
  EXPECT_EQ(own.from, from);
  EXPECT_EQ(own.sender, (addresses{addr(nil, nil, "s", "b.example")}));
  EXPECT_EQ(own.reply_to, (addresses{addr("Rita", nil, "r", "b.example")}));
}

TEST(MimeEnvelope, GroupSyntax) {
  auto e = envelope_of("From: a@b\nTo: undisclosed-recipients:;\nCc: Team: a@b, c@d;\n");
  // RFC 3501 §7.4.2: group start (NIL NIL name NIL), group end (NIL NIL NIL NIL).
  EXPECT_EQ(e.to, (addresses{addr(nil, nil, "undisclosed-recipients", nil), addr(nil, nil, nil, nil)}));
  EXPECT_EQ(e.cc, (addresses{addr(nil, nil, "Team", nil), addr(nil, nil, "a", "b"), addr(nil, nil, "c", "d"),
                             addr(nil, nil, nil, nil)}));
}

TEST(MimeEnvelope, EncodedWordsStayRaw) {
  auto e = envelope_of("From: =?utf-8?q?J=C3=B6rg?= <j@x.example>\nSubject: =?utf-8?q?caf=C3=A9?=\n");
  EXPECT_EQ(e.from, (addresses{addr("=?utf-8?q?J=C3=B6rg?=", nil, "j", "x.example")}));
  EXPECT_EQ(e.subject, "=?utf-8?q?caf=C3=A9?=");
}

struct address_case {
  std::string_view input;
  addresses want;
};

// RFC 5322 Appendix A examples first, then the lenient and obsolete forms.
const address_case address_cases[] = {
    {"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",  // A.1.2
     {addr("Mary Smith", nil, "mary", "x.test"), addr(nil, nil, "jdoe", "example.org"),
      addr("Who?", nil, "one", "y.test")}},
    {"<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",  // A.1.2
     {addr(nil, nil, "boss", "nil.test"), addr("Giant; \"Big\" Box", nil, "sysservices", "example.net")}},
    {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",  // A.1.3
     {addr(nil, nil, "A Group", nil), addr("Ed Jones", nil, "c", "a.test"), addr(nil, nil, "joe", "where.test"),
      addr("John", nil, "jdoe", "one.test"), addr(nil, nil, nil, nil)}},
    {"Undisclosed recipients:;",  // A.1.3
     {addr(nil, nil, "Undisclosed recipients", nil), addr(nil, nil, nil, nil)}},
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",  // A.5
     {addr("Pete", nil, "pete", "silly.test")}},
    {"John Q. Public <jqp@example.com>", {addr("John Q. Public", nil, "jqp", "example.com")}},
    {"a@b (Comment Name)", {addr("Comment Name", nil, "a", "b")}},
    {"<a@b> (Comment Name)", {addr("Comment Name", nil, "a", "b")}},
    {"Name <a@b> (ignored comment)", {addr("Name", nil, "a", "b")}},
    {"a@b (First), c@d (Second)", {addr("First", nil, "a", "b"), addr("Second", nil, "c", "d")}},
    {"\"Joe \\\"Q\\\" Public\" <jqp@example.com>", {addr("Joe \"Q\" Public", nil, "jqp", "example.com")}},
    {"\"a\\\\b\" <x@y>", {addr("a\\b", nil, "x", "y")}},
    {"\"Smith, John\" <js@x.org>, other@y.org", {addr("Smith, John", nil, "js", "x.org"), addr(nil, nil, "other", "y.org")}},
    {"<@r1,@r2:a@b>", {addr(nil, "@r1,@r2", "a", "b")}},  // RFC 5322 §4.4 obs-route
    {"Route <@r1.example,@r2.example:joe@example.com>", {addr("Route", "@r1.example,@r2.example", "joe", "example.com")}},
    // A missing domain gives host "" — never NIL, which would read as a group start.
    {"undisclosed", {addr(nil, nil, "undisclosed", "")}},
    {"Name <local>", {addr("Name", nil, "local", "")}},
    {"<>", {addr(nil, nil, "", "")}},
    {"\"quoted local\"@example.com", {addr(nil, nil, "\"quoted local\"", "example.com")}},
    {"a@[192.0.2.1]", {addr(nil, nil, "a", "[192.0.2.1]")}},
    {"a@b, , c@d", {addr(nil, nil, "a", "b"), addr(nil, nil, "c", "d")}},  // RFC 5322 §4.4 empty element
    {"Team: Alice <a@b>, c@d;, after@z",
     {addr(nil, nil, "Team", nil), addr("Alice", nil, "a", "b"), addr(nil, nil, "c", "d"), addr(nil, nil, nil, nil),
      addr(nil, nil, "after", "z")}},
    {"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>",  // RFC 2047 §8: kept raw
     {addr("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", nil, "keld", "dkuug.dk")}},
    {"", {}},
    {" , ;", {}},
};

TEST(MimeEnvelope, AddressListTable) {
  for (auto& c : address_cases) EXPECT_EQ(parse_address_list(c.input), c.want) << "input: " << c.input;
}

TEST(MimeEnvelope, AddressesFromAFoldedHeader) {
  auto e = envelope_of(
      "From: \"Joe \\\"Q\\\" Public\"\n"
      "   <jqp@example.com>\n"
      "To: a@b (Comment\n"
      " Name), <@r1,@r2:c@d>,\n"
      "\tnodomain\n");
  EXPECT_EQ(e.from, (addresses{addr("Joe \"Q\" Public", nil, "jqp", "example.com")}));
  EXPECT_EQ(e.to, (addresses{addr("Comment Name", nil, "a", "b"), addr(nil, "@r1,@r2", "c", "d"),
                             addr(nil, nil, "nodomain", "")}));
}

TEST(MimeEnvelope, ParseDateDay) {
  // Days since 1970-01-01 of the date as written (RFC 3501 §6.4.4 SENT*).
  EXPECT_EQ(parse_date_day("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"), 9694);
  EXPECT_EQ(parse_date_day("1 Jan 1970 00:00:00 +0000"), 0);
  EXPECT_EQ(parse_date_day("Thu, 1 Jan 70 00:00 GMT"), 0);  // RFC 5322 §4.3 two-digit year
  EXPECT_EQ(parse_date_day("29 Feb 2024 12:00 +0100"), 19782);
  EXPECT_EQ(parse_date_day("30 Feb 2024 12:00 +0100"), std::nullopt);
  EXPECT_EQ(parse_date_day("yesterday"), std::nullopt);
  EXPECT_EQ(parse_date_day(""), std::nullopt);
}

}  // namespace
}  // namespace lemonade::mime
