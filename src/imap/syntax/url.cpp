// RFC 5092 §11 (collected ABNF) and RFC 4467 §9, read strictly.
#include "imap/syntax/url.hpp"

#include "core/dates.hpp"
#include "core/strings.hpp"

namespace lemonade::imap::syntax {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 3986 §2.3 unreserved.
bool is_unreserved(char c) { return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~'; }
// RFC 5092: sub-delims-sh = "!" / "$" / "'" / "(" / ")" / "*" / "+" / ","
bool is_sub_delim_sh(char c) {
  return c == '!' || c == '$' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',';
}
// uchar without pct-encoded (which the scanners handle), achar, bchar.
bool is_uchar(char c) { return is_unreserved(c) || is_sub_delim_sh(c); }
bool is_achar(char c) { return is_uchar(c) || c == '&' || c == '=' || c == '~'; }
bool is_bchar(char c) { return is_achar(c) || c == ':' || c == '@' || c == '/'; }

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = c;
    if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07;
    else if (c >= 0x80) return false;
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates, beyond U+10FFFF.
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

class scanner {
 public:
  explicit scanner(std::string_view in) : in_(in) {}

  bool fail(std::string why) {
    if (!error_) error_ = std::move(why);
    return false;
  }
  const std::optional<std::string>& error() const { return error_; }
  bool at_end() const { return pos_ >= in_.size(); }
  std::size_t pos() const { return pos_; }
  char peek() const { return at_end() ? '\0' : in_[pos_]; }
  // Consumes a case-insensitive keyword such as ";UID=" if it is next.
  bool keyword(std::string_view k) {
    if (in_.size() - pos_ < k.size() || !core::iequals(in_.substr(pos_, k.size()), k)) return false;
    pos_ += k.size();
    return true;
  }
  bool skip(char c) {
    if (peek() != c || at_end()) return false;
    ++pos_;
    return true;
  }

  // 1*(chars / pct-encoded), %-decoded; empty (and an error) if none.
  template <class Allowed>
  std::optional<std::string> encoded(Allowed allowed, std::string_view what) {
    std::size_t start = pos_;
    while (!at_end()) {
      char c = in_[pos_];
      if (c == '%') {
        if (in_.size() - pos_ < 3 || !is_hex(in_[pos_ + 1]) || !is_hex(in_[pos_ + 2])) {
          fail("bad %-encoding in " + std::string(what));
          return std::nullopt;
        }
        pos_ += 3;
      } else if (allowed(c)) {
        ++pos_;
      } else {
        break;
      }
    }
    if (pos_ == start) {
      fail("empty " + std::string(what));
      return std::nullopt;
    }
    return percent_decode(in_.substr(start, pos_ - start));
  }

  std::optional<std::uint64_t> digits(std::uint64_t max, bool nonzero, std::string_view what) {
    std::size_t start = pos_;
    while (!at_end() && is_digit(in_[pos_])) ++pos_;
    auto n = core::parse_uint(in_.substr(start, pos_ - start), max);
    if (!n || (nonzero && (*n == 0 || in_[start] == '0'))) {
      fail("bad " + std::string(what));
      return std::nullopt;
    }
    return n;
  }

  std::string_view rest() const { return in_.substr(pos_); }
  std::string_view upto(std::size_t end) const { return in_.substr(0, end); }
  void advance(std::size_t n) { pos_ += n; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  std::optional<std::string> error_;
};

// RFC 3339 §5.6 date-time: full-date "T" full-time, where full-time is
// partial-time time-offset ("Z" or +/-hh:mm); 'T' and 'Z' in either case.
std::optional<std::int64_t> rfc3339(std::string_view s, std::size_t& used) {
  auto num = [&](std::size_t at, std::size_t n) -> std::optional<unsigned> {
    if (at + n > s.size()) return std::nullopt;
    unsigned v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!is_digit(s[i])) return std::nullopt;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return v;
  };
  auto year = num(0, 4), month = num(5, 2), day = num(8, 2), hour = num(11, 2), minute = num(14, 2),
       second = num(17, 2);
  if (s.size() < 19 || !year || !month || !day || !hour || !minute || !second || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (!core::valid_civil(*year, *month, *day) || *hour > 23 || *minute > 59 || *second > 60)
    return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {  // time-secfrac
    std::size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return std::nullopt;
  }
  int offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    auto oh = num(i + 1, 2), om = num(i + 4, 2);
    if (!oh || !om || s[i + 3] != ':' || *oh > 23 || *om > 59) return std::nullopt;
    offset = (s[i] == '-' ? -1 : 1) * static_cast<int>(*oh * 60 + *om);
    i += 6;
  } else {
    return std::nullopt;
  }
  used = i;
  // A leap second reads as the second after it.
  auto days = core::days_from_civil(*year, *month, *day);
  return days * 86400 + std::int64_t{*hour} * 3600 + *minute * 60 + *second - std::int64_t{offset} * 60;
}

// iserver = [iuserinfo "@"] host [":" port]; iuserinfo = enc-user [iauth] /
// [enc-user] iauth; iauth = ";AUTH=" ("*" / enc-auth-type).
bool parse_server(std::string_view text, imap_url::server_part& out, url_error* error) {
  auto fail = [&](std::string why) {
    if (error) error->message = std::move(why);
    return false;
  };
  auto at = text.find('@');
  std::string_view hostport = text;
  if (at != std::string_view::npos) {
    scanner s(text.substr(0, at));
    if (!s.at_end() && s.peek() != ';') out.user = s.encoded(is_achar, "user name");
    if (s.keyword(";AUTH=")) {
      if (s.skip('*')) out.auth_type = "*";
      else out.auth_type = s.encoded(is_achar, "authentication type");
    }
    if (s.error()) return fail(*s.error());
    if (!s.at_end() || (!out.user && !out.auth_type)) return fail("bad user information before '@'");
    hostport = text.substr(at + 1);
  }
  std::string_view host = hostport, port;
  if (hostport.starts_with('[')) {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return fail("unterminated IP literal");
    host = hostport.substr(0, close + 1);
    for (char c : host.substr(1, host.size() - 2))
      if (!is_hex(c) && c != ':' && c != '.' && c != 'v' && c != 'V') return fail("bad IP literal");
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return fail("bad text after the IP literal");
      port = hostport.substr(close + 2);
    }
  } else {
    auto colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      host = hostport.substr(0, colon);
      port = hostport.substr(colon + 1);
    }
    // RFC 3986 reg-name: unreserved / pct-encoded / sub-delims; no
    // %-encoding is accepted here (a host name is ASCII).
    for (char c : host)
      if (!is_unreserved(c) && !is_sub_delim_sh(c) && c != ';' && c != '=' && c != '&') return fail("bad host name");
  }
  if (host.empty()) return fail("no host");
  out.host = core::to_lower(host);
  if (!port.empty()) {
    auto p = core::parse_uint(port, 65535);
    if (!p) return fail("bad port");
    out.port = static_cast<std::uint16_t>(*p);
  }
  return true;
}

