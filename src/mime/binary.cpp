#include "mime/binary.hpp"

#include "core/strings.hpp"
#include "mime/decode.hpp"
#include "mime/lex.hpp"

namespace lemonade::mime {
namespace {

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

// A quoted-printable line held back is decoded in part once it is this
// long (a line without end could otherwise grow to the part's size).
constexpr std::size_t qp_line_hold = 4096;

void binary_decoder::emit(std::string_view decoded, std::string& out) {
  if (!text_) {
    out += decoded;
    return;
  }
  // Bare LF and bare CR become CRLF, across pieces too.
  for (char c : decoded) {
    if (skip_lf_ && c == '\n') {
      skip_lf_ = false;
      continue;
    }
    skip_lf_ = false;
    if (c == '\r') {
      out += "\r\n";
      skip_lf_ = true;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
}

void binary_decoder::feed(std::string_view in, std::string& out) {
  switch (kind_) {
    case cte_kind::identity: emit(in, out); return;
    case cte_kind::base64: {
      if (!text_) {
        decode_base64(in, b64_, out);
        return;
      }
      std::string piece;
      decode_base64(in, b64_, piece);
      emit(piece, out);
      return;
    }
    case cte_kind::quoted_printable: {
      // Whole lines are decoded as decode_quoted_printable() decodes them;
      // the rest waits for its line end.
      std::size_t at = 0;
      while (at < in.size()) {
        auto nl = in.find('\n', at);
        if (nl == std::string_view::npos) {
          line_.append(in.substr(at));
          break;
        }
        line_.append(in.substr(at, nl + 1 - at));
        emit(decode_quoted_printable(line_), out);
        line_.clear();
        at = nl + 1;
      }
      if (line_.size() > qp_line_hold) {
        // Decode a prefix whose decoding cannot depend on what follows:
        // it ends in neither white space (dropped at a line end) nor
        // within two octets of an '=' (a hex pair, a soft break).
        auto k = line_.size();
        auto safe = [&](std::size_t n) {
          return !lex::is_wsp(line_[n - 1]) && line_[n - 1] != '=' && line_[n - 2] != '=' &&
                 line_[n - 1] != '\r';
        };
        while (k > 2 && !safe(k)) --k;
        if (k > 2) {
          emit(decode_quoted_printable(std::string_view(line_).substr(0, k)), out);
          line_.erase(0, k);
        }
      }
      return;
    }
    case cte_kind::unknown: return;
  }
}

void binary_decoder::finish(std::string& out) {
  if (kind_ == cte_kind::quoted_printable && !line_.empty()) {
    emit(decode_quoted_printable(line_), out);
    line_.clear();
  }
}

std::optional<std::string> binary_content(std::string_view body, const part& p) {
  auto kind = classify_cte(p.encoding);
  if (kind == cte_kind::unknown) return std::nullopt;
  bool text = p.kind == part_kind::leaf && p.type == "text";
  if (kind == cte_kind::identity && !text) return std::string(body);
  std::string out;
  out.reserve(kind == cte_kind::base64 ? body.size() / 4 * 3 + 3 : body.size());
  binary_decoder d(kind, text);
  d.feed(body, out);
  d.finish(out);
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
