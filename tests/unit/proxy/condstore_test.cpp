// proxy/condstore and proxy/modseq_cache: the proxy's CONDSTORE (RFC 7162
// §3.1) in front of a backend without it.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "proxy/condstore.hpp"
#include "proxy/modseq_cache.hpp"

namespace lemonade::proxy {
namespace {

namespace cs = condstore;

TEST(ProxyCondstore, Tokens) {
  auto t = cs::tokens(R"(1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From "To")]<0.100> UID) (CHANGEDSINCE 5))");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0], "1:*");
  EXPECT_EQ(t[1], R"((FLAGS BODY.PEEK[HEADER.FIELDS (From "To")]<0.100> UID))");
  EXPECT_EQ(t[2], "(CHANGEDSINCE 5)");
  t = cs::tokens("{5}\r\nIN BX (MESSAGES)");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], "{5}\r\nIN BX");
  EXPECT_THROW(cs::tokens("(a (b)"), std::invalid_argument);
  EXPECT_THROW(cs::tokens("\"open"), std::invalid_argument);
  EXPECT_THROW(cs::tokens("{9}\r\nshort"), std::invalid_argument);
  EXPECT_THROW(cs::tokens(std::string(100, '(')), std::invalid_argument);
  EXPECT_EQ(cs::mailbox_name("\"a \\\"b\\\\\""), "a \"b\\");
  EXPECT_EQ(cs::mailbox_name("inBox"), "INBOX");
  EXPECT_EQ(cs::mailbox_name("{4}\r\nA(b)"), "A(b)");
}

