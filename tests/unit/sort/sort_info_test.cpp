// sort: sort_info computed from a parsed message (RFC 5256 §2.1, §2.2, §3
// keys, RFC 5957 §3 display values, References for THREAD), msg-id
// parsing, and the stored form: exact round trips, corrupt input refused.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "mime/parser.hpp"
#include "sort/collate.hpp"
#include "sort/sort_info.hpp"

namespace lemonade::sort {
namespace {

// The test messages are written with "\n"; the wire form uses CRLF.
std::string crlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

sort_info info_of(std::string_view header_lines, std::int64_t internal_date = 1000) {
  auto m = crlf(std::string(header_lines) + "\nbody\n");
  return compute_sort_info(m, mime::parse_message(m), internal_date);
}

using ids = std::vector<std::string>;

TEST(SortInfo, Rfc3501ExampleMessage) {
  auto info = info_of(
      "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
      "From: Terry Gray <gray@cac.washington.edu>\n"
      "Subject: IMAP4rev1 WG mtg summary and minutes\n"
      "To: imap@cac.washington.edu\n"
      "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\n"
      "Message-Id: <B27397-0100000@cac.washington.edu>\n");
  EXPECT_EQ(info.sent_date(), 837595405);
  EXPECT_EQ(info.subject(), "IMAP4REV1 WG MTG SUMMARY AND MINUTES");
  EXPECT_FALSE(info.reply_or_forward());
  // RFC 5256 §3: addr-mailbox of the first address.
  EXPECT_EQ(info.from(), "GRAY");
  EXPECT_EQ(info.to(), "IMAP");
  EXPECT_EQ(info.cc(), "MINUTES");
  // RFC 5957 §3: the display name, else addr-mailbox "@" addr-host.
  EXPECT_EQ(info.display_from(), "TERRY GRAY");
  EXPECT_EQ(info.display_to(), "IMAP@CAC.WASHINGTON.EDU");
  EXPECT_EQ(info.message_id(), "B27397-0100000@cac.washington.edu");
  EXPECT_TRUE(info.references().empty());
}

TEST(SortInfo, MissingFieldsAreEmpty) {
  auto info = info_of("X-Nothing: here\n", 4242);
  EXPECT_EQ(info.sent_date(), 4242);
  EXPECT_EQ(info.subject(), "");
  EXPECT_EQ(info.from(), "");
  EXPECT_EQ(info.to(), "");
  EXPECT_EQ(info.cc(), "");
  EXPECT_EQ(info.display_from(), "");
  EXPECT_EQ(info.display_to(), "");
  EXPECT_EQ(info.message_id(), "");
  EXPECT_TRUE(info.references().empty());
  // An empty message too.
  EXPECT_EQ(compute_sort_info("", mime::parse_message(""), 7), sort_info(sort_fields{.sent_date = 7}));
}

TEST(SortInfo, SubjectIsBaseSubjectCollated) {
  auto info = info_of("Subject: Re: [list] =?utf-8?q?caf=C3=A9?= (fwd)\n");
  EXPECT_EQ(info.subject(), "CAFE\xCC\x81");
  EXPECT_TRUE(info.reply_or_forward());
  EXPECT_FALSE(info_of("Subject: [list] hello\n").reply_or_forward());
}

TEST(SortInfo, AddressKeys) {
  // Display name RFC 2047-decoded and collated.
  auto a = info_of("From: =?utf-8?q?J=C3=B6rg?= Smith <joerg@example.org>\nTo: <x@y>\n");
  EXPECT_EQ(a.from(), "JOERG");
  EXPECT_EQ(a.display_from(), "JO\xCC\x88RG SMITH");
  EXPECT_EQ(a.display_to(), "X@Y");
  // A quoted display name; a comment as the name (IMAP addr-name).
  auto b = info_of("From: \"Smith, John\" <js@x>\nTo: js@x (John Smith)\n");
  EXPECT_EQ(b.display_from(), "SMITH, JOHN");
  EXPECT_EQ(b.display_to(), "JOHN SMITH");
  // An empty or blank display name falls back to the addr-spec.
  auto c = info_of("From: \"\" <a@b>\nTo: \"  \" <c@d>\n");
  EXPECT_EQ(c.display_from(), "A@B");
  EXPECT_EQ(c.display_to(), "C@D");
  // A quoted local part sorts as the text it quotes.
  auto d = info_of("From: \"john smith\"@example.org\n");
  EXPECT_EQ(d.from(), "JOHN SMITH");
  EXPECT_EQ(d.display_from(), "JOHN SMITH@EXAMPLE.ORG");
  // No domain: the mailbox alone.
  auto e = info_of("From: localonly\n");
  EXPECT_EQ(e.from(), "LOCALONLY");
  EXPECT_EQ(e.display_from(), "LOCALONLY");
  // Only the first address counts.
  auto f = info_of("To: zed@x, alpha@y\nCc: Bob <bob@x>, al@y\n");
  EXPECT_EQ(f.to(), "ZED");
  EXPECT_EQ(f.cc(), "BOB");
}

TEST(SortInfo, GroupsUseTheGroupName) {
  // The first ENVELOPE address of a group is its start, whose addr-mailbox
  // is the group name (RFC 3501 §7.4.2).
  auto a = info_of("To: undisclosed-recipients:;\n");
  EXPECT_EQ(a.to(), "UNDISCLOSED-RECIPIENTS");
  EXPECT_EQ(a.display_to(), "UNDISCLOSED-RECIPIENTS");
  auto b = info_of("To: Team: Ann <ann@x>, bob@y;\n");
  EXPECT_EQ(b.to(), "TEAM");
  EXPECT_EQ(b.display_to(), "TEAM");
}

TEST(SortInfo, DisplayName) {
  using mime::address;
  EXPECT_EQ(display_name(address{"Ann", std::nullopt, "ann", "x.org"}), "Ann");
  EXPECT_EQ(display_name(address{"=?utf-8?q?=C3=85sa?=", std::nullopt, "a", "x"}), "\xC3\x85sa");
  EXPECT_EQ(display_name(address{" ", std::nullopt, "ann", "x.org"}), "ann@x.org");
  EXPECT_EQ(display_name(address{std::nullopt, std::nullopt, "ann", "x.org"}), "ann@x.org");
  EXPECT_EQ(display_name(address{std::nullopt, std::nullopt, "ann", ""}), "ann");
  EXPECT_EQ(display_name(address{std::nullopt, std::nullopt, "group", std::nullopt}), "group");
  EXPECT_EQ(display_name(address{}), "");
  EXPECT_EQ(sort_mailbox(address{std::nullopt, std::nullopt, "\"a\\\"b c\"", "x"}), "a\"b c");
  EXPECT_EQ(sort_mailbox(address{}), "");
}

TEST(SortInfo, MsgIds) {
  EXPECT_EQ(parse_msg_ids("<a@b>"), (ids{"a@b"}));
  EXPECT_EQ(parse_msg_ids("  <a@b>\r\n <c@d>\t<e@f>"), (ids{"a@b", "c@d", "e@f"}));
  EXPECT_EQ(parse_msg_ids("<a@b><c@d>"), (ids{"a@b", "c@d"}));
  // RFC 5256 §3: <"01KF8JCEOCBS0045PS"@xxx.yyy.com> and
  // <01KF8JCEOCBS0045PS@xxx.yyy.com> "MUST be interpreted as being the same
  // Message ID".
  EXPECT_EQ(parse_msg_ids("<\"01KF8JCEOCBS0045PS\"@xxx.yyy.com>"), (ids{"01KF8JCEOCBS0045PS@xxx.yyy.com"}));
  // CFWS inside (RFC 5322 §4.5 obs-id) is dropped; case is kept.
  EXPECT_EQ(parse_msg_ids("< Abc (comment) @ Example.COM >"), (ids{"Abc@Example.COM"}));
  EXPECT_EQ(parse_msg_ids("<a@[10.0.0.1]>"), (ids{"a@[10.0.0.1]"}));
  // Invalid: no "@", empty, unclosed, white space inside quotes, "<" inside.
  EXPECT_EQ(parse_msg_ids("<no-at-sign>"), ids{});
  EXPECT_EQ(parse_msg_ids("<>"), ids{});
  EXPECT_EQ(parse_msg_ids("<a@b"), ids{});
  EXPECT_EQ(parse_msg_ids("<\"a b\"@c>"), ids{});
  EXPECT_EQ(parse_msg_ids("<a<b@c>"), (ids{"b@c"}));
  EXPECT_EQ(parse_msg_ids(""), ids{});
  // In-Reply-To text around the id: phrases, quoted strings and comments
  // are not ids.
  EXPECT_EQ(parse_msg_ids("Your message of \"Mon, 1 Jan <fake@x>\" <real@x> (also <no@x>)"), (ids{"real@x"}));
}

TEST(SortInfo, ReferencesFromReferencesField) {
  auto info = info_of(
      "Message-ID: <me@x>\n"
      "In-Reply-To: <ignored@x>\n"
      "References: <a@x> <b@x>\n <c@x>\n");
  EXPECT_EQ(info.message_id(), "me@x");
  auto refs = info.references();
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0], "a@x");
  EXPECT_EQ(refs[1], "b@x");
  EXPECT_EQ(refs[2], "c@x");
}

