#include "store/api/mailbox_name.hpp"

#include "core/strings.hpp"

namespace lemonade::store {

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8
    // (RFC 3629 §3).
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return false;
    i += len;
  }
  return true;
}

std::optional<name_problem> invalid_mailbox_name(std::string_view name, const store_limits& limits) {
  if (name.empty()) return name_problem{"empty mailbox name"};
  if (name.size() > limits.max_mailbox_name_length) return name_problem{"mailbox name too long", true};
  if (!is_valid_utf8(name)) return name_problem{"mailbox name is not valid UTF-8"};
  unsigned depth = 1;
  char prev = hierarchy_separator;  // catches a leading separator
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return name_problem{"control character in mailbox name"};
    // RFC 3501 §5.1: wildcards in names make LIST ambiguous; refuse them.
    if (c == '*' || c == '%') return name_problem{"wildcard in mailbox name"};
    if (c == hierarchy_separator) {
      if (prev == hierarchy_separator) return name_problem{"empty hierarchy level in mailbox name"};
      ++depth;
    }
    prev = c;
  }
  if (prev == hierarchy_separator) return name_problem{"empty hierarchy level in mailbox name"};
  if (depth > limits.max_mailbox_depth) return name_problem{"mailbox name has too many levels", true};
  return std::nullopt;
}

std::vector<std::string> superior_names(std::string_view name) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (name[i] == hierarchy_separator) out.emplace_back(name.substr(0, i));
  return out;
}

bool is_inferior(std::string_view name, std::string_view parent) {
  return name.size() > parent.size() + 1 && name.substr(0, parent.size()) == parent &&
         name[parent.size()] == hierarchy_separator;
}

std::optional<std::string> canonical_special_use(std::string_view attr) {
  static constexpr std::string_view known[] = {"\\All",  "\\Archive", "\\Drafts", "\\Flagged",
                                               "\\Junk", "\\Sent",    "\\Trash"};
  for (auto k : known)
    if (core::iequals(k, attr)) return std::string(k);
  return std::nullopt;
}

}  // namespace lemonade::store
