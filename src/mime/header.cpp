#include "mime/header.hpp"

#include <cstring>

#include "core/strings.hpp"
#include "mime/lex.hpp"

namespace lemonade::mime {

header_line header_line_kind(std::string_view line, std::size_t* colon) noexcept {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return header_line::blank;  // RFC 5322 §2.1: the empty line ends the header
  if (lex::is_wsp(line.front())) return header_line::continuation;  // RFC 5322 §2.2.3
  // RFC 5322 §3.6.8: field-name = 1*ftext, printable US-ASCII except ":".
  // 8-bit octets are tolerated; RFC 5322 §4.5 tolerates WSP before the colon.
  std::size_t i = 0;
  while (i < line.size() && line[i] != ':' && !lex::is_wsp(line[i]) && !lex::is_ctl(line[i])) ++i;
  if (i == 0) return header_line::other;
  std::size_t name_end = i;
  while (i < line.size() && lex::is_wsp(line[i])) ++i;
  if (i == line.size() || line[i] != ':' || name_end == 0) return header_line::other;
  if (colon) *colon = i;
  return header_line::field;
}

namespace {

struct split_result {
  std::vector<header_field> fields;
  std::size_t end = 0;  // where the fields end (the blank line, if any, starts here)
};

split_result split(std::string_view header) {
  split_result r;
  std::size_t pos = 0;
  std::size_t field_start = 0;
  auto close_field = [&](std::size_t end) {
    auto& f = r.fields.back();
    f.raw = header.substr(field_start, end - field_start);
    std::size_t start = f.raw.find(':') + 1;  // a name holds no colon
    std::size_t stop = f.raw.size();
    if (stop > start && f.raw[stop - 1] == '\n') --stop;
    if (stop > start && f.raw[stop - 1] == '\r') --stop;
    f.value = f.raw.substr(start, stop - start);
  };
  while (pos < header.size()) {
    const void* nl = std::memchr(header.data() + pos, '\n', header.size() - pos);
    std::size_t next = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - header.data()) + 1 : header.size();
    auto line = header.substr(pos, next - pos);
    std::size_t colon = 0;
    auto kind = header_line_kind(line, &colon);
    if (kind == header_line::field) {
      if (!r.fields.empty()) close_field(pos);
      std::size_t name_end = 0;
      while (name_end < colon && !lex::is_wsp(line[name_end])) ++name_end;
      r.fields.push_back({line.substr(0, name_end), {}, {}});
      field_start = pos;
    } else if (kind != header_line::continuation || r.fields.empty()) {
      break;
    }
    pos = next;
  }
  if (!r.fields.empty()) close_field(pos);
  r.end = pos;
  return r;
}

}  // namespace

std::vector<header_field> split_header(std::string_view header) { return split(header).fields; }

std::optional<std::string> field_value(std::string_view header, std::string_view name) {
  for (auto& f : split(header).fields)
    if (core::iequals(f.name, name)) return std::string(lex::trim(lex::unfold(f.value)));
  return std::nullopt;
}

std::string header_fields(std::string_view header, std::span<const std::string> names, bool exclude) {
  auto r = split(header);
  std::string out;
  for (auto& f : r.fields) {
    bool match = false;
    for (auto& n : names)
      if (core::iequals(f.name, n)) {
        match = true;
        break;
      }
    // RFC 3501 §6.4.5: "The field-matching is case-insensitive but otherwise exact."
    if (match != exclude) out += f.raw;
  }
  // RFC 3501 §6.4.5: "Subsetting does not exclude the [RFC-2822] delimiting
  // blank line between the header and the body".
  auto rest = header.substr(r.end);
  auto nl = rest.find('\n');
  auto first_line = nl == std::string_view::npos ? rest : rest.substr(0, nl + 1);
  if (!first_line.empty() && header_line_kind(first_line) == header_line::blank) out += first_line;
  return out;
}

}  // namespace lemonade::mime
