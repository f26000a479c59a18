// sort: RFC 5256 §3 THREAD=ORDEREDSUBJECT and THREAD=REFERENCES, and the
// §4 response syntax. Expected results are written in that syntax.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "mime/parser.hpp"
#include "sort/base_subject.hpp"
#include "sort/collate.hpp"
#include "sort/thread.hpp"

namespace lemonade::sort {
namespace {

using refs = std::vector<std::string>;

// Messages in mailbox order; message k (from 1) has id k unless given.
struct mailbox {
  std::vector<sort_fields> fields;
  std::vector<std::uint32_t> ids;

  mailbox& add(std::int64_t date, std::string_view subject, std::string message_id = "", refs references = {}) {
    auto base = extract_base_subject(subject);
    sort_fields f;
    f.sent_date = date;
    f.subject = casemap_key(base.text);
    f.reply_or_forward = base.reply_or_forward;
    f.message_id = std::move(message_id);
    f.references = std::move(references);
    fields.push_back(std::move(f));
    ids.push_back(static_cast<std::uint32_t>(ids.size() + 1));
    return *this;
  }

  thread_forest forest(thread_algorithm a) const {
    std::vector<sort_info> infos(fields.begin(), fields.end());
    std::vector<thread_message> ms;
    for (std::size_t i = 0; i < infos.size(); ++i) ms.push_back({ids[i], 0, &infos[i]});
    return thread_messages(a, ms);
  }
  std::string references() const { return format_thread_list(forest(thread_algorithm::references)); }
  std::string ordered_subject() const { return format_thread_list(forest(thread_algorithm::orderedsubject)); }
};

// ---- response syntax ----

thread_node leaf(std::uint32_t id) { return {id, false, {}}; }

TEST(SortThreadFormat, Rfc5256Example) {
  // RFC 5256 §4: "(2)(3 6 (4 23)(44 7 96))".
  thread_forest f;
  f.nodes = {leaf(2), leaf(3), leaf(6), leaf(4), leaf(23), leaf(44), leaf(7), leaf(96)};
  f.nodes[1].children = {2};
  f.nodes[2].children = {3, 5};
  f.nodes[3].children = {4};
  f.nodes[5].children = {6};
  f.nodes[6].children = {7};
  f.roots = {0, 1};
  EXPECT_EQ(format_thread_list(f), "(2)(3 6 (4 23)(44 7 96))");
}

TEST(SortThreadFormat, DummiesAndEmpty) {
  EXPECT_EQ(format_thread_list({}), "");
  // A dummy parent shows only its children: "((170)(179))" in RFC 5256 §4.
  thread_forest f;
  f.nodes = {{0, true, {1, 2}}, leaf(170), leaf(179), leaf(171)};
  f.nodes[2].children = {3};
  f.roots = {0};
  EXPECT_EQ(format_thread_list(f), "((170)(179 171))");
  // A dummy with a single child (never produced) still writes valid syntax.
  thread_forest g;
  g.nodes = {{0, true, {1}}, leaf(5)};
  g.roots = {0};
  EXPECT_EQ(format_thread_list(g), "((5))");
}

// ---- ORDEREDSUBJECT ----

TEST(SortThreadOrderedSubject, GroupsBySubjectThenDate) {
  mailbox m;
  m.add(3, "hello");        // 1
  m.add(1, "Re: world");    // 2
  m.add(2, "Re: hello");    // 3
  m.add(4, "world");        // 4
  m.add(5, "HELLO");        // 5: same base subject under i;unicode-casemap
  m.add(0, "other");        // 6
  // Threads by the date of their first message; within a thread the
  // first message is the parent of all the others (no grandchildren).
  EXPECT_EQ(m.ordered_subject(), "(6)(2 4)(3 (1)(5))");
}

TEST(SortThreadOrderedSubject, TiesAndEmptySubjects) {
  mailbox m;
  m.add(7, "b");    // 1
  m.add(7, "a");    // 2
  m.add(7, "b");    // 3
  m.add(9, "");     // 4
  m.add(8, "Re:");  // 5: base subject "" too
  EXPECT_EQ(m.ordered_subject(), "(1 3)(2)(5 4)");
  EXPECT_EQ(mailbox().ordered_subject(), "");
}

TEST(SortThreadOrderedSubject, IgnoresReferences) {
  mailbox m;
  m.add(1, "a", "a@x");
  m.add(2, "b", "b@x", {"a@x"});
  EXPECT_EQ(m.ordered_subject(), "(1)(2)");
}

// ---- REFERENCES ----

TEST(SortThreadReferences, ChainsAndSiblings) {
  mailbox m;
  m.add(1, "hello", "a@x");
  m.add(2, "Re: hello", "b@x", {"a@x"});
  m.add(3, "Re: hello", "c@x", {"a@x", "b@x"});
  m.add(5, "Re: hello", "d@x", {"a@x"});
  m.add(4, "Re: hello", "e@x", {"a@x"});
  // Siblings by sent date (step 6): 5 (date 4) before 4 (date 5).
  EXPECT_EQ(m.references(), "(1 (2 3)(5)(4))");
}

TEST(SortThreadReferences, MissingParentBecomesDummy) {
  // Two replies to a message not in the mailbox: a dummy parent at the top
  // level keeps them together (step 3: not promoted, two children).
  mailbox two;
  two.add(1, "Re: x", "b@x", {"gone@x"});
  two.add(2, "Re: x", "c@x", {"gone@x"});
  EXPECT_EQ(two.references(), "((1)(2))");
  // One reply: the dummy is replaced by its only child.
  mailbox one;
  one.add(1, "Re: x", "b@x", {"gone@x"});
  EXPECT_EQ(one.references(), "(1)");
  // A dummy below a message is spliced out: its children are promoted.
  mailbox below;
  below.add(1, "a", "a@x");
  below.add(2, "Re: a", "b@x", {"a@x", "gone@x"});
  below.add(3, "Re: a", "c@x", {"a@x", "gone@x"});
  EXPECT_EQ(below.references(), "(1 (2)(3))");
  // A chain of dummies above a message disappears.
  mailbox chain;
  chain.add(1, "z", "z@x", {"g1@x", "g2@x", "g3@x"});
  EXPECT_EQ(chain.references(), "(1)");
}

TEST(SortThreadReferences, LoopsAreNotCreated) {
  // Each message claims the other as its parent: the second link would
  // close a loop and is not made (step 1B).
  mailbox m;
  m.add(1, "a", "a@x", {"b@x"});
  m.add(2, "b", "b@x", {"a@x"});
  EXPECT_EQ(m.references(), "(2 1)");
  // References naming the message itself.
  mailbox self;
  self.add(1, "s", "s@x", {"s@x"});
  self.add(2, "t", "t@x", {"t@x", "t@x", "s@x"});
  // Message 2's References chain makes it the parent of message 1; its
  // own link to message 1 (the last reference) would then loop.
  EXPECT_EQ(self.references(), "(2 1)");
  // A longer cycle through References chains (1A).
  mailbox cycle;
  cycle.add(1, "p", "p@x", {"q@x", "r@x"});
  cycle.add(2, "q", "q@x", {"r@x", "p@x"});
  cycle.add(3, "r", "r@x", {"p@x", "q@x"});
  auto f = cycle.forest(thread_algorithm::references);
  EXPECT_EQ(f.nodes.size(), 3u);
  // Message 1 links q -> r -> p; message 3's own link (q -> r) is made
  // again after its old one is broken; p -> q never is.
  EXPECT_EQ(cycle.references(), "(2 3 1)");
}

TEST(SortThreadReferences, DuplicateMessageIdsKeepTheFirst) {
  // Step 1A: only the first (lowest sequence number) message keeps a
  // Message-ID; later ones get unique ids nobody references.
  mailbox m;
  m.add(1, "x", "dup@x");
  m.add(2, "y", "dup@x");
  m.add(3, "Re: x", "r@x", {"dup@x"});
  EXPECT_EQ(m.references(), "(1 3)(2)");
  // Messages without a Message-ID thread alone unless referenced.
  mailbox none;
  none.add(1, "p");
  none.add(2, "q", "", {"nothing@x"});
  EXPECT_EQ(none.references(), "(1)(2)");
}

TEST(SortThreadReferences, ExistingParentLinksAreKept) {
  // Step 1A: "If a message already has a parent, don't change the existing
  // link" — B got its parent A from message 3's References; message 4's
  // (truncated) References "E B" does not move it.
  mailbox m;
  m.add(1, "a", "a@x");
  m.add(2, "b", "b@x");
  m.add(3, "c", "c@x", {"a@x", "b@x"});
  m.add(4, "d", "d@x", {"e@x", "b@x"});
  EXPECT_EQ(m.references(), "(1 2 (3)(4))");
}

TEST(SortThreadReferences, OwnLinkReplacesAnInferredOne) {
  // Message 2's References make A the parent of B; then B's own (empty)
  // references are authoritative (step 1B): "if this message has no
  // references, it will now have no parent".
  mailbox m;
  m.add(1, "a", "a@x");
  m.add(2, "c", "c@x", {"a@x", "b@x"});
  m.add(3, "b", "b@x");
  EXPECT_EQ(m.references(), "(1)(3 2)");
  // With its own References B moves to its stated parent.
  mailbox n;
  n.add(1, "a", "a@x");
  n.add(2, "z", "z@x");
  n.add(3, "c", "c@x", {"a@x", "b@x"});
  n.add(4, "b", "b@x", {"z@x"});
  EXPECT_EQ(n.references(), "(1)(2 4 3)");
}

TEST(SortThreadReferences, SubjectMerging) {
  // Step 5, neither a reply: a new dummy holds both.
  mailbox plain;
  plain.add(1, "hello");
  plain.add(2, "hello");
  EXPECT_EQ(plain.references(), "((1)(2))");
  // A reply joins the thread it replies to, below its root.
  mailbox reply;
  reply.add(1, "hello");
  reply.add(2, "Re: hello");
  EXPECT_EQ(reply.references(), "(1 2)");
  // 5B prefers a non-reply for the subject table, so the earlier reply
  // goes below the later original.
  mailbox earlier;
  earlier.add(1, "Re: hello");
  earlier.add(2, "hello");
  EXPECT_EQ(earlier.references(), "(2 1)");
  // Two replies: neither is preferred, a dummy holds both.
  mailbox replies;
  replies.add(1, "Re: hello");
  replies.add(2, "Fwd: hello");
  EXPECT_EQ(replies.references(), "((1)(2))");
  // Forwards count as replies; "(fwd)" and "[fwd: ]" too.
  mailbox fwd;
  fwd.add(1, "hello");
  fwd.add(2, "hello (fwd)");
  fwd.add(3, "[fwd: hello]");
  EXPECT_EQ(fwd.references(), "(1 (2)(3))");
  // Case and accents are compared under i;unicode-casemap.
  mailbox collated;
  collated.add(1, "Caf\xC3\xA9");
  collated.add(2, "Re: CAFE\xCC\x81");
  EXPECT_EQ(collated.references(), "(1 2)");
  // A blob alone does not make a reply.
  mailbox blob;
  blob.add(1, "hello");
  blob.add(2, "[list] hello");
  EXPECT_EQ(blob.references(), "((1)(2))");
}

TEST(SortThreadReferences, EmptySubjectsAreNotMerged) {
  mailbox m;
  m.add(1, "");
  m.add(2, "");
  m.add(3, "Re:");
  EXPECT_EQ(m.references(), "(1)(2)(3)");
}

TEST(SortThreadReferences, SubjectMergingWithDummies) {
  // A dummy in the subject table takes a message with that subject as
  // one more child (5C).
  mailbox m;
  m.add(1, "Re: x", "a@x", {"gone@x"});
  m.add(2, "Re: x", "b@x", {"gone@x"});
  m.add(3, "x", "c@x");
  EXPECT_EQ(m.references(), "((1)(2)(3))");
  // Two dummies with one subject become one (5C).
  mailbox d;
  d.add(1, "Re: x", "a@x", {"gone1@x"});
  d.add(2, "Re: x", "b@x", {"gone1@x"});
  d.add(3, "Re: x", "c@x", {"gone2@x"});
  d.add(4, "Re: x", "d@x", {"gone2@x"});
  EXPECT_EQ(d.references(), "((1)(2)(3)(4))");
  // A dummy's thread subject is its first child's (by date).
  mailbox first;
  first.add(5, "Re: y", "a@x", {"gone@x"});
  first.add(1, "Re: x", "b@x", {"gone@x"});
  first.add(3, "x", "c@x");
  EXPECT_EQ(first.references(), "((2)(3)(1))");
  // Merged threads keep their subtrees.
  mailbox subtree;
  subtree.add(1, "topic", "a@x");
  subtree.add(2, "Re: topic", "b@x", {"a@x"});
  subtree.add(3, "topic", "c@x");
  subtree.add(4, "Re: topic", "d@x", {"c@x"});
  EXPECT_EQ(subtree.references(), "((1 2)(3 4))");
}

TEST(SortThreadReferences, SortingBySentDate) {
  // Step 4/6: the top level by sent date, a dummy by its first child;
  // every level below by sent date; ties by mailbox order.
  mailbox m;
  m.add(3, "a", "a@x");
  m.add(5, "Re: b", "b@x", {"gone@x"});
  m.add(1, "Re: b", "c@x", {"gone@x"});
  m.add(9, "Re: a", "d@x", {"a@x"});
  m.add(7, "Re: a", "e@x", {"a@x"});
  m.add(8, "Re: a", "f@x", {"a@x", "e@x"});
  m.add(6, "Re: a", "g@x", {"a@x", "e@x"});
  m.add(7, "Re: a", "h@x", {"a@x"});
  EXPECT_EQ(m.references(), "((3)(2))(1 (5 (7)(6))(8)(4))");
}

TEST(SortThreadReferences, EmptyMailbox) {
  mailbox m;
  auto f = m.forest(thread_algorithm::references);
  EXPECT_TRUE(f.nodes.empty());
  EXPECT_TRUE(f.roots.empty());
  EXPECT_EQ(m.references(), "");
}

TEST(SortThreadReferences, ForestShape) {
  mailbox m;
  m.add(1, "Re: x", "a@x", {"gone@x"});
  m.add(2, "Re: x", "b@x", {"gone@x", "a@x"});
  m.add(3, "Re: x", "c@x", {"gone@x"});
  thread_forest want;
  want.nodes = {{0, true, {1, 3}}, leaf(1), leaf(2), leaf(3)};
  want.nodes[1].children = {2};
  want.roots = {0};
  EXPECT_EQ(m.forest(thread_algorithm::references), want);
}

TEST(SortThreadReferences, FromRawMessages) {
  // End to end from message text: In-Reply-To, References, a missing
  // Date (INTERNALDATE used), an encoded subject.
  const char* raw[] = {
      "Message-ID: <1@x>\r\nDate: 1 Jan 2020 10:00 +0000\r\nSubject: Plan\r\n\r\n",
      "Message-ID: <2@x>\r\nDate: 1 Jan 2020 12:00 +0000\r\nSubject: Re: Plan\r\nIn-Reply-To: <1@x>\r\n\r\n",
      "Message-ID: <3@x>\r\nSubject: =?utf-8?q?Re=3A_plan?=\r\nReferences: <1@x> <2@x>\r\n\r\n",
      "Message-ID: <4@x>\r\nDate: 1 Jan 2020 11:00 +0100\r\nSubject: Re: Plan\r\nIn-Reply-To: <1@x>\r\n\r\n",
      "Message-ID: <5@x>\r\nDate: 2 Jan 2020 00:00 +0000\r\nSubject: plan\r\n\r\n",
  };
  std::vector<sort_info> infos;
  for (auto r : raw) infos.push_back(compute_sort_info(r, mime::parse_message(r), 1577872800 + 7200));
  std::vector<thread_message> ms;
  for (std::uint32_t i = 0; i < infos.size(); ++i) ms.push_back({i + 1, 0, &infos[i]});
  // 4 (10:00 UTC) before 2 (12:00 UTC); 3 (no Date: internal 12:00+2h)
  // below 2; 5 merges as a second thread with the same subject.
  EXPECT_EQ(format_thread_list(thread_messages(thread_algorithm::references, ms)), "((1 (4)(2 3))(5))");
  EXPECT_EQ(format_thread_list(thread_messages(thread_algorithm::orderedsubject, ms)), "(1 (4)(2)(3)(5))");
}

TEST(SortThreadReferences, NullInfoIsAnEmptyMessage) {
  std::vector<thread_message> ms = {{1, 50, nullptr}, {2, 10, nullptr}};
  EXPECT_EQ(format_thread_list(thread_messages(thread_algorithm::references, ms)), "(2)(1)");
  EXPECT_EQ(format_thread_list(thread_messages(thread_algorithm::orderedsubject, ms)), "(2 1)");
}

TEST(SortThreadReferences, DeepChainIsIterative) {
  // 100,000 messages, each replying to the previous one: no recursion on
  // the way in, out, or in the destructor.
  constexpr std::uint32_t n = 100000;
  std::vector<sort_info> infos;
  infos.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    sort_fields f;
    f.sent_date = i;
    f.subject = "DEEP";
    f.reply_or_forward = i > 0;
    f.message_id = std::to_string(i) + "@x";
    if (i > 0) f.references = {std::to_string(i - 1) + "@x"};
    infos.emplace_back(f);
  }
  std::vector<thread_message> ms;
  for (std::uint32_t i = 0; i < n; ++i) ms.push_back({i + 1, 0, &infos[i]});
  auto f = thread_messages(thread_algorithm::references, ms);
  ASSERT_EQ(f.roots.size(), 1u);
  auto text = format_thread_list(f);
  EXPECT_TRUE(text.starts_with("(1 2 3 4 "));
  EXPECT_TRUE(text.ends_with(" 99999 100000)"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '('), 1);
  // The same chain given newest first (mailbox order reversed).
  std::reverse(ms.begin(), ms.end());
  EXPECT_EQ(format_thread_list(thread_messages(thread_algorithm::references, ms)), text);
}

// Invariants of any REFERENCES result: every message once; dummies only at
// the top level, with at least two children; every sibling list in
// (sent date, mailbox order) order, a dummy counting as its first child.
void check_forest(const thread_forest& f, const std::vector<thread_message>& ms) {
  std::vector<int> seen(ms.size() + 1, 0);
  std::vector<std::size_t> position(ms.size() + 1);
  for (std::size_t i = 0; i < ms.size(); ++i) position[ms[i].id] = i;
  auto key = [&](std::uint32_t node) {
    while (f.nodes[node].dummy) node = f.nodes[node].children.front();
    auto p = position[f.nodes[node].id];
    return std::pair(ms[p].info->sent_date(), p);
  };
  auto sorted = [&](const std::vector<std::uint32_t>& list) {
    return std::is_sorted(list.begin(), list.end(), [&](auto a, auto b) { return key(a) < key(b); });
  };
  EXPECT_TRUE(sorted(f.roots));
  std::vector<bool> top(f.nodes.size(), false);
  for (auto r : f.roots) top[r] = true;
  for (std::size_t i = 0; i < f.nodes.size(); ++i) {
    auto& node = f.nodes[i];
    if (node.dummy) {
      EXPECT_TRUE(top[i]);
      EXPECT_GE(node.children.size(), 2u);
    } else {
      ASSERT_GE(node.id, 1u);
      ASSERT_LE(node.id, ms.size());
      ++seen[node.id];
    }
    EXPECT_TRUE(sorted(node.children));
  }
  for (std::size_t id = 1; id <= ms.size(); ++id) EXPECT_EQ(seen[id], 1) << "id " << id;
}

TEST(SortThreadReferences, RandomMailboxesKeepTheInvariants) {
  std::mt19937 rng(5256);
  const char* subjects[] = {"a", "Re: a", "b", "Fwd: b", "", "[x] a", "c (fwd)"};
  for (int round = 0; round < 300; ++round) {
    std::size_t n = 1 + rng() % 40;
    std::vector<sort_info> infos;
    infos.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      auto base = extract_base_subject(subjects[rng() % std::size(subjects)]);
      sort_fields f;
      f.sent_date = static_cast<std::int64_t>(rng() % 10);
      f.subject = casemap_key(base.text);
      f.reply_or_forward = base.reply_or_forward;
      // Ids from a small pool, so duplicates, dangling references and
      // cycles all happen.
      if (rng() % 5) f.message_id = "m" + std::to_string(rng() % (n + 5)) + "@x";
      for (auto k = rng() % 4; k > 0; --k) f.references.push_back("m" + std::to_string(rng() % (n + 5)) + "@x");
      infos.emplace_back(f);
    }
    std::vector<thread_message> ms;
    for (std::uint32_t i = 0; i < n; ++i) ms.push_back({i + 1, 0, &infos[i]});
    auto f = thread_messages(thread_algorithm::references, ms);
    SCOPED_TRACE("round " + std::to_string(round) + ": " + format_thread_list(f));
    check_forest(f, ms);
    // ORDEREDSUBJECT: every message once, depth at most 2.
    auto o = thread_messages(thread_algorithm::orderedsubject, ms);
    EXPECT_EQ(o.nodes.size(), n);
    for (auto r : o.roots)
      for (auto c : o.nodes[r].children) EXPECT_TRUE(o.nodes[c].children.empty());
  }
}

}  // namespace
}  // namespace lemonade::sort
