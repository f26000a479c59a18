// smtp/syntax and smtp/parse: framing, DATA transparency (RFC 5321
// §4.5.2), replies (RFC 5321 §4.2, RFC 2034), paths (§4.1.2), xtext
// (RFC 3461 §4) and the commands.
#include <gtest/gtest.h>

#include "smtp/parse/command.hpp"
#include "smtp/syntax/address.hpp"
#include "smtp/syntax/framer.hpp"
#include "smtp/syntax/reply.hpp"

namespace lemonade::smtp {
namespace {

using namespace std::string_literals;

TEST(SmtpFramer, Lines) {
  syntax::line_framer f(16);
  EXPECT_EQ(f.next("NOOP").what, syntax::line_event::kind::need_more);
  auto e = f.next("NOOP\r\nQUIT\r\n");
  EXPECT_EQ(e.what, syntax::line_event::kind::line);
  EXPECT_EQ(e.size, 6u);
  e = f.next("HELO x\n");  // a bare LF ends a command line too
  EXPECT_EQ(e.size, 7u);
  EXPECT_EQ(syntax::strip_line_end("HELO x\r\n"), "HELO x");
  // Over the limit: dropped up to the line end, reported once per piece.
  e = f.next("0123456789abcdefgh");
  EXPECT_EQ(e.what, syntax::line_event::kind::too_long);
  EXPECT_FALSE(e.ended);
  // Nothing more to drop yet: more input is needed (never a zero-size
  // event, which would spin the session).
  EXPECT_EQ(f.next("").what, syntax::line_event::kind::need_more);
  e = f.next("ij\r\nNOOP\r\n");
  EXPECT_EQ(e.what, syntax::line_event::kind::too_long);
  EXPECT_TRUE(e.ended);
  EXPECT_EQ(e.size, 4u);
  EXPECT_EQ(f.next("NOOP\r\n").what, syntax::line_event::kind::line);
}

std::string decode_all(std::string_view in, std::size_t piece, bool* done = nullptr, std::size_t* used = nullptr,
                       syntax::data_decoder* dec_out = nullptr) {
  syntax::data_decoder d(1 << 20);
  std::string out;
  std::size_t at = 0;
  bool finished = false;
  while (at < in.size() && !finished) {
    auto r = d.feed(in.substr(at, piece), out);
    at += r.consumed;
    finished = r.done;
  }
  if (done) *done = finished;
  if (used) *used = at;
  if (dec_out) *dec_out = d;
  return out;
}

TEST(SmtpFramer, DataTransparency) {
  // RFC 5321 §4.5.2: "If the first character is a period and there are
  // other characters on the line, the first character is deleted"; the
  // data ends at CRLF "." CRLF, in any piece size.
  std::string wire = "Subject: x\r\n\r\n..leading dot\r\n.\r\n";
  for (std::size_t piece : {1u, 2u, 3u, 7u, 100u}) {
    bool done = false;
    std::size_t used = 0;
    EXPECT_EQ(decode_all(wire + "QUIT\r\n", piece, &done, &used), "Subject: x\r\n\r\n.leading dot\r\n");
    EXPECT_TRUE(done);
    EXPECT_EQ(used, wire.size());
  }
  // An empty message.
  bool done = false;
  EXPECT_EQ(decode_all(".\r\n", 1, &done), "");
  EXPECT_TRUE(done);
}

TEST(SmtpFramer, BareLineEndsNeverEndTheData) {
  // "\n.\n" and "\r.\r" do not end the message (SMTP smuggling); they are
  // content, flagged as bare line ends.
  syntax::data_decoder d(1000);
  std::string out;
  auto r = d.feed("a\n.\nb\r.\rc\r\n.\r\n", out);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(out, "a\n\nb\r.\rc\r\n");
  EXPECT_TRUE(d.bare_line_end());
}

TEST(SmtpFramer, DataOverTheLimitIsCountedNotKept) {
  syntax::data_decoder d(4);
  std::string out;
  auto r = d.feed("123456789\r\n.\r\n", out);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(out, "1234");
  EXPECT_EQ(d.size(), 11u);
  EXPECT_TRUE(d.too_big());
}

TEST(SmtpReply, Lines) {
  std::string out;
  syntax::write(out, {250, syntax::status_code{2, 1, 0}, {"first", "second"}}, true);
  EXPECT_EQ(out, "250-2.1.0 first\r\n250 2.1.0 second\r\n");
  out.clear();
  syntax::write(out, {354, std::nullopt, {"Go ahead"}}, true);
  EXPECT_EQ(out, "354 Go ahead\r\n");
  out.clear();
  syntax::write(out, {550, syntax::status_code{5, 1, 1}, {"No such\r\nuser"}}, false);
  EXPECT_EQ(out, "550 No such  user\r\n");
}

TEST(SmtpAddress, Paths) {
  auto p = syntax::parse_path("<user@example.org> SIZE=10", false, false);
  ASSERT_TRUE(p.address);
  EXPECT_EQ(p.address->local, "user");
  EXPECT_EQ(p.address->domain, "example.org");
  EXPECT_EQ(p.consumed, 18u);
  // Source routes are accepted and ignored (RFC 5321 §4.1.1.3).
  p = syntax::parse_path("<@a.example,@b.example:u@c.example>", false, false);
  ASSERT_TRUE(p.address);
  EXPECT_EQ(p.address->text(), "u@c.example");
  p = syntax::parse_path("<\"john q\\\"x\"@[192.0.2.1]>", false, false);
  ASSERT_TRUE(p.address);
  EXPECT_EQ(p.address->local, "john q\"x");
  EXPECT_EQ(p.address->text(), "\"john q\\\"x\"@[192.0.2.1]");
  EXPECT_TRUE(syntax::parse_path("<>", true, false).address);
  EXPECT_FALSE(syntax::parse_path("<>", false, false).address);
  EXPECT_TRUE(syntax::parse_path("<Postmaster>", false, false).address);
  EXPECT_FALSE(syntax::parse_path("<bob>", false, false).address);
  EXPECT_FALSE(syntax::parse_path("<a..b@x>", false, false).address);
  EXPECT_FALSE(syntax::parse_path("<a@-x.org>", false, false).address);
  EXPECT_FALSE(syntax::parse_path("user@x.org", false, false).address);
  // RFC 6531: UTF-8 only when allowed.
  EXPECT_FALSE(syntax::parse_path("<grüße@x.org>", false, false).address);
  EXPECT_TRUE(syntax::parse_path("<grüße@bücher.example>", false, true).address);
  EXPECT_FALSE(syntax::parse_path("<\xff@x.org>", false, true).address);
}

TEST(SmtpAddress, Xtext) {
  // RFC 3461 §4: "+" and "=" and octets outside 33..126 are "+XX".
  EXPECT_EQ(syntax::xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(syntax::xtext_decode("a+2Bb+3Dc+20d"), "a+b=c d");
  EXPECT_EQ(syntax::xtext_decode("bad+2"), std::nullopt);
  EXPECT_EQ(syntax::xtext_decode("bad+2b"), std::nullopt);  // upper-case hex only
  EXPECT_EQ(syntax::xtext_decode("a=b"), std::nullopt);
}

parse::result cmd(std::string_view line, bool utf8 = false) { return parse::parse_command(line, {utf8}); }

TEST(SmtpParse, MailAndRcpt) {
  auto r = cmd("MAIL FROM:<bob.ar@example.org> SIZE=1024 BODY=BINARYMIME RET=HDRS ENVID=QQ314159");
  ASSERT_TRUE(r.cmd);
  auto& m = std::get<parse::mail_cmd>(*r.cmd);
  EXPECT_EQ(m.from.text(), "bob.ar@example.org");
  EXPECT_EQ(m.size, 1024u);
  EXPECT_EQ(m.body, parse::body_type::binary_mime);
  EXPECT_EQ(m.ret, parse::mail_cmd::ret_kind::hdrs);
  EXPECT_EQ(m.envid, "QQ314159");
  r = cmd("mail from: <>");
  ASSERT_TRUE(r.cmd);
  EXPECT_TRUE(std::get<parse::mail_cmd>(*r.cmd).from.empty());
  // RFC 3461 §4.1-4.2 (its §9 example).
  r = cmd("RCPT TO:<Carol@Ivory.EDU> NOTIFY=FAILURE ORCPT=rfc822;Carol@Ivory.EDU");
  ASSERT_TRUE(r.cmd);
  auto& t = std::get<parse::rcpt_cmd>(*r.cmd);
  EXPECT_TRUE(t.notify->failure);
  EXPECT_FALSE(t.notify->success);
  EXPECT_EQ(t.orcpt->first, "rfc822");
  EXPECT_EQ(t.orcpt->second, "Carol@Ivory.EDU");
  EXPECT_EQ(cmd("RCPT TO:<a@b.c> NOTIFY=NEVER,SUCCESS").error.code, 501);
  EXPECT_EQ(cmd("RCPT TO:<a@b.c> NOTIFY=DELAY,DELAY").error.code, 501);
  // §4.1.1.11: an unknown parameter is 555.
  auto e = cmd("MAIL FROM:<a@b.c> XFOO=1").error;
  EXPECT_EQ(e.code, 555);
  EXPECT_EQ(e.status->text(), "5.5.4");
  EXPECT_EQ(cmd("MAIL FROM:<a@b.c> SIZE=x").error.code, 501);
  EXPECT_EQ(cmd("MAIL FROM:<a@b.c> SIZE=1 SIZE=2").error.code, 501);
  EXPECT_EQ(cmd("MAIL FROM:a@b.c").error.code, 501);
  EXPECT_EQ(cmd("MAIL TO:<a@b.c>").error.code, 501);
  // SMTPUTF8 only when offered; then UTF-8 addresses with it.
  EXPECT_EQ(cmd("MAIL FROM:<a@b.c> SMTPUTF8").error.code, 555);
  EXPECT_TRUE(cmd("MAIL FROM:<grüße@b.c> SMTPUTF8", true).cmd);
  EXPECT_FALSE(cmd("MAIL FROM:<grüße@b.c>", true).cmd);
}

TEST(SmtpParse, OtherCommands) {
  auto r = cmd("BDAT 475");
  ASSERT_TRUE(r.cmd);
  EXPECT_EQ(std::get<parse::bdat_cmd>(*r.cmd).size, 475u);
  EXPECT_FALSE(std::get<parse::bdat_cmd>(*r.cmd).last);
  r = cmd("bdat 0 last");
  ASSERT_TRUE(r.cmd);
  EXPECT_TRUE(std::get<parse::bdat_cmd>(*r.cmd).last);
  EXPECT_FALSE(cmd("BDAT x").cmd);
  EXPECT_FALSE(cmd("BDAT 1 FIRST").cmd);
  r = cmd("BURL imap://bob.ar@example.org/Sent;UIDVALIDITY=387899045/;uid=45/;urlauth=submit+bar:internal:91354a473744909de610943775f92038 LAST");
  ASSERT_TRUE(r.cmd);
  EXPECT_TRUE(std::get<parse::burl_cmd>(*r.cmd).last);
  r = cmd("AUTH PLAIN aGFycnkAaGFycnkAYWNjaW8=");
  ASSERT_TRUE(r.cmd);
  EXPECT_EQ(std::get<parse::auth_cmd>(*r.cmd).mechanism, "PLAIN");
  EXPECT_EQ(std::get<parse::auth_cmd>(*r.cmd).initial, "aGFycnkAaGFycnkAYWNjaW8=");
  r = cmd("EHLO potter.example.org");
  ASSERT_TRUE(r.cmd);
  EXPECT_EQ(std::get<parse::hello_cmd>(*r.cmd).domain, "potter.example.org");
  EXPECT_EQ(cmd("EHLO").error.code, 501);
  EXPECT_EQ(cmd("DATA now").error.code, 501);
  auto e = cmd("XYZZY");
  EXPECT_EQ(e.error.code, 500);
  EXPECT_EQ(e.verb, "XYZZY");
  EXPECT_EQ(cmd("NOOP\0x"s).error.code, 501);
}

}  // namespace
}  // namespace lemonade::smtp
