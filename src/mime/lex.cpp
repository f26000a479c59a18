#include "mime/lex.hpp"

namespace lemonade::mime::lex {

std::string read_comment(std::string_view s, std::size_t& i) {
  // RFC 5322 §3.2.2: comments nest; counted, not recursed, so a hostile
  // "((((..." costs no stack.
  std::string text;
  std::size_t depth = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size()) {
      text += s[++i];
      continue;
    }
    if (c == '(') {
      if (depth++ > 0) text += c;
      continue;
    }
    if (c == ')') {
      if (--depth == 0) {
        ++i;
        return text;
      }
      text += c;
      continue;
    }
    if (c == '\r' || c == '\n') continue;  // folding inside the comment
    text += c;
  }
  return text;
}

void skip_cfws(std::string_view s, std::size_t& i) {
  while (i < s.size()) {
    if (is_space(s[i])) ++i;
    else if (s[i] == '(') read_comment(s, i);
    else return;
  }
}

std::string read_quoted(std::string_view s, std::size_t& i) {
  std::string text;
  ++i;  // the opening quote
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      ++i;
      return text;
    }
    if (c == '\\' && i + 1 < s.size()) {
      text += s[++i];  // RFC 5322 §3.2.1 quoted-pair
      continue;
    }
    if (c == '\r' || c == '\n') continue;  // RFC 5322 §3.2.4: folding is not content
    text += c;
  }
  return text;
}

std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value)
    if (c != '\r' && c != '\n') out += c;
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace lemonade::mime::lex
