// imap/parse: table-driven command parser tests, RFC examples first
// (STYLE.md §7).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "imap/capability.hpp"
#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

struct parsed {
  bool ok;
  std::string error;
  command_args args;
};

parsed parse_with(parser_fn fn, std::string_view text, parse_options opts = {}) {
  std::string input = std::string(text) + "\r\n";
  syntax::lexer in(input, opts.max_nesting_depth);
  auto head = parse_head(in);
  auto args = fn(in, opts);
  return {in.ok(), in.error().message, std::move(args)};
}

TEST(imap_parse_table, login) {
  auto p = parse_with(parse_login, "a LOGIN SMITH SESAME");  // RFC 3501 §6.2.3
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(std::get<login_cmd>(p.args).user, "SMITH");
  EXPECT_EQ(std::get<login_cmd>(p.args).password, "SESAME");
  p = parse_with(parse_login, "a LOGIN \"fred \\\"q\\\" x\" {3}\r\nabc");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<login_cmd>(p.args).user, "fred \"q\" x");
  EXPECT_EQ(std::get<login_cmd>(p.args).password, "abc");
  EXPECT_FALSE(parse_with(parse_login, "a LOGIN onlyone").ok);
  EXPECT_FALSE(parse_with(parse_login, "a LOGIN a b c").ok);
  EXPECT_FALSE(parse_with(parse_login, "a LOGIN \"unterminated b").ok);
}

TEST(imap_parse_table, authenticate) {
  auto p = parse_with(parse_authenticate, "a AUTHENTICATE plain");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(std::get<authenticate_cmd>(p.args).mechanism, "PLAIN");
  EXPECT_FALSE(std::get<authenticate_cmd>(p.args).initial_response);
  p = parse_with(parse_authenticate, "a AUTHENTICATE PLAIN =");  // RFC 4959 §3
  EXPECT_EQ(std::get<authenticate_cmd>(p.args).initial_response, "=");
  p = parse_with(parse_authenticate, "a AUTHENTICATE PLAIN AGZyZWQAdGlnZXI=");
  EXPECT_EQ(std::get<authenticate_cmd>(p.args).initial_response, "AGZyZWQAdGlnZXI=");
}

TEST(imap_parse_table, mailbox_names) {
  auto p = parse_with(parse_select, "a SELECT inbox");
  EXPECT_EQ(std::get<select_cmd>(p.args).mailbox, "INBOX");
  p = parse_with(parse_examine, "a EXAMINE InBoX/sub");
  EXPECT_EQ(std::get<select_cmd>(p.args).mailbox, "INBOX/sub");
  EXPECT_TRUE(std::get<select_cmd>(p.args).read_only);
  p = parse_with(parse_select, "a SELECT inboxes");
  EXPECT_EQ(std::get<select_cmd>(p.args).mailbox, "inboxes");
  p = parse_with(parse_create, "a CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(std::get<create_cmd>(p.args).mailbox,
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  {
    // RFC 3501 §5.1.3's invalid example: a valid astring, so no syntax
    // error but a refusal (NO, not BAD) with the code for the command.
    lexer in("a CREATE &Jjo!\r\n");
    parse_head(in);
    parse_create(in, {});
    EXPECT_TRUE(in.ok());
    ASSERT_TRUE(in.refusal());
    EXPECT_EQ(in.refusal()->code, "CANNOT");
    lexer sel("a SELECT &Jjo!\r\n");
    parse_head(sel);
    parse_select(sel, {});
    ASSERT_TRUE(sel.refusal());
    EXPECT_EQ(sel.refusal()->code, "NONEXISTENT");
  }
  parse_options utf8;
  utf8.utf8_names = true;
  p = parse_with(parse_create, "a CREATE \"Gr\xc3\xb6\xc3\x9f" "e\"", utf8);
  EXPECT_EQ(std::get<create_cmd>(p.args).mailbox, "Gr\xc3\xb6\xc3\x9f" "e");
}

TEST(imap_parse_table, create_special_use) {
  auto p = parse_with(parse_create, "t3 CREATE MySpecial (USE (\\Drafts \\Sent))");  // RFC 6154 §5.3
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<create_cmd>(p.args).special_use, (std::vector<std::string>{"\\Drafts", "\\Sent"}));
  EXPECT_FALSE(parse_with(parse_create, "t CREATE x (FOO (\\Drafts))").ok);
}

