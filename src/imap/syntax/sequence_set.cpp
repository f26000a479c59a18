#include "imap/syntax/sequence_set.hpp"

#include <algorithm>

#include "core/strings.hpp"

namespace lemonade::imap::syntax {

interval_set::interval_set(const sequence_set& set, std::uint32_t largest) {
  for (auto& r : set.ranges) {
    auto a = r.first == 0 ? largest : r.first;
    auto b = r.last == 0 ? largest : r.last;
    if (a > b) std::swap(a, b);
    spans_.emplace_back(a, b);
  }
  std::sort(spans_.begin(), spans_.end());
  std::size_t out = 0;
  for (auto& s : spans_) {
    if (out > 0 && s.first <= spans_[out - 1].second + std::uint64_t{1}) {
      spans_[out - 1].second = std::max(spans_[out - 1].second, s.second);
    } else {
      spans_[out++] = s;
    }
  }
  spans_.resize(out);
}

bool interval_set::contains(std::uint32_t n) const {
  // The last span starting at or before n.
  auto it = std::upper_bound(spans_.begin(), spans_.end(), n, [](std::uint32_t v, auto& s) { return v < s.first; });
  return it != spans_.begin() && n <= std::prev(it)->second;
}

bool sequence_set::contains(std::uint32_t n, std::uint32_t largest) const {
  for (auto& r : ranges) {
    auto a = r.first == 0 ? largest : r.first;
    auto b = r.last == 0 ? largest : r.last;
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}

std::optional<sequence_set> parse_sequence_set(std::string_view text) {
  sequence_set out;
  if (text == "$") {
    out.saved = true;
    return out;
  }
  auto number = [](std::string_view s) -> std::optional<std::uint32_t> {
    if (s == "*") return 0u;
    // RFC 3501 §9: nz-number, no leading zero.
    if (s.empty() || s[0] == '0') return std::nullopt;
    auto v = core::parse_uint(s, UINT32_MAX);
    if (!v) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    auto item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    auto colon = item.find(':');
    auto a = number(item.substr(0, colon));
    if (!a) return std::nullopt;
    auto b = a;
    if (colon != std::string_view::npos) {
      b = number(item.substr(colon + 1));
      if (!b) return std::nullopt;
    }
    out.ranges.push_back({*a, *b});
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (out.ranges.empty()) return std::nullopt;
  return out;
}

std::string format_sequence_set(const std::vector<std::uint32_t>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(v[i]);
    if (j > i) out += ":" + std::to_string(v[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace lemonade::imap::syntax
