// sort_info: computed at APPEND time (RFC 5256 §2.1, §2.2, §3; RFC 5957
// §3-§4) and its storage form (README.md "Stored format").
#include "sort/sort_info.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "mime/decode.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"
#include "sort/base_subject.hpp"
#include "sort/collate.hpp"

namespace lemonade::sort {
namespace {

constexpr std::uint8_t format_version = 1;
constexpr std::uint8_t flag_reply_or_forward = 1;

constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A stored msg-id: non-empty and without white space, so that references
// can be joined by single spaces.
bool storable_id(std::string_view id) noexcept {
  if (id.empty()) return false;
  for (char c : id)
    if (is_space(c)) return false;
  return true;
}

// Skips a comment starting at s[i] == '(' (nested, with quoted-pairs).
void skip_comment(std::string_view s, std::size_t& i) {
  int depth = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '\\') {
      if (i + 1 < s.size()) ++i;
    } else if (s[i] == '(') {
      ++depth;
    } else if (s[i] == ')' && --depth == 0) {
      ++i;
      return;
    }
  }
}

// Appends the content of a quoted-string starting at s[i] == '"' (quoted
// pairs unescaped) to out; i ends after the closing quote.
void read_quoted(std::string_view s, std::size_t& i, std::string* out) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '"') {
      ++i;
      return;
    }
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    if (out) *out += s[i];
  }
}

// One msg-id starting at s[i] == '<', normalised: RFC 5256 §3 REFERENCES
// says implementations "MUST normalize any msg-id in order to avoid false
// non-matches due to differences in quoting" (<"a"@b> is <a@b>), so
// quoted strings are unquoted and CFWS (RFC 5322 §4.5 obs-id) dropped.
// i ends after the '>' (or at a '<' that restarts an id). nullopt when
// the id is not valid.
std::optional<std::string> read_msg_id(std::string_view s, std::size_t& i) {
  std::string id;
  for (++i; i < s.size();) {
    char c = s[i];
    if (c == '>') {
      ++i;
      // RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">".
      if (!storable_id(id) || id.find('@') == std::string::npos) return std::nullopt;
      return id;
    }
    if (c == '<') return std::nullopt;  // not closed: the next id starts here
    if (c == '"') {
      read_quoted(s, i, &id);
    } else if (c == '(') {
      skip_comment(s, i);
    } else if (is_space(c)) {
      ++i;
    } else {
      id += c;
      ++i;
    }
  }
  return std::nullopt;
}

// ---- storage ----

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

// A canonical LEB128 varint (no redundant trailing zero groups, at most 64
// bits), or nullopt.
std::optional<std::uint64_t> get_varint(std::string_view d, std::size_t& pos) {
  std::uint64_t v = 0;
  for (unsigned shift = 0; shift < 64 && pos < d.size(); shift += 7) {
    auto b = static_cast<unsigned char>(d[pos++]);
    if (shift == 63 && b > 1) return std::nullopt;  // beyond 64 bits
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (b == 0 && shift != 0) return std::nullopt;  // overlong
      return v;
    }
  }
  return std::nullopt;
}

constexpr std::uint64_t zigzag(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
constexpr std::int64_t unzigzag(std::uint64_t v) noexcept {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// The stored references field: ids joined by single spaces.
bool valid_references(std::string_view refs) noexcept {
  if (refs.empty()) return true;
  std::size_t count = 1;
  if (refs.front() == ' ' || refs.back() == ' ') return false;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    char c = refs[i];
    if (c == ' ') {
      if (refs[i + 1] == ' ') return false;  // i + 1 < size: refs does not end in ' '
      ++count;
    } else if (is_space(c)) {
      return false;
    }
  }
  return count <= max_references;
}

}  // namespace