// [";EXPIRE=" date-time] ";URLAUTH=" access [":" mechanism ":" token]
void parse_urlauth(scanner& s, imap_url& u) {
  if (s.keyword(";EXPIRE=")) {
    std::size_t used = 0;
    auto at = rfc3339(s.rest(), used);
    if (!at) {
      s.fail("bad EXPIRE date-time");
      return;
    }
    u.expire = std::string(s.rest().substr(0, used));
    u.expire_at = at;
    s.advance(used);
  }
  if (!s.keyword(";URLAUTH=")) {
    s.fail(u.expire ? "EXPIRE without URLAUTH" : "unexpected text");
    return;
  }
  // access = ("submit+" enc-user) / ("user+" enc-user) / "authuser" / "anonymous"
  if (s.keyword("submit+")) {
    auto name = s.encoded(is_achar, "access user name");
    if (name) u.access = "submit+" + *name;
  } else if (s.keyword("user+")) {
    auto name = s.encoded(is_achar, "access user name");
    if (name) u.access = "user+" + *name;
  } else if (s.keyword("authuser")) {
    u.access = "authuser";
  } else if (s.keyword("anonymous")) {
    u.access = "anonymous";
  } else {
    s.fail("bad URLAUTH access identifier");
    return;
  }
  if (s.error()) return;
  u.rump = std::string(s.upto(s.pos()));
  if (!s.skip(':')) return;
  // uauth-mechanism = "INTERNAL" / 1*(ALPHA / DIGIT / "-" / ".")
  std::string mech;
  while (!s.at_end() && (is_alpha(s.peek()) || is_digit(s.peek()) || s.peek() == '-' || s.peek() == '.')) {
    mech += core::ascii_upper(s.peek());
    s.advance(1);
  }
  if (mech.empty() || !s.skip(':')) {
    s.fail("bad URLAUTH mechanism");
    return;
  }
  // enc-urlauth = 32*HEXDIG
  std::string token;
  while (!s.at_end() && is_hex(s.peek())) {
    token += core::ascii_lower(s.peek());
    s.advance(1);
  }
  if (token.size() < 32) {
    s.fail("URLAUTH token shorter than 32 hex digits");
    return;
  }
  u.mechanism = std::move(mech);
  u.token = std::move(token);
}

