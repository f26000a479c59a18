#include "mime/binary.hpp"

#include <algorithm>

#include "core/strings.hpp"
#include "mime/decode.hpp"
#include "mime/header.hpp"
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
// included) replaced by `encoding`, or one added before the blank line.
std::string header_with_cte(std::string_view header, std::string_view encoding) {
  std::string field = "Content-Transfer-Encoding: " + std::string(encoding) + "\r\n";
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
      if (!replaced) out += field;
      replaced = skipping = true;
      continue;
    }
    if (blank && !replaced) {
      out += field;
      replaced = true;
    }
    out += line;
  }
  if (!replaced) out += field + "\r\n";
  return out;
}

std::string header_with_base64(std::string_view header) { return header_with_cte(header, "base64"); }

// RFC 2045 §6.7 quoted-printable of a text body: CRLF stays a line break
// (rule 4); a bare CR or LF, '=', controls and octets over 126 are =XX
// (rules 1, 2); a space or tab before a line break is =20 / =09 (rule 3);
// no encoded line is longer than 76 characters, a soft break "=" CRLF
// where one would be (rule 5). A line that would start with "." keeps it:
// SMTP's transparency (RFC 5321 §4.5.2) is the sender's business.
std::string quoted_printable_lines(std::string_view data) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(data.size() + data.size() / 8 + 16);
  std::size_t column = 0;
  auto put = [&](std::string_view piece) {
    if (column + piece.size() > 75) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  };
  for (std::size_t i = 0; i < data.size(); ++i) {
    auto c = static_cast<unsigned char>(data[i]);
    if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') {
      out += "\r\n";
      column = 0;
      ++i;
      continue;
    }
    bool line_end_next = i + 1 == data.size() || (data[i + 1] == '\r' && i + 2 < data.size() && data[i + 2] == '\n');
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end_next);
    if (literal) {
      char one = static_cast<char>(c);
      put(std::string_view(&one, 1));
    } else {
      char three[3] = {'=', hex[c >> 4], hex[c & 15]};
      put(std::string_view(three, 3));
    }
  }
  return out;
}

// Whether octets can go by DATA as they are: no NUL, no bare CR or LF
// (RFC 5321 §2.3.8) and, unless 8-bit octets may pass, none over 127; for
// a body (`body`), no line over 998 octets either (§4.5.3.1.6), which
// quoted-printable or base64 can fix and nothing can in a header.
bool passes(std::string_view octets, bool allow_8bit, bool body) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < octets.size(); ++i) {
    auto c = static_cast<unsigned char>(octets[i]);
    if (c == 0 || (c >= 0x80 && !allow_8bit)) return false;
    if (c == '\r') {
      if (i + 1 >= octets.size() || octets[i + 1] != '\n') return false;
      ++i;
      line = 0;
      continue;
    }
    if (c == '\n') return false;
    if (++line > 998 && body) return false;
  }
  return true;
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

std::optional<std::string> downgrade(std::string_view message, const message_structure& s, bool allow_8bit) {
  std::string out;
  std::size_t at = 0;  // copied up to here
  auto copy_to = [&](std::size_t end) -> bool {
    end = std::min(end, message.size());
    if (end <= at) return true;
    auto between = message.substr(at, end - at);
    if (!passes(between, allow_8bit, false)) return false;
    out += between;
    at = end;
    return true;
  };
  // A label that no longer holds: binary to a hop without BINARYMIME,
  // 8bit to one without 8BITMIME.
  auto stale = [&](const part& p) {
    return core::iequals(p.encoding, "binary") || (!allow_8bit && core::iequals(p.encoding, "8bit"));
  };
  // Copies up to the part, then its header with the field set to `to`.
  auto relabel = [&](const part& p, std::string_view header, std::string_view to) -> bool {
    if (!copy_to(p.header.offset) || !passes(header, allow_8bit, false)) return false;
    out += header_with_cte(header, to);
    at = p.header.offset + header.size();
    return true;
  };
  for (auto& p : s.parts) {
    if (p.header.offset < at || p.header.offset > message.size()) continue;
    auto header = message.substr(p.header.offset, std::min<std::uint64_t>(p.header.length, message.size() - p.header.offset));
    if (p.kind != part_kind::leaf) {
      // RFC 2045 §6.4: a composite is 7bit, 8bit or binary, whatever its
      // parts were encoded to; it is labelled for what it may now hold.
      if (stale(p) && !relabel(p, header, allow_8bit ? "8bit" : "7bit")) return std::nullopt;
      continue;
    }
    auto body = p.body.offset < message.size() ? message.substr(p.body.offset, p.body.length) : std::string_view();
    if (passes(body, allow_8bit, true)) {
      // Copied with what follows, under a label that says what it holds.
      if (stale(p)) {
        bool has_8bit = std::any_of(body.begin(), body.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
        if (!relabel(p, header, has_8bit ? "8bit" : "7bit")) return std::nullopt;
      }
      continue;
    }
    // A composite kept whole (a limit, an encoded message/rfc822) cannot
    // be given an encoding (RFC 2045 §6.4).
    if (p.opaque && (p.type == "multipart" || p.type == "message")) return std::nullopt;
    auto kind = classify_cte(p.encoding);
    if (kind == cte_kind::unknown) return std::nullopt;
    std::string content;
    if (kind == cte_kind::base64) content = decode_base64(body);
    else if (kind == cte_kind::quoted_printable) content = decode_quoted_printable(body);
    else content = std::string(body);
    if (!copy_to(p.header.offset)) return std::nullopt;
    if (!passes(header, allow_8bit, false)) return std::nullopt;
    // Text stays readable as quoted-printable unless most of it would be
    // escaped; anything else is base64 (RFC 2045 §6.7, §6.8).
    bool text = p.type == "text" && !p.opaque;
    if (text) {
      std::size_t escaped = 0;
      for (char c : content) escaped += static_cast<unsigned char>(c) >= 0x80 || c == '\0';
      text = escaped * 3 < content.size();
    }
    auto labelled = header_with_cte(header, text ? "quoted-printable" : "base64");
    if (p.parent == no_index && !field_value(header, "MIME-Version")) {
      // A message without MIME gets it: the encoding means nothing
      // without (RFC 2045 §4).
      labelled.insert(labelled.size() - (labelled.ends_with("\r\n\r\n") ? 2 : 0), "MIME-Version: 1.0\r\n");
    }
    out += labelled;
    out += text ? quoted_printable_lines(content) : base64_lines(content);
    at = p.body.offset + p.body.length;
  }
  if (!copy_to(message.size())) return std::nullopt;
  return out;
}

}  // namespace lemonade::mime