sort_info::sort_info(const sort_fields& f) : sent_date_(f.sent_date), reply_or_forward_(f.reply_or_forward) {
  // Only storable ids, the last max_references of them.
  std::vector<std::string_view> refs;
  for (auto& r : f.references)
    if (storable_id(r)) refs.push_back(r);
  if (refs.size() > max_references) refs.erase(refs.begin(), refs.end() - max_references);
  std::string_view message_id = storable_id(f.message_id) ? std::string_view(f.message_id) : std::string_view();

  const std::string_view fields[] = {f.subject, f.from, f.to, f.cc, f.display_from, f.display_to, message_id};
  std::size_t total = 0;
  for (auto v : fields) total += v.size();
  for (auto r : refs) total += r.size() + 1;
  if (total > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("sort_info larger than 4 GiB");
  text_.reserve(total);
  std::size_t i = 0;
  for (auto v : fields) {
    text_ += v;
    end_[i++] = static_cast<std::uint32_t>(text_.size());
  }
  for (std::size_t k = 0; k < refs.size(); ++k) {
    if (k) text_ += ' ';
    text_ += refs[k];
  }
  end_[references_f] = static_cast<std::uint32_t>(text_.size());
}

std::vector<std::string_view> sort_info::references() const& {
  std::vector<std::string_view> out;
  auto refs = field(references_f);
  while (!refs.empty()) {
    auto space = refs.find(' ');
    out.push_back(refs.substr(0, space));
    refs = space == std::string_view::npos ? std::string_view() : refs.substr(space + 1);
  }
  return out;
}

sort_fields sort_info::fields() const {
  sort_fields f;
  f.sent_date = sent_date_;
  f.reply_or_forward = reply_or_forward_;
  f.subject = subject();
  f.from = from();
  f.to = to();
  f.cc = cc();
  f.display_from = display_from();
  f.display_to = display_to();
  f.message_id = message_id();
  for (auto r : references()) f.references.emplace_back(r);
  return f;
}

std::string sort_info::serialize() const {
  std::string out;
  out.reserve(2 + 10 + field_count * 3 + text_.size());
  out += static_cast<char>(format_version);
  out += static_cast<char>(reply_or_forward_ ? flag_reply_or_forward : 0);
  put_varint(out, zigzag(sent_date_));
  for (std::size_t i = 0; i < field_count; ++i) put_varint(out, end_[i] - (i == 0 ? 0 : end_[i - 1]));
  out += text_;
  return out;
}

std::optional<sort_info> sort_info::deserialize(std::string_view data) {
  if (data.size() < 2 || static_cast<std::uint8_t>(data[0]) != format_version) return std::nullopt;
  auto flags = static_cast<std::uint8_t>(data[1]);
  if (flags & ~flag_reply_or_forward) return std::nullopt;
  std::size_t pos = 2;
  auto date = get_varint(data, pos);
  if (!date) return std::nullopt;
  std::array<std::uint64_t, field_count> lengths{};
  for (auto& n : lengths) {
    auto v = get_varint(data, pos);
    if (!v) return std::nullopt;
    n = *v;
  }
  // The lengths must add up to exactly the octets that follow; each is
  // checked before it is added, so nothing overflows and nothing is
  // allocated from an unchecked count.
  const std::uint64_t payload = data.size() - pos;
  if (payload > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  sort_info info;
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < field_count; ++i) {
    if (lengths[i] > payload - end) return std::nullopt;
    end += lengths[i];
    info.end_[i] = static_cast<std::uint32_t>(end);
  }
  if (end != payload) return std::nullopt;
  auto text = data.substr(pos);
  // Ids as the constructor stores them.
  auto id = text.substr(info.end_[message_id_f - 1], info.end_[message_id_f] - info.end_[message_id_f - 1]);
  if (!id.empty() && !storable_id(id)) return std::nullopt;
  if (!valid_references(text.substr(info.end_[message_id_f]))) return std::nullopt;
  info.text_.assign(text);
  info.sent_date_ = unzigzag(*date);
  info.reply_or_forward_ = (flags & flag_reply_or_forward) != 0;
  return info;
}

std::vector<std::string> parse_msg_ids(std::string_view value) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < value.size();) {
    char c = value[i];
    if (c == '<') {
      if (auto id = read_msg_id(value, i)) ids.push_back(std::move(*id));
    } else if (c == '"') {
      read_quoted(value, i, nullptr);  // a phrase (In-Reply-To), not an id
    } else if (c == '(') {
      skip_comment(value, i);
    } else {
      ++i;
    }
  }
  return ids;
}

