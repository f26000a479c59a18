#include "mime/charset.hpp"

#include <iconv.h>

#include <cerrno>
#include <utility>

#include "core/strings.hpp"
#include "mime/lex.hpp"

namespace lemonade::mime {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// MIME charset names (IANA registry, RFC 2978) that glibc iconv does not
// know under that name, mapped to the iconv name of the same encoding or a
// superset of it.
constexpr std::pair<std::string_view, std::string_view> aliases[] = {
    {"gb2312", "GBK"},  // mislabelled GBK is common; GBK is a superset
    {"x-gbk", "GBK"},
    {"ks_c_5601-1987", "CP949"},
    {"ks_c_5601", "CP949"},
    {"x-sjis", "SHIFT_JIS"},
    {"shift-jis", "SHIFT_JIS"},
    {"x-euc-jp", "EUC-JP"},
    {"iso-8859-8-i", "ISO-8859-8"},
    {"iso-8859-6-i", "ISO-8859-6"},
    {"x-mac-roman", "MACINTOSH"},
    {"macintosh", "MACINTOSH"},
    {"unicode-1-1-utf-7", "UTF-7"},
    {"x-unicode-2-0-utf-7", "UTF-7"},
    {"ansi_x3.4-1968", "ASCII"},
    {"cp-850", "CP850"},
    {"windows-874", "CP874"},
};

// Returns the length of the valid UTF-8 sequence starting at s[i], or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

std::string normalise_name(std::string_view charset) {
  auto name = lex::trim(charset);
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  if (auto star = name.find('*'); star != std::string_view::npos) name = name.substr(0, star);  // RFC 2231 §5
  return core::to_lower(lex::trim(name));
}

bool is_utf8_name(std::string_view n) {
  return n.empty() || n == "utf-8" || n == "utf8" || n == "us-ascii" || n == "ascii" || n == "us_ascii";
}

// Only charset-name characters (RFC 2978 §2.3), and not too long: no
// "//" suffixes that would select iconv error handlers.
bool plain_name(std::string_view name) {
  if (name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
          c == ':' || c == '+' || c == '(' || c == ')'))
      return false;
  return true;
}

std::optional<std::string> iconv_convert(std::string_view text, const std::string& from) {
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out;
  char buf[4096];
  // glibc's iconv takes char** input; it never writes through it.
  char* in = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  for (;;) {
    char* o = buf;
    std::size_t o_left = sizeof buf;
    std::size_t r = in_left ? iconv(cd, &in, &in_left, &o, &o_left) : iconv(cd, nullptr, nullptr, &o, &o_left);
    int err = errno;
    out.append(buf, static_cast<std::size_t>(o - buf));
    if (r != static_cast<std::size_t>(-1)) {
      if (in_left == 0) {
        // Flush a stateful encoding's shift sequence (ISO-2022-JP), once.
        char* f = buf;
        std::size_t f_left = sizeof buf;
        iconv(cd, nullptr, nullptr, &f, &f_left);
        out.append(buf, static_cast<std::size_t>(f - buf));
        break;
      }
      continue;
    }
    if (err == E2BIG) continue;
    out += replacement;  // EILSEQ: skip one octet; EINVAL: truncated at the end
    if (err == EINVAL || in_left == 0) break;
    ++in;
    --in_left;
  }
  iconv_close(cd);
  return out;
}

}  // namespace

std::string repair_utf8(std::string_view text, bool latin1_fallback) {
  std::string out;
  out.reserve(text.size());
  // Valid text is copied in runs, up to each octet that needs repair (an
  // APPEND's search text passes here whole: one append per character was
  // a visible cost).
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (auto n = utf8_sequence(text, i)) {
      i += n;
      continue;
    }
    out.append(text.data() + run, i - run);
    auto u = static_cast<unsigned char>(text[i++]);
    if (latin1_fallback) {
      out += static_cast<char>(0xC0 | (u >> 6));
      out += static_cast<char>(0x80 | (u & 0x3F));
    } else {
      out += replacement;
    }
    run = i;
  }
  out.append(text.data() + run, text.size() - run);
  return out;
}

