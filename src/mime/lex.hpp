#pragma once
// Internal to lemonade_mime: the lexical pieces of RFC 5322 §3.2 shared by
// the Content-* field parsers (RFC 2045 §5.1 tokens) and the address
// parser. All functions take the text and a position, never read past the
// text and never throw; malformed input (an unclosed quote or comment)
// ends at the end of the text.

#include <cstddef>
#include <string>
#include <string_view>

namespace lemonade::mime::lex {

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

// White space including line ends, as left by unfolding or found inside
// folded structured fields.
constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

constexpr bool is_ctl(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// RFC 2045 §5.1 tspecials.
constexpr bool is_tspecial(char c) noexcept {
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
    case '\\': case '"': case '/': case '[': case ']': case '?': case '=':
      return true;
    default:
      return false;
  }
}

// RFC 2045 §5.1 token character; 8-bit octets are tolerated.
constexpr bool is_token_char(char c) noexcept {
  return c != ' ' && !is_ctl(c) && !is_tspecial(c);
}

// Reads a comment starting at s[i] == '(' (RFC 5322 §3.2.2, nested, with
// quoted-pairs). Returns its text without the outer parentheses, quoted
// pairs unescaped; i ends after the closing parenthesis.
std::string read_comment(std::string_view s, std::size_t& i);

// Skips white space and comments (CFWS).
void skip_cfws(std::string_view s, std::size_t& i);

// Reads a quoted-string starting at s[i] == '"' (RFC 5322 §3.2.4). Returns
// the content with quoted-pairs unescaped and line ends of folding removed;
// i ends after the closing quote.
std::string read_quoted(std::string_view s, std::size_t& i);

// Removes RFC 5322 §2.2.3 folding: deletes every CR and LF of a field
// value, keeping the white space that followed them. (Inside a field value
// every line end is followed by white space, or the field would have ended.)
std::string unfold(std::string_view value);

// Trims WSP, CR and LF from both ends.
std::string_view trim(std::string_view s) noexcept;

}  // namespace lemonade::mime::lex