std::string sort_mailbox(const mime::address& a) {
  if (!a.mailbox) return {};
  const std::string& m = *a.mailbox;
  if (m.find('"') == std::string::npos) return m;
  // A quoted local part (RFC 5322 §3.4.1) as the text it quotes.
  std::string out;
  for (std::size_t i = 0; i < m.size();) {
    if (m[i] == '"') read_quoted(m, i, &out);
    else out += m[i++];
  }
  return out;
}

std::string display_name(const mime::address& a) {
  // RFC 5957 §3: "If the address structure's [IMAP] addr-name is non-NIL,
  // apply the procedure from [RFC5255], Section 4.6" (decode RFC 2047
  // words) and use the result when it is not empty.
  if (a.name) {
    auto decoded = mime::decode_header_value(*a.name);
    if (auto t = trim(decoded); !t.empty()) return std::string(t);
  }
  // Otherwise addr-mailbox "@" addr-host, or addr-mailbox alone, or "".
  // An empty host (an address without a domain) counts as NIL here.
  auto mailbox = sort_mailbox(a);
  if (a.mailbox && a.host && !a.host->empty()) return mailbox + "@" + *a.host;
  return mailbox;
}

sort_info compute_sort_info(std::string_view message, const mime::message_structure& s, std::int64_t internal_date) {
  sort_fields f;
  // RFC 5256 §2.2: "If the sent date cannot be determined (a Date: header
  // is missing or cannot be parsed), the INTERNALDATE for that message is
  // used as the sent date."
  f.sent_date = internal_date;
  if (s.envelopes.empty() || s.parts.empty()) return sort_info(f);
  const auto& e = s.envelopes[0];
  if (e.date)
    if (auto t = mime::parse_date_time(*e.date)) f.sent_date = *t;

  auto base = extract_base_subject(e.subject ? std::string_view(*e.subject) : std::string_view());
  f.subject = casemap_key(base.text);
  f.reply_or_forward = base.reply_or_forward;

  // RFC 5256 §3: FROM, TO, CC sort on the "[IMAP] addr-mailbox of the
  // first" address; an absent field sorts as the empty string.
  auto first_mailbox = [](const std::vector<mime::address>& list) {
    return list.empty() ? std::string() : casemap_key(sort_mailbox(list.front()));
  };
  f.from = first_mailbox(e.from);
  f.to = first_mailbox(e.to);
  f.cc = first_mailbox(e.cc);
  // RFC 5957 §4: DISPLAYFROM and DISPLAYTO sort on the §3 display value of
  // the first From and To address.
  auto first_display = [](const std::vector<mime::address>& list) {
    return list.empty() ? std::string() : casemap_key(display_name(list.front()));
  };
  f.display_from = first_display(e.from);
  f.display_to = first_display(e.to);

  if (e.message_id) {
    auto ids = parse_msg_ids(*e.message_id);
    if (!ids.empty()) f.message_id = std::move(ids.front());
  }
  // RFC 5256 §3 REFERENCES: "If a message contains a References header
  // line, then use the Message IDs in the References header line as the
  // references. If a message does not contain a References header line, or
  // the References header line does not contain any valid Message IDs, then
  // use the first (if any) Message ID of the In-Reply-To header line as the
  // only reference (parent) for this message."
  const auto& h = s.parts[0].header;
  std::string_view header =
      h.offset < message.size() ? message.substr(h.offset, h.length) : std::string_view();
  if (auto refs = mime::field_value(header, "references")) f.references = parse_msg_ids(*refs);
  if (f.references.empty() && e.in_reply_to) {
    auto ids = parse_msg_ids(*e.in_reply_to);
    if (!ids.empty()) f.references.push_back(std::move(ids.front()));
  }
  return sort_info(f);
}

