#include "imap/syntax/mutf7.hpp"

#include <cstdint>
#include <vector>

namespace lemonade::imap::syntax {
namespace {

// RFC 3501 §5.1.3: modified BASE64 uses ',' instead of '/'.
constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Decodes one UTF-8 sequence at s[i]; advances i. Input is trusted valid.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
  auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = (c >= 0xf0) ? 3 : (c >= 0xe0) ? 2 : 1;
  std::uint32_t cp = c & (0x3f >> extra);
  for (int k = 0; k < extra && i < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3f);
  return cp;
}

void flush_utf16(std::string& out, const std::vector<std::uint16_t>& units) {
  out += '&';
  std::uint32_t bits = 0;
  int nbits = 0;
  for (auto u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += alphabet[(bits >> nbits) & 0x3f];
    }
  }
  if (nbits > 0) out += alphabet[(bits << (6 - nbits)) & 0x3f];
  out += '-';
}

}  // namespace

std::string mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<std::uint16_t> pending;
  std::size_t i = 0;
  while (i < utf8.size()) {
    auto cp = next_code_point(utf8, i);
    if (cp >= 0x20 && cp <= 0x7e) {
      if (!pending.empty()) {
        flush_utf16(out, pending);
        pending.clear();
      }
      out += static_cast<char>(cp);
      if (cp == '&') out += '-';  // "&" is represented as "&-"
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      pending.push_back(static_cast<std::uint16_t>(0xd800 | (cp >> 10)));
      pending.push_back(static_cast<std::uint16_t>(0xdc00 | (cp & 0x3ff)));
    } else {
      pending.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  if (!pending.empty()) flush_utf16(out, pending);
  return out;
}

std::optional<std::string> mutf7_decode(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  bool prev_was_shift = false;
  while (i < in.size()) {
    char c = in[i];
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      prev_was_shift = false;
      continue;
    }
    auto end = in.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {  // "&-"
      out += '&';
      i = end + 1;
      prev_was_shift = false;
      continue;
    }
    // RFC 3501 §5.1.3: no two shift sequences in a row (they must merge).
    if (prev_was_shift) return std::nullopt;
    std::uint32_t bits = 0;
    int nbits = 0;
    std::vector<std::uint16_t> units;
    for (std::size_t k = i + 1; k < end; ++k) {
      int v = b64_value(in[k]);
      if (v < 0) return std::nullopt;
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
      nbits += 6;
      if (nbits >= 16) {
        nbits -= 16;
        units.push_back(static_cast<std::uint16_t>((bits >> nbits) & 0xffff));
      }
    }
    // Leftover bits are padding: fewer than 6 and all zero.
    if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0) return std::nullopt;
    if (units.empty()) return std::nullopt;
    for (std::size_t k = 0; k < units.size(); ++k) {
      std::uint32_t cp = units[k];
      if (cp >= 0xd800 && cp <= 0xdbff) {
        if (k + 1 >= units.size() || units[k + 1] < 0xdc00 || units[k + 1] > 0xdfff) return std::nullopt;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (units[k + 1] - 0xdc00);
        ++k;
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return std::nullopt;
      } else if (cp >= 0x20 && cp <= 0x7e) {
        // Printable US-ASCII must stand for itself.
        return std::nullopt;
      }
      append_utf8(out, cp);
    }
    i = end + 1;
    prev_was_shift = true;
  }
  return out;
}

}  // namespace lemonade::imap::syntax
