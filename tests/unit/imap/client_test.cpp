// imap/client: reading servers' responses (RFC 3501 §7, §9).
#include <gtest/gtest.h>

#include "imap/client/client.hpp"

namespace lemonade::imap::client {
namespace {

using namespace std::string_literals;

TEST(ImapClientParse, StatusResponses) {
  auto u = parse_untagged("OK [CAPABILITY IMAP4rev1 LITERAL+] Lemonade ready");
  EXPECT_EQ(u.status, "OK");
  EXPECT_EQ(u.code, "CAPABILITY IMAP4rev1 LITERAL+");
  EXPECT_EQ(u.text, "Lemonade ready");
  u = parse_untagged("bye Logging out");
  EXPECT_EQ(u.status, "BYE");
  EXPECT_EQ(u.code, "");
  EXPECT_EQ(u.text, "Logging out");
}

TEST(ImapClientParse, DataResponses) {
  auto u = parse_untagged("3 EXISTS");
  EXPECT_EQ(u.name, "EXISTS");
  EXPECT_EQ(u.number, 3u);
  // (A std::string: the literal8 holds a NUL.)
  u = parse_untagged("12 FETCH (UID 7 BODY[1]<0> {5}\r\nab\r\nc FLAGS (\\Seen) BINARY[2] ~{2}\r\n\0x X NIL)"s);
  EXPECT_EQ(u.name, "FETCH");
  ASSERT_EQ(u.items.size(), 1u);
  auto& l = u.items[0].items;
  ASSERT_EQ(l.size(), 10u);
  EXPECT_TRUE(l[0].is_atom("uid"));
  EXPECT_EQ(l[2].text, "BODY[1]<0>");
  EXPECT_TRUE(l[3].is_string());
  EXPECT_EQ(l[3].text, "ab\r\nc");
  EXPECT_EQ(l[5].what, value::kind::list);
  EXPECT_EQ(l[5].items[0].text, "\\Seen");
  EXPECT_EQ(l[7].text, std::string("\0x", 2));
  EXPECT_TRUE(l[7].literal8);
  EXPECT_EQ(l[9].what, value::kind::nil);
  // RFC 4467 §6: URLFETCH url nstring pairs, quoted strings unescaped.
  u = parse_untagged(R"(URLFETCH "imap://a@h/INBOX/;uid=1;urlauth=anonymous:internal:00" "q\"x\\" "imap://b" NIL)");
  ASSERT_EQ(u.items.size(), 4u);
  EXPECT_EQ(u.items[1].text, "q\"x\\");
  EXPECT_EQ(u.items[3].what, value::kind::nil);
}

TEST(ImapClientParse, MalformedIsAnError) {
  EXPECT_THROW(parse_values("(a b"), error);
  EXPECT_THROW(parse_values("\"open"), error);
  EXPECT_THROW(parse_values("{10}\r\nshort"), error);
  EXPECT_THROW(parse_values("{x}\r\n"), error);
  std::string deep(100, '(');
  EXPECT_THROW(parse_values(deep), error);
}

}  // namespace
}  // namespace lemonade::imap::client
