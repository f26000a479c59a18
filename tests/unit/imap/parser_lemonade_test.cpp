// imap/parse: the grammars of RFC 7162 (SELECT/FETCH/STORE/SEARCH
// modifiers), RFC 4731/5182/5267 (SEARCH RETURN), RFC 5465 (NOTIFY) and
// RFC 5256 (SORT, THREAD), with the RFCs' own command examples first.
#include <gtest/gtest.h>

#include "imap/parse/parse.hpp"

namespace lemonade::imap::parse {
namespace {

struct parsed {
  bool ok;
  std::string error;
  command_args args;
};

parsed parse_with(parser_fn fn, std::string_view text) {
  std::string input = std::string(text) + "\r\n";
  parse_options opts;
  syntax::lexer in(input, opts.max_nesting_depth);
  parse_head(in);
  auto args = fn(in, opts);
  return {in.ok(), in.error().message, std::move(args)};
}

TEST(imap_parse_lemonade, select_condstore_qresync) {
  auto p = parse_with(parse_select, "a SELECT INBOX (CONDSTORE)");  // RFC 7162 §3.1.8
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(std::get<select_cmd>(p.args).condstore);
  // RFC 7162 §3.2.5.1 example
  p = parse_with(parse_select,
                 "A02 SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:3 1,5:6)))");
  ASSERT_TRUE(p.ok) << p.error;
  auto& q = *std::get<select_cmd>(p.args).qresync;
  EXPECT_EQ(q.uidvalidity, 67890007u);
  EXPECT_EQ(q.modseq, 90060115194045000u);
  ASSERT_TRUE(q.known_uids);
  EXPECT_EQ(q.known_uids->ranges.size(), 2u);
  ASSERT_TRUE(q.seq_match);
  EXPECT_EQ(q.seq_match->second.ranges.size(), 2u);
  p = parse_with(parse_examine, "a EXAMINE INBOX (QRESYNC (1 0))");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_FALSE(std::get<select_cmd>(p.args).qresync->known_uids);
  p = parse_with(parse_select, "a SELECT INBOX (QRESYNC (1 2 (1:2 3:4)))");  // no known-uids
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(std::get<select_cmd>(p.args).qresync->seq_match);
  EXPECT_FALSE(parse_with(parse_select, "a SELECT INBOX (QRESYNC (0 1))").ok);      // uidvalidity is nz
  EXPECT_FALSE(parse_with(parse_select, "a SELECT INBOX (QRESYNC (1 1 1:*))").ok);  // no "*" in known-uids
  EXPECT_FALSE(parse_with(parse_select, "a SELECT INBOX (QRESYNC (1))").ok);
  EXPECT_FALSE(parse_with(parse_select, "a SELECT INBOX (NOSUCH)").ok);
  EXPECT_FALSE(parse_with(parse_select, "a SELECT INBOX ()").ok);
}

TEST(imap_parse_lemonade, fetch_modifiers) {
  // RFC 7162 §3.1.4.1 and §3.2.6 examples
  auto p = parse_with(parse_uid_fetch, "s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<fetch_cmd>(p.args).changed_since, 12345u);
  p = parse_with(parse_uid_fetch, "s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(std::get<fetch_cmd>(p.args).vanished);
  p = parse_with(parse_fetch, "a FETCH 1 (FLAGS MODSEQ)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<fetch_cmd>(p.args).atts.back().what, fetch_att::kind::modseq);
  EXPECT_FALSE(parse_with(parse_fetch, "a FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)").ok);
  EXPECT_FALSE(parse_with(parse_uid_fetch, "a UID FETCH 1:* (FLAGS) (VANISHED)").ok);
  EXPECT_FALSE(parse_with(parse_uid_fetch, "a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 CHANGEDSINCE 2)").ok);
  EXPECT_FALSE(parse_with(parse_fetch, "a FETCH 1 FLAGS (UNKNOWN)").ok);
}

TEST(imap_parse_lemonade, store_unchangedsince) {
  // RFC 7162 §3.1.3 example 3
  auto p = parse_with(parse_uid_store, "a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)");
  ASSERT_TRUE(p.ok) << p.error;
  auto& c = std::get<store_cmd>(p.args);
  EXPECT_EQ(c.unchanged_since, 12121230045u);
  EXPECT_TRUE(c.silent);
  EXPECT_FALSE(parse_with(parse_store, "a STORE 1 (CHANGEDSINCE 1) +FLAGS (\\Seen)").ok);
}

TEST(imap_parse_lemonade, search_modseq_within_return) {
  // RFC 7162 §3.1.5 example
  auto p = parse_with(parse_search, "a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338");
  ASSERT_TRUE(p.ok) << p.error;
  auto& k = std::get<search_cmd>(p.args).key.children.at(0);
  EXPECT_EQ(k.what, search_key::kind::modseq);
  EXPECT_EQ(k.number, 620162338u);
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH MODSEQ \"/flags/\\\\draft\" mine 1").ok);
  // RFC 5032 §3
  p = parse_with(parse_search, "a SEARCH UNSEEN YOUNGER 259200");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<search_cmd>(p.args).key.children.at(1).what, search_key::kind::younger);
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH OLDER 0").ok);
  // RFC 4731 §3.1 examples
  p = parse_with(parse_search, "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
  ASSERT_TRUE(p.ok) << p.error;
  auto r = *std::get<search_cmd>(p.args).ret;
  EXPECT_TRUE(r.min && r.count && !r.max && !r.all);
  p = parse_with(parse_search, "A283 SEARCH RETURN () FLAGGED");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(std::get<search_cmd>(p.args).ret->all);
  // RFC 5182 §2.4, RFC 5267 §4
  p = parse_with(parse_uid_search, "a UID SEARCH RETURN (SAVE UPDATE CONTEXT PARTIAL 100:1) CHARSET UTF-8 $");
  ASSERT_TRUE(p.ok) << p.error;
  r = *std::get<search_cmd>(p.args).ret;
  EXPECT_TRUE(r.save && r.update && r.context);
  ASSERT_TRUE(r.partial);
  EXPECT_EQ(r.partial->text(), "100:1");  // RFC 9394 §3.1: returned as written
  EXPECT_EQ(r.partial->window(250), (std::pair<std::size_t, std::size_t>{0, 100}));
  EXPECT_EQ(std::get<search_cmd>(p.args).charset, "UTF-8");
  EXPECT_TRUE(std::get<search_cmd>(p.args).key.children.at(0).set.saved);
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH RETURN (ALL PARTIAL 1:5) ALL").ok);
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH RETURN (PARTIAL 0:5) ALL").ok);
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH RETURN (FIRST) ALL").ok);
  // RFC 9394 §4: partial-range-last = MINUS nz-number ":" MINUS nz-number;
  // "A range -500:-400 is the same as -400:-500".
  p = parse_with(parse_uid_search, "A01 UID SEARCH RETURN (PARTIAL -1:-100) UNDELETED UNKEYWORD $Junk");
  ASSERT_TRUE(p.ok) << p.error;
  auto last = *std::get<search_cmd>(p.args).ret->partial;
  EXPECT_EQ(last.text(), "-1:-100");
  EXPECT_EQ(last.window(23764), (std::pair<std::size_t, std::size_t>{23664, 23764}));
  EXPECT_EQ(last.window(30), (std::pair<std::size_t, std::size_t>{0, 30}));
  p = parse_with(parse_search, "a SEARCH RETURN (PARTIAL -500:-400) ALL");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<search_cmd>(p.args).ret->partial->window(450), (std::pair<std::size_t, std::size_t>{0, 51}));
  EXPECT_EQ(std::get<search_cmd>(p.args).ret->partial->window(399), (std::pair<std::size_t, std::size_t>{0, 0}));
  // "PARTIAL 23500:24000" of 23764 results: 264 of them; "24000:24500": none.
  p = parse_with(parse_search, "a SEARCH RETURN (PARTIAL 23500:24000) ALL");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<search_cmd>(p.args).ret->partial->window(23764),
            (std::pair<std::size_t, std::size_t>{23499, 23764}));
  p = parse_with(parse_search, "a SEARCH RETURN (PARTIAL 24000:24500) ALL");
  ASSERT_TRUE(p.ok) << p.error;
  auto beyond = std::get<search_cmd>(p.args).ret->partial->window(23764);
  EXPECT_EQ(beyond.first, beyond.second);
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH RETURN (PARTIAL -1:5) ALL").ok);   // mixed signs
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH RETURN (PARTIAL -0:-5) ALL").ok);  // nz-number
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH RETURN (PARTIAL 1:*) ALL").ok);    // no "*"
  EXPECT_FALSE(parse_with(parse_search, "a SEARCH RETURN (PARTIAL 1:2 PARTIAL 3:4) ALL").ok);
  // §3.3: the FETCH modifier, alone and with CHANGEDSINCE in either order.
  p = parse_with(parse_uid_fetch, "10 UID FETCH 25900:26600 (UID FLAGS) (PARTIAL -1:-3)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<fetch_cmd>(p.args).partial->text(), "-1:-3");
  p = parse_with(parse_uid_fetch, "101 UID FETCH 25900:26600 (UID FLAGS) (PARTIAL -1:-30 CHANGEDSINCE 98305)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<fetch_cmd>(p.args).changed_since, 98305u);
  p = parse_with(parse_uid_fetch, "a UID FETCH 25900:26600 (UID FLAGS) (CHANGEDSINCE 98305 PARTIAL -1:-30)");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<fetch_cmd>(p.args).partial->text(), "-1:-30");
  p = parse_with(parse_cancelupdate, "a CANCELUPDATE \"B01\" \"B02\"");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<cancelupdate_cmd>(p.args).tags, (std::vector<std::string>{"B01", "B02"}));
  EXPECT_FALSE(parse_with(parse_cancelupdate, "a CANCELUPDATE").ok);
}

TEST(imap_parse_lemonade, notify) {
  // RFC 5465 §3.1 example
  auto p = parse_with(parse_notify,
                      "a NOTIFY SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to subject)]) "
                      "MessageExpunge)) (subtree Lists (MessageNew MessageExpunge FlagChange)) "
                      "(mailboxes (Misc \"Other Mail\") (MessageNew MessageExpunge))");
  ASSERT_TRUE(p.ok) << p.error;
  auto& n = std::get<notify_cmd>(p.args);
  EXPECT_TRUE(n.status);
  ASSERT_EQ(n.groups.size(), 3u);
  EXPECT_EQ(n.groups[0].which, notify_group::filter::selected);
  EXPECT_EQ(n.groups[0].new_atts.size(), 2u);
  EXPECT_EQ(n.groups[1].which, notify_group::filter::subtree);
  EXPECT_EQ(n.groups[1].mailboxes, (std::vector<std::string>{"Lists"}));
  EXPECT_TRUE(n.groups[1].flag_change);
  EXPECT_EQ(n.groups[2].mailboxes, (std::vector<std::string>{"Misc", "Other Mail"}));
  p = parse_with(parse_notify, "a NOTIFY NONE");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(std::get<notify_cmd>(p.args).none);
  p = parse_with(parse_notify, "a NOTIFY SET (personal NONE) (inboxes (MailboxName SubscriptionChange))");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(std::get<notify_cmd>(p.args).groups[0].none);
  p = parse_with(parse_notify, "a NOTIFY SET (personal (MessageNew MessageExpunge MailboxMetadataChange XFoo))");
  ASSERT_TRUE(p.ok) << p.error;  // unsupported: refused by the executor with NO [BADEVENT]
  EXPECT_TRUE(std::get<notify_cmd>(p.args).groups[0].mailbox_metadata);
  EXPECT_EQ(std::get<notify_cmd>(p.args).groups[0].unsupported, (std::vector<std::string>{"XFOO"}));
  // RFC 5465 §6.1: only message events with SELECTED.
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET (selected (ServerMetadataChange))").ok);
  // RFC 5465 §5 and §6.1 rules
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET (selected (MessageExpunge))").ok);
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET (personal (FlagChange))").ok);
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET (selected (MailboxName))").ok);
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET (personal (MessageNew (UID) MessageExpunge))").ok);
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET (selected NONE) (selected-delayed NONE)").ok);
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET").ok);
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET (everything (MessageNew MessageExpunge))").ok);
  EXPECT_FALSE(parse_with(parse_notify, "a NOTIFY SET (subtree (MessageNew MessageExpunge))").ok);
}

TEST(imap_parse_lemonade, sort_and_thread) {
  // RFC 5256 §3 examples
  auto p = parse_with(parse_sort, "A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994");
  ASSERT_TRUE(p.ok) << p.error;
  auto& s = std::get<sort_cmd>(p.args);
  ASSERT_EQ(s.criteria.size(), 1u);
  EXPECT_EQ(s.criteria[0].what, sort_criterion::key::subject);
  EXPECT_EQ(s.charset, "UTF-8");
  p = parse_with(parse_uid_sort, "A285 UID SORT (REVERSE DATE DISPLAYFROM) UTF-8 ALL");
  ASSERT_TRUE(p.ok) << p.error;
  auto& u = std::get<sort_cmd>(p.args);
  EXPECT_TRUE(u.uid);
  EXPECT_TRUE(u.criteria[0].reverse);
  EXPECT_EQ(u.criteria[1].what, sort_criterion::key::display_from);
  // RFC 5267 §3.3 example
  p = parse_with(parse_uid_sort, "E01 UID SORT RETURN () (REVERSE DATE) UTF-8 UNDELETED UNKEYWORD $Junk");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_TRUE(std::get<sort_cmd>(p.args).ret->all);
  EXPECT_FALSE(parse_with(parse_sort, "a SORT (SUBJECT) ALL").ok);  // the charset is required
  EXPECT_FALSE(parse_with(parse_sort, "a SORT (REVERSE) UTF-8 ALL").ok);
  EXPECT_FALSE(parse_with(parse_sort, "a SORT () UTF-8 ALL").ok);
  EXPECT_FALSE(parse_with(parse_sort, "a SORT (COLOUR) UTF-8 ALL").ok);
  p = parse_with(parse_thread, "A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<thread_cmd>(p.args).algorithm, "ORDEREDSUBJECT");
  p = parse_with(parse_uid_thread, "A284 UID THREAD references US-ASCII TEXT \"gewp\"");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<thread_cmd>(p.args).algorithm, "REFERENCES");
  EXPECT_FALSE(parse_with(parse_thread, "a THREAD REFERENCES").ok);
}

// RFC 5464 §3.2 entry names; a scope alone is a GETMETADATA specifier
// only (the fuzzer found "/private" read a second component that was not
// there).
TEST(imap_parse_lemonade, metadata_entries) {
  EXPECT_EQ(invalid_entry("/private", true), std::nullopt);
  EXPECT_NE(invalid_entry("/private", false), std::nullopt);
  EXPECT_NE(invalid_entry("/shared/vendor/x", false), std::nullopt);
  EXPECT_EQ(invalid_entry("/shared/vendor/x/y", false), std::nullopt);
  EXPECT_NE(invalid_entry("/other/x", false), std::nullopt);
  EXPECT_NE(invalid_entry("/private//x", false), std::nullopt);
  EXPECT_NE(invalid_entry("/private/x/", false), std::nullopt);
  EXPECT_TRUE(parse_with(parse_getmetadata, "a GETMETADATA (DEPTH infinity) \"\" /private").ok);
  EXPECT_FALSE(parse_with(parse_setmetadata, "a SETMETADATA INBOX (/private \"x\")").ok);
}

// RFC 5259 §10 convert and conversions-cmd, with the RFC's examples.
TEST(imap_parse_lemonade, convert) {
  auto p = parse_with(parse_uid_convert, "e001 UID CONVERT 100 (\"IMAGE/JPEG\" (\"PIX-X\" \"128\" \"PIX-Y\" \"96\")) BINARY[2]");
  ASSERT_TRUE(p.ok) << p.error;
  auto& c = std::get<convert_cmd>(p.args);
  EXPECT_TRUE(c.uid);
  EXPECT_EQ(c.to, "image/jpeg");
  EXPECT_EQ(c.params, (std::vector<std::pair<std::string, std::string>>{{"pix-x", "128"}, {"pix-y", "96"}}));
  ASSERT_EQ(c.atts.size(), 1u);
  EXPECT_EQ(c.atts[0].what, convert_att::kind::binary);
  EXPECT_EQ(c.atts[0].section.part, (std::vector<std::uint32_t>{2}));
  p = parse_with(parse_convert, "e002 CONVERT 2 (NIL (\"PIX-X\" \"128\" \"PIX-Y\" \"96\")) (BINARY[2] BODYPARTSTRUCTURE[2])");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<convert_cmd>(p.args).to, std::nullopt);
  p = parse_with(parse_convert, "c001 CONVERT 2 (\"TEXT/PLAIN\" (\"CHARSET\" \"us-ascii\")) BINARY[4]<2001.1000>");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<convert_cmd>(p.args).atts[0].partial, (std::pair<std::uint32_t, std::uint32_t>{2001, 1000}));
  p = parse_with(parse_convert, "D002 CONVERT 2 (NIL (\"CHARSET\" \"utf-8\")) (BODY[HEADER] BODY[1.MIME] BODY[2.HEADER] UID AVAILABLECONVERSIONS[] BINARY.SIZE[1])");
  ASSERT_TRUE(p.ok) << p.error;
  auto& atts = std::get<convert_cmd>(p.args).atts;
  ASSERT_EQ(atts.size(), 6u);
  EXPECT_EQ(atts[0].what, convert_att::kind::header);
  EXPECT_EQ(atts[1].what, convert_att::kind::mime);
  EXPECT_EQ(atts[2].what, convert_att::kind::header);
  EXPECT_EQ(atts[2].section.text, "2.HEADER");
  EXPECT_EQ(atts[3].what, convert_att::kind::uid);
  EXPECT_EQ(atts[4].what, convert_att::kind::availableconversions);
  EXPECT_EQ(atts[5].what, convert_att::kind::binary_size);
  // Not CONVERT items, or not CONVERT syntax.
  EXPECT_FALSE(parse_with(parse_convert, "a CONVERT 1 (NIL) BODY[TEXT]").ok);
  EXPECT_FALSE(parse_with(parse_convert, "a CONVERT 1 (NIL) ENVELOPE").ok);
  EXPECT_FALSE(parse_with(parse_convert, "a CONVERT 1 (NIL) BINARY[HEADER]").ok);
  EXPECT_FALSE(parse_with(parse_convert, "a CONVERT 1 (text/plain) BINARY[1]").ok);  // must be quoted
  EXPECT_FALSE(parse_with(parse_convert, "a CONVERT 1 (\"text\") BINARY[1]").ok);
  EXPECT_FALSE(parse_with(parse_convert, "a CONVERT 1 (\"text/plain\" (\"charset\")) BINARY[1]").ok);
  EXPECT_FALSE(parse_with(parse_convert, "a CONVERT 1 (\"text/plain\") ()").ok);
  // conversions-cmd: astrings, "*" quoted.
  p = parse_with(parse_conversions, "d CONVERSIONS \"IMAGE/*\" \"text/*\"");
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(std::get<conversions_cmd>(p.args).from, "image/*");
  EXPECT_TRUE(parse_with(parse_conversions, "b CONVERSIONS image/gif \"*\"").ok);
  EXPECT_FALSE(parse_with(parse_conversions, "b CONVERSIONS \"image\" \"*\"").ok);
  EXPECT_FALSE(parse_with(parse_conversions, "b CONVERSIONS \"*/gif\" \"*\"").ok);
}

}  // namespace
}  // namespace lemonade::imap::parse
