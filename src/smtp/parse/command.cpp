#include "smtp/parse/command.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "core/strings.hpp"

namespace lemonade::smtp::parse {
namespace {

using syntax::reply;
using syntax::status_code;

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return upper(a) == upper(b); }

struct failure {
  reply r;
};

[[noreturn]] void syntax_error(std::string text) { throw failure{{501, status_code{5, 5, 2}, {std::move(text)}}}; }
[[noreturn]] void param_error(std::string text) { throw failure{{501, status_code{5, 5, 4}, {std::move(text)}}}; }

std::optional<std::uint64_t> number(std::string_view s, std::size_t max_digits = 20) {
  if (s.empty() || s.size() > max_digits) return std::nullopt;
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return n;
}

// Mail-parameters / Rcpt-parameters (§4.1.2): esmtp-param *(SP
// esmtp-param); keyword (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"), value
// 1*(%d33-60 / %d62-126) (UTF-8 too under SMTPUTF8).
struct param {
  std::string keyword;  // upper case
  std::optional<std::string> value;
};

std::vector<param> parameters(std::string_view text, bool utf8) {
  std::vector<param> out;
  std::size_t at = 0;
  while (at < text.size()) {
    if (text[at] == ' ') {
      ++at;
      continue;
    }
    auto end = text.find(' ', at);
    auto item = text.substr(at, end == std::string_view::npos ? end : end - at);
    at = end == std::string_view::npos ? text.size() : end;
    auto eq = item.find('=');
    param p;
    p.keyword = upper(item.substr(0, eq));
    if (p.keyword.empty() || !std::isalnum(static_cast<unsigned char>(p.keyword[0])) ||
        !std::all_of(p.keyword.begin(), p.keyword.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
      param_error("Malformed parameter " + std::string(item.substr(0, 64)));
    if (eq != std::string_view::npos) {
      auto v = item.substr(eq + 1);
      if (v.empty()) param_error("Empty value for " + p.keyword);
      for (char c : v) {
        auto u = static_cast<unsigned char>(c);
        if (!((u >= 33 && u <= 126 && c != '=') || (utf8 && u >= 0x80)))
          param_error("Malformed value for " + p.keyword);
      }
      p.value = std::string(v);
    }
    for (auto& seen : out)
      if (seen.keyword == p.keyword) param_error("Duplicate parameter " + p.keyword);
    out.push_back(std::move(p));
  }
  return out;
}

// "FROM:" / "TO:" then a path; spaces around the colon tolerated (many
// clients send "MAIL FROM: <a@b>").
std::string_view after_keyword(std::string_view args, std::string_view keyword) {
  if (args.size() < keyword.size() || !iequals(args.substr(0, keyword.size()), keyword))
    syntax_error("Syntax: " + std::string(keyword == "FROM" ? "MAIL FROM:<address>" : "RCPT TO:<address>"));
  args.remove_prefix(keyword.size());
  while (!args.empty() && args[0] == ' ') args.remove_prefix(1);
  if (args.empty() || args[0] != ':')
    syntax_error("Syntax: " + std::string(keyword == "FROM" ? "MAIL FROM:<address>" : "RCPT TO:<address>"));
  args.remove_prefix(1);
  while (!args.empty() && args[0] == ' ') args.remove_prefix(1);
  return args;
}

[[noreturn]] void unknown_param(const param& p) {
  // RFC 5321 §4.1.1.11: "If the server SMTP does not recognize or cannot
  // implement one or more of the parameters ... it will return code 555."
  throw failure{{555, status_code{5, 5, 4}, {"Unsupported parameter " + p.keyword}}};
}

mail_cmd mail(std::string_view args, const options& o) {
  args = after_keyword(args, "FROM");
  // Whether UTF-8 may appear depends on the SMTPUTF8 parameter after the
  // path: look for it first.
  bool utf8 = false;
  if (o.utf8) {
    auto close = args.find('>');
    auto rest = close == std::string_view::npos ? std::string_view() : args.substr(close + 1);
    for (auto& p : parameters(rest, true)) utf8 = utf8 || p.keyword == "SMTPUTF8";
  }
  auto path = syntax::parse_path(args, true, utf8);
  if (!path.address) syntax_error("Bad sender address: " + path.error);
  mail_cmd m;
  m.from = std::move(*path.address);
  auto rest = args.substr(path.consumed);
  if (!rest.empty() && rest[0] != ' ') syntax_error("Junk after the address");
  for (auto& p : parameters(rest, utf8)) {
    if (p.keyword == "SIZE") {
      auto n = p.value ? number(*p.value) : std::nullopt;
      if (!n) param_error("SIZE needs a number");
      m.size = n;
    } else if (p.keyword == "BODY") {
      auto v = p.value ? upper(*p.value) : "";
      if (v == "7BIT") m.body = body_type::seven_bit;
      else if (v == "8BITMIME") m.body = body_type::eight_bit_mime;
      else if (v == "BINARYMIME") m.body = body_type::binary_mime;
      else param_error("BODY must be 7BIT, 8BITMIME or BINARYMIME");
    } else if (p.keyword == "SMTPUTF8" && o.utf8) {
      if (p.value) param_error("SMTPUTF8 takes no value");
      m.smtputf8 = true;
    } else if (p.keyword == "RET") {
      auto v = p.value ? upper(*p.value) : "";
      if (v == "FULL") m.ret = mail_cmd::ret_kind::full;
      else if (v == "HDRS") m.ret = mail_cmd::ret_kind::hdrs;
      else param_error("RET must be FULL or HDRS");
    } else if (p.keyword == "ENVID") {
      auto v = p.value ? syntax::xtext_decode(*p.value) : std::nullopt;
      // RFC 3461 §4.4: at most 100 characters.
      if (!v || p.value->size() > 100) param_error("Malformed ENVID");
      m.envid = std::move(*v);
    } else if (p.keyword == "AUTH") {
      if (!p.value) param_error("AUTH= needs a value");
      if (*p.value == "<>") {
        m.auth = "";
      } else {
        auto v = syntax::xtext_decode(*p.value);
        if (!v) param_error("Malformed AUTH=");
        m.auth = std::move(*v);
      }
    } else {
      unknown_param(p);
    }
  }
  return m;
}

rcpt_cmd rcpt(std::string_view args, const options& o) {
  args = after_keyword(args, "TO");
  auto path = syntax::parse_path(args, false, o.utf8);
  if (!path.address) syntax_error("Bad recipient address: " + path.error);
  rcpt_cmd r;
  r.to = std::move(*path.address);
  auto rest = args.substr(path.consumed);
  if (!rest.empty() && rest[0] != ' ') syntax_error("Junk after the address");
  for (auto& p : parameters(rest, o.utf8)) {
    if (p.keyword == "NOTIFY") {
      // RFC 3461 §4.1: "NEVER" or one or more of SUCCESS, FAILURE, DELAY.
      if (!p.value) param_error("NOTIFY needs a value");
      notify_set n;
      std::string_view v = *p.value;
      std::size_t at = 0;
      int count = 0;
      for (;;) {
        auto comma = v.find(',', at);
        auto word = upper(v.substr(at, comma == std::string_view::npos ? comma : comma - at));
        bool* flag = word == "NEVER" ? &n.never : word == "SUCCESS" ? &n.success : word == "FAILURE" ? &n.failure
                     : word == "DELAY" ? &n.delay : nullptr;
        if (!flag || *flag) param_error("Malformed NOTIFY");
        *flag = true;
        ++count;
        if (comma == std::string_view::npos) break;
        at = comma + 1;
      }
      if (n.never && count > 1) param_error("NOTIFY=NEVER stands alone");
      r.notify = n;
    } else if (p.keyword == "ORCPT") {
      // RFC 3461 §4.2: addr-type ";" xtext.
      auto semi = p.value ? p.value->find(';') : std::string::npos;
      if (semi == std::string::npos || semi == 0) param_error("Malformed ORCPT");
      auto addr = syntax::xtext_decode(std::string_view(*p.value).substr(semi + 1));
      if (!addr || addr->empty() || p.value->size() > 500) param_error("Malformed ORCPT");
      r.orcpt = std::pair{p.value->substr(0, semi), std::move(*addr)};
    } else {
      unknown_param(p);
    }
  }
  return r;
}

void no_arguments(std::string_view args, const char* verb) {
  if (!args.empty()) syntax_error(std::string(verb) + " takes no arguments");
}

}  // namespace

result parse_command(std::string_view line, const options& o) {
  result out;
  auto sp = line.find(' ');
  out.verb = upper(line.substr(0, sp));
  std::string_view args = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  // Trailing spaces are tolerated (§4.1.1 allows none, clients send them).
  while (!args.empty() && args.back() == ' ') args.remove_suffix(1);
  try {
    for (char c : line)
      if (c == '\r' || c == '\0') syntax_error("Bare CR or NUL in a command");
    auto& v = out.verb;
    if (v == "EHLO" || v == "HELO" || v == "LHLO") {
      if (args.empty()) syntax_error(v + " needs a domain");
      hello_cmd h;
      h.what = v == "HELO" ? hello_cmd::kind::helo : v == "LHLO" ? hello_cmd::kind::lhlo : hello_cmd::kind::ehlo;
      h.domain.assign(args.substr(0, args.find(' ')));
      out.cmd = std::move(h);
    } else if (v == "MAIL") {
      out.cmd = mail(args, o);
    } else if (v == "RCPT") {
      out.cmd = rcpt(args, o);
    } else if (v == "DATA") {
      no_arguments(args, "DATA");
      out.cmd = data_cmd{};
    } else if (v == "BDAT") {
      // RFC 3030 §2: "BDAT" SP chunk-size [ SP end-marker ].
      auto s2 = args.find(' ');
      auto n = number(args.substr(0, s2));
      if (!n) syntax_error("Syntax: BDAT <size> [LAST]");
      bdat_cmd b{*n, false};
      if (s2 != std::string_view::npos) {
        if (!iequals(args.substr(s2 + 1), "LAST")) syntax_error("Syntax: BDAT <size> [LAST]");
        b.last = true;
      }
      out.cmd = b;
    } else if (v == "BURL") {
      // RFC 4468 §3.5: "BURL" SP absolute-URI [SP end-marker].
      auto s2 = args.find(' ');
      burl_cmd b;
      b.url.assign(args.substr(0, s2));
      if (b.url.empty()) syntax_error("Syntax: BURL <url> [LAST]");
      if (s2 != std::string_view::npos) {
        if (!iequals(args.substr(s2 + 1), "LAST")) syntax_error("Syntax: BURL <url> [LAST]");
        b.last = true;
      }
      out.cmd = std::move(b);
    } else if (v == "RSET") {
      no_arguments(args, "RSET");
      out.cmd = rset_cmd{};
    } else if (v == "NOOP") {
      out.cmd = noop_cmd{};  // §4.1.1.9: a parameter string is allowed and ignored
    } else if (v == "QUIT") {
      no_arguments(args, "QUIT");
      out.cmd = quit_cmd{};
    } else if (v == "VRFY") {
      if (args.empty()) syntax_error("VRFY needs an argument");
      out.cmd = vrfy_cmd{std::string(args)};
    } else if (v == "HELP") {
      out.cmd = help_cmd{};
    } else if (v == "STARTTLS") {
      no_arguments(args, "STARTTLS");
      out.cmd = starttls_cmd{};
    } else if (v == "AUTH") {
      auto s2 = args.find(' ');
      auth_cmd a;
      a.mechanism = upper(args.substr(0, s2));
      if (a.mechanism.empty()) syntax_error("Syntax: AUTH <mechanism> [initial-response]");
      if (s2 != std::string_view::npos) a.initial = std::string(args.substr(s2 + 1));
      out.cmd = std::move(a);
    } else if (v == "XKEY") {
      auto s2 = args.find(' ');
      auto id = core::hex_decode(args.substr(0, s2));
      auto nonce = s2 == std::string_view::npos ? std::nullopt : core::hex_decode(args.substr(s2 + 1));
      if (!id || id->size() != 8 || !nonce || nonce->size() != 16)
        syntax_error("Syntax: XKEY <key-id: 16 hex digits> <client-nonce: 32 hex digits>");
      out.cmd = xkey_cmd{*id, *nonce};
    } else if (v == "XSEALED") {
      auto object = core::base64_decode(args);
      if (!object || object->empty()) syntax_error("Syntax: XSEALED <base64 object>");
      out.cmd = xsealed_cmd{*object};
    } else {
      // §4.2.4: 500 for a command not recognised.
      throw failure{{500, status_code{5, 5, 1}, {"Command unrecognized"}}};
    }
  } catch (failure& f) {
    out.cmd.reset();
    out.error = std::move(f.r);
  }
  return out;
}

}  // namespace lemonade::smtp::parse
