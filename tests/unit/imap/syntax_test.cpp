// imap/syntax: the framer (whole and one byte at a time, STYLE.md §7),
// modified UTF-7 (RFC 3501 §5.1.3), sequence sets.
#include <gtest/gtest.h>

#include "imap/syntax/framer.hpp"
#include "imap/syntax/mutf7.hpp"
#include "imap/syntax/sequence_set.hpp"

namespace lemonade::imap::syntax {
namespace {

struct outcome {
  std::vector<std::string> commands;
  std::vector<std::string> rejects;  // "tag:reason"
  int continuations = 0;
  bool operator==(const outcome&) const = default;
};

void PrintTo(const outcome& o, std::ostream* os) {
  *os << "commands=" << o.commands.size() << " rejects=[";
  for (auto& r : o.rejects) *os << r << " ";
  *os << "] continuations=" << o.continuations;
}

// Feeds input in chunks of `step` octets, as a session would.
outcome run(std::string_view input, framer_limits limits, std::size_t step) {
  framer f(limits);
  outcome out;
  std::string buf;
  std::size_t fed = 0;
  for (;;) {
    auto ev = f.next(buf);
    switch (ev.what) {
      case framer::kind::command:
        out.commands.push_back(buf.substr(0, ev.size));
        buf.erase(0, ev.size);
        continue;
      case framer::kind::discard:
        buf.erase(0, ev.size);
        continue;
      case framer::kind::reject:
        out.rejects.push_back(ev.tag + ":" + std::to_string(static_cast<int>(ev.why)));
        buf.erase(0, ev.size);
        continue;
      case framer::kind::reject_and_close:
        out.rejects.push_back(ev.tag + ":close:" + std::to_string(static_cast<int>(ev.why)));
        return out;  // the session closes the connection here
      case framer::kind::need_continuation:
        ++out.continuations;
        continue;
      case framer::kind::need_more:
        break;
    }
    if (fed >= input.size()) return out;
    auto n = std::min(step, input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
  }
}

struct framer_case {
  const char* name;
  std::string input;
  outcome expected;
};

framer_limits small_limits() {
  framer_limits l;
  l.max_line = 64;
  l.max_literal = 16;
  l.max_command = 100;
  return l;
}

using r = framer::reason;
std::string rej(const char* tag, r why) { return std::string(tag) + ":" + std::to_string(static_cast<int>(why)); }

TEST(imap_syntax, framer_table_whole_and_bytewise) {
  const framer_case cases[] = {
      {"simple", "a1 NOOP\r\n", {{"a1 NOOP\r\n"}, {}, 0}},
      {"pipelined", "a1 NOOP\r\na2 NOOP\r\n", {{"a1 NOOP\r\n", "a2 NOOP\r\n"}, {}, 0}},
      {"bare LF", "a1 NOOP\n", {{"a1 NOOP\n"}, {}, 0}},
      {"sync literal", "a LOGIN {3}\r\nbob x\r\n", {{"a LOGIN {3}\r\nbob x\r\n"}, {}, 1}},
      {"LITERAL+", "a LOGIN {3+}\r\nbob x\r\n", {{"a LOGIN {3+}\r\nbob x\r\n"}, {}, 0}},
      {"two literals", "a LOGIN {3}\r\nbob {2}\r\npw\r\n", {{"a LOGIN {3}\r\nbob {2}\r\npw\r\n"}, {}, 2}},
      {"empty literal", "a LOGIN {0}\r\n x\r\n", {{"a LOGIN {0}\r\n x\r\n"}, {}, 1}},
      {"literal8", std::string("a APPEND x ~{2}\r\n\0\1\r\n", 21),
       {{std::string("a APPEND x ~{2}\r\n\0\1\r\n", 21)}, {}, 1}},
      // docs/xencrypted.md: an encrypted literal, synchronizing or not.
      {"encrypted literal", std::string("a APPEND x ~{X2}\r\n\0\1\r\n", 22),
       {{std::string("a APPEND x ~{X2}\r\n\0\1\r\n", 22)}, {}, 1}},
      {"encrypted LITERAL+", "a APPEND x ~{X2+}\r\nxy\r\n", {{"a APPEND x ~{X2+}\r\nxy\r\n"}, {}, 0}},
      // X only after "~": "{X2}" is no literal, the line ends there.
      {"X without ~", "a X {X2}\r\nb NOOP\r\n", {{"a X {X2}\r\n", "b NOOP\r\n"}, {}, 0}},
      {"literal holding CRLF", "a X {4+}\r\n\r\n\r\n\r\n", {{"a X {4+}\r\n\r\n\r\n\r\n"}, {}, 0}},
      {"line too long", "t1 " + std::string(80, 'x') + "\r\na2 NOOP\r\n",
       {{"a2 NOOP\r\n"}, {rej("t1", r::line_too_long)}, 0}},
      {"sync literal too big", "t2 APPEND x {17}\r\na3 NOOP\r\n",
       {{"a3 NOOP\r\n"}, {rej("t2", r::literal_too_big)}, 0}},
      {"nonsync literal too big", "t3 APPEND x {17+}\r\n" + std::string(17, 'y') + "\r\na4 NOOP\r\n",
       {{"a4 NOOP\r\n"}, {rej("t3", r::literal_too_big)}, 0}},
      // RFC 7888 §4: one over max_line octets is not read to be dropped:
      // answered at once, then the connection closes.
      {"nonsync literal too big to drop", "t5 APPEND x {65+}\r\n" + std::string(65, 'y') + "\r\na6 NOOP\r\n",
       {{}, {"t5:close:" + std::to_string(static_cast<int>(r::literal_too_big))}, 0}},
      {"command too big", "t4 A {16+}\r\n" + std::string(16, 'y') + " {16+}\r\n" + std::string(16, 'y') +
                              " {16+}\r\n" + std::string(16, 'y') + " {16+}\r\n" + std::string(16, 'y') + "\r\n",
       {{}, {rej("t4", r::command_too_big)}, 0}},
  };
  for (auto& c : cases) {
    EXPECT_EQ(run(c.input, small_limits(), c.input.size()), c.expected) << c.name << " (whole)";
    EXPECT_EQ(run(c.input, small_limits(), 1), c.expected) << c.name << " (byte at a time)";
  }
}

TEST(imap_syntax, framer_literal_minus) {
  framer_limits l;
  l.max_nonsync_literal = 4096;
  std::string big = "t APPEND x {4097+}\r\n" + std::string(4097, 'z') + "\r\n";
  EXPECT_EQ(run(big, l, big.size()), (outcome{{}, {rej("t", r::nonsync_too_big)}, 0}));
  std::string ok = "t APPEND x {4096+}\r\n" + std::string(4096, 'z') + "\r\n";
  EXPECT_EQ(run(ok, l, 7).commands.size(), 1u);
}

TEST(imap_syntax, leading_tag) {
  EXPECT_EQ(leading_tag("a1 NOOP"), "a1");
  EXPECT_EQ(leading_tag("NOOP"), "*");
  EXPECT_EQ(leading_tag("+x NOOP"), "*");
  EXPECT_EQ(leading_tag("\x01\x02 x"), "*");
}

TEST(imap_syntax, mutf7_rfc3501_example) {
  // RFC 3501 §5.1.3
  EXPECT_EQ(mutf7_encode("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  EXPECT_EQ(mutf7_decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
}

TEST(imap_syntax, mutf7_round_trips) {
  const std::string samples[] = {"INBOX", "&", "a&b", "Gr\xc3\xb6\xc3\x9f" "e", "\xf0\x9f\x8d\x8b lemon",
                                 "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "x\xc3\xa9y\xc3\xa9z"};
  for (auto& s : samples) EXPECT_EQ(mutf7_decode(mutf7_encode(s)), s) << s;
  EXPECT_EQ(mutf7_encode("&"), "&-");
  EXPECT_EQ(mutf7_encode("\xf0\x9f\x8d\x8b"), "&2DzfSw-");  // a surrogate pair
}

TEST(imap_syntax, mutf7_rejects) {
  const char* bad[] = {
      "&",            // unterminated
      "&Jjo",         // unterminated
      "&Jjo!",        // bad base64 character
      "&AGE-",        // encodes printable ASCII "a"
      "&AOk-&AOk-",   // two shift sequences in a row
      "&AOl-",        // non-zero padding bits
      "&2Dw-",        // lone high surrogate
      "\xc3\xa9",     // raw 8-bit
      "a\tb",         // control character
  };
  for (auto* b : bad) EXPECT_EQ(mutf7_decode(b), std::nullopt) << b;
}

TEST(imap_syntax, sequence_sets) {
  auto s = parse_sequence_set("1,3:5,7:*");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->contains(1, 10));
  EXPECT_FALSE(s->contains(2, 10));
  EXPECT_TRUE(s->contains(4, 10));
  EXPECT_TRUE(s->contains(10, 10));
  // RFC 3501 §6.4.8: "559:*" includes the last UID even below 559.
  auto t = parse_sequence_set("559:*");
  EXPECT_TRUE(t->contains(100, 100));
  EXPECT_FALSE(t->contains(99, 100));
  for (auto* bad : {"", "0", "1:", ":1", "1,,2", "01", "a", "4294967296"})
    EXPECT_EQ(parse_sequence_set(bad), std::nullopt) << bad;
  EXPECT_EQ(format_sequence_set({1, 2, 3, 5, 7, 8}), "1:3,5,7:8");
}

}  // namespace
}  // namespace lemonade::imap::syntax

namespace lemonade::imap::syntax {
namespace {

TEST(imap_syntax, interval_set_matches_sequence_set) {
  // Overlapping, adjacent, reversed and "*" ranges: the same answers as the
  // plain walk, for every number around them.
  for (auto text : {"1:3,5,7:*", "9:4,2,3:1", "*", "10:12,13,15:14,100", "4:*,2"}) {
    auto set = parse_sequence_set(text);
    ASSERT_TRUE(set) << text;
    for (std::uint32_t largest : {0u, 1u, 8u, 20u}) {
      interval_set idx(*set, largest);
      for (std::uint32_t n = 0; n <= 30; ++n)
        EXPECT_EQ(idx.contains(n), set->contains(n, largest)) << text << " n=" << n << " * =" << largest;
    }
  }
  interval_set empty;
  EXPECT_FALSE(empty.contains(1));
}

}  // namespace
}  // namespace lemonade::imap::syntax
