#include "core/strings.hpp"
#include "imap/parse/parse.hpp"
#include "imap/syntax/mutf7.hpp"

namespace lemonade::imap::parse {

command_head parse_head(lexer& in) {
  command_head h;
  h.tag = in.tag();
  in.sp();
  h.name = in.keyword();
  if (in.ok() && h.name == "UID") {
    in.sp();
    h.name += " " + in.keyword();
  }
  return h;
}

partial_range partial_range_of(lexer& in) {
  // partial-range-first = nz-number ":" nz-number
  // partial-range-last  = MINUS nz-number ":" MINUS nz-number
  partial_range r;
  r.from_end = in.skip('-');
  r.first = in.nz_number();
  in.expect(':');
  if (r.from_end) in.expect('-');
  r.second = in.nz_number();
  return r;
}

std::string partial_range::text() const {
  auto sign = from_end ? "-" : "";
  return sign + std::to_string(first) + ":" + sign + std::to_string(second);
}

std::pair<std::size_t, std::size_t> partial_range::window(std::size_t n) const {
  std::size_t lo = std::min(first, second), hi = std::max(first, second);
  if (!from_end) return lo > n ? std::pair{n, n} : std::pair{lo - 1, std::min(hi, n)};
  // -1 is the last result (position n - 1), -hi the earliest named.
  if (lo > n) return {0, 0};
  return {hi >= n ? 0 : n - hi, n - lo + 1};
}

std::string normalize_inbox(std::string_view utf8) {
  auto first = utf8.substr(0, utf8.find('/'));
  if (core::iequals(first, "INBOX")) return "INBOX" + std::string(utf8.substr(first.size()));
  return std::string(utf8);
}

std::string mailbox(lexer& in, const parse_options& opts, const char* refusal_code) {
  auto raw = in.astring();
  if (!in.ok()) return {};
  if (opts.utf8_names) return normalize_inbox(raw);
  auto utf8 = syntax::mutf7_decode(raw);
  if (!utf8) {
    // A valid astring, so no syntax error (BAD would make strict clients
    // drop the connection): no mailbox can have this name (RFC 3501
    // §5.1.3), so the command is refused.
    in.refuse("Mailbox name is not valid modified UTF-7 (RFC 3501 §5.1.3)", refusal_code);
    return raw;
  }
  return normalize_inbox(*utf8);
}

std::vector<status_item> status_items(lexer& in) {
  std::vector<status_item> items;
  in.open_list();
  do {
    auto name = in.keyword();
    if (!in.ok()) break;
    if (name == "MESSAGES") items.push_back(status_item::messages);
    else if (name == "RECENT") items.push_back(status_item::recent);
    else if (name == "UIDNEXT") items.push_back(status_item::uidnext);
    else if (name == "UIDVALIDITY") items.push_back(status_item::uidvalidity);
    else if (name == "UNSEEN") items.push_back(status_item::unseen);
    else if (name == "HIGHESTMODSEQ") items.push_back(status_item::highestmodseq);  // RFC 7162 §3.1.7
    else in.fail("unknown status item " + name);
  } while (in.skip(' '));
  in.close_list();
  return items;
}

}  // namespace lemonade::imap::parse
