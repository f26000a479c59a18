// imap/syntax/url: RFC 5092 IMAP URLs with the RFC 4467 URLAUTH parts. The
// examples are the RFCs' own (RFC 5092 §7-§10, RFC 4467 §7, RFC 4469 §6).
#include <gtest/gtest.h>

#include "imap/syntax/url.hpp"

namespace lemonade::imap::syntax {
namespace {

imap_url parsed(std::string_view text, bool relative = false) {
  url_error e;
  auto u = parse_url(text, relative, &e);
  EXPECT_TRUE(u) << text << ": " << e.message;
  return u ? *u : imap_url{};
}

std::string why_not(std::string_view text, bool relative = false) {
  url_error e;
  auto u = parse_url(text, relative, &e);
  EXPECT_FALSE(u) << text << " parsed";
  return e.message;
}

// What a URL means must survive writing it out and reading it again.
void round_trip(std::string_view text, bool relative = false) {
  auto u = parsed(text, relative);
  auto again = parsed(format_url(u), relative);
  u.rump.clear();
  again.rump.clear();
  EXPECT_EQ(again, u) << text << " -> " << format_url(u);
}

TEST(ImapUrl, MessagePartWithPartial) {
  // RFC 5092 §7.1 (URL-PARTIAL, RFC 5550 §5.4).
  auto u = parsed("imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024");
  ASSERT_TRUE(u.server);
  EXPECT_EQ(u.server->host, "minbari.example.org");
  EXPECT_FALSE(u.server->user);
  EXPECT_EQ(u.mailbox, "gray-council");
  EXPECT_EQ(u.uidvalidity, 385759045u);
  EXPECT_EQ(u.uid, 20u);
  EXPECT_FALSE(u.section);
  ASSERT_TRUE(u.partial);
  EXPECT_EQ(u.partial->offset, 0u);
  EXPECT_EQ(u.partial->length, 1024u);
  EXPECT_EQ(format_url(u), "imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024");
}

TEST(ImapUrl, Utf8MailboxNames) {
  // RFC 5092 §10 "~peter/日本語/台北": the name is UTF-8, %-encoded.
  auto u = parsed("imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97");
  EXPECT_EQ(u.mailbox, "~peter/\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E/\xE5\x8F\xB0\xE5\x8C\x97");
  EXPECT_FALSE(u.uid);
  EXPECT_EQ(format_url(u), "imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97");
  // Not UTF-8 once decoded: refused, not passed on as bytes.
  EXPECT_EQ(why_not("imap://h/%C0%AF"), "mailbox name is not UTF-8");
  EXPECT_EQ(why_not("imap://h/%ED%A0%80"), "mailbox name is not UTF-8");  // a surrogate
}

TEST(ImapUrl, UserAndAuthentication) {
  // RFC 5092 §3.2: ";AUTH=*" lets the client pick; ";AUTH=<type>" names one.
  auto any = parsed("imap://john;AUTH=*@minbari.example.org/babylon5/personel");
  ASSERT_TRUE(any.server);
  EXPECT_EQ(any.server->user, "john");
  EXPECT_EQ(any.server->auth_type, "*");
  EXPECT_EQ(any.mailbox, "babylon5/personel");
  auto gss = parsed("imap://;AUTH=GSSAPI@minbari.example.org/gray-council?SUBJECT%20shadows");
  EXPECT_FALSE(gss.server->user);
  EXPECT_EQ(gss.server->auth_type, "GSSAPI");
  EXPECT_EQ(gss.search, "SUBJECT shadows");
  auto plain = parsed("imap://michael@minbari.example.org/users.*");
  EXPECT_EQ(plain.server->user, "michael");
  EXPECT_EQ(plain.mailbox, "users.*");
  auto ported = parsed("imap://minbari.example.org:1143/");
  EXPECT_EQ(ported.server->port, 1143);
  EXPECT_EQ(ported.mailbox, "");
  EXPECT_EQ(format_url(ported), "imap://minbari.example.org:1143/");
  EXPECT_EQ(parsed("imap://[::1]:10143/INBOX").server->host, "[::1]");
  round_trip("imap://john;AUTH=*@minbari.example.org/babylon5/personel");
  round_trip("imap://;AUTH=GSSAPI@minbari.example.org/gray-council?SUBJECT%20shadows");
  round_trip("imap://minbari.example.org/gray%20council?SUBJECT%20shadows");
}

TEST(ImapUrl, UrlauthFromRfc4467) {
  // RFC 4467 §7: the rump a client gives GENURLAUTH, and the URL it gets back.
  auto rump = parsed("imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred");
  EXPECT_EQ(rump.mailbox, "INBOX");
  EXPECT_FALSE(rump.uidvalidity);
  EXPECT_EQ(rump.uid, 20u);
  EXPECT_EQ(rump.section, "1.2");
  EXPECT_EQ(rump.access, "submit+fred");
  EXPECT_FALSE(rump.mechanism);
  EXPECT_EQ(rump.rump, "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred");
  auto full =
      parsed("imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred:internal:91354a473744909de610943775f92038");
  EXPECT_EQ(full.mechanism, "INTERNAL");
  EXPECT_EQ(full.token, "91354a473744909de610943775f92038");
  // The token is over the rump exactly as written.
  EXPECT_EQ(full.rump, rump.rump);
  EXPECT_EQ(url_rump(full), "imap://joe@example.com/INBOX/;UID=20/;SECTION=1.2;URLAUTH=submit+fred");
  round_trip("imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred:internal:91354a473744909de610943775f92038");
  for (auto access : {"anonymous", "authuser", "user+fred%40example.org"}) {
    auto u = parsed(std::string("imap://joe@example.com/INBOX/;UID=20;URLAUTH=") + access);
    EXPECT_EQ(u.access, std::string(access) == "user+fred%40example.org" ? "user+fred@example.org" : access);
  }
}

TEST(ImapUrl, Expire) {
  auto u = parsed("imap://joe@example.com/INBOX;UIDVALIDITY=7/;UID=20;EXPIRE=2026-12-24T18:30:00Z;URLAUTH=anonymous");
  EXPECT_EQ(u.expire, "2026-12-24T18:30:00Z");
  ASSERT_TRUE(u.expire_at);
  EXPECT_EQ(*u.expire_at, 1798137000);
  auto zoned = parsed("imap://joe@example.com/INBOX/;UID=20;EXPIRE=2026-12-24T19:30:00.5+01:00;URLAUTH=anonymous");
  EXPECT_EQ(zoned.expire_at, u.expire_at);
  EXPECT_EQ(why_not("imap://joe@example.com/INBOX/;UID=20;EXPIRE=2026-02-30T00:00:00Z;URLAUTH=anonymous"),
            "bad EXPIRE date-time");
  EXPECT_EQ(why_not("imap://joe@example.com/INBOX/;UID=20;EXPIRE=2026-12-24T18:30:00Z"), "EXPIRE without URLAUTH");
  round_trip("imap://joe@example.com/INBOX/;UID=20;EXPIRE=2026-12-24T19:30:00.5+01:00;URLAUTH=anonymous");
}

TEST(ImapUrl, CatenateRelativeForms) {
  // RFC 4469 §6: URLs relative to the server the client is connected to.
  auto h = parsed("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER", true);
  EXPECT_FALSE(h.server);
  EXPECT_EQ(h.mailbox, "Drafts");
  EXPECT_EQ(h.uidvalidity, 385759045u);
  EXPECT_EQ(h.uid, 20u);
  EXPECT_EQ(h.section, "HEADER");
  EXPECT_EQ(parsed("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME", true).section, "1.MIME");
  auto whole = parsed("/Drafts;UIDVALIDITY=385759045/;UID=30", true);
  EXPECT_EQ(whole.uid, 30u);
  EXPECT_FALSE(whole.section);
  EXPECT_EQ(format_url(whole), "/Drafts;UIDVALIDITY=385759045/;UID=30");
  // A relative form is not an absolute URL.
  EXPECT_EQ(why_not("/Drafts/;UID=30"), "not an imap:// URL");
  round_trip("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME", true);
  round_trip("/a%2Fb%3Bc/;UID=3/;SECTION=1/;PARTIAL=10", true);
}

TEST(ImapUrl, SectionAndPartialTogether) {
  auto u = parsed("imap://h/INBOX/;UID=5/;SECTION=2.1/;PARTIAL=100.50");
  EXPECT_EQ(u.section, "2.1");
  EXPECT_EQ(u.partial->offset, 100u);
  EXPECT_EQ(u.partial->length, 50u);
  auto open = parsed("imap://h/INBOX/;UID=5/;PARTIAL=100");
  EXPECT_EQ(open.partial->offset, 100u);
  EXPECT_FALSE(open.partial->length);
  EXPECT_EQ(format_url(open), "imap://h/INBOX/;UID=5/;PARTIAL=100");
}

TEST(ImapUrl, StrictWhereTheAbnfIs) {
  EXPECT_EQ(why_not("http://h/INBOX"), "not an imap:// URL");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=0"), "bad UID");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=01"), "bad UID");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=4294967296"), "bad UID");
  EXPECT_EQ(why_not("imap://h/INBOX;UIDVALIDITY=0/;UID=1"), "bad UIDVALIDITY");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=1/;PARTIAL=5.0"), "bad PARTIAL length");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=1/;SECTION="), "empty SECTION");
  EXPECT_EQ(why_not("imap://h/IN%ZZBOX"), "bad %-encoding in mailbox name");
  EXPECT_EQ(why_not("imap://h/IN%4"), "bad %-encoding in mailbox name");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=1;URLAUTH=root"), "bad URLAUTH access identifier");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=1;URLAUTH=anonymous:INTERNAL:1234"),
            "URLAUTH token shorter than 32 hex digits");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=1;URLAUTH=anonymous:INTERNAL"), "bad URLAUTH mechanism");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=1 extra"), "unexpected text");
  EXPECT_EQ(why_not("imap://h/INBOX;URLAUTH=anonymous"), "expected /;UID=");
  EXPECT_EQ(why_not("imap://h:99999/INBOX"), "bad port");
  EXPECT_EQ(why_not("imap://@h/INBOX"), "bad user information before '@'");
  EXPECT_EQ(why_not("imap://a b/INBOX"), "bad host name");
  EXPECT_EQ(why_not("imap://h/INB\"OX"), "bad character in the mailbox name");
  EXPECT_EQ(why_not("imap://h/INBOX/;UID=1/"), "unexpected '/'");
}

TEST(ImapUrl, OddNamesAreEncodedBackExactly) {
  // What cannot appear raw is written %-encoded: ';', '?', '%', space,
  // '"', a trailing '/', non-ASCII.
  imap_url u;
  u.server = imap_url::server_part{"a;b", std::nullopt, "example.org", std::nullopt};
  u.mailbox = "50% off; really? \"yes\"/";
  u.uid = 7;
  u.section = "1";
  auto text = format_url(u);
  EXPECT_EQ(text, "imap://a%3Bb@example.org/50%25%20off%3B%20really%3F%20%22yes%22%2F/;UID=7/;SECTION=1");
  EXPECT_EQ(parsed(text), u);
  // A name starting with '/' must not turn into "//host" (found by fuzzing).
  round_trip("/%2FD", true);
  EXPECT_EQ(percent_decode("%41%62%2f"), "Ab/");
  EXPECT_FALSE(percent_decode("%4"));
}

}  // namespace
}  // namespace lemonade::imap::syntax
