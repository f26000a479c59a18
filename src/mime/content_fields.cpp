#include "mime/content_fields.hpp"

#include <algorithm>

#include "core/strings.hpp"
#include "mime/lex.hpp"

namespace lemonade::mime {
namespace {

// An RFC 2231 §3 section number above this is treated as noise: no sender
// splits a value into ten thousand pieces.
constexpr unsigned max_section = 9999;
// Parameters read from one field; the rest is ignored. Joining is quadratic
// in this number, and no real field comes near it.
constexpr std::size_t max_params = 256;

std::string read_token(std::string_view s, std::size_t& i) {
  std::size_t start = i;
  while (i < s.size() && lex::is_token_char(s[i])) ++i;
  return core::to_lower(s.substr(start, i - start));
}

// One "attribute=value" as written, before RFC 2231 joining.
struct raw_param {
  std::string base;  // attribute without "*N" / "*", lower-case
  bool rfc2231 = false;  // the attribute had a '*'
  bool extended = false;  // RFC 2231 §4: trailing '*'
  unsigned section = 0;
  std::string value;
};

// Splits "name", "name*", "name*N", "name*N*" (RFC 2231 §3-§4).
raw_param split_attribute(std::string attr, std::string value) {
  raw_param p;
  p.value = std::move(value);
  auto star = attr.find('*');
  if (star == std::string::npos) {
    p.base = std::move(attr);
    return p;
  }
  auto suffix = std::string_view(attr).substr(star + 1);
  if (!suffix.empty() && suffix.back() == '*') {
    p.extended = true;
    suffix.remove_suffix(1);
  } else if (suffix.empty()) {
    p.extended = true;  // "name*"
  }
  if (!suffix.empty()) {
    auto n = core::parse_uint(suffix, max_section);
    if (!n) {  // not an RFC 2231 attribute after all: keep it whole
      p.base = std::move(attr);
      p.extended = false;
      return p;
    }
    p.section = static_cast<unsigned>(*n);
  }
  p.rfc2231 = true;
  p.base = attr.substr(0, star);
  return p;
}

// Reads a value: quoted-string, or (lenient) everything up to ';', white
// space, a comment or a quote — so unquoted tspecials such as '=' survive.
std::string read_value(std::string_view s, std::size_t& i) {
  if (i < s.size() && s[i] == '"') return lex::read_quoted(s, i);
  std::size_t start = i;
  while (i < s.size() && s[i] != ';' && !lex::is_space(s[i]) && s[i] != '(' && s[i] != '"') ++i;
  return std::string(s.substr(start, i - start));
}

std::vector<raw_param> read_raw_params(std::string_view s) {
  std::vector<raw_param> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < max_params) {
    lex::skip_cfws(s, i);
    if (i >= s.size()) break;
    if (s[i] == ';') {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';' && !lex::is_space(s[i]) && s[i] != '(') ++i;
    auto attr = core::to_lower(s.substr(start, i - start));
    lex::skip_cfws(s, i);
    if (attr.empty() || i >= s.size() || s[i] != '=') {
      // Not a parameter: skip to the next ';' (at least one octet, so the
      // loop always advances).
      if (i == start) ++i;
      while (i < s.size() && s[i] != ';') ++i;
      continue;
    }
    ++i;  // '='
    while (i < s.size() && lex::is_space(s[i])) ++i;
    auto value = read_value(s, i);
    out.push_back(split_attribute(std::move(attr), std::move(value)));
  }
  return out;
}

// RFC 2231 §7: attribute-char, what an extended value may hold unencoded.
bool is_attribute_char(char c) {
  return lex::is_token_char(c) && c != '*' && c != '\'' && c != '%' && static_cast<unsigned char>(c) < 0x80;
}

void append_percent_encoded(std::string& out, std::string_view plain) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : plain) {
    if (is_attribute_char(c)) {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
}

// Joins the sections of one RFC 2231 attribute (already sorted, duplicates
// removed) into one parameter.
parameter join_sections(const std::vector<const raw_param*>& sections) {
  parameter p;
  p.name = sections.front()->base;
  p.extended = std::any_of(sections.begin(), sections.end(), [](auto* s) { return s->extended; });
  for (std::size_t k = 0; k < sections.size(); ++k) {
    auto* s = sections[k];
    if (!p.extended || s->extended) {
      p.value += s->value;
      continue;
    }
    // RFC 2231 §4.1: plain sections may be mixed with encoded ones; encode
    // this one so the joined value stays one extended value. A first
    // section without "charset'language'" gets an empty pair.
    if (k == 0) p.value += "''";
    append_percent_encoded(p.value, s->value);
  }
  return p;
}

}  // namespace

