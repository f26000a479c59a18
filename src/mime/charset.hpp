#pragma once
// Charset conversion to UTF-8 for SEARCH (RFC 3501 §6.4.4 matches decoded
// text) through glibc iconv: UTF-8, US-ASCII, ISO-8859-x, Windows-125x,
// KOI8-R/U, Shift_JIS, EUC-JP, ISO-2022-JP, GB2312/GBK/GB18030, Big5, ...
// Charset names are MIME names (RFC 2978), case-insensitive; a few MIME
// names glibc does not know are mapped to the iconv name of the same (or a
// superset) encoding, and GB2312 is read as GBK, its superset, as mailers
// label GBK text GB2312. An RFC 2231 §5 language suffix ("utf-8*en") is
// ignored. Thread-safe: every call opens its own converter.

#include <optional>
#include <string>
#include <string_view>

namespace lemonade::mime {

// text converted from charset to UTF-8. An octet sequence invalid in the
// charset becomes U+FFFD and conversion goes on. nullopt when iconv does not
// know the charset.
std::optional<std::string> convert_to_utf8(std::string_view text, std::string_view charset);

// Like convert_to_utf8, but never fails: text in an unknown charset comes
// back as UTF-8 all the same (valid UTF-8 kept, other octets read as
// ISO-8859-1). An empty charset means US-ASCII.
std::string charset_to_utf8(std::string_view text, std::string_view charset);

// The iconv name of a MIME charset, or nullopt when iconv does not know
// it (or the name is not a charset name).
std::optional<std::string> iconv_name_of(std::string_view charset);

// UTF-8 text written in `charset` (RFC 5259 §7.1 charset conversion).
// A character the charset cannot hold fails the conversion
// (unrepresentable) unless a replacement is given, which takes its place
// and must itself be representable (else bad_replacement). Invalid UTF-8
// input is repaired first (U+FFFD).
struct encoded {
  enum class status { ok, unknown_charset, unrepresentable, bad_replacement } result = status::ok;
  std::string text;
};
encoded encode_utf8(std::string_view utf8, std::string_view charset, const std::string* replacement);

// text with every octet that does not start a valid UTF-8 sequence replaced
// by U+FFFD (latin1_fallback false) or read as ISO-8859-1 (latin1_fallback
// true: undeclared 8-bit header text is most often Latin-1).
std::string repair_utf8(std::string_view text, bool latin1_fallback = false);

}  // namespace lemonade::mime
