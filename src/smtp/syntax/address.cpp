#include "smtp/syntax/address.hpp"

#include <algorithm>
#include <cctype>

namespace lemonade::smtp::syntax {
namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool high(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// RFC 5322 atext (RFC 5321 Atom's octets).
bool is_atext(char c, bool utf8) {
  if (is_alnum(c)) return true;
  if (utf8 && high(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default: return false;
  }
}

// A well-formed UTF-8 sequence (RFC 3629), for RFC 6531 text.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xc2)) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

bool is_sub_domain(std::string_view s, bool utf8) {
  if (s.empty() || s.size() > 63) return false;
  auto let_dig = [&](char c) { return is_alnum(c) || (utf8 && high(c)); };
  if (!let_dig(s.front()) || !let_dig(s.back())) return false;
  for (char c : s)
    if (!let_dig(c) && c != '-') return false;
  return true;
}

bool is_address_literal(std::string_view s) {
  // "[" ... "]": IPv4 dotted quad, "IPv6:" ..., or a General-address-literal
  // (Standardized-tag ":" 1*dcontent); checked for shape, not meaning.
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  auto inner = s.substr(1, s.size() - 2);
  for (char c : inner)
    if (static_cast<unsigned char>(c) < 33 || static_cast<unsigned char>(c) > 126 || c == '[' || c == ']' ||
        c == '\\')
      return false;
  return true;
}

}  // namespace

bool is_dot_string(std::string_view s, bool utf8) {
  if (s.empty()) return false;
  bool prev_dot = true;
  for (char c : s) {
    if (c == '.') {
      if (prev_dot) return false;
      prev_dot = true;
      continue;
    }
    if (!is_atext(c, utf8)) return false;
    prev_dot = false;
  }
  return !prev_dot && (!utf8 || valid_utf8(s));
}

bool is_domain(std::string_view s, bool utf8) {
  if (s.empty()) return false;
  if (s.front() == '[') return is_address_literal(s);
  if (s.size() > 255 || (utf8 && !valid_utf8(s))) return false;
  std::size_t at = 0;
  for (;;) {
    auto dot = s.find('.', at);
    if (!is_sub_domain(s.substr(at, dot == std::string_view::npos ? dot : dot - at), utf8)) return false;
    if (dot == std::string_view::npos) return true;
    at = dot + 1;
  }
}

std::string mailbox::text() const {
  if (empty()) return {};  // the null reverse path "<>"
  std::string out;
  if (is_dot_string(local, true)) {
    out = local;
  } else {
    out = "\"";
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  if (!domain.empty()) out += "@" + domain;
  return out;
}

path_result parse_path(std::string_view text, bool null_ok, bool utf8) {
  path_result r;
  auto fail = [&](std::string why) {
    r.address.reset();
    r.error = std::move(why);
    return r;
  };
  if (text.empty() || text[0] != '<') return fail("a path starts with '<'");
  if (text.substr(0, 2) == "<>") {
    if (!null_ok) return fail("an empty path is not allowed here");
    r.address = mailbox{};
    r.consumed = 2;
    return r;
  }
  std::size_t i = 1;
  // A-d-l ":": "@" Domain *("," "@" Domain) ":", ignored.
  if (i < text.size() && text[i] == '@') {
    auto colon = text.find(':', i);
    auto close = text.find('>', i);
    if (colon == std::string_view::npos || colon > close) return fail("malformed source route");
    std::string_view adl = text.substr(i, colon - i);
    std::size_t at = 0;
    for (;;) {
      auto comma = adl.find(',', at);
      auto hop = adl.substr(at, comma == std::string_view::npos ? comma : comma - at);
      if (hop.size() < 2 || hop[0] != '@' || !is_domain(hop.substr(1), utf8)) return fail("malformed source route");
      if (comma == std::string_view::npos) break;
      at = comma + 1;
    }
    i = colon + 1;
  }
  mailbox m;
  if (i < text.size() && text[i] == '"') {
    // Quoted-string: qtextSMTP / quoted-pairSMTP (%d92 %d32-126).
    ++i;
    for (;;) {
      if (i >= text.size()) return fail("unterminated quoted local part");
      char c = text[i++];
      if (c == '"') break;
      if (c == '\\') {
        if (i >= text.size()) return fail("unterminated quoted local part");
        char q = text[i++];
        if (static_cast<unsigned char>(q) < 32 || static_cast<unsigned char>(q) > 126)
          return fail("bad quoted pair");
        m.local += q;
        continue;
      }
      bool ok = (static_cast<unsigned char>(c) >= 32 && static_cast<unsigned char>(c) <= 126) || (utf8 && high(c));
      if (!ok) return fail("bad octet in the quoted local part");
      m.local += c;
    }
    if (utf8 && !valid_utf8(m.local)) return fail("invalid UTF-8");
  } else {
    auto stop = text.find_first_of("@>", i);
    if (stop == std::string_view::npos) return fail("unterminated path");
    m.local.assign(text.substr(i, stop - i));
    i = stop;
    if (!is_dot_string(m.local, utf8)) {
      // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain is allowed
      // (only for RCPT: the caller checks).
      return fail(utf8 || m.local.empty() ? "malformed local part" : "malformed local part (UTF-8 needs SMTPUTF8)");
    }
  }
  if (i < text.size() && text[i] == '@') {
    auto close = text.find('>', i);
    if (close == std::string_view::npos) return fail("unterminated path");
    m.domain.assign(text.substr(i + 1, close - i - 1));
    if (!is_domain(m.domain, utf8)) return fail("malformed domain");
    i = close;
  }
  if (i >= text.size() || text[i] != '>') return fail("unterminated path");
  if (m.domain.empty() && !(m.local.size() == 10 && std::equal(m.local.begin(), m.local.end(), "postmaster",
                                                               [](char a, char b) {
                                                                 return std::tolower(static_cast<unsigned char>(a)) == b;
                                                               })))
    return fail("an address needs a domain");
  if (m.local.size() > 64) return fail("local part longer than 64 octets");
  r.address = std::move(m);
  r.consumed = i + 1;
  return r;
}

std::string xtext_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '+' || c == '=') {
      out += '+';
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> xtext_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    if (s[i] == '+') {
      if (i + 2 >= s.size()) return std::nullopt;
      auto val = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int a = val(s[i + 1]), b = val(s[i + 2]);
      if (a < 0 || b < 0) return std::nullopt;
      out += static_cast<char>(a * 16 + b);
      i += 2;
      continue;
    }
    if (u < 33 || u > 126 || s[i] == '=') return std::nullopt;
    out += s[i];
  }
  return out;
}

}  // namespace lemonade::smtp::syntax
