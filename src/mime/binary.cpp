#include "mime/binary.hpp"

#include "core/strings.hpp"
#include "mime/decode.hpp"

namespace lemonade::mime {
namespace {

// Bare LF and bare CR become CRLF.
std::string crlf_lines(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

// RFC 2045 §6.8: base64 in lines of at most 76 characters, CRLF between
// them (none after the last: what followed the body still follows it).
std::string base64_lines(std::string_view data) {
  auto flat = core::base64_encode(data);
  std::string out;
  out.reserve(flat.size() + flat.size() / 38 + 2);
  for (std::size_t i = 0; i < flat.size(); i += 76) {
    if (i) out += "\r\n";
    out.append(flat, i, 76);
  }
  return out;
}

bool starts_field(std::string_view line, std::string_view name) {
  return line.size() > name.size() && core::istarts_with(line, name) &&
         (line[name.size()] == ':' || line[name.size()] == ' ' || line[name.size()] == '\t');
}

// The header with its Content-Transfer-Encoding field (folded lines
// included) replaced by "base64", or one added before the blank line.
std::string header_with_base64(std::string_view header) {
  std::string out;
  bool replaced = false, skipping = false;
  std::size_t at = 0;
  while (at < header.size()) {
    auto end = header.find('\n', at);
    end = end == std::string_view::npos ? header.size() : end + 1;
    auto line = header.substr(at, end - at);
    at = end;
    bool blank = line == "\r\n" || line == "\n";
    bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    if (skipping && continuation) continue;
    skipping = false;
    if (!blank && starts_field(line, "Content-Transfer-Encoding")) {
      if (!replaced) out += "Content-Transfer-Encoding: base64\r\n";
      replaced = skipping = true;
      continue;
    }
    if (blank && !replaced) {
      out += "Content-Transfer-Encoding: base64\r\n";
      replaced = true;
    }
    out += line;
  }
  if (!replaced) out += "Content-Transfer-Encoding: base64\r\n\r\n";
  return out;
}

}  // namespace

cte_kind classify_cte(std::string_view encoding) {
  // RFC 2045 §6.1: no field means 7bit; the three identity encodings.
  if (encoding.empty() || core::iequals(encoding, "7bit") || core::iequals(encoding, "8bit") ||
      core::iequals(encoding, "binary"))
    return cte_kind::identity;
  if (core::iequals(encoding, "base64")) return cte_kind::base64;
  if (core::iequals(encoding, "quoted-printable")) return cte_kind::quoted_printable;
  return cte_kind::unknown;
}

std::optional<std::string> binary_content(std::string_view body, const part& p) {
  std::string out;
  switch (classify_cte(p.encoding)) {
    case cte_kind::identity: out.assign(body); break;
    case cte_kind::base64: out = decode_base64(body); break;
    case cte_kind::quoted_printable: out = decode_quoted_printable(body); break;
    case cte_kind::unknown: return std::nullopt;
  }
  if (p.kind == part_kind::leaf && p.type == "text") out = crlf_lines(out);
  return out;
}

std::optional<std::string> encode_nul_parts(std::string_view message, const message_structure& s) {
  if (message.find('\0') == std::string_view::npos) return std::string(message);
  std::string out;
  std::size_t at = 0;
  for (auto& p : s.parts) {
    if (p.kind != part_kind::leaf) continue;
    auto body = p.body.offset < message.size() ? message.substr(p.body.offset, p.body.length) : std::string_view();
    if (body.find('\0') == std::string_view::npos || p.header.offset < at) continue;
    // The decoded content: a NUL can only sit raw in an identity or
    // quoted-printable body (base64 text has none).
    auto content = classify_cte(p.encoding) == cte_kind::quoted_printable ? decode_quoted_printable(body)
                                                                          : std::string(body);
    out.append(message, at, p.header.offset - at);
    out += header_with_base64(message.substr(p.header.offset, p.header.length));
    out += base64_lines(content);
    at = p.body.offset + p.body.length;
  }
  out.append(message, std::min(at, message.size()));
  if (out.find('\0') != std::string::npos) return std::nullopt;
  return out;
}

}  // namespace lemonade::mime