TEST(ProxyCondstore, Select) {
  auto a = cs::parse_select(" INBOX (CONDSTORE)\r\n");
  EXPECT_EQ(a.mailbox, "INBOX");
  EXPECT_TRUE(a.condstore);
  a = cs::parse_select(" \"Sent Items\"\r\n");
  EXPECT_EQ(a.mailbox, "\"Sent Items\"");
  EXPECT_FALSE(a.condstore);
  // RFC 7162 §3.2.5.2 example: QRESYNC with known-uids and seq-match-data.
  a = cs::parse_select(" INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:5 41,43:46)))\r\n");
  ASSERT_TRUE(a.qresync);
  EXPECT_EQ(a.qresync->uidvalidity, 67890007u);
  EXPECT_EQ(a.qresync->modseq, 90060115194045000u);
  EXPECT_EQ(a.qresync->known_uids, "41:211,214:541");
  a = cs::parse_select(" INBOX (QRESYNC (3857529045 20010715194032001))\r\n");
  ASSERT_TRUE(a.qresync);
  EXPECT_TRUE(a.qresync->known_uids.empty());
  EXPECT_THROW(cs::parse_select(" INBOX (QRESYNC (0 2))\r\n"), std::invalid_argument);
  // RFC 7162 §7: no "*" in known-uids.
  EXPECT_THROW(cs::parse_select(" INBOX (QRESYNC (1 2 5:*))\r\n"), std::invalid_argument);
  // '[' opens a section after a FETCH item only: "foo[bar" is a mailbox.
  a = cs::parse_select(" foo[bar (CONDSTORE)\r\n");
  EXPECT_EQ(a.mailbox, "foo[bar");
  EXPECT_TRUE(a.condstore);
  EXPECT_THROW(cs::parse_select(" INBOX (QRESYNC (1))\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::parse_select(" INBOX (QRESYNC (1 2 3:4 (1 2) x))\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::parse_select(" INBOX (QRESYNC)\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::parse_select(" INBOX (X-UNKNOWN)\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::parse_select(" INBOX junk\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::parse_select("\r\n"), std::invalid_argument);
}

TEST(ProxyCondstore, Fetch) {
  // RFC 7162 §3.1.4.1 example: s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)
  auto a = cs::parse_fetch(" 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n");
  EXPECT_EQ(a.set, "1:*");
  ASSERT_EQ(a.items.size(), 1u);
  EXPECT_EQ(a.items[0], "FLAGS");
  EXPECT_EQ(a.changedsince, 12345u);
  EXPECT_FALSE(a.modseq);
  a = cs::parse_fetch(" 1,3 (UID modseq BODY[])\r\n");
  EXPECT_TRUE(a.modseq);
  ASSERT_EQ(a.items.size(), 2u);
  a = cs::parse_fetch(" 2 MODSEQ\r\n");
  EXPECT_TRUE(a.modseq);
  EXPECT_TRUE(a.items.empty());
  a = cs::parse_fetch(" 2 FAST\r\n");
  ASSERT_EQ(a.items.size(), 1u);
  EXPECT_THROW(cs::parse_fetch(" 1 FLAGS (CHANGEDSINCE 0)\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::parse_fetch(" 1 FLAGS (CHANGEDSINCE x)\r\n"), std::invalid_argument);
  // RFC 7162 §3.2.6 example: UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)
  a = cs::parse_fetch(" 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n");
  EXPECT_TRUE(a.vanished);
  EXPECT_EQ(a.changedsince, 12345u);
  EXPECT_THROW(cs::parse_fetch(" 1 FLAGS (NOPE)\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::parse_fetch(" 1 FLAGS (CHANGEDSINCE 99999999999999999999)\r\n"), std::invalid_argument);
}

TEST(ProxyCondstore, Store) {
  // RFC 7162 §3.1.3 example 3.
  auto a = cs::parse_store(" 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n");
  EXPECT_EQ(a.set, "6,4,8");
  EXPECT_EQ(a.unchangedsince, 12121230045u);
  EXPECT_EQ(a.item, "+FLAGS.SILENT");
  EXPECT_TRUE(a.silent());
  EXPECT_EQ(a.item_loud(), "+FLAGS");
  EXPECT_EQ(a.value, "(\\Deleted)");
  a = cs::parse_store(" 1 FLAGS \\Seen $Forwarded\r\n");
  EXPECT_FALSE(a.unchangedsince);
  EXPECT_FALSE(a.silent());
  EXPECT_EQ(a.value, "\\Seen $Forwarded");
  // UNCHANGEDSINCE 0 is valid (mod-sequence-valzer) and always fails.
  EXPECT_EQ(cs::parse_store(" 1 (UNCHANGEDSINCE 0) -FLAGS x\r\n").unchangedsince, 0u);
  EXPECT_THROW(cs::parse_store(" 1 (UNCHANGED 0) -FLAGS x\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::parse_store(" 1 +FLAGS\r\n"), std::invalid_argument);
}

TEST(ProxyCondstore, SearchModseq) {
  std::string args = " OR MODSEQ 720162338 (MODSEQ \"/flags/\\\\draft\" all 620162338) SUBJECT {3}\r\nabc\r\n";
  auto c = cs::find_modseq_criteria(args);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(args.substr(c[0].at, c[0].size), "MODSEQ 720162338");
  EXPECT_EQ(c[0].value, 720162338u);
  EXPECT_EQ(args.substr(c[1].at, c[1].size), "MODSEQ \"/flags/\\\\draft\" all 620162338");
  EXPECT_EQ(c[1].value, 620162338u);
  EXPECT_TRUE(cs::find_modseq_criteria(" TEXT \"MODSEQ 5\"\r\n").empty());
  // A key's argument is not a criterion (RFC 3501 §6.4.4).
  EXPECT_TRUE(cs::find_modseq_criteria(" SUBJECT MODSEQ\r\n").empty());
  EXPECT_TRUE(cs::find_modseq_criteria(" HEADER X-Foo MODSEQ\r\n").empty());
  c = cs::find_modseq_criteria(" BODY modseq MODSEQ 7\r\n");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].value, 7u);
  EXPECT_THROW(cs::find_modseq_criteria(" MODSEQ \"/flags/x\" nope 5\r\n"), std::invalid_argument);
  EXPECT_THROW(cs::find_modseq_criteria(" MODSEQ\r\n"), std::invalid_argument);
}

TEST(ProxyCondstore, Status) {
  auto a = cs::parse_status(" blurdybloop (UIDNEXT highestmodseq MESSAGES)\r\n");
  EXPECT_EQ(a.mailbox, "blurdybloop");
  EXPECT_TRUE(a.highestmodseq);
  EXPECT_EQ(a.items, (std::vector<std::string>{"UIDNEXT", "MESSAGES"}));
  EXPECT_THROW(cs::parse_status(" INBOX\r\n"), std::invalid_argument);
}

TEST(ProxyCondstore, AddToFetch) {
  EXPECT_EQ(cs::add_to_fetch("4 FETCH (FLAGS (\\Seen))", 12, 77), "4 FETCH (UID 12 MODSEQ (77) FLAGS (\\Seen))");
  EXPECT_EQ(cs::add_to_fetch("4 FETCH (UID 12 FLAGS ())", std::nullopt, 7), "4 FETCH (MODSEQ (7) UID 12 FLAGS ())");
}

class ProxyModseqCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lemonade-modseq-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path file() const { return dir_ / "cache.sqlite"; }
  std::filesystem::path dir_;
};

TEST_F(ProxyModseqCache, ObservationsAndExpunges) {
  EXPECT_EQ(canonical_flags({"\\Seen", "\\Recent", "$label1", "\\seen"}), "$LABEL1 \\SEEN");
  modseq_cache c(file());
  auto mb = c.open("alice", "INBOX", 7);
  // RFC 7162 §3.1: never 0, and above a floor of the clock (microseconds).
  EXPECT_GT(mb.highest, 1'600'000'000'000'000u);
  EXPECT_LT(mb.highest, 1ULL << 53);
  auto m = c.observe_all(mb.id, {{1, ""}, {2, "\\SEEN"}, {5, ""}}, true);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[2], mb.highest + 3);
  EXPECT_EQ(c.highest(mb.id), mb.highest + 3);
  // The same observation again changes nothing.
  EXPECT_EQ(c.observe_all(mb.id, {{1, ""}, {2, "\\SEEN"}, {5, ""}}, true), m);
  // A flag change: one new MODSEQ; seen again (another session): the same.
  auto o = c.observe(mb.id, 1, "\\FLAGGED");
  EXPECT_TRUE(o.changed);
  EXPECT_EQ(o.modseq, mb.highest + 4);
  EXPECT_FALSE(c.observe(mb.id, 1, "\\FLAGGED").changed);
  EXPECT_EQ(c.changed_since(mb.id, mb.highest + 3), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(c.changed_since(mb.id, 0), (std::vector<std::uint32_t>{1, 2, 5}));
  // An expunge seen by two sessions counts once; one gone from a whole
  // observation is an expunge too.
  c.expunge(mb.id, 2);
  c.expunge(mb.id, 2);
  EXPECT_EQ(c.highest(mb.id), mb.highest + 5);
  EXPECT_EQ(c.modseq(mb.id, 2), 0u);
  c.observe_all(mb.id, {{1, "\\FLAGGED"}}, true);
  EXPECT_EQ(c.highest(mb.id), mb.highest + 6);
  EXPECT_EQ(c.expunged_since(mb.id, 0), (std::vector<std::uint32_t>{2, 5}));
  EXPECT_EQ(c.expunged_since(mb.id, mb.highest + 5), (std::vector<std::uint32_t>{5}));
  // A new UIDVALIDITY: the UIDs name other messages now.
  auto again = c.open("alice", "INBOX", 8);
  EXPECT_EQ(again.id, mb.id);
  EXPECT_GT(again.highest, mb.highest + 6);
  EXPECT_TRUE(c.changed_since(mb.id, 0).empty());
  EXPECT_TRUE(c.expunged_since(mb.id, 0).empty());
  // Another user's INBOX is another mailbox.
  EXPECT_NE(c.open("bob", "INBOX", 8).id, mb.id);
}

TEST_F(ProxyModseqCache, ExpungesStayAndUndeliveredChangesAreNumberedAgain) {
  modseq_cache c(file());
  auto mb = c.open("alice", "INBOX", 7);
  c.observe_all(mb.id, {{1, ""}, {2, ""}, {3, ""}}, true);
  // An incomplete listing infers no expunge.
  c.observe_all(mb.id, {{1, ""}}, false);
  EXPECT_TRUE(c.expunged_since(mb.id, 0).empty());
  c.expunge(mb.id, 2);
  auto gone = c.expunged_since(mb.id, 0);
  ASSERT_EQ(gone, (std::vector<std::uint32_t>{2}));
  auto at = c.highest(mb.id);
  // A late FETCH of UID 2 (a session not told yet) does not bring it back.
  auto o = c.observe(mb.id, 2, "\\SEEN");
  EXPECT_EQ(o.modseq, at);
  EXPECT_FALSE(o.changed);
  EXPECT_EQ(c.modseq(mb.id, 2), 0u);
  EXPECT_EQ(c.observe_all(mb.id, {{1, ""}, {2, ""}, {3, ""}}, true)[1], at);
  // RFC 7162 §3.2: a session that still shows UID 2, and knew UID 3 at an
  // older MODSEQ, is about to show `to`: both are numbered again above it.
  auto m3 = c.observe(mb.id, 3, "\\FLAGGED").modseq;
  auto to = c.highest(mb.id);
  // The session knows UID 1 as it is, UID 3 as it was (no flags).
  // (The callbacks run under the cache's lock: they use no cache call.)
  auto known = [](std::uint32_t, std::string_view flags) { return flags.empty(); };
  c.restamp(mb.id, 0, to, known, [](std::uint32_t uid) { return uid == 2; });
  auto again = c.modseq(mb.id, 3);
  EXPECT_GT(again, to);
  EXPECT_GT(again, m3);
  EXPECT_EQ(c.expunged_since(mb.id, to), (std::vector<std::uint32_t>{2}));
  EXPECT_LT(c.modseq(mb.id, 1), to);  // delivered: left as it was
  // Once the session knows UID 3's state, numbering settles: a second
  // pass over the same range changes nothing.
  auto top = c.highest(mb.id);
  c.restamp(mb.id, 0, top, [](std::uint32_t, std::string_view) { return true; }, [](std::uint32_t) { return false; });
  EXPECT_EQ(c.highest(mb.id), top);
  EXPECT_EQ(c.modseq(mb.id, 3), again);
}

TEST_F(ProxyModseqCache, KeptAcrossRestartsAndNeverLower) {
  std::uint64_t before = 0, modseq = 0;
  {
    modseq_cache c(file());
    auto mb = c.open("alice", "INBOX", 7);
    modseq = c.observe_all(mb.id, {{3, "\\SEEN"}}, true)[0];
    before = c.highest(mb.id);
  }
  modseq_cache c(file());
  auto mb = c.open("alice", "INBOX", 7);
  // The message keeps its MODSEQ; the mailbox's highest only goes up.
  EXPECT_EQ(c.modseq(mb.id, 3), modseq);
  EXPECT_GE(mb.highest, before);
  EXPECT_FALSE(c.observe(mb.id, 3, "\\SEEN").changed);
  EXPECT_GT(c.observe(mb.id, 3, "").modseq, mb.highest);
}

TEST_F(ProxyModseqCache, Status) {
  modseq_cache c(file());
  auto first = c.status("alice", "Archive", 3, "10 11");
  EXPECT_EQ(c.status("alice", "Archive", 3, "10 11"), first);
  // New mail there (MESSAGES and UIDNEXT moved): a new HIGHESTMODSEQ.
  EXPECT_GT(c.status("alice", "Archive", 3, "11 12"), first);
}

// Trimming the expunge log (proxy.expunge_log_keep) moves its start (base)
// past what it forgot: a client MODSEQ from before is then answered as
// uncovered (the superset of VANISHED), never as if the log were whole.
TEST_F(ProxyModseqCache, TrimRaisesTheBase) {
  auto now_s = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  modseq_cache c(file());
  auto mb = c.open("alice", "INBOX", 7);
  c.observe_all(mb.id, {{1, ""}, {2, "\\SEEN"}, {3, ""}}, true);
  auto before = c.highest(mb.id);
  c.expunge(mb.id, 2);
  auto gone = c.highest(mb.id);
  EXPECT_GT(gone, before);
  EXPECT_EQ(c.expunged_since(mb.id, before), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(c.logged_expunges(mb.id, before, mb.base), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(c.logged_expunges(mb.id, before, before + 1), std::nullopt);  // below the session's own base
  EXPECT_EQ(c.base(mb.id), mb.base);
  // Nothing logged before a minute ago: nothing forgotten.
  EXPECT_EQ(c.trim(now_s() - 60), 0u);
  EXPECT_EQ(c.base(mb.id), mb.base);
  // Everything logged before a minute from now: forgotten, and the log
  // now starts at the expunge's MODSEQ.
  EXPECT_EQ(c.trim(now_s() + 60), 1u);
  EXPECT_TRUE(c.expunged_since(mb.id, before).empty());
  EXPECT_EQ(c.base(mb.id), gone);
  EXPECT_EQ(c.logged_expunges(mb.id, before, mb.base), std::nullopt);  // no longer covered: the superset
  EXPECT_EQ(c.logged_expunges(mb.id, gone, mb.base), (std::vector<std::uint32_t>{}));
  // A later expunge is logged again, above the base.
  c.expunge(mb.id, 3);
  EXPECT_EQ(c.expunged_since(mb.id, gone), (std::vector<std::uint32_t>{3}));
  // A file made before expunges had a time opens, and trims, the same.
  modseq_cache again(file());
  EXPECT_EQ(again.trim(now_s() - 60), 0u);
  EXPECT_EQ(again.base(mb.id), gone);
}

}  // namespace
}  // namespace lemonade::proxy