TEST(imap_parse_table, rename_status_subscribe) {
  auto p = parse_with(parse_rename, "A683 RENAME blurdybloop sarasoop");
  EXPECT_EQ(std::get<rename_cmd>(p.args).from, "blurdybloop");
  EXPECT_EQ(std::get<rename_cmd>(p.args).to, "sarasoop");
  p = parse_with(parse_status, "A042 STATUS blurdybloop (UIDNEXT MESSAGES)");  // RFC 3501 §6.3.10
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(std::get<status_cmd>(p.args).items,
            (std::vector<status_item>{status_item::uidnext, status_item::messages}));
  EXPECT_FALSE(parse_with(parse_status, "a STATUS x ()").ok);
  EXPECT_FALSE(parse_with(parse_status, "a STATUS x (SIZEX)").ok);
  p = parse_with(parse_unsubscribe, "a UNSUBSCRIBE #news.comp.mail.mime");
  EXPECT_FALSE(std::get<subscribe_cmd>(p.args).subscribe);
}

TEST(imap_parse_table, list_forms) {
  auto p = parse_with(parse_list, "A101 LIST \"\" \"\"");
  ASSERT_TRUE(p.ok);
  EXPECT_FALSE(std::get<list_cmd>(p.args).extended);
  // RFC 5258 §5 examples
  p = parse_with(parse_list, "A02 LIST (SUBSCRIBED) \"\" \"*\"");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(std::get<list_cmd>(p.args).select_subscribed);
  p = parse_with(parse_list, "A03 LIST () \"\" \"%\" RETURN (CHILDREN)");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(std::get<list_cmd>(p.args).return_children);
  p = parse_with(parse_list, "A05 LIST (REMOTE SUBSCRIBED) \"/\" \"*\"");
  ASSERT_TRUE(p.ok);
  p = parse_with(parse_list, "A10 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN)");
  ASSERT_TRUE(p.ok);
  p = parse_with(parse_list, "BBB LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(std::get<list_cmd>(p.args).patterns.size(), 3u);
  // RFC 5819 §5
  p = parse_with(parse_list, "A01 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(std::get<list_cmd>(p.args).return_status->size(), 2u);
  EXPECT_FALSE(parse_with(parse_list, "a LIST (RECURSIVEMATCH) \"\" *").ok);
  EXPECT_FALSE(parse_with(parse_list, "a LIST (FOO) \"\" *").ok);
  EXPECT_FALSE(parse_with(parse_list, "a LIST \"\" * RETURN (FOO)").ok);
  EXPECT_FALSE(parse_with(parse_lsub, "a LSUB \"\" (x)").ok);
}

TEST(imap_parse_table, append_and_multiappend) {
  // RFC 3501 §6.3.11 example date
  auto p = parse_with(parse_append, "A003 APPEND saved-messages (\\Seen) \"17-Jul-1996 02:44:25 -0700\" {5+}\r\nhello");
  ASSERT_TRUE(p.ok) << p.error;
  auto& a = std::get<append_cmd>(p.args);
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].flags, (std::vector<std::string>{"\\Seen"}));
  EXPECT_EQ(a.messages[0].date->seconds, 837596665);  // 1996-07-17T09:44:25Z
  EXPECT_EQ(a.messages[0].date->zone_minutes, -420);
  EXPECT_EQ(a.messages[0].data, "hello");
  // RFC 3502 §6
  p = parse_with(parse_append, "A003 APPEND saved-messages (\\Seen) {3+}\r\none (\\Seen) {3+}\r\ntwo");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<append_cmd>(p.args).messages.size(), 2u);
  EXPECT_FALSE(parse_with(parse_append, "a APPEND x \"31-Feb-1996 02:44:25 -0700\" {1+}\r\nx").ok);
  EXPECT_FALSE(parse_with(parse_append, "a APPEND x").ok);
  parse_options one;
  one.max_append_messages = 1;
  EXPECT_FALSE(parse_with(parse_append, "a APPEND x {1+}\r\na {1+}\r\nb", one).ok);
}