TEST(SortInfo, InReplyToWhenReferencesHasNoValidId) {
  // RFC 5256 §3: "If a message does not contain a References header line,
  // or the References header line does not contain any valid Message IDs,
  // then use the first (if any) Message ID of the In-Reply-To header line".
  for (auto header : {"In-Reply-To: <p@x> <q@x>\n", "References: garbage\nIn-Reply-To: <p@x> <q@x>\n",
                      "References:\nIn-Reply-To: Message of today <p@x>\n"}) {
    auto info = info_of(header);
    auto refs = info.references();
    ASSERT_EQ(refs.size(), 1u) << header;
    EXPECT_EQ(refs[0], "p@x") << header;
  }
  auto none = info_of("In-Reply-To: your mail\n");
  EXPECT_TRUE(none.references().empty());
}

TEST(SortInfo, ReferencesAreCapped) {
  std::string refs = "References:";
  for (int i = 0; i < 200; ++i) refs += " <r" + std::to_string(i) + "@x>";
  auto info = info_of(refs + "\n");
  auto got = info.references();
  ASSERT_EQ(got.size(), max_references);
  EXPECT_EQ(got.front(), "r" + std::to_string(200 - max_references) + "@x");  // the last ones are kept
  EXPECT_EQ(got.back(), "r199@x");
}