std::vector<parameter> parse_parameters(std::string_view text) {
  auto raw = read_raw_params(text);
  std::vector<parameter> out;
  std::vector<bool> used(raw.size(), false);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (used[i]) continue;
    parameter p;
    if (!raw[i].rfc2231) {
      p = {raw[i].base, raw[i].value, false};
      used[i] = true;
    } else {
      // Gather every section of this attribute, in section order; a
      // repeated section keeps its first value.
      std::vector<const raw_param*> sections;
      for (std::size_t k = i; k < raw.size(); ++k) {
        if (used[k] || !raw[k].rfc2231 || raw[k].base != raw[i].base) continue;
        used[k] = true;
        sections.push_back(&raw[k]);
      }
      std::stable_sort(sections.begin(), sections.end(),
                       [](auto* a, auto* b) { return a->section < b->section; });
      sections.erase(std::unique(sections.begin(), sections.end(),
                                 [](auto* a, auto* b) { return a->section == b->section; }),
                     sections.end());
      p = join_sections(sections);
    }
    bool repeated = std::any_of(out.begin(), out.end(),
                                [&](const parameter& q) { return q.name == p.name && q.extended == p.extended; });
    if (!repeated) out.push_back(std::move(p));
  }
  return out;
}

std::optional<content_type> parse_content_type(std::string_view value) {
  std::size_t i = 0;
  lex::skip_cfws(value, i);
  content_type ct;
  ct.type = read_token(value, i);
  lex::skip_cfws(value, i);
  if (ct.type.empty() || i >= value.size() || value[i] != '/') return std::nullopt;
  ++i;
  lex::skip_cfws(value, i);
  ct.subtype = read_token(value, i);
  if (ct.subtype.empty()) return std::nullopt;
  ct.params = parse_parameters(value.substr(i));
  return ct;
}

std::optional<content_disposition> parse_content_disposition(std::string_view value) {
  std::size_t i = 0;
  lex::skip_cfws(value, i);
  content_disposition cd;
  cd.type = read_token(value, i);
  if (cd.type.empty()) return std::nullopt;
  cd.params = parse_parameters(value.substr(i));
  return cd;
}

std::vector<std::string> parse_language_list(std::string_view value) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < value.size()) {
    lex::skip_cfws(value, i);
    std::size_t start = i;
    while (i < value.size() && lex::is_token_char(value[i])) ++i;
    if (i > start) out.emplace_back(value.substr(start, i - start));
    lex::skip_cfws(value, i);
    // Anything else up to the next comma is noise.
    while (i < value.size() && value[i] != ',') ++i;
    if (i < value.size()) ++i;
  }
  return out;
}

std::string parse_token(std::string_view value) {
  std::size_t i = 0;
  lex::skip_cfws(value, i);
  return read_token(value, i);
}

const parameter* find_parameter(const std::vector<parameter>& params, std::string_view name) {
  const parameter* extended = nullptr;
  for (auto& p : params) {
    if (p.name != name) continue;
    if (!p.extended) return &p;
    if (!extended) extended = &p;
  }
  return extended;
}

}  // namespace lemonade::mime
