#include "mime/text.hpp"

#include <algorithm>
#include <vector>

#include <locale.h>
#include <wctype.h>

#include "core/strings.hpp"
#include "mime/charset.hpp"
#include "mime/content_fields.hpp"
#include "mime/decode.hpp"
#include "mime/header.hpp"
#include "mime/lex.hpp"
#include "mime/parser.hpp"

namespace lemonade::mime {
namespace {

locale_t utf8_locale() {
  // Built into glibc since 2.35; nullptr (ASCII folding) if absent.
  static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

void put_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// The envelope address fields (RFC 3501 §7.4.2) that SEARCH has keys for:
// FROM, TO, CC and BCC match "the envelope structure's" field (§6.4.4),
// not its raw text.
bool is_envelope_address_field(std::string_view lower_name) {
  static constexpr std::string_view fields[] = {"from", "to", "cc", "bcc"};
  for (auto f : fields)
    if (lower_name == f) return true;
  return false;
}

// An address field as its envelope has it, for SEARCH FROM/TO/CC/BCC:
// "display name <mailbox@host>" per address, display names RFC
// 2047-decoded, comments and CFWS gone (so "<user (comment)@ (comment)
// domain.org>" is "<user@domain.org>" and "comment" does not match it), a
// group as "name: ... ;".
std::string envelope_addresses(std::string_view raw_value) {
  std::string out;
  for (auto& a : parse_address_list(raw_value)) {
    if (!a.host && a.mailbox) {  // RFC 3501 §7.4.2: group start, mailbox = its name
      if (!out.empty()) out += ", ";
      out += decode_header_value(*a.mailbox) + ":";
      continue;
    }
    if (!a.host) {  // group end
      out += out.ends_with(':') ? " ;" : ";";
      continue;
    }
    if (!out.empty()) out += out.ends_with(':') ? " " : ", ";
    if (a.name && !a.name->empty()) out += decode_header_value(*a.name) + " ";
    out += '<';
    if (a.mailbox) out += *a.mailbox;
    if (!a.host->empty()) out += "@" + *a.host;
    out += '>';
  }
  return out;
}

// One line; a CR or LF from an encoded word ("=0D=0A") must not start a
// line that reads as another field to HEADER searches.
void append_line(std::string& out, std::string_view prefix, std::string_view text) {
  auto value = fold_case(text);
  for (auto& c : value)
    if (c == '\r' || c == '\n') c = ' ';
  out += prefix;
  out += ": ";
  out += lex::trim(value);
  out += '\n';
}

// "name: decoded value" per field for HEADER and SUBJECT. With envelope,
// also " name: addresses" for the first of each envelope address field
// (a field name cannot start with a space, so HEADER never sees these).
void append_header_text(std::string& out, std::string_view header, bool envelope) {
  std::string addresses;
  std::vector<std::string> seen;
  for (auto& f : split_header(header)) {
    // Field names may hold 8-bit octets (header.hpp tolerates them).
    auto name = repair_utf8(core::to_lower(f.name));
    append_line(out, name, decode_header_value(f.value));
    if (!envelope || !is_envelope_address_field(name)) continue;
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;  // the envelope has the first
    seen.push_back(name);
    append_line(addresses, " " + name, envelope_addresses(f.value));
  }
  out += addresses;
}

}  // namespace

std::string fold_case(std::string_view in) {
  std::string text = repair_utf8(in);
  std::string out;
  out.reserve(text.size());
  auto loc = utf8_locale();
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += core::ascii_lower(static_cast<char>(c));
      ++i;
      continue;
    }
    // Valid UTF-8 after repair_utf8: decode one character.
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    char32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += n;
    if (loc) cp = static_cast<char32_t>(towlower_l(static_cast<wint_t>(cp), loc));
    put_utf8(out, cp);
  }
  return out;
}

search_text extract_search_text(std::string_view message, const message_structure& s, std::size_t max_body) {
  search_text t;
  if (s.parts.empty()) return t;
  auto slice = [&](const byte_range& r) {
    if (r.offset >= message.size()) return std::string_view();
    return message.substr(r.offset, r.length);
  };
  append_header_text(t.headers, slice(s.parts[0].header), true);
  for (std::size_t i = 0; i < s.parts.size() && t.body.size() < max_body; ++i) {
    auto& p = s.parts[i];
    std::string piece;
    if (i != 0 && p.envelope != no_index) {
      append_header_text(piece, slice(p.header), false);  // an encapsulated message's header is body text
    }
    if (p.kind == part_kind::leaf && !p.opaque && p.type == "text") {
      auto decoded = decode_transfer_encoding(slice(p.body), p.encoding);
      auto* cs = find_parameter(p.params, "charset");
      piece += fold_case(charset_to_utf8(decoded, cs ? parameter_value_utf8(*cs) : std::string()));
    }
    if (piece.empty()) continue;
    if (!t.body.empty()) t.body += '\n';
    t.body += piece;
  }
  if (t.body.size() > max_body) {
    // Cut at a character boundary.
    std::size_t cut = max_body;
    while (cut > 0 && (static_cast<unsigned char>(t.body[cut]) & 0xC0) == 0x80) --cut;
    t.body.resize(cut);
  }
  return t;
}

}  // namespace lemonade::mime