TEST(SortInfo, InvalidMessageIdIsEmpty) {
  EXPECT_EQ(info_of("Message-ID: no brackets@x\n").message_id(), "");
  EXPECT_EQ(info_of("Message-ID: <nobody>\n").message_id(), "");
  EXPECT_EQ(info_of("Message-ID: <first@x> <second@x>\n").message_id(), "first@x");
}

TEST(SortInfo, ConstructorDropsUnstorableIds) {
  sort_fields f;
  f.message_id = "has space@x";
  f.references = {"a@x", "", "b c@x", "d@x"};
  sort_info info(f);
  EXPECT_EQ(info.message_id(), "");
  auto refs = info.references();
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], "a@x");
  EXPECT_EQ(refs[1], "d@x");
}

// ---- stored form ----

std::vector<sort_info> sample_infos() {
  std::vector<sort_info> out;
  out.push_back(sort_info());
  out.push_back(info_of(
      "Date: Wed, 17 Jul 1996 02:23:25 -0700\nFrom: Terry Gray <gray@cac.washington.edu>\n"
      "Subject: Re: =?utf-8?q?caf=C3=A9?=\nTo: a@b\nCc: c@d\nMessage-ID: <m@x>\nReferences: <a@x> <b@x>\n"));
  out.push_back(info_of("Subject: plain\n", -5));  // a date before 1970
  sort_fields extremes;
  extremes.sent_date = std::numeric_limits<std::int64_t>::min();
  extremes.subject = std::string("\0\xFF binary", 9);
  extremes.reply_or_forward = true;
  extremes.message_id = "only@x";
  out.push_back(sort_info(extremes));
  extremes.sent_date = std::numeric_limits<std::int64_t>::max();
  extremes.subject = std::string(300, 'S');  // lengths past one varint octet
  extremes.references.assign(max_references, "ref@x");
  out.push_back(sort_info(extremes));
  return out;
}

TEST(SortInfoStorage, RoundTrip) {
  for (auto& info : sample_infos()) {
    auto stored = info.serialize();
    auto back = sort_info::deserialize(stored);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, info);
    EXPECT_EQ(back->fields(), info.fields());
    EXPECT_EQ(back->serialize(), stored);
    EXPECT_EQ(sort_info(info.fields()), info);
  }
}

TEST(SortInfoStorage, LayoutOfASmallInfo) {
  // README.md "Stored format": version 1, flags, zigzag date, 8 lengths,
  // the strings.
  sort_fields f;
  f.sent_date = -1;
  f.subject = "S";
  f.reply_or_forward = true;
  f.from = "F";
  f.message_id = "m@x";
  f.references = {"a@x", "b@x"};
  EXPECT_EQ(sort_info(f).serialize(), std::string("\x01\x01\x01\x01\x01\x00\x00\x00\x00\x03\x07"
                                                   "SFm@xa@x b@x",
                                                   23));
}

