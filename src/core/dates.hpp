#pragma once
// Calendar arithmetic for dates without time or zone (RFC 3501 §6.4.4
// SEARCH dates, "disregarding time and timezone"): days since 1970-01-01
// in the proleptic Gregorian calendar.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemonade::core {

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  // The days-from-civil computation described by H. Hinnant ("chrono-
  // Compatible Low-Level Date Algorithms"): years start in March.
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr bool valid_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  constexpr unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > month_days[m - 1]) return false;
  bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  return !(m == 2 && d == 29 && !leap);
}

// The day of a moment, in the zone `offset_minutes` east of UTC.
constexpr std::int64_t day_of(std::int64_t seconds, int offset_minutes) noexcept {
  auto local = seconds + std::int64_t{offset_minutes} * 60;
  return local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
}

// RFC 5322 §3.3 date-time of a moment, in UTC: "Fri, 04 Dec 2026
// 14:27:25 +0000" (Date:, Received:, delivery reports).
std::string rfc5322_date(std::int64_t seconds);

// "Jan".."Dec", case-insensitive: 1-12, or 0.
unsigned month_from_name(std::string_view name) noexcept;

}  // namespace lemonade::core
