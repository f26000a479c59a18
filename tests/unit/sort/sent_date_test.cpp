// sort: the RFC 5256 §2.2 sent date — mime::parse_date_time (Date: value to
// seconds UTC) and its use in compute_sort_info (INTERNALDATE fallback).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/dates.hpp"
#include "mime/parser.hpp"
#include "sort/sort_info.hpp"

namespace lemonade::sort {
namespace {

using mime::parse_date_time;

TEST(SortSentDate, ZoneIsAppliedToGetUtc) {
  // RFC 3501 §8's example Date: value.
  EXPECT_EQ(parse_date_time("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"), 837595405);
  // RFC 5256 §2.2: "31 Dec 2000 16:01:33 -0800" is "equivalent to the UTC
  // date and time of "1 Jan 2001 00:01:33 +0000"".
  EXPECT_EQ(parse_date_time("31 Dec 2000 16:01:33 -0800"), 978307293);
  EXPECT_EQ(parse_date_time("1 Jan 2001 00:01:33 +0000"), 978307293);
  EXPECT_EQ(parse_date_time("Mon, 1 Jan 2001 05:31:33 +0530"), 978307293);
}

TEST(SortSentDate, Rfc5322ObsoleteForms) {
  // RFC 5322 Appendix A.6.3: folding, a comment, a pre-1970 date.
  EXPECT_EQ(parse_date_time("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n"
                            "               -0330 (Newfoundland Time)"),
            -27723480);
  // CFWS around the colons, comments everywhere (RFC 5322 §4.3).
  EXPECT_EQ(parse_date_time("Mon (Lundi), 4(quatre)May (Mai) 1998(1998-05-04)03 : 04 : 12 +0000"), 894251052);
  // Two-digit year (RFC 5322 §4.3), no seconds, obs-zone names.
  EXPECT_EQ(parse_date_time("Thu, 1 Jan 70 00:00 GMT"), 0);
  EXPECT_EQ(parse_date_time("Thu, 1 Jan 70 00:00 UT"), 0);
  EXPECT_EQ(parse_date_time("Wed, 17 Jul 1996 04:23:25 EST"), 837595405);
  EXPECT_EQ(parse_date_time("Wed, 17 Jul 1996 05:23:25 edt"), 837595405);
  EXPECT_EQ(parse_date_time("Wed, 17 Jul 1996 02:23:25 PDT"), 837595405);
  // RFC 5322 §4.3: military zones "SHOULD all be considered equivalent to
  // -0000".
  EXPECT_EQ(parse_date_time("Wed, 17 Jul 1996 09:23:25 Z"), 837595405);
  EXPECT_EQ(parse_date_time("Wed, 17 Jul 1996 09:23:25 Q"), 837595405);
  // IMAP-style dashes.
  EXPECT_EQ(parse_date_time("17-Jul-1996 09:23:25 +0000"), 837595405);
  // A leap second.
  EXPECT_EQ(parse_date_time("31 Dec 2016 23:59:60 +0000"), 1483228799 + 1);
}

TEST(SortSentDate, InvalidZoneIsUtc) {
  // RFC 5256 §2.2: "If the time zone is invalid, the date and time SHOULD
  // be treated as UTC."
  for (auto v : {"Wed, 17 Jul 1996 09:23:25", "Wed, 17 Jul 1996 09:23:25 +9999", "Wed, 17 Jul 1996 09:23:25 XYZ",
                 "Wed, 17 Jul 1996 09:23:25 -0000", "Wed, 17 Jul 1996 09:23:25 +07", "Wed, 17 Jul 1996 09:23:25 +07000",
                 "Wed, 17 Jul 1996 09:23:25 +0760"})
    EXPECT_EQ(parse_date_time(v), 837595405) << v;
}

TEST(SortSentDate, InvalidTimeIsMidnightUtc) {
  // RFC 5256 §2.2: "If the time is also invalid, the time SHOULD be
  // treated as 00:00:00."
  for (auto v : {"Wed, 17 Jul 1996", "Wed, 17 Jul 1996 25:00:00 -0700", "Wed, 17 Jul 1996 10:61 -0700",
                 "Wed, 17 Jul 1996 noon -0700", "Wed, 17 Jul 1996 123:00 +0000", "17 Jul 1996 10:"})
    EXPECT_EQ(parse_date_time(v), 837561600) << v;
}

TEST(SortSentDate, UnreadableDates) {
  for (auto v : {"", "yesterday", "30 Feb 2024 12:00 +0100", "17 Foo 1996 10:00 +0000", "Jul 17 1996", "1996-07-17"})
    EXPECT_EQ(parse_date_time(v), std::nullopt) << v;
}

TEST(SortSentDate, AgreesWithParseDateDay) {
  // Whenever SENTON finds a day, the sent date is a moment on that day in
  // the zone as written.
  struct {
    const char* value;
    int offset_minutes;
  } cases[] = {
      {"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)", -7 * 60},
      {"Wed, 17 Jul 1996 23:59:59 +1400", 14 * 60},
      {"1 Jan 1970 00:00:00 -1200", -12 * 60},
      {"29 Feb 2024 00:30 +0100", 60},
      {"Thu, 1 Jan 70 00:00 GMT", 0},
      {"17 Jul 1996", 0},
  };
  for (auto& c : cases) {
    auto day = mime::parse_date_day(c.value);
    auto t = parse_date_time(c.value);
    ASSERT_TRUE(day && t) << c.value;
    EXPECT_EQ(core::day_of(*t, c.offset_minutes), *day) << c.value;
  }
}

mime::message_structure parsed(const std::string& m) { return mime::parse_message(m); }

TEST(SortSentDate, ComputeUsesDateHeaderElseInternalDate) {
  const std::int64_t internal = 1700000000;
  std::string with_date = "Date: Wed, 17 Jul 1996 02:23:25 -0700\r\nSubject: x\r\n\r\nbody\r\n";
  EXPECT_EQ(compute_sort_info(with_date, parsed(with_date), internal).sent_date(), 837595405);
  // RFC 5256 §2.2: "If the sent date cannot be determined (a Date: header
  // is missing or cannot be parsed), the INTERNALDATE for that message is
  // used as the sent date."
  std::string without = "Subject: x\r\n\r\nbody\r\n";
  EXPECT_EQ(compute_sort_info(without, parsed(without), internal).sent_date(), internal);
  std::string garbage = "Date: sometime last week\r\nSubject: x\r\n\r\nbody\r\n";
  EXPECT_EQ(compute_sort_info(garbage, parsed(garbage), internal).sent_date(), internal);
  std::string empty = "Date:\r\nSubject: x\r\n\r\nbody\r\n";
  EXPECT_EQ(compute_sort_info(empty, parsed(empty), internal).sent_date(), internal);
  // The first Date: field counts.
  std::string two = "Date: 1 Jan 2001 00:01:33 +0000\r\nDate: 17 Jul 1996 00:00 +0000\r\n\r\n";
  EXPECT_EQ(compute_sort_info(two, parsed(two), internal).sent_date(), 978307293);
}

}  // namespace
}  // namespace lemonade::sort
