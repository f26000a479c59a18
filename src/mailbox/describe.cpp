#include "mailbox/describe.hpp"

#include "core/dates.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"
#include "mime/preview.hpp"
#include "mime/text.hpp"
#include "sort/sort_info.hpp"

namespace lemonade::mailbox {

void describe(store::new_message& m, const describe_limits& limits) {
  auto s = mime::parse_message(m.octets(), limits.parse);
  auto text = mime::extract_search_text(m.octets(), s, limits.max_search_body);
  std::optional<std::int64_t> day;
  if (auto& date = s.envelopes[0].date) day = mime::parse_date_day(*date);
  // RFC 3501 §6.4.4 leaves a message without a readable Date: to the
  // server; its INTERNALDATE's day stands in.
  m.sent_day = day ? *day : core::day_of(m.internal_date, m.tz_offset_minutes);
  // RFC 5256: what SORT and THREAD compare, kept ready to compare.
  m.sort_info = sort::compute_sort_info(m.octets(), s, m.internal_date).serialize();
  m.structure = mime::encode_structure(s);
  // RFC 8970: the message list's preview, made once here.
  m.preview = mime::make_preview(m.octets(), s);
  m.search_headers = std::move(text.headers);
  m.search_body = std::move(text.body);
}

}  // namespace lemonade::mailbox
