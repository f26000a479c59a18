// RFC 5322 §3.3 date-time, read leniently (obsolete §4.3 forms: two-digit
// years, missing day name or seconds, any zone) for SENTBEFORE/SENTON/
// SENTSINCE, which compare the date as written (RFC 3501 §6.4.4), and the
// moment in UTC for SORT DATE and THREAD (RFC 5256 §2.2).
#include <utility>

#include "core/dates.hpp"
#include "core/strings.hpp"
#include "mime/lex.hpp"
#include "mime/parser.hpp"

namespace lemonade::mime {

std::optional<std::int64_t> parse_date_day(std::string_view value) {
  std::string text = lex::unfold(value);
  std::string_view s = text;
  std::size_t i = 0;
  auto skip = [&] {
    for (;;) {
      while (i < s.size() && (lex::is_space(s[i]) || s[i] == ',')) ++i;
      if (i < s.size() && s[i] == '(') lex::read_comment(s, i);
      else return;
    }
  };
  auto word = [&] {
    skip();
    std::size_t start = i;
    while (i < s.size() && !lex::is_space(s[i]) && s[i] != ',' && s[i] != '(' && s[i] != '-') ++i;
    auto w = s.substr(start, i - start);
    if (i < s.size() && s[i] == '-') ++i;  // "1-Jan-2024" style
    return w;
  };
  auto w = word();
  // Optional day-of-week.
  if (!w.empty() && !(w[0] >= '0' && w[0] <= '9')) w = word();
  auto day = core::parse_uint(w, 31);
  auto month = core::month_from_name(word());
  auto year_text = word();
  auto year = core::parse_uint(year_text, 9999);
  if (!day || month == 0 || !year) return std::nullopt;
  std::int64_t y = static_cast<std::int64_t>(*year);
  // RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx;
  // three-digit years add 1900.
  if (year_text.size() == 2) y += y < 50 ? 2000 : 1900;
  else if (year_text.size() == 3) y += 1900;
  if (!core::valid_civil(y, month, static_cast<unsigned>(*day))) return std::nullopt;
  return core::days_from_civil(y, month, static_cast<unsigned>(*day));
}

namespace {

// A reading position in an unfolded Date: value, for parse_date_time.
struct date_cursor {
  std::string_view s;
  std::size_t i = 0;

  // Skips white space and comments (RFC 5322 §3.2.2 CFWS); commas too
  // when with_comma (the one after the day name).
  void skip(bool with_comma) {
    for (;;) {
      while (i < s.size() && (lex::is_space(s[i]) || (with_comma && s[i] == ','))) ++i;
      if (i < s.size() && s[i] == '(') lex::read_comment(s, i);
      else return;
    }
  }
  // The same words parse_date_day reads: up to white space, ',', '(' or
  // '-' (a '-' after the word is consumed: "1-Jan-2024").
  std::string_view word() {
    skip(true);
    std::size_t start = i;
    while (i < s.size() && !lex::is_space(s[i]) && s[i] != ',' && s[i] != '(' && s[i] != '-') ++i;
    auto w = s.substr(start, i - start);
    if (i < s.size() && s[i] == '-') ++i;
    return w;
  }
  // 1 to max_digits decimal digits; nullopt when there are none or more.
  std::optional<unsigned> digits(std::size_t max_digits) {
    std::size_t start = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      if (++i - start > max_digits) return std::nullopt;
    }
    if (i == start) return std::nullopt;
    return v;
  }
  bool take(char c) {
    skip(false);
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
};

// RFC 5322 §3.3 time-of-day "hh:mm[:ss]", in seconds; nullopt if invalid.
std::optional<std::int64_t> read_time(date_cursor& c) {
  c.skip(false);
  auto h = c.digits(2);
  if (!h || !c.take(':')) return std::nullopt;
  c.skip(false);
  auto m = c.digits(2);
  if (!m) return std::nullopt;
  unsigned sec = 0;
  std::size_t before_seconds = c.i;
  if (c.take(':')) {
    c.skip(false);
    auto v = c.digits(2);
    if (!v) return std::nullopt;
    sec = *v;
  } else {
    c.i = before_seconds;
  }
  // RFC 5322 §3.3: second 60 is a leap second.
  if (*h > 23 || *m > 59 || sec > 60) return std::nullopt;
  return std::int64_t{*h} * 3600 + std::int64_t{*m} * 60 + sec;
}

// RFC 5322 §3.3 zone "+hhmm" / "-hhmm" or a §4.3 obs-zone name, in minutes
// east of UTC; 0 for anything else (RFC 5256 §2.2: an invalid zone is UTC).
int read_zone(date_cursor& c) {
  c.skip(false);
  auto& s = c.s;
  if (c.i < s.size() && (s[c.i] == '+' || s[c.i] == '-')) {
    int sign = s[c.i] == '-' ? -1 : 1;
    ++c.i;
    std::size_t start = c.i;
    auto v = c.digits(4);
    if (!v || c.i - start != 4) return 0;
    unsigned hh = *v / 100, mm = *v % 100;
    if (hh > 23 || mm > 59) return 0;
    return sign * static_cast<int>(hh * 60 + mm);
  }
  std::size_t start = c.i;
  while (c.i < s.size() && ((s[c.i] >= 'A' && s[c.i] <= 'Z') || (s[c.i] >= 'a' && s[c.i] <= 'z'))) ++c.i;
  auto name = s.substr(start, c.i - start);
  // RFC 5322 §4.3 obs-zone. UT, GMT and the military letters ("SHOULD all
  // be considered equivalent to -0000") are UTC, as is anything unknown.
  static constexpr std::pair<std::string_view, int> zones[] = {
      {"EST", -5 * 60}, {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60},
      {"MST", -7 * 60}, {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60},
  };
  for (auto& [zone, minutes] : zones)
    if (core::iequals(name, zone)) return minutes;
  return 0;
}

}  // namespace

std::optional<std::int64_t> parse_date_time(std::string_view value) {
  std::string text = lex::unfold(value);
  date_cursor c{text};
  // Day, month and year exactly as parse_date_day reads them.
  auto w = c.word();
  if (!w.empty() && !(w[0] >= '0' && w[0] <= '9')) w = c.word();  // optional day-of-week
  auto day = core::parse_uint(w, 31);
  auto month = core::month_from_name(c.word());
  auto year_text = c.word();
  auto year = core::parse_uint(year_text, 9999);
  if (!day || month == 0 || !year) return std::nullopt;
  std::int64_t y = static_cast<std::int64_t>(*year);
  if (year_text.size() == 2) y += y < 50 ? 2000 : 1900;  // RFC 5322 §4.3
  else if (year_text.size() == 3) y += 1900;
  if (!core::valid_civil(y, month, static_cast<unsigned>(*day))) return std::nullopt;
  std::int64_t seconds = core::days_from_civil(y, month, static_cast<unsigned>(*day)) * 86400;
  // RFC 5256 §2.2: "If the time zone is invalid, the date and time SHOULD
  // be treated as UTC. If the time is also invalid, the time SHOULD be
  // treated as 00:00:00."
  auto time = read_time(c);
  if (!time) return seconds;
  return seconds + *time - std::int64_t{read_zone(c)} * 60;
}

}  // namespace lemonade::mime
