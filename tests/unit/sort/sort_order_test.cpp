// sort: RFC 5256 §3 SORT (and RFC 5957 DISPLAYFROM/DISPLAYTO) over stored
// sort_info values: each key, REVERSE, several criteria, the sequence
// number tie-breaker, and a randomised comparison with a plain reference
// implementation.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "sort/collate.hpp"
#include "sort/sort_info.hpp"

namespace lemonade::sort {
namespace {

struct mailbox {
  std::vector<sort_info> infos;
  std::vector<sort_message> messages;

  // Adds message seq = size() + 1 (UID = 100 + seq).
  void add(std::int64_t internal_date, std::uint64_t size, sort_fields f) {
    infos.emplace_back(f);
    auto seq = static_cast<std::uint32_t>(messages.size() + 1);
    messages.push_back({seq, 100 + seq, internal_date, size, nullptr});
  }
  // The sequence numbers in SORT order.
  std::vector<std::uint32_t> sort(std::vector<sort_criterion> criteria) {
    for (std::size_t i = 0; i < messages.size(); ++i) messages[i].info = &infos[i];
    std::vector<std::uint32_t> seqs;
    for (auto i : sort_order(messages, criteria)) seqs.push_back(messages[i].seq);
    return seqs;
  }
};

sort_fields fields(std::int64_t sent, std::string_view subject, std::string_view from = "",
                   std::string_view to = "", std::string_view cc = "") {
  sort_fields f;
  f.sent_date = sent;
  f.subject = casemap_key(subject);
  f.from = casemap_key(from);
  f.to = casemap_key(to);
  f.cc = casemap_key(cc);
  f.display_from = casemap_key(std::string(from) + " display");
  f.display_to = casemap_key(std::string(to) + " display");
  return f;
}

using seqs = std::vector<std::uint32_t>;
constexpr sort_criterion by(sort_key k, bool reverse = false) { return {k, reverse}; }

mailbox sample() {
  mailbox m;
  //     internal  size  sent  subject     from      to        cc
  m.add(300, 10, fields(50, "banana", "carol", "zed", "b"));      // 1
  m.add(100, 30, fields(40, "Apple", "alice", "amy", ""));        // 2
  m.add(200, 20, fields(60, "cherry", "bob", "mike", "a"));       // 3
  m.add(100, 20, fields(40, "apple", "Bob", "", "c"));            // 4
  return m;
}

TEST(SortOrder, EachKey) {
  auto m = sample();
  EXPECT_EQ(m.sort({by(sort_key::arrival)}), (seqs{2, 4, 3, 1}));
  EXPECT_EQ(m.sort({by(sort_key::date)}), (seqs{2, 4, 1, 3}));
  EXPECT_EQ(m.sort({by(sort_key::size)}), (seqs{1, 3, 4, 2}));
  // "Apple" and "apple" are equal under i;unicode-casemap: seq decides.
  EXPECT_EQ(m.sort({by(sort_key::subject)}), (seqs{2, 4, 1, 3}));
  EXPECT_EQ(m.sort({by(sort_key::from)}), (seqs{2, 3, 4, 1}));
  // A missing field is the empty string and sorts first.
  EXPECT_EQ(m.sort({by(sort_key::to)}), (seqs{4, 2, 3, 1}));
  EXPECT_EQ(m.sort({by(sort_key::cc)}), (seqs{2, 3, 1, 4}));
  EXPECT_EQ(m.sort({by(sort_key::display_from)}), (seqs{2, 3, 4, 1}));
  EXPECT_EQ(m.sort({by(sort_key::display_to)}), (seqs{4, 2, 3, 1}));
}

TEST(SortOrder, ReverseKeepsTheSequenceTieBreaker) {
  auto m = sample();
  // RFC 5256 §3: REVERSE "does not affect the implicit "sequence number"
  // sort criterion if all other criteria are identical".
  EXPECT_EQ(m.sort({by(sort_key::arrival, true)}), (seqs{1, 3, 2, 4}));
  EXPECT_EQ(m.sort({by(sort_key::size, true)}), (seqs{2, 3, 4, 1}));
  EXPECT_EQ(m.sort({by(sort_key::subject, true)}), (seqs{3, 1, 2, 4}));
  EXPECT_EQ(m.sort({by(sort_key::from, true)}), (seqs{1, 3, 4, 2}));
  // ... so REVERSE x is not the reverse of x.
  auto forward = m.sort({by(sort_key::subject)});
  std::reverse(forward.begin(), forward.end());
  EXPECT_NE(m.sort({by(sort_key::subject, true)}), forward);
}

TEST(SortOrder, SeveralCriteria) {
  auto m = sample();
  EXPECT_EQ(m.sort({by(sort_key::subject), by(sort_key::size)}), (seqs{4, 2, 1, 3}));
  EXPECT_EQ(m.sort({by(sort_key::subject), by(sort_key::size, true)}), (seqs{2, 4, 1, 3}));
  EXPECT_EQ(m.sort({by(sort_key::arrival), by(sort_key::from, true)}), (seqs{4, 2, 3, 1}));
  EXPECT_EQ(m.sort({by(sort_key::date, true), by(sort_key::size), by(sort_key::subject)}), (seqs{3, 1, 4, 2}));
}

TEST(SortOrder, EmptyAndSingle) {
  mailbox m;
  EXPECT_EQ(m.sort({by(sort_key::date)}), seqs{});
  m.add(1, 1, fields(1, "x"));
  EXPECT_EQ(m.sort({by(sort_key::subject, true)}), (seqs{1}));
  // No criteria at all: mailbox order.
  m.add(0, 0, fields(0, "a"));
  EXPECT_EQ(m.sort({}), (seqs{1, 2}));
}

TEST(SortOrder, LongKeysSharingAPrefix) {
  // The first 8 octets are compared through a prefix; longer keys and
  // prefixes of each other must still order correctly, both ways.
  mailbox m;
  m.add(0, 0, fields(0, "ABCDEFGHIJ"));   // 1
  m.add(0, 0, fields(0, "ABCDEFGH"));     // 2
  m.add(0, 0, fields(0, "ABCDEFGHIA"));   // 3
  m.add(0, 0, fields(0, "ABCDEFG"));      // 4
  m.add(0, 0, fields(0, "abcdefghij"));   // 5, equal to 1
  m.add(0, 0, fields(0, std::string("ABCDEFG\0", 8)));  // 6, after 4, before 2
  EXPECT_EQ(m.sort({by(sort_key::subject)}), (seqs{4, 6, 2, 3, 1, 5}));
  EXPECT_EQ(m.sort({by(sort_key::subject, true)}), (seqs{1, 5, 3, 2, 6, 4}));
}

TEST(SortOrder, LargeRunsOfLongKeys) {
  // Enough messages that the digit levels (not the comparator for small
  // runs) decide: keys agree on their first 7 or 14 octets, some end at a
  // digit boundary, one continues with NUL octets.
  const std::string stems[] = {"abcdefg", "abcdefghijklmn", std::string("abcdefg\0\0", 9), "abcdefghijklmnop",
                               "abcdefghijklmno", "abcdefgh"};
  mailbox m;
  std::vector<std::pair<std::string, std::uint32_t>> want;  // (key, seq)
  for (std::uint32_t i = 0; i < 120; ++i) {
    auto subject = stems[i % std::size(stems)] + std::string(i % 7 == 0 ? "" : "x");
    m.add(0, 0, fields(0, subject));
    want.emplace_back(casemap_key(subject), i + 1);
  }
  std::sort(want.begin(), want.end());
  seqs expected;
  for (auto& w : want) expected.push_back(w.second);
  EXPECT_EQ(m.sort({by(sort_key::subject)}), expected);
}

TEST(SortOrder, NegativeAndExtremeDates) {
  mailbox m;
  m.add(5, 0, fields(std::numeric_limits<std::int64_t>::max(), ""));  // 1
  m.add(-5, 0, fields(-1, ""));                                       // 2
  m.add(0, 0, fields(std::numeric_limits<std::int64_t>::min(), ""));  // 3
  m.add(std::numeric_limits<std::int64_t>::min(), 0, fields(0, ""));  // 4
  EXPECT_EQ(m.sort({by(sort_key::date)}), (seqs{3, 2, 4, 1}));
  EXPECT_EQ(m.sort({by(sort_key::arrival)}), (seqs{4, 2, 3, 1}));
  EXPECT_EQ(m.sort({by(sort_key::arrival, true)}), (seqs{1, 3, 2, 4}));
}

TEST(SortOrder, MessagesWithoutInfo) {
  // No stored info: empty strings, sent date = internal date.
  sort_info with = sort_info(fields(150, "b", "b"));
  std::vector<sort_message> ms = {{1, 1, 200, 0, nullptr}, {2, 2, 100, 0, &with}, {3, 3, 100, 0, nullptr}};
  std::vector<sort_criterion> date = {by(sort_key::date)};
  EXPECT_EQ(sort_order(ms, date), (std::vector<std::uint32_t>{2, 1, 0}));
  std::vector<sort_criterion> from = {by(sort_key::from)};
  EXPECT_EQ(sort_order(ms, from), (std::vector<std::uint32_t>{0, 2, 1}));
}

TEST(SortOrder, TiesUseSequenceNumberNotPosition) {
  // The input need not be in mailbox order.
  sort_info same(fields(1, "same"));
  std::vector<sort_message> ms = {{7, 1, 0, 0, &same}, {3, 2, 0, 0, &same}, {5, 3, 0, 0, &same}};
  std::vector<sort_criterion> c = {by(sort_key::subject, true)};
  EXPECT_EQ(sort_order(ms, c), (std::vector<std::uint32_t>{1, 2, 0}));
}

// A plain reference: stable sort by seq then by a comparator reading the
// fields directly.
std::vector<std::uint32_t> reference_sort(const std::vector<sort_message>& ms, const std::vector<sort_criterion>& cs) {
  std::vector<std::uint32_t> order(ms.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  auto value_cmp = [](const sort_message& a, const sort_message& b, sort_key k) {
    auto str = [&](const sort_message& m) -> std::string_view {
      switch (k) {
        case sort_key::cc: return m.info->cc();
        case sort_key::from: return m.info->from();
        case sort_key::to: return m.info->to();
        case sort_key::subject: return m.info->subject();
        case sort_key::display_from: return m.info->display_from();
        case sort_key::display_to: return m.info->display_to();
        default: return {};
      }
    };
    switch (k) {
      case sort_key::arrival: return (a.internal_date > b.internal_date) - (a.internal_date < b.internal_date);
      case sort_key::date:
        return (a.info->sent_date() > b.info->sent_date()) - (a.info->sent_date() < b.info->sent_date());
      case sort_key::size: return (a.size > b.size) - (a.size < b.size);
      default: {
        int r = str(a).compare(str(b));
        return (r > 0) - (r < 0);
      }
    }
  };
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) { return ms[x].seq < ms[y].seq; });
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
    for (auto& c : cs) {
      int r = value_cmp(ms[x], ms[y], c.key);
      if (r) return c.reverse ? r > 0 : r < 0;
    }
    return false;
  });
  return order;
}

