#include "mime/preview.hpp"

#include <vector>

#include "mime/charset.hpp"
#include "mime/decode.hpp"
#include "mime/html_text.hpp"

namespace lemonade::mime {
namespace {

// Enough text for any preview: a part is cut to this many octets before
// it is decoded. HTML is cut shorter before it is parsed: gumbo's time
// grows with the square of the nesting depth (100,000 nested <div>s took
// 100 s), and 32 KB holds at most 6,500 of them (tens of ms).
constexpr std::size_t preview_input = 256 * 1024;
constexpr std::size_t preview_html = 32 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The text's lines made one line of at most max_chars characters, leaving
// out quotes, their attribution line, and everything from a signature on.
std::string abstract(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  bool space = false;
  auto add = [&](std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      // (The text is UTF-8 here: an octet 0xA0 is the second half of a
      // character, never a Latin-1 no-break space.)
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        space = !out.empty();
        continue;
      }
      // UTF-8 NBSP (C2 A0) is a space too.
      if (c == 0xc2 && i + 1 < line.size() && static_cast<unsigned char>(line[i + 1]) == 0xa0) {
        space = !out.empty();
        ++i;
        continue;
      }
      if (c < 0x20 || c == 0x7f) continue;  // control characters: nothing a list shows
      bool lead = (c & 0xc0) != 0x80;
      if (lead) {
        if (chars + (space ? 1 : 0) >= max_chars) return false;
        if (space) {
          out += ' ';
          ++chars;
          space = false;
        }
        ++chars;
      }
      out += static_cast<char>(c);
    }
    space = !out.empty();
    return true;
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (raw == "-- " || raw == "-- \r" || raw == "--" || raw == "--\r") break;  // RFC 3676 §4.3 sig-sep
    auto line = trim(raw);
    if (line.empty() || line.front() == '>') continue;
    // "On Mon, 1 Jan 2024, Bob wrote:" before a quote.
    if (line.size() >= 6 && line.substr(line.size() - 6) == "wrote:") continue;
    if (!add(line)) break;
  }
  // `add` stops before a lead octet, so a cut leaves no half character;
  // text that ended in one (invalid input) loses it (§3.3: UTF-8).
  if (!out.empty()) {
    std::size_t lead = out.size() - 1;
    while (lead > 0 && (static_cast<unsigned char>(out[lead]) & 0xc0) == 0x80) --lead;
    auto c = static_cast<unsigned char>(out[lead]);
    std::size_t need = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (c >= 0x80 && out.size() - lead != need) out.resize(lead);
    while (!out.empty() && out.back() == ' ') out.pop_back();
  }
  return out;
}

std::string part_text(std::string_view message, const part& p, std::string_view charset) {
  auto body = message.substr(std::min<std::size_t>(p.body.offset, message.size()));
  body = body.substr(0, std::min<std::size_t>(p.body.length, preview_input));
  return charset_to_utf8(decode_transfer_encoding(body, p.encoding), charset);
}

std::string_view charset_of(const part& p) {
  for (auto& prm : p.params)
    if (prm.name == "charset" && !prm.extended) return prm.value;
  return {};
}

}  // namespace

std::string make_preview(std::string_view message, const message_structure& s, std::size_t max_chars) {
  // The first text/plain that is not an attachment, else text/html, of
  // the message itself (not of messages it encapsulates).
  const part* plain = nullptr;
  const part* html = nullptr;
  for (std::uint32_t i = 0; i < s.parts.size(); ++i) {
    auto& p = s.parts[i];
    if (p.kind != part_kind::leaf || p.opaque || p.type != "text") continue;
    if (p.disposition && *p.disposition == "attachment") continue;
    bool inside_message = false;
    for (auto up = p.parent; up != no_index && up != 0; up = s.parts[up].parent)
      if (s.parts[up].kind == part_kind::message) inside_message = true;
    if (inside_message) continue;
    if (p.subtype == "plain" && !plain) plain = &p;
    if (p.subtype == "html" && !html) html = &p;
  }
  if (plain) return abstract(part_text(message, *plain, charset_of(*plain)), max_chars);
  if (html) {
    auto text = part_text(message, *html, charset_of(*html));
    if (text.size() > preview_html) text.resize(preview_html);  // a cut tag or character: gumbo copes
    html_text_options opts;
    opts.skip_quotes = true;
    opts.links = false;
    opts.list_markers = false;
    opts.max_depth = SIZE_MAX;  // bounded by the cut above
    return abstract(html_text(text, opts).value_or(""), max_chars);
  }
  return {};
}

}  // namespace lemonade::mime
