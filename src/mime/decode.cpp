#include "mime/decode.hpp"

#include <array>
#include <cstdint>
#include <optional>

#include "core/strings.hpp"
#include "mime/charset.hpp"
#include "mime/lex.hpp"

namespace lemonade::mime {
namespace {

constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto base64_table = make_base64_table();

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// s[i] is "=" (or "%") followed by two hex digits: their octet, else -1.
int hex_pair(std::string_view s, std::size_t i) {
  if (i + 2 >= s.size()) return -1;
  int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// RFC 2047 §4.2 "Q": '_' is SPACE, "=XX" an octet.
std::string decode_q(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=' && hex_pair(text, i) >= 0) {
      out += static_cast<char>(hex_pair(text, i));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

struct encoded_word {
  std::string_view charset;
  std::string octets;
  std::size_t end = 0;  // just after "?="
};

// RFC 2047 §2: "=?" charset "?" encoding "?" encoded-text "?=" at s[i].
std::optional<encoded_word> read_encoded_word(std::string_view s, std::size_t i) {
  std::size_t c0 = i + 2;
  std::size_t q1 = s.find('?', c0);
  if (q1 == std::string_view::npos || q1 == c0 || q1 - c0 > 64) return std::nullopt;
  auto charset = s.substr(c0, q1 - c0);
  for (char c : charset)
    if (lex::is_space(c) || lex::is_ctl(c)) return std::nullopt;
  if (q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
  char enc = core::ascii_upper(s[q1 + 1]);
  if (enc != 'B' && enc != 'Q') return std::nullopt;
  std::size_t t0 = q1 + 3;
  std::size_t q2 = s.find('?', t0);
  if (q2 == std::string_view::npos || q2 + 1 >= s.size() || s[q2 + 1] != '=') return std::nullopt;
  auto text = s.substr(t0, q2 - t0);
  for (char c : text)
    if (lex::is_space(c) || lex::is_ctl(c)) return std::nullopt;  // §5: no white space inside a word
  encoded_word w;
  w.charset = charset;
  w.octets = enc == 'B' ? decode_base64(text) : decode_q(text);
  w.end = q2 + 2;
  return w;
}

bool all_space(std::string_view s) {
  for (char c : s)
    if (!lex::is_space(c)) return false;
  return true;
}

}  // namespace

std::size_t encoded_word_at(std::string_view s, std::size_t i, std::string_view* charset) {
  if (s.substr(i, 2) != "=?") return 0;
  auto w = read_encoded_word(s, i);
  if (!w) return 0;
  if (charset) *charset = w->charset;
  return w->end - i;
}

std::string decode_header_value(std::string_view raw) {
  std::string text = lex::unfold(raw);
  std::string_view s = text;
  std::string out;
  std::string pending;                 // octets of adjacent words in one charset
  std::string_view pending_charset;
  auto flush = [&] {
    if (!pending.empty()) out += charset_to_utf8(pending, pending_charset);
    pending.clear();
  };
  std::size_t literal_start = 0;
  bool after_word = false;
  for (std::size_t i = s.find("=?"); i != std::string_view::npos; i = s.find("=?", i)) {
    auto w = read_encoded_word(s, i);
    if (!w) {
      i += 2;
      continue;
    }
    auto literal = s.substr(literal_start, i - literal_start);
    // RFC 2047 §6.2: white space between adjacent encoded words is not displayed.
    if (!(after_word && all_space(literal))) {
      flush();
      out += repair_utf8(literal, true);
    }
    if (!pending.empty() && !core::iequals(pending_charset, w->charset)) flush();
    pending_charset = w->charset;
    pending += w->octets;
    after_word = true;
    literal_start = i = w->end;
  }
  flush();
  out += repair_utf8(s.substr(literal_start), true);
  return out;
}

std::string decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  base64_state state;
  decode_base64(text, state, out);
  return out;
}

void decode_base64(std::string_view text, base64_state& state, std::string& out) {
  std::uint32_t acc = state.acc;
  int bits = state.bits;
  // Written straight into the string, sized for the most the text can
  // give (3 octets per 4 characters, one more from bits carried in), and
  // cut to what was written: a per-octet append cost more than decoding.
  auto start = out.size();
  out.resize(start + text.size() / 4 * 3 + 4);
  char* o = out.data() + start;
  auto* p = reinterpret_cast<const unsigned char*>(text.data());
  auto* end = p + text.size();
  while (p < end) {
    // Four characters of the alphabet at a quantum's start (bits == 0):
    // three octets at once. Anything else (line ends, '=', stray
    // characters) goes one character at a time.
    if (bits == 0 && end - p >= 4) {
      int a = base64_table[p[0]], b = base64_table[p[1]], c = base64_table[p[2]], d = base64_table[p[3]];
      if ((a | b | c | d) >= 0) {
        auto v = static_cast<std::uint32_t>(a << 18 | b << 12 | c << 6 | d);
        o[0] = static_cast<char>(v >> 16);
        o[1] = static_cast<char>(v >> 8 & 0xFF);
        o[2] = static_cast<char>(v & 0xFF);
        o += 3;
        p += 4;
        continue;
      }
    }
    unsigned char c = *p++;
    if (c == '=') {  // end of a quantum: what is left is padding bits
      acc = 0;
      bits = 0;
      continue;
    }
    int v = base64_table[c];
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xFF);
      acc &= (1u << bits) - 1;
    }
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  state.acc = acc;
  state.bits = bits;
}

std::string decode_quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t line_end = nl == std::string_view::npos ? text.size() : nl;
    std::size_t next = nl == std::string_view::npos ? text.size() : nl + 1;
    auto line = text.substr(pos, line_end - pos);
    std::string_view eol = text.substr(line_end, next - line_end);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
      eol = text.substr(line_end - 1, next - line_end + 1);
    }
    // RFC 2045 §6.7 (3): trailing white space was added in transport.
    while (!line.empty() && lex::is_wsp(line.back())) line.remove_suffix(1);
    bool soft_break = !line.empty() && line.back() == '=';  // §6.7 (5)
    if (soft_break) line.remove_suffix(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
      int v = line[i] == '=' ? hex_pair(line, i) : -1;
      if (v >= 0) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += line[i];
      }
    }
    if (!soft_break) out += eol;
    pos = next;
  }
  return out;
}

std::string decode_transfer_encoding(std::string_view body, std::string_view encoding) {
  if (core::iequals(encoding, "base64")) return decode_base64(body);
  if (core::iequals(encoding, "quoted-printable")) return decode_quoted_printable(body);
  return std::string(body);
}

std::string parameter_value_utf8(const parameter& p) {
  if (!p.extended) return decode_header_value(p.value);
  // RFC 2231 §4: charset "'" language "'" %-encoded octets.
  std::string_view v = p.value;
  std::string_view charset;
  auto q1 = v.find('\'');
  auto q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 != std::string_view::npos) {
    charset = v.substr(0, q1);
    v = v.substr(q2 + 1);
  }
  std::string octets;
  for (std::size_t i = 0; i < v.size(); ++i) {
    int x = v[i] == '%' ? hex_pair(v, i) : -1;
    if (x >= 0) {
      octets += static_cast<char>(x);
      i += 2;
    } else {
      octets += v[i];
    }
  }
  return charset_to_utf8(octets, charset.empty() ? std::string_view("utf-8") : charset);
}

}  // namespace lemonade::mime
