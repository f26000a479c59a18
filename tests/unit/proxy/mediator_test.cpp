// proxy/mediator: what the proxy adds in front of an IMAP4rev1 backend
// (RFC 4731 ESEARCH from SEARCH, the capability list).
#include <gtest/gtest.h>

#include "proxy/mediator.hpp"

namespace lemonade::proxy {
namespace {

TEST(ProxyMediator, Additions) {
  auto a = additions_for({"IMAP4rev1", "LITERAL+"}, true);
  EXPECT_TRUE(a.idle);
  EXPECT_TRUE(a.esearch);
  EXPECT_TRUE(a.condstore);
  EXPECT_TRUE(a.enable);
  a = additions_for({"IMAP4rev1", "idle", "ESEARCH"}, false);
  EXPECT_FALSE(a.any());
  a = additions_for({"IMAP4rev1", "idle", "ESEARCH", "ENABLE"}, true);
  EXPECT_TRUE(a.condstore);
  EXPECT_FALSE(a.enable);
  a = additions_for({"IMAP4rev1", "idle", "ESEARCH", "CONDSTORE"}, true);
  EXPECT_FALSE(a.any());
}

TEST(ProxyMediator, Capabilities) {
  std::vector<std::string> dovecot{"IMAP4rev1", "LITERAL+", "STARTTLS", "AUTH=PLAIN", "SASL-IR", "COMPRESS=DEFLATE"};
  EXPECT_EQ(client_capabilities(dovecot, additions_for(dovecot, false), true),
            "IMAP4rev1 LITERAL+ IDLE ESEARCH COMPRESS=DEFLATE");
  EXPECT_EQ(client_capabilities(dovecot, additions_for(dovecot, false), false), "IMAP4rev1 LITERAL+ IDLE ESEARCH");
  EXPECT_EQ(client_capabilities(dovecot, additions_for(dovecot, true), false),
            "IMAP4rev1 LITERAL+ IDLE ESEARCH CONDSTORE QRESYNC ENABLE");
  // A relayed session keeps the backend's COMPRESS (it runs end to end).
  std::vector<std::string> full{"IMAP4rev1", "IDLE", "ESEARCH", "CONDSTORE", "COMPRESS=DEFLATE", "AUTH=PLAIN"};
  EXPECT_EQ(client_capabilities(full, additions_for(full, true), true),
            "IMAP4rev1 IDLE ESEARCH CONDSTORE COMPRESS=DEFLATE");
}

TEST(ProxyMediator, StripSearchReturn) {
  std::string c = "a1 UID SEARCH RETURN (MIN count) CHARSET UTF-8 TEXT {3}\r\nabc\r\n";
  auto s = strip_search_return(c, 13);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->command, "a1 UID SEARCH CHARSET UTF-8 TEXT {3}\r\nabc\r\n");
  EXPECT_TRUE(s->options.min);
  EXPECT_TRUE(s->options.count);
  EXPECT_FALSE(s->options.max);
  EXPECT_FALSE(s->options.all);
  // RFC 4731 §3.1: "RETURN ()" is "RETURN (ALL)".
  s = strip_search_return("t SEARCH return () ALL\r\n", 8);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->command, "t SEARCH ALL\r\n");
  EXPECT_TRUE(s->options.all);
  EXPECT_FALSE(strip_search_return("t SEARCH ALL\r\n", 8));
  EXPECT_FALSE(strip_search_return("t SEARCH RETURNED\r\n", 8));
  EXPECT_THROW(strip_search_return("t SEARCH RETURN (SAVE) ALL\r\n", 8), std::invalid_argument);
  EXPECT_THROW(strip_search_return("t SEARCH RETURN (PARTIAL 1:5) ALL\r\n", 8), std::invalid_argument);
  EXPECT_THROW(strip_search_return("t SEARCH RETURN MIN ALL\r\n", 8), std::invalid_argument);
  EXPECT_THROW(strip_search_return("t SEARCH RETURN (MIN ALL\r\n", 8), std::invalid_argument);
}

TEST(ProxyMediator, SearchResponses) {
  auto r = parse_search_response("SEARCH 2 84 882");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->numbers, (std::vector<std::uint32_t>{2, 84, 882}));
  EXPECT_FALSE(r->modseq);
  r = parse_search_response("SEARCH");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->numbers.empty());
  // RFC 7162 §3.1.5's example.
  r = parse_search_response("SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->numbers.size(), 10u);
  EXPECT_EQ(r->modseq, 917162500u);
  EXPECT_FALSE(parse_search_response("SEARCHX 1"));
  EXPECT_FALSE(parse_search_response("SEARCH 1 x"));
  EXPECT_FALSE(parse_search_response("SEARCH 0"));
  EXPECT_FALSE(parse_search_response("ESEARCH (TAG \"a\") ALL 1"));
}

TEST(ProxyMediator, EsearchResponse) {
  search_return all{true, true, true, true};
  // RFC 4731 §3.1's examples, in our order of items.
  EXPECT_EQ(esearch_response("A282", false, all, {2, 10, 11, 12, 13, 14, 15, 16, 17, 1}, std::nullopt),
            "* ESEARCH (TAG \"A282\") MIN 1 MAX 17 COUNT 10 ALL 1:2,10:17\r\n");
  search_return min_count{true, false, false, true};
  EXPECT_EQ(esearch_response("A283", true, min_count, {}, std::nullopt), "* ESEARCH (TAG \"A283\") UID COUNT 0\r\n");
  search_return only_all{false, false, true, false};
  EXPECT_EQ(esearch_response("A284", false, only_all, {}, std::nullopt), "* ESEARCH (TAG \"A284\")\r\n");
  EXPECT_EQ(esearch_response("a", true, only_all, {7, 3}, 12), "* ESEARCH (TAG \"a\") UID ALL 3,7 MODSEQ 12\r\n");
}

TEST(ProxyMediator, SpecialUse) {
  auto map = parse_special_use({"Sent=Sent, Sent Items", "junk=Spam"});
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(map.at("SENT ITEMS"), "\\Sent");
  EXPECT_EQ(map.at("SPAM"), "\\Junk");
  EXPECT_THROW(parse_special_use({"Outbox=Outbox"}), std::invalid_argument);  // not an RFC 6154 §2 use
  EXPECT_THROW(parse_special_use({"Sent"}), std::invalid_argument);
  EXPECT_THROW(parse_special_use({"Sent=Sent", "Trash=sent"}), std::invalid_argument);
  // RFC 6154 §5.1's shapes.
  EXPECT_EQ(mark_special_use("LIST (\\HasNoChildren) \"/\" \"Sent Items\"", map),
            "LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"");
  EXPECT_EQ(mark_special_use("LIST () \".\" INBOX.Spam", map), "LIST (\\Junk) \".\" INBOX.Spam");
  EXPECT_EQ(mark_special_use("LIST (\\Sent) \"/\" Sent", map), std::nullopt);  // the backend's own
  EXPECT_EQ(mark_special_use("LIST () \"/\" Work", map), std::nullopt);
  EXPECT_EQ(mark_special_use("LIST () NIL Spam", map), "LIST (\\Junk) NIL Spam");
  EXPECT_EQ(mark_special_use("LSUB () \"/\" Spam", map), std::nullopt);
}

}  // namespace
}  // namespace lemonade::proxy