// docs/xencrypted.md: "~{X" number ["+"] "}" in APPEND and CATENATE TEXT;
// anywhere else an encrypted literal is a syntax error.
TEST(imap_parse_table, encrypted_literals) {
  auto p = parse_with(parse_append, "a APPEND INBOX (\\Seen) ~{X3+}\r\nabc");
  ASSERT_TRUE(p.ok) << p.error;
  auto& m = std::get<append_cmd>(p.args).messages[0];
  EXPECT_TRUE(m.encrypted);
  EXPECT_EQ(m.data, "abc");
  p = parse_with(parse_append, "a APPEND INBOX ~{3+}\r\nabc");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_FALSE(std::get<append_cmd>(p.args).messages[0].encrypted);
  p = parse_with(parse_append, "a APPEND INBOX CATENATE (TEXT ~{X2+}\r\nab URL \"/INBOX/;uid=1\" TEXT {1+}\r\nc)");
  ASSERT_TRUE(p.ok) << p.error;
  auto& parts = std::get<append_cmd>(p.args).messages[0].catenate;
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(parts[0].encrypted);
  EXPECT_EQ(parts[0].text, "ab");
  EXPECT_FALSE(parts[2].encrypted);
  EXPECT_FALSE(parse_with(parse_append, "a APPEND INBOX {X3+}\r\nabc").ok);  // X only after ~
  EXPECT_FALSE(parse_with(parse_login, "a LOGIN ~{X3+}\r\nabc x").ok);
  p = parse_with(parse_xkey, "a XKEY 0123456789abcdef 00112233445566778899AABBCCDDEEFF");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<xkey_cmd>(p.args).key_id, std::string("\x01\x23\x45\x67\x89\xab\xcd\xef"));
  EXPECT_EQ(std::get<xkey_cmd>(p.args).client_nonce.size(), 16u);
  EXPECT_FALSE(parse_with(parse_xkey, "a XKEY 0123456789abcde 00112233445566778899aabbccddeeff").ok);
  EXPECT_FALSE(parse_with(parse_xkey, "a XKEY 0123456789abcdef 00112233445566778899aabbccddee").ok);
  EXPECT_FALSE(parse_with(parse_xkey, "a XKEY 0123456789abcdeg 00112233445566778899aabbccddeeff").ok);
  EXPECT_FALSE(parse_with(parse_xkey, "a XKEY 0123456789abcdef").ok);
}

TEST(imap_parse_table, enable_id_bare) {
  auto p = parse_with(parse_enable, "t2 ENABLE CONDSTORE X-GOOD-IDEA");  // RFC 5161 §4
  EXPECT_EQ(std::get<enable_cmd>(p.args).capabilities, (std::vector<std::string>{"CONDSTORE", "X-GOOD-IDEA"}));
  p = parse_with(parse_id, "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\")");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(std::get<id_cmd>(p.args).params.size(), 2u);
  EXPECT_TRUE(parse_with(parse_id, "a ID NIL").ok);
  EXPECT_FALSE(parse_with(parse_id, "a ID \"x\"").ok);
  EXPECT_TRUE(parse_with(parse_bare<noop_cmd>, "a NOOP").ok);
  auto extra = parse_with(parse_bare<noop_cmd>, "a NOOP now");
  EXPECT_FALSE(extra.ok);
  EXPECT_EQ(extra.error, "extra arguments");
}

TEST(imap_parse_table, nesting_limit) {
  parse_options o;
  o.max_nesting_depth = 1;
  std::string input = "a CREATE x (USE (\\Drafts))\r\n";
  syntax::lexer in(input, o.max_nesting_depth);
  parse_head(in);
  parse_create(in, o);
  EXPECT_FALSE(in.ok());
  EXPECT_EQ(in.error().code, "LIMIT");
}