std::optional<std::string> convert_to_utf8(std::string_view text, std::string_view charset) {
  auto name = normalise_name(charset);
  // UTF-8 and US-ASCII (and 8-bit text mislabelled US-ASCII) need no iconv.
  if (is_utf8_name(name)) return repair_utf8(text);
  if (!plain_name(name)) return std::nullopt;
  for (auto& [mime, iconv_name] : aliases)
    if (name == mime) return iconv_convert(text, std::string(iconv_name));
  if (auto r = iconv_convert(text, name)) return r;
  if (name.starts_with("x-")) return iconv_convert(text, name.substr(2));
  return std::nullopt;
}

std::optional<std::string> iconv_name_of(std::string_view charset) {
  auto name = normalise_name(charset);
  if (name.empty() || !plain_name(name)) return std::nullopt;
  for (auto& [mime, iconv_name] : aliases)
    if (name == mime) return std::string(iconv_name);
  auto known = [](const std::string& n) {
    iconv_t cd = iconv_open("UTF-8", n.c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return false;
    iconv_close(cd);
    return true;
  };
  if (known(name)) return name;
  if (name.starts_with("x-") && known(name.substr(2))) return name.substr(2);
  return std::nullopt;
}

encoded encode_utf8(std::string_view utf8, std::string_view charset, const std::string* replacement) {
  encoded r;
  auto name = iconv_name_of(charset);
  if (!name) {
    r.result = encoded::status::unknown_charset;
    return r;
  }
  iconv_t cd = iconv_open(name->c_str(), "UTF-8");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    r.result = encoded::status::unknown_charset;
    return r;
  }
  auto text = repair_utf8(utf8);
  char buf[4096];
  bool ok = true;
  {
    std::string out;
    char* in = const_cast<char*>(text.data());
    std::size_t in_left = text.size();
    while (ok && in_left > 0) {
      char* o = buf;
      std::size_t o_left = sizeof buf;
      std::size_t n = iconv(cd, &in, &in_left, &o, &o_left);
      int err = errno;
      out.append(buf, static_cast<std::size_t>(o - buf));
      if (n != static_cast<std::size_t>(-1) || err == E2BIG) continue;
      if (!replacement) {
        ok = false;
        r.result = encoded::status::unrepresentable;
        break;
      }
      // The replacement, through the same converter.
      char* rin = const_cast<char*>(replacement->data());
      std::size_t rin_left = replacement->size();
      while (rin_left > 0) {
        char* ro = buf;
        std::size_t ro_left = sizeof buf;
        std::size_t rn = iconv(cd, &rin, &rin_left, &ro, &ro_left);
        int rerr = errno;
        out.append(buf, static_cast<std::size_t>(ro - buf));
        if (rn == static_cast<std::size_t>(-1) && rerr != E2BIG) {
          ok = false;
          r.result = encoded::status::bad_replacement;
          break;
        }
      }
      auto len = utf8_sequence(std::string_view(in, in_left), 0);
      in += len ? len : 1;
      in_left -= len ? len : 1;
    }
    if (ok) {
      // A stateful charset's closing shift sequence (ISO-2022-JP).
      char* o = buf;
      std::size_t o_left = sizeof buf;
      iconv(cd, nullptr, nullptr, &o, &o_left);
      out.append(buf, static_cast<std::size_t>(o - buf));
      r.text = std::move(out);
    }
  }
  iconv_close(cd);
  return r;
}

std::string charset_to_utf8(std::string_view text, std::string_view charset) {
  if (auto r = convert_to_utf8(text, charset)) return std::move(*r);
  // Unknown charset: valid UTF-8 stays, other octets are read as
  // ISO-8859-1, the most common undeclared 8-bit text.
  return repair_utf8(text, true);
}

}  // namespace lemonade::mime
