// RFC 5322 §3.4 addresses as RFC 3501 §7.4.2 ENVELOPE shows them, read
// leniently: obsolete forms (§4.4: routes, "a . b" local parts, empty list
// elements), missing domains, unclosed quotes and brackets.
#include <algorithm>
#include <string>
#include <vector>

#include "mime/lex.hpp"
#include "mime/parser.hpp"

namespace lemonade::mime {
namespace {

struct token {
  enum class kind { word, quoted, domain_literal, special } k;
  std::string text;  // word: the atom; quoted: the content; special: the char
  std::string raw;   // as written (quoted strings keep their quotes)
};

// RFC 5322 §3.2.3 specials that separate the parts of an address; '.' stays
// inside words so a dot-atom is one token.
bool is_address_special(char c) {
  return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':' || c == '"' || c == '(' ||
         c == ')' || c == '[' || c == ']' || c == '\\';
}

// Splits the value into tokens; comments are dropped, but the first one is
// kept aside per address as a possible display name.
struct tokenizer_result {
  std::vector<token> tokens;
  std::vector<std::pair<std::size_t, std::string>> comments;  // (token index it precedes, text)
};

tokenizer_result tokenize(std::string_view s) {
  tokenizer_result r;
  std::size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (lex::is_space(c)) {
      ++i;
    } else if (c == '(') {
      r.comments.emplace_back(r.tokens.size(), std::string(lex::trim(lex::read_comment(s, i))));
    } else if (c == '"') {
      std::size_t start = i;
      auto text = lex::read_quoted(s, i);
      r.tokens.push_back({token::kind::quoted, std::move(text), std::string(s.substr(start, i - start))});
    } else if (c == '[') {
      std::size_t start = i;
      auto close = s.find(']', i);
      i = close == std::string_view::npos ? s.size() : close + 1;
      auto raw = lex::unfold(s.substr(start, i - start));
      r.tokens.push_back({token::kind::domain_literal, raw, raw});
    } else if (c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':') {
      r.tokens.push_back({token::kind::special, std::string(1, c), std::string(1, c)});
      ++i;
    } else if (c == ')' || c == ']' || c == '\\') {
      ++i;  // stray closer or backslash: noise
    } else {
      std::size_t start = i;
      while (i < s.size() && !lex::is_space(s[i]) && !is_address_special(s[i])) ++i;
      std::string w(s.substr(start, i - start));
      r.tokens.push_back({token::kind::word, w, w});
    }
  }
  return r;
}

class address_parser {
 public:
  explicit address_parser(std::string_view value) : t_(tokenize(value)) {}

  std::vector<address> run() {
    while (i_ < t_.tokens.size()) {
      if (is(',') || is(';') || is('>')) {
        ++i_;  // empty list element (RFC 5322 §4.4) or noise
        continue;
      }
      one(false);
    }
    return std::move(out_);
  }

 private:
  bool is(char c) const {
    return i_ < t_.tokens.size() && t_.tokens[i_].k == token::kind::special && t_.tokens[i_].text[0] == c;
  }

  // The first comment among tokens [from, to], for "addr@host (Name)".
  std::optional<std::string> comment_between(std::size_t from, std::size_t to) const {
    // Comments are recorded in token order: binary search, so a header of
    // many commented addresses stays linear.
    auto it = std::lower_bound(t_.comments.begin(), t_.comments.end(), from,
                               [](const auto& c, std::size_t v) { return c.first < v; });
    for (; it != t_.comments.end() && it->first <= to; ++it)
      if (!it->second.empty()) return it->second;
    return std::nullopt;
  }

  // Display name: words joined by one space, quoted strings unquoted.
  static std::optional<std::string> phrase(const std::vector<const token*>& words) {
    if (words.empty()) return std::nullopt;
    std::string out;
    for (auto* w : words) {
      if (!out.empty()) out += ' ';
      out += w->text;
    }
    return out;
  }

  // local-part "@" domain from raw tokens; a missing domain gives host ""
  // (never NIL, which would read as RFC 3501 group syntax).
  static address addr_spec(const std::vector<const token*>& toks) {
    address a;
    std::size_t at = toks.size();
    for (std::size_t k = toks.size(); k-- > 0;)
      if (toks[k]->k == token::kind::special && toks[k]->text == "@") {
        at = k;
        break;
      }
    std::string local, domain;
    for (std::size_t k = 0; k < at; ++k) local += toks[k]->raw;
    for (std::size_t k = at + 1; k < toks.size(); ++k) domain += toks[k]->raw;
    a.mailbox = local;
    a.host = domain;
    return a;
  }

  void one(bool in_group) {
    std::size_t first = i_;
    std::vector<const token*> words;
    while (i_ < t_.tokens.size() && !is('<') && !is(':') && !is(',') && !is(';')) words.push_back(&t_.tokens[i_++]);
    if (is('<')) {
      ++i_;
      address a;
      // RFC 5322 §4.4 obs-route: "@a,@b:" before the addr-spec.
      std::size_t route_end = i_;
      while (route_end < t_.tokens.size() && !(t_.tokens[route_end].k == token::kind::special &&
                                               (t_.tokens[route_end].text == ":" || t_.tokens[route_end].text == ">")))
        ++route_end;
      if (is('@') && route_end < t_.tokens.size() && t_.tokens[route_end].text == ":") {
        std::string adl;
        for (; i_ < route_end; ++i_) adl += t_.tokens[i_].raw;
        a.adl = adl;
        ++i_;  // ':'
      }
      std::vector<const token*> spec;
      while (i_ < t_.tokens.size() && !is('>')) spec.push_back(&t_.tokens[i_++]);
      if (is('>')) ++i_;
      auto parsed = addr_spec(spec);
      a.mailbox = std::move(parsed.mailbox);
      a.host = std::move(parsed.host);
      a.name = phrase(words);
      std::size_t last = i_;
      skip_to_separator(in_group);
      if (!a.name) a.name = comment_between(last, i_);
      out_.push_back(std::move(a));
    } else if (is(':') && !in_group) {
      ++i_;
      // RFC 3501 §7.4.2: group start (NIL NIL name NIL) ... end (NIL NIL NIL NIL).
      address start;
      start.mailbox = phrase(words).value_or("");
      out_.push_back(std::move(start));
      while (i_ < t_.tokens.size() && !is(';')) {
        if (is(',') || is(':') || is('>')) {
          ++i_;
          continue;
        }
        one(true);
      }
      if (is(';')) ++i_;
      out_.push_back(address{});
    } else {
      if (is(':')) ++i_;  // a nested group: RFC 5322 has none; read on
      if (words.empty()) return;
      auto a = addr_spec(words);
      a.name = comment_between(first, i_);
      out_.push_back(std::move(a));
    }
    if (!in_group && is(',')) ++i_;
  }

  // After an angle address: anything up to the next ',' (or ';' in a group)
  // is noise.
  void skip_to_separator(bool in_group) {
    while (i_ < t_.tokens.size() && !is(',') && !(in_group && is(';'))) ++i_;
  }

  tokenizer_result t_;
  std::size_t i_ = 0;
  std::vector<address> out_;
};

}  // namespace

std::vector<address> parse_address_list(std::string_view value) { return address_parser(value).run(); }

}  // namespace lemonade::mime