// ---- SORT ----
//
// A most-significant-digit-first sort: entries are sorted by one "digit"
// of the first criterion (a number, or 7 octets of a string key), then each
// run of equal digits by the next digit, or by the next criterion once the
// strings in it are known equal, and finally by sequence number. Each
// level is a std::sort of 16-octet entries that holds the digit, so most
// comparisons touch no sort_info, and every key octet is read once per
// level it decides. Small runs are finished with a plain comparator. The
// work list is explicit: equal keys of any length never recurse.

namespace {

const sort_info empty_info;

constexpr bool is_string_key(sort_key k) noexcept {
  return k != sort_key::arrival && k != sort_key::date && k != sort_key::size;
}

std::string_view string_key(const sort_info& info, sort_key key) noexcept {
  switch (key) {
    case sort_key::cc: return info.cc();
    case sort_key::from: return info.from();
    case sort_key::subject: return info.subject();
    case sort_key::to: return info.to();
    case sort_key::display_from: return info.display_from();
    case sort_key::display_to: return info.display_to();
    default: return {};
  }
}

// Signed to unsigned, order kept.
constexpr std::uint64_t biased(std::int64_t v) noexcept {
  return static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63);
}

// Digit `depth` of a string key: octets [7 * depth, 7 * depth + 7)
// big-endian in the top 56 bits, zero-padded, and in the low 8 bits how
// many of them exist. Digits order like the strings: at the first octet
// that differs, or, when one string ends inside the digit, by the count
// (a prefix sorts first, even before a continuation of NUL octets). Equal
// digits with a count of 7 mean the strings may go on; a lower count means
// both ended, equal.
constexpr std::size_t digit_octets = 7;

std::uint64_t string_digit(std::string_view s, std::size_t depth) noexcept {
  std::size_t offset = depth * digit_octets;
  std::size_t n = offset < s.size() ? std::min(digit_octets, s.size() - offset) : 0;
  std::uint64_t v = 0;
  for (std::size_t k = 0; k < digit_octets; ++k)
    v = (v << 8) | (k < n ? static_cast<unsigned char>(s[offset + k]) : 0u);
  return (v << 8) | n;
}

// Runs at most this long are finished by comparison.
constexpr std::ptrdiff_t small_run = 16;

class sorter {
 public:
  sorter(std::span<const sort_message> m, std::span<const sort_criterion> c) : m_(m), c_(c), keys_(c.size()) {
    // The string keys once, so each level reads them without a lookup.
    for (std::size_t k = 0; k < c_.size(); ++k) {
      if (!is_string_key(c_[k].key)) continue;
      keys_[k].resize(m_.size());
      for (std::size_t i = 0; i < m_.size(); ++i) keys_[k][i] = string_key(info(m_[i]), c_[k].key);
    }
  }

  std::vector<std::uint32_t> run() {
    std::vector<entry> entries(m_.size());
    for (std::size_t i = 0; i < m_.size(); ++i) entries[i] = {0, static_cast<std::uint32_t>(i), m_[i].seq};
    std::vector<work> todo;
    todo.push_back({0, entries.size(), 0, 0});
    while (!todo.empty()) {
      auto w = todo.back();
      todo.pop_back();
      refine(entries, w, todo);
    }
    std::vector<std::uint32_t> order(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) order[i] = entries[i].index;
    return order;
  }

 private:
  struct entry {
    std::uint64_t digit;
    std::uint32_t index;
    std::uint32_t seq;
  };
  // entries [begin, end) are equal under criteria before `criterion`, and
  // under `criterion` in its first `depth` digits.
  struct work {
    std::size_t begin, end, criterion, depth;
  };