TEST(imap_parse_table, fetch_and_store) {
  auto p = parse_with(parse_fetch, "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])");  // RFC 3501 §6.4.5
  ASSERT_TRUE(p.ok) << p.error;
  auto& f = std::get<fetch_cmd>(p.args);
  ASSERT_EQ(f.atts.size(), 2u);
  EXPECT_EQ(f.atts[1].section.text, "HEADER.FIELDS (DATE FROM)");
  EXPECT_EQ(f.atts[1].section.fields, (std::vector<std::string>{"DATE", "FROM"}));
  p = parse_with(parse_fetch, "a FETCH 1 BODY.PEEK[1.2.MIME]<0.100>");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<fetch_cmd>(p.args).atts[0].section.part, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(std::get<fetch_cmd>(p.args).atts[0].partial, (std::pair<std::uint32_t, std::uint32_t>{0, 100}));
  p = parse_with(parse_fetch, "a FETCH 1:* FULL");
  EXPECT_EQ(std::get<fetch_cmd>(p.args).atts.size(), 5u);
  EXPECT_FALSE(parse_with(parse_fetch, "a FETCH 0 FLAGS").ok);
  EXPECT_FALSE(parse_with(parse_fetch, "a FETCH 1 BODY.PEEK").ok);
  p = parse_with(parse_store, "A003 STORE 2:4 +FLAGS (\\Deleted)");  // RFC 3501 §6.4.6
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(std::get<store_cmd>(p.args).operation, store_cmd::op::add);
  p = parse_with(parse_store, "d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)");  // RFC 7162
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(std::get<store_cmd>(p.args).silent);
  EXPECT_EQ(std::get<store_cmd>(p.args).unchanged_since, 320162338u);
  EXPECT_FALSE(parse_with(parse_store, "a STORE 1 FLAGZ (\\Seen)").ok);
}

}  // namespace
}  // namespace lemonade::imap::parse

namespace lemonade::imap {
namespace {

std::string read_repo_file(const char* rel) {
  auto root = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
  std::ifstream in(root / rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// STYLE.md §4: every advertised capability is "Yes" in docs/rfc/status.md.
TEST(imap_caps, every_capability_is_yes_in_status_md) {
  auto status = read_repo_file("docs/rfc/status.md");
  ASSERT_FALSE(status.empty());
  for (auto& row : capability_table()) {
    auto needle = "| " + std::string(row.name) + " | ";
    auto at = status.find(needle);
    ASSERT_NE(at, std::string::npos) << row.name << " missing from docs/rfc/status.md";
    auto line = status.substr(at, status.find('\n', at) - at);
    EXPECT_NE(line.find("| Yes |"), std::string::npos) << line;
  }
}

TEST(imap_caps, conditions) {
  capability_facts f;
  f.starttls_offered = true;
  f.plaintext_allowed = false;
  auto pre = capabilities(f);
  EXPECT_EQ(pre, (std::vector<std::string>{"IMAP4rev1", "STARTTLS", "LOGINDISABLED", "AUTH=SCRAM-SHA-256", "SASL-IR",
                                           "LITERAL+", "ID", "ENABLE"}));
  f.tls_active = true;
  f.plaintext_allowed = true;
  f.literal_minus = true;
  EXPECT_EQ(capabilities(f), (std::vector<std::string>{"IMAP4rev1", "AUTH=PLAIN", "AUTH=SCRAM-SHA-256", "SASL-IR",
                                                       "LITERAL-", "ID", "ENABLE"}));
  f.authenticated = true;
  auto post = capabilities(f);
  EXPECT_EQ(std::count(post.begin(), post.end(), "AUTH=PLAIN"), 0);
  EXPECT_EQ(std::count(post.begin(), post.end(), "IDLE"), 1);
}

}  // namespace
}  // namespace lemonade::imap