TEST(SortOrder, MatchesAReferenceImplementation) {
  std::mt19937 rng(5256);
  // Keys around the 7-octet digit boundaries, prefixes of each other, a
  // continuation of NUL octets.
  const std::vector<std::string> words = {"", "a", "A", "ab", "abcdefg", std::string("abcdefg\0", 8), "abcdefgh",
                                          "abcdefghijklmn", "abcdefghijklmno", "abcdefghijklmnop", "abcdefghijklmnoq",
                                          "abcdefgh\xC3\xA9", "zz", "\xC3\xA9t\xC3\xA9"};
  auto word = [&] { return words[rng() % words.size()]; };
  for (int round = 0; round < 300; ++round) {
    // Small inputs (finished by comparison) and large ones (digit levels).
    std::size_t n = round % 2 ? rng() % 20 : rng() % 400;
    std::vector<sort_info> infos;
    infos.reserve(n);
    std::vector<sort_message> ms;
    std::vector<std::uint32_t> seqs(n);
    for (std::uint32_t i = 0; i < n; ++i) seqs[i] = i + 1;
    std::shuffle(seqs.begin(), seqs.end(), rng);
    for (std::size_t i = 0; i < n; ++i) {
      infos.emplace_back(fields(static_cast<std::int64_t>(rng() % 5) - 2, word(), word(), word(), word()));
      ms.push_back({seqs[i], 0, static_cast<std::int64_t>(rng() % 4), rng() % 3, &infos.back()});
    }
    std::vector<sort_criterion> cs(1 + rng() % 3);
    for (auto& c : cs) c = {static_cast<sort_key>(rng() % 9), rng() % 2 == 0};
    EXPECT_EQ(sort_order(ms, cs), reference_sort(ms, cs)) << "round " << round;
  }
}

}  // namespace
}  // namespace lemonade::sort
