// RFC 5322 §3.3 date-time, read leniently (obsolete §4.3 forms: two-digit
// years, missing day name or seconds, any zone) for SENTBEFORE/SENTON/
// SENTSINCE, which compare the date as written (RFC 3501 §6.4.4).
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

}  // namespace lemonade::mime