  static const sort_info& info(const sort_message& m) noexcept { return m.info ? *m.info : empty_info; }
  static std::int64_t sent_date(const sort_message& m) noexcept {
    return m.info ? m.info->sent_date() : m.internal_date;
  }

  std::uint64_t digit(std::size_t criterion, std::size_t depth, std::uint32_t i) const noexcept {
    const auto& c = c_[criterion];
    std::uint64_t v = 0;
    switch (c.key) {
      case sort_key::arrival: v = biased(m_[i].internal_date); break;
      case sort_key::date: v = biased(sent_date(m_[i])); break;
      case sort_key::size: v = m_[i].size; break;
      default: v = string_digit(keys_[criterion][i], depth);
    }
    return c.reverse ? ~v : v;
  }

  int compare(std::size_t criterion, std::uint32_t x, std::uint32_t y) const noexcept {
    auto three_way = [](auto a, auto b) { return a < b ? -1 : b < a ? 1 : 0; };
    switch (c_[criterion].key) {
      case sort_key::arrival: return three_way(m_[x].internal_date, m_[y].internal_date);
      case sort_key::date: return three_way(sent_date(m_[x]), sent_date(m_[y]));
      case sort_key::size: return three_way(m_[x].size, m_[y].size);
      default: return compare_keys(keys_[criterion][x], keys_[criterion][y]);
    }
  }

  // The order of criteria from `first` on, then the sequence number.
  bool less_from(std::size_t first, const entry& a, const entry& b) const noexcept {
    for (std::size_t k = first; k < c_.size(); ++k) {
      int r = compare(k, a.index, b.index);
      if (r != 0) return c_[k].reverse ? r > 0 : r < 0;
    }
    // RFC 5256 §3: the implicit "sequence number" criterion, never reversed.
    if (a.seq != b.seq) return a.seq < b.seq;
    return a.index < b.index;
  }

  void refine(std::vector<entry>& entries, const work& w, std::vector<work>& todo) const {
    auto begin = entries.begin() + static_cast<std::ptrdiff_t>(w.begin);
    auto end = entries.begin() + static_cast<std::ptrdiff_t>(w.end);
    if (end - begin < 2) return;
    if (w.criterion == c_.size() || end - begin <= small_run) {
      std::sort(begin, end, [&](const entry& a, const entry& b) { return less_from(w.criterion, a, b); });
      return;
    }
    bool all_equal = true;
    for (auto it = begin; it != end; ++it) {
      it->digit = digit(w.criterion, w.depth, it->index);
      all_equal = all_equal && it->digit == begin->digit;
    }
    if (!all_equal)
      std::sort(begin, end, [](const entry& a, const entry& b) { return a.digit < b.digit; });
    const bool text = is_string_key(c_[w.criterion].key);
    for (auto run = begin; run != end;) {
      auto run_end = run + 1;
      while (run_end != end && run_end->digit == run->digit) ++run_end;
      if (run_end - run >= 2) {
        std::uint64_t d = c_[w.criterion].reverse ? ~run->digit : run->digit;
        bool more = text && (d & 0xff) == digit_octets;  // the strings may go on
        todo.push_back({static_cast<std::size_t>(run - entries.begin()), static_cast<std::size_t>(run_end - entries.begin()),
                        more ? w.criterion : w.criterion + 1, more ? w.depth + 1 : 0});
      }
      run = run_end;
    }
  }

  std::span<const sort_message> m_;
  std::span<const sort_criterion> c_;
  std::vector<std::vector<std::string_view>> keys_;  // per string criterion, per message
};

}  // namespace

std::vector<std::uint32_t> sort_order(std::span<const sort_message> messages,
                                      std::span<const sort_criterion> criteria) {
  return sorter(messages, criteria).run();
}

}  // namespace lemonade::sort