TEST(SortInfoStorage, EveryProperPrefixAndAnyTrailingOctetIsRefused) {
  for (auto& info : sample_infos()) {
    auto stored = info.serialize();
    for (std::size_t n = 0; n < stored.size(); ++n)
      EXPECT_EQ(sort_info::deserialize(std::string_view(stored).substr(0, n)), std::nullopt) << "prefix " << n;
    EXPECT_EQ(sort_info::deserialize(stored + '\0'), std::nullopt);
  }
}

TEST(SortInfoStorage, CorruptHeadersAreRefused) {
  auto good = sample_infos()[1].serialize();
  auto with = [&](std::size_t at, char c) {
    auto s = good;
    s[at] = c;
    return s;
  };
  EXPECT_EQ(sort_info::deserialize(with(0, 2)), std::nullopt);     // another version
  EXPECT_EQ(sort_info::deserialize(with(0, 0)), std::nullopt);
  EXPECT_EQ(sort_info::deserialize(with(1, 2)), std::nullopt);     // unknown flag
  EXPECT_EQ(sort_info::deserialize(with(1, '\x81')), std::nullopt);
  // A length far beyond the data: refused before anything is allocated.
  std::string huge("\x01\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x7F", 12);
  huge += std::string(7, '\0');
  EXPECT_EQ(sort_info::deserialize(huge), std::nullopt);
  // Lengths that overflow when added.
  std::string overflow("\x01\x00\x00", 3);
  for (int i = 0; i < 8; ++i) overflow += std::string("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 10);
  EXPECT_EQ(sort_info::deserialize(overflow), std::nullopt);
  // A varint longer than 64 bits; an overlong (non-canonical) one.
  EXPECT_EQ(sort_info::deserialize(std::string("\x01\x00\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x02", 12) +
                                   std::string(8, '\0')),
            std::nullopt);
  EXPECT_EQ(sort_info::deserialize(std::string("\x01\x00\x80\x00", 4) + std::string(8, '\0')), std::nullopt);
  EXPECT_TRUE(sort_info::deserialize(std::string("\x01\x00\x00", 3) + std::string(8, '\0')));  // the empty info
}

TEST(SortInfoStorage, MalformedIdsAreRefused) {
  auto stored = [](std::string_view message_id, std::string_view refs) {
    std::string s("\x01\x00\x00\x00\x00\x00\x00\x00\x00", 9);
    s += static_cast<char>(message_id.size());
    s += static_cast<char>(refs.size());
    s += message_id;
    s += refs;
    return s;
  };
  EXPECT_TRUE(sort_info::deserialize(stored("m@x", "a@x b@x")));
  EXPECT_EQ(sort_info::deserialize(stored("m @x", "")), std::nullopt);
  EXPECT_EQ(sort_info::deserialize(stored("m\t@x", "")), std::nullopt);
  EXPECT_EQ(sort_info::deserialize(stored("", " a@x")), std::nullopt);
  EXPECT_EQ(sort_info::deserialize(stored("", "a@x ")), std::nullopt);
  EXPECT_EQ(sort_info::deserialize(stored("", "a@x  b@x")), std::nullopt);
  EXPECT_EQ(sort_info::deserialize(stored("", "a@x\nb@x")), std::nullopt);
  EXPECT_EQ(sort_info::deserialize(stored("", " ")), std::nullopt);
  // More references than are ever stored.
  std::string many;
  for (std::size_t i = 0; i <= max_references; ++i) many += i ? " r" : "r";
  std::string s("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10);
  s += static_cast<char>(0x80 | (many.size() & 0x7f));
  s += static_cast<char>(many.size() >> 7);
  EXPECT_EQ(sort_info::deserialize(s + many), std::nullopt);
  many.resize(many.size() - 2);  // exactly max_references
  s.resize(10);
  s += static_cast<char>(0x80 | (many.size() & 0x7f));
  s += static_cast<char>(many.size() >> 7);
  EXPECT_TRUE(sort_info::deserialize(s + many));
}

TEST(SortInfoStorage, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(20240611);
  auto samples = sample_infos();
  for (int round = 0; round < 20000; ++round) {
    auto s = samples[rng() % samples.size()].serialize();
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      switch (rng() % 3) {
        case 0: s[rng() % s.size()] = static_cast<char>(rng()); break;
        case 1: s.erase(rng() % s.size(), 1); break;
        default: s.insert(s.begin() + static_cast<long>(rng() % s.size()), static_cast<char>(rng()));
      }
    }
    // Refused, or a value that stores back to exactly these octets.
    if (auto info = sort_info::deserialize(s)) {
      EXPECT_EQ(info->serialize(), s);
    }
  }
}

}  // namespace
}  // namespace lemonade::sort
