#include "imap/client/response.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/strings.hpp"

namespace lemonade::imap::client {

namespace {

// The parser of response values: a cursor over one response whose
// literals are inline ("{n}" CRLF octets).
struct cursor {
  std::string_view s;
  std::size_t at = 0;

  [[noreturn]] void fail(const char* what) const {
    throw error(std::string("malformed response: ") + what + " at octet " + std::to_string(at));
  }
  bool done() const { return at >= s.size(); }
  void skip_spaces() {
    while (at < s.size() && s[at] == ' ') ++at;
  }

  value next(int depth) {
    if (depth > 64) fail("lists nested too deep");
    value v;
    char c = s[at];
    if (c == '(') {
      ++at;
      v.what = value::kind::list;
      for (;;) {
        skip_spaces();
        if (done()) fail("unterminated list");
        if (s[at] == ')') {
          ++at;
          return v;
        }
        v.items.push_back(next(depth + 1));
      }
    }
    if (c == '"') {
      ++at;
      v.what = value::kind::string;
      for (;;) {
        if (done()) fail("unterminated quoted string");
        char q = s[at++];
        if (q == '"') return v;
        if (q == '\\') {
          if (done()) fail("unterminated quoted string");
          q = s[at++];
        }
        v.text += q;
      }
    }
    if (c == '{' || (c == '~' && at + 1 < s.size() && s[at + 1] == '{')) {
      v.literal8 = c == '~';
      auto brace = at + (v.literal8 ? 1 : 0);
      auto close = s.find('}', brace);
      if (close == std::string_view::npos || s.substr(close + 1, 2) != "\r\n") fail("bad literal");
      auto n = literal_size_at_end(s.substr(brace, close + 1 - brace));
      auto data = close + 3;
      if (!n || *n > s.size() - data) fail("literal longer than the response");
      v.what = value::kind::string;
      v.text.assign(s.substr(data, *n));
      at = data + *n;
      return v;
    }
    // An atom (a number too); a response code "[...]" is taken whole, so
    // "[BADURL imap://...]" stays one value.
    auto start = at;
    int brackets = 0;
    while (at < s.size()) {
      char a = s[at];
      if (a == '[') ++brackets;
      if (a == ']' && brackets > 0) --brackets;
      if (brackets == 0 && (a == ' ' || a == '(' || a == ')' || a == '"' || a == '{')) {
        // "BODY[1]<0>" and "BINARY[2]" keep their brackets; a '(' after
        // an atom starts a new value.
        break;
      }
      ++at;
    }
    if (at == start) fail("unexpected character");
    v.text.assign(s.substr(start, at - start));
    if (core::iequals(v.text, "NIL")) {
      v.what = value::kind::nil;
      v.text.clear();
    }
    return v;
  }
};

// "[CODE args] text" after a status word.
void split_code(std::string_view rest, std::string& code, std::string& text) {
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close != std::string_view::npos) {
      code.assign(rest.substr(1, close - 1));
      rest.remove_prefix(close + 1);
      if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    }
  }
  text.assign(rest);
}

bool is_status(std::string_view word) {
  return core::iequals(word, "OK") || core::iequals(word, "NO") || core::iequals(word, "BAD") ||
         core::iequals(word, "BYE") || core::iequals(word, "PREAUTH");
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// "{n}" / "{n+}" / "~{n}" at the end of a line: the literal's size.
std::optional<std::size_t> literal_size_at_end(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  auto digits = line.substr(open + 1, line.size() - open - 2);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return n;
}

bool value::is_atom(std::string_view name) const { return what == kind::atom && core::iequals(text, name); }

std::vector<value> parse_values(std::string_view text) {
  cursor c{text};
  std::vector<value> out;
  for (;;) {
    c.skip_spaces();
    if (c.done()) return out;
    out.push_back(c.next(0));
  }
}

untagged parse_untagged(std::string_view text) {
  untagged u;
  auto sp = text.find(' ');
  auto first = text.substr(0, sp);
  auto rest = sp == std::string_view::npos ? std::string_view() : text.substr(sp + 1);
  if (is_status(first)) {
    u.status = upper(first);
    split_code(rest, u.code, u.text);
    return u;
  }
  if (!first.empty() && std::all_of(first.begin(), first.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::uint32_t n = 0;
    std::from_chars(first.data(), first.data() + first.size(), n);
    u.number = n;
    auto sp2 = rest.find(' ');
    u.name = upper(rest.substr(0, sp2));
    rest = sp2 == std::string_view::npos ? std::string_view() : rest.substr(sp2 + 1);
  } else {
    u.name = upper(first);
  }
  u.items = parse_values(rest);
  return u;
}

}  // namespace lemonade::imap::client
