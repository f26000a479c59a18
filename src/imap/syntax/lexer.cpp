#include "imap/syntax/lexer.hpp"

#include <ctime>

#include "core/strings.hpp"

namespace lemonade::imap::syntax {

// RFC 3501 §9: ATOM-CHAR = <any CHAR except atom-specials>;
// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
// quoted-specials / resp-specials.
bool is_atom_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']':
      return false;
    default:
      return true;
  }
}

bool is_astring_char(char c) { return is_atom_char(c) || c == ']'; }

namespace {
bool is_list_char(char c) { return is_atom_char(c) || c == '%' || c == '*' || c == ']'; }
}  // namespace

lexer::lexer(std::string_view input, unsigned max_depth) : in_(input), max_depth_(max_depth) {}

void lexer::fail(std::string message, std::string code) {
  if (failed_) return;
  failed_ = true;
  error_ = {std::move(message), std::move(code)};
}

void lexer::refuse(std::string message, std::string code) {
  if (!refusal_) refusal_ = parse_error{std::move(message), std::move(code)};
}

bool lexer::need(std::size_t n) {
  if (failed_) return false;
  if (pos_ + n > in_.size()) {
    fail("unexpected end of command");
    return false;
  }
  return true;
}

bool lexer::peek(char c) const { return !failed_ && pos_ < in_.size() && in_[pos_] == c; }

bool lexer::skip(char c) {
  if (!peek(c)) return false;
  ++pos_;
  return true;
}

void lexer::expect(char c) {
  if (failed_) return;
  if (!skip(c)) fail(std::string("expected '") + c + "'");
}

bool lexer::at_end() const {
  if (failed_) return false;
  auto rest = in_.substr(pos_);
  return rest == "\r\n" || rest == "\n" || rest.empty();
}

void lexer::end() {
  if (failed_) return;
  if (!at_end()) {
    fail("extra arguments");
    return;
  }
  pos_ = in_.size();
}

void lexer::sp() {
  if (failed_) return;
  if (!skip(' ')) fail("expected a space");
}

std::string lexer::tag() {
  if (failed_) return {};
  std::size_t start = pos_;
  while (pos_ < in_.size() && is_astring_char(in_[pos_]) && in_[pos_] != '+') ++pos_;
  if (pos_ == start) {
    fail("missing tag");
    return {};
  }
  return std::string(in_.substr(start, pos_ - start));
}

std::string lexer::atom() {
  if (failed_) return {};
  std::size_t start = pos_;
  while (pos_ < in_.size() && is_atom_char(in_[pos_])) ++pos_;
  if (pos_ == start) {
    fail("expected an atom");
    return {};
  }
  return std::string(in_.substr(start, pos_ - start));
}

std::string lexer::keyword() { return core::to_upper(atom()); }

std::string lexer::keyword_until(char stop) {
  if (failed_) return {};
  std::size_t start = pos_;
  while (pos_ < in_.size() && is_atom_char(in_[pos_]) && in_[pos_] != stop) ++pos_;
  if (pos_ == start) {
    fail("expected an atom");
    return {};
  }
  return core::to_upper(in_.substr(start, pos_ - start));
}

std::string lexer::quoted() {
  // RFC 3501 §9: quoted = DQUOTE *QUOTED-CHAR DQUOTE
  expect('"');
  std::string out;
  while (!failed_) {
    if (pos_ >= in_.size()) {
      fail("unterminated quoted string");
      break;
    }
    char c = in_[pos_++];
    if (c == '"') return out;
    if (c == '\\') {
      if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\\')) {
        fail("bad escape in quoted string");
        break;
      }
      out += in_[pos_++];
      continue;
    }
    if (c == '\r' || c == '\n' || c == '\0') {
      fail("line end or NUL in quoted string");
      break;
    }
    out += c;
  }
  return {};
}

std::string_view lexer::literal_data(bool allow_literal8, bool& binary, bool* encrypted) {
  binary = false;
  if (encrypted) *encrypted = false;
  if (failed_) return {};
  if (skip('~')) {
    if (!allow_literal8) {
      fail("literal8 not allowed here");
      return {};
    }
    binary = true;
  }
  expect('{');
  // docs/xencrypted.md: "~{X" number "}" is an encrypted object.
  if (binary && skip('X')) {
    if (!encrypted) {
      fail("encrypted literal not allowed here");
      return {};
    }
    *encrypted = true;
  }
  std::size_t start = pos_;
  while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
  auto n = core::parse_uint(in_.substr(start, pos_ - start));
  if (!n) {
    fail("bad literal size");
    return {};
  }
  skip('+');  // RFC 7888 non-synchronizing literal
  expect('}');
  skip('\r');  // the framer accepted a bare LF too
  expect('\n');
  if (!need(*n)) return {};
  auto data = in_.substr(pos_, *n);
  pos_ += *n;
  return data;
}

