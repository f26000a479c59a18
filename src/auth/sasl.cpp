// RFC 4616 (PLAIN) parsing and RFC 3629 UTF-8 validation.

#include "auth/sasl.hpp"

namespace lemonade::auth {

namespace {

// Number of continuation octets that follow lead octet c and the smallest
// value its sequence may encode, or 0 for an octet that cannot start one.
struct utf8_lead {
  int continuation;
  char32_t min;
};

constexpr utf8_lead classify_lead(unsigned char c) noexcept {
  if (c < 0x80) return {0, 0};
  if ((c & 0xE0) == 0xC0) return {1, 0x80};
  if ((c & 0xF0) == 0xE0) return {2, 0x800};
  if ((c & 0xF8) == 0xF0) return {3, 0x10000};
  return {-1, 0};  // continuation octet or 0xF8..0xFF
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    auto lead = static_cast<unsigned char>(s[i]);
    auto [n, min] = classify_lead(lead);
    if (n < 0) return false;
    if (n == 0) {
      ++i;
      continue;
    }
    if (s.size() - i <= static_cast<std::size_t>(n)) return false;
    char32_t cp = lead & (0x3F >> n);
    for (int k = 1; k <= n; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    // RFC 3629 §3: overlong forms, surrogates and code points past U+10FFFF
    // are invalid.
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += static_cast<std::size_t>(n) + 1;
  }
  return true;
}

std::optional<plain_credentials> parse_plain(std::string_view message) {
  // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd, and no
  // field may contain NUL, so the two NULs split the message exactly.
  auto first = message.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (message.find('\0', second + 1) != std::string_view::npos) return std::nullopt;

  auto authzid = message.substr(0, first);
  auto authcid = message.substr(first + 1, second - first - 1);
  auto passwd = message.substr(second + 1);
  // RFC 4616 §2: authcid = 1*SAFE, passwd = 1*SAFE (authzid is optional).
  if (authcid.empty() || passwd.empty()) return std::nullopt;
  // RFC 4616 §2: SAFE is UTF-8 excluding NUL. We enforce it for the two
  // identities, which end up in logs, lookups and mailbox paths. We do not
  // enforce it for passwd: the password is only ever compared with a stored
  // hash, so a non-UTF-8 password merely fails to match, while refusing it
  // outright would lock out clients that send legacy 8-bit passwords whose
  // hashes were imported from an older server.
  if (!is_valid_utf8(authzid) || !is_valid_utf8(authcid)) return std::nullopt;

  return plain_credentials{std::string(authzid), std::string(authcid), std::string(passwd)};
}

}  // namespace lemonade::auth