// Text scanned as 1*bchar that is followed by "/;KEYWORD=": the '/' is the
// separator, not part of the value.
bool strip_separator(std::string& raw_value) {
  if (raw_value.empty() || raw_value.back() != '/') return false;
  raw_value.pop_back();
  return true;
}

// 1*bchar up to a ';' (or '?' when stop_at_query), undecoded.
std::string_view bchars(scanner& s, bool stop_at_query) {
  auto rest = s.rest();
  std::size_t n = 0;
  while (n < rest.size() && rest[n] != ';' && !(stop_at_query && rest[n] == '?') &&
         (is_bchar(rest[n]) || rest[n] == '%'))
    ++n;
  s.advance(n);
  return rest.substr(0, n);
}

std::optional<std::string> decoded(scanner& s, std::string_view raw, std::string_view what) {
  if (raw.empty()) {
    s.fail("empty " + std::string(what));
    return std::nullopt;
  }
  auto d = percent_decode(raw);
  if (!d) s.fail("bad %-encoding in " + std::string(what));
  return d;
}

// partial-range = number ["." nz-number], after ";PARTIAL=".
void parse_partial(scanner& s, imap_url& u) {
  auto offset = s.digits(UINT64_MAX, false, "PARTIAL offset");
  if (!offset) return;
  imap_url::partial_range p{*offset, std::nullopt};
  if (s.skip('.')) {
    auto length = s.digits(UINT64_MAX, true, "PARTIAL length");
    if (!length) return;
    p.length = *length;
  }
  u.partial = p;
}

// icommand = imessagelist / imessagepart [iurlauth]
void parse_command(scanner& s, imap_url& u) {
  if (s.at_end()) return;  // "imap://host/" names the server
  auto raw = std::string(bchars(s, true));
  if (!s.at_end() && s.peek() != ';' && s.peek() != '?') {
    s.fail("bad character in the mailbox name");
    return;
  }
  // imailbox-ref = enc-mailbox [uidvalidity]; then "/;UID=" or "?" or end.
  bool slash_before = false;
  if (s.peek() == ';') slash_before = strip_separator(raw);
  auto mailbox = decoded(s, raw, "mailbox name");
  if (!mailbox) return;
  if (!valid_utf8(*mailbox)) {
    s.fail("mailbox name is not UTF-8");
    return;
  }
  u.mailbox = std::move(*mailbox);
  if (!slash_before && s.keyword(";UIDVALIDITY=")) {
    auto v = s.digits(UINT32_MAX, true, "UIDVALIDITY");
    if (!v) return;
    u.uidvalidity = static_cast<std::uint32_t>(*v);
    slash_before = s.skip('/');
  }
  if (s.skip('?')) {  // imessagelist = imailbox-ref [ "?" enc-search ]
    if (slash_before) {
      s.fail("unexpected '/'");
      return;
    }
    auto raw_search = s.rest();
    s.advance(raw_search.size());
    for (char c : raw_search)
      if (!is_bchar(c) && c != '%') {
        s.fail("bad character in the search");
        return;
      }
    auto search = decoded(s, raw_search, "search");
    if (search) u.search = std::move(*search);
    return;
  }
  if (s.at_end() && !slash_before) return;
  if (!slash_before || !s.keyword(";UID=")) {
    s.fail("expected /;UID=");
    return;
  }
  auto uid = s.digits(UINT32_MAX, true, "UID");
  if (!uid) return;
  u.uid = static_cast<std::uint32_t>(*uid);
  // ["/;SECTION=" enc-section] ["/;PARTIAL=" partial-range]
  bool slash = s.skip('/');
  if (slash && s.keyword(";SECTION=")) {
    auto raw_section = std::string(bchars(s, false));
    // enc-section may hold '/', so a '/' right before ";PARTIAL=" is the
    // separator; anywhere else before ';' it is an error below.
    slash = s.peek() == ';' && strip_separator(raw_section);
    auto section = decoded(s, raw_section, "SECTION");
    if (!section) return;
    u.section = std::move(*section);
    if (slash && !s.keyword(";PARTIAL=")) {
      s.fail("expected /;PARTIAL=");
      return;
    }
    if (slash) parse_partial(s, u);
  } else if (slash && s.keyword(";PARTIAL=")) {
    parse_partial(s, u);
  } else if (slash) {
    s.fail("unexpected '/'");
    return;
  }
  if (s.error()) return;
  if (!s.at_end()) parse_urlauth(s, u);
}

