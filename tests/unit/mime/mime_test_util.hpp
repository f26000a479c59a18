#pragma once
// Helpers shared by the mime/ unit tests: CRLF messages written readably,
// byte ranges located by content (independently of the parser), printing
// of the structure types in failure messages.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.hpp"

namespace lemonade::mime {

inline void PrintTo(const byte_range& r, std::ostream* os) { *os << "{" << r.offset << ", " << r.length << "}"; }

inline void print_opt(const std::optional<std::string>& s, std::ostream* os) {
  if (s) *os << '"' << *s << '"';
  else *os << "NIL";
}

inline void PrintTo(const address& a, std::ostream* os) {
  *os << "(";
  print_opt(a.name, os);
  *os << " ";
  print_opt(a.adl, os);
  *os << " ";
  print_opt(a.mailbox, os);
  *os << " ";
  print_opt(a.host, os);
  *os << ")";
}

inline void PrintTo(const parameter& p, std::ostream* os) {
  *os << p.name << (p.extended ? "*=" : "=") << '"' << p.value << '"';
}

namespace test {

// The test messages are written with "\n"; the wire form uses CRLF.
inline std::string crlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// The range of the first occurrence of needle at or after from; {npos, 0}
// when absent (which no expectation matches).
inline byte_range range_of(std::string_view text, std::string_view needle, std::size_t from = 0) {
  auto at = text.find(needle, from);
  if (at == std::string_view::npos) return {~std::uint64_t{0}, 0};
  return {at, needle.size()};
}

// The range from the first octet of `first` to the last octet of `last`
// (the first occurrence of last after first).
inline byte_range span_of(std::string_view text, std::string_view first, std::string_view last) {
  auto a = text.find(first);
  if (a == std::string_view::npos) return {~std::uint64_t{0}, 0};
  auto b = text.find(last, a);
  if (b == std::string_view::npos) return {~std::uint64_t{0}, 0};
  return {a, b + last.size() - a};
}

inline std::string_view slice(std::string_view m, const byte_range& r) {
  if (r.offset > m.size()) return {};
  return m.substr(r.offset, r.length);
}

inline const std::optional<std::string> nil;

inline address addr(std::optional<std::string> name, std::optional<std::string> adl, std::optional<std::string> mailbox,
                    std::optional<std::string> host) {
  return address{std::move(name), std::move(adl), std::move(mailbox), std::move(host)};
}

}  // namespace test
}  // namespace lemonade::mime