std::string lexer::literal_string() {
  bool binary = false;
  auto data = literal_data(false, binary);
  if (failed_) return {};
  // RFC 3501 §9: CHAR8 excludes NUL.
  if (data.find('\0') != std::string_view::npos) {
    fail("NUL in literal");
    return {};
  }
  return std::string(data);
}

std::string lexer::string() {
  if (failed_) return {};
  if (peek('"')) return quoted();
  if (peek('{')) return literal_string();
  fail("expected a string");
  return {};
}

std::string lexer::astring() {
  if (failed_) return {};
  if (peek('"') || peek('{')) return string();
  std::size_t start = pos_;
  while (pos_ < in_.size() && is_astring_char(in_[pos_])) ++pos_;
  if (pos_ == start) {
    fail("expected an astring");
    return {};
  }
  return std::string(in_.substr(start, pos_ - start));
}

std::optional<std::string> lexer::nstring() {
  if (failed_) return std::nullopt;
  if (peek('"') || peek('{')) return string();
  auto a = atom();
  if (!failed_ && !core::iequals(a, "NIL")) fail("expected a string or NIL");
  return std::nullopt;
}

std::string lexer::list_mailbox() {
  if (failed_) return {};
  if (peek('"') || peek('{')) return string();
  std::size_t start = pos_;
  while (pos_ < in_.size() && is_list_char(in_[pos_])) ++pos_;
  if (pos_ == start) {
    fail("expected a mailbox pattern");
    return {};
  }
  return std::string(in_.substr(start, pos_ - start));
}

std::uint64_t lexer::number64() {
  if (failed_) return 0;
  std::size_t start = pos_;
  while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
  auto v = core::parse_uint(in_.substr(start, pos_ - start));
  if (!v) {
    fail("expected a number");
    return 0;
  }
  return *v;
}

std::uint32_t lexer::number() {
  auto v = number64();
  if (v > UINT32_MAX) {
    fail("number out of range");
    return 0;
  }
  return static_cast<std::uint32_t>(v);
}

std::uint32_t lexer::nz_number() {
  auto v = number();
  if (!failed_ && v == 0) fail("expected a non-zero number");
  return v;
}

std::string lexer::sequence_set_text() {
  if (failed_) return {};
  std::size_t start = pos_;
  while (pos_ < in_.size() &&
         ((in_[pos_] >= '0' && in_[pos_] <= '9') || in_[pos_] == '*' || in_[pos_] == ':' ||
          in_[pos_] == ',' || in_[pos_] == '$'))
    ++pos_;
  if (pos_ == start) fail("expected a sequence set");
  return std::string(in_.substr(start, pos_ - start));
}

std::string lexer::flag() {
  if (failed_) return {};
  if (skip('\\')) {
    // "\*" only appears in server responses; a client flag is "\" atom.
    return "\\" + atom();
  }
  return atom();
}

void lexer::open_list() {
  expect('(');
  if (failed_) return;
  if (++depth_ > max_depth_) fail("too deeply nested", "LIMIT");
}

void lexer::close_list() {
  expect(')');
  if (!failed_ && depth_ > 0) --depth_;
}

lexer::date_time lexer::date_time_value() {
  // "dd-Mon-yyyy hh:mm:ss +zzzz", day may be " d".
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  expect('"');
  if (!need(26)) return {};
  auto s = in_.substr(pos_, 26);
  auto digits = [&](std::size_t at, std::size_t n) -> int {
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char c = s[at + i];
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  int day = s[0] == ' ' ? digits(1, 1) : digits(0, 2);
  int month = -1;
  for (int i = 0; i < 12; ++i)
    if (core::iequals(s.substr(3, 3), months[i])) month = i;
  int year = digits(7, 4);
  int hh = digits(12, 2), mm = digits(15, 2), ss = digits(18, 2);
  int zh = digits(22, 2), zm = digits(24, 2);
  bool shape = s[2] == '-' && s[6] == '-' && s[11] == ' ' && s[14] == ':' && s[17] == ':' &&
               s[20] == ' ' && (s[21] == '+' || s[21] == '-');
  static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year > 0 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
  if (!shape || month < 0 || day < 1 || day > month_days[month] || (month == 1 && day == 29 && !leap) ||
      year < 1 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 || zh < 0 || zm < 0 || zm > 59) {
    fail("bad date-time");
    return {};
  }
  pos_ += 26;
  expect('"');
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  int zone = (zh * 60 + zm) * (s[21] == '-' ? -1 : 1);
  auto utc = static_cast<std::int64_t>(timegm(&tm)) - zone * 60;
  return {utc, zone};
}

}  // namespace lemonade::imap::syntax