std::string encode(std::string_view text, bool (*allowed)(char)) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (allowed(c)) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += hex[b >> 4];
      out += hex[b & 15];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (text.size() - i < 3) return std::nullopt;
    auto h = [](char c) { return is_digit(c) ? c - '0' : (core::ascii_lower(c) - 'a' + 10); };
    if (!is_hex(text[i + 1]) || !is_hex(text[i + 2])) return std::nullopt;
    out += static_cast<char>(h(text[i + 1]) * 16 + h(text[i + 2]));
    i += 2;
  }
  return out;
}

std::optional<imap_url> parse_url(std::string_view text, bool relative, url_error* error) {
  imap_url u;
  std::size_t path_at = 0;
  if (core::istarts_with(text, "imap://") || (relative && text.starts_with("//"))) {
    auto start = text.starts_with("//") ? 2 : 7;
    auto slash = text.find('/', start);
    auto server_text = text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    imap_url::server_part server;
    if (!parse_server(server_text, server, error)) return std::nullopt;
    u.server = std::move(server);
    if (slash == std::string_view::npos) return u;
    path_at = slash + 1;
  } else if (relative && text.starts_with('/')) {
    path_at = 1;
  } else {
    if (error) error->message = relative ? "not an IMAP URL or absolute path" : "not an imap:// URL";
    return std::nullopt;
  }
  scanner s(text);
  s.advance(path_at);
  parse_command(s, u);
  if (!s.error() && !s.at_end()) s.fail("unexpected text");
  if (s.error()) {
    if (error) error->message = *s.error();
    return std::nullopt;
  }
  return u;
}

std::string format_url(const imap_url& u) {
  std::string out;
  if (u.server) {
    out += "imap://";
    if (u.server->user || u.server->auth_type) {
      if (u.server->user) out += encode(*u.server->user, is_achar);
      if (u.server->auth_type)
        out += ";AUTH=" + (*u.server->auth_type == "*" ? std::string("*") : encode(*u.server->auth_type, is_achar));
      out += '@';
    }
    out += u.server->host;
    if (u.server->port) out += ':' + std::to_string(*u.server->port);
  }
  out += '/';
  if (u.mailbox.empty() && !u.uid && !u.search) return out;
  // '/' separates levels and stays; a name ending in '/' would read as
  // the separator before ";UID=", so that one is encoded.
  auto mailbox = encode(u.mailbox, is_bchar);
  if (mailbox.ends_with('/')) mailbox.replace(mailbox.size() - 1, 1, "%2F");
  // Nor may it start with one: "//" would begin a server part.
  if (mailbox.starts_with('/')) mailbox.replace(0, 1, "%2F");
  out += mailbox;
  if (u.uidvalidity) out += ";UIDVALIDITY=" + std::to_string(*u.uidvalidity);
  if (u.search) {
    out += '?' + encode(*u.search, is_bchar);
    return out;
  }
  if (!u.uid) return out;
  out += "/;UID=" + std::to_string(*u.uid);
  if (u.section) {
    auto section = encode(*u.section, is_bchar);
    if (section.ends_with('/')) section.replace(section.size() - 1, 1, "%2F");
    out += "/;SECTION=" + section;
  }
  if (u.partial) {
    out += "/;PARTIAL=" + std::to_string(u.partial->offset);
    if (u.partial->length) out += '.' + std::to_string(*u.partial->length);
  }
  if (u.access) {
    if (u.expire) out += ";EXPIRE=" + *u.expire;
    out += ";URLAUTH=";
    if (u.access->starts_with("submit+")) out += "submit+" + encode(u.access->substr(7), is_achar);
    else if (u.access->starts_with("user+")) out += "user+" + encode(u.access->substr(5), is_achar);
    else out += *u.access;
    if (u.mechanism && u.token) out += ':' + *u.mechanism + ':' + *u.token;
  }
  return out;
}

std::string url_rump(const imap_url& url) {
  auto copy = url;
  copy.mechanism.reset();
  copy.token.reset();
  return format_url(copy);
}

}  // namespace lemonade::imap::syntax
