// RFC 5051 i;unicode-casemap through ICU: u_totitle is the simple titlecase
// mapping (UnicodeData.txt field 14) and the NFKD normalizer the
// decomposition RFC 5051 §2 describes as "effectively Normalization Form KD".
#include "sort/collate.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstdint>

namespace lemonade::sort {
namespace {

// RFC 5051 §2 (1): the input as code points; false when it is not valid
// UTF-8 (overlong forms, surrogates and values above U+10FFFF included).
bool titlecase_utf8(std::string_view s, icu::UnicodeString& out) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto length = static_cast<std::int32_t>(s.size());
  for (std::int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(p, i, length, c);
    if (c < 0) return false;
    // RFC 5051 §2 (2a): "the codepoint is converted to the codepoint in its
    // titlecase property", when it has one.
    out.append(u_totitle(c));
  }
  return true;
}

bool is_ascii(std::string_view s) noexcept {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

}  // namespace

std::string casemap_key(std::string_view utf8) {
  if (is_ascii(utf8)) {
    // ASCII has no decompositions; its titlecase is its upper case.
    std::string key(utf8);
    for (auto& c : key)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return key;
  }
  if (utf8.size() > static_cast<std::size_t>(INT32_MAX / 2)) return std::string(utf8);  // beyond ICU's lengths
  icu::UnicodeString titled;
  // RFC 5051 §2: input that cannot be converted to Unicode is "treated as
  // binary": its octets are its key.
  if (!titlecase_utf8(utf8, titled)) return std::string(utf8);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
  if (U_FAILURE(status)) return std::string(utf8);
  // RFC 5051 §2 (2b): each code point to its full compatibility
  // decomposition, recursively; NFKD also puts combining marks in
  // canonical order, so equivalent spellings get one key.
  icu::UnicodeString decomposed = nfkd->normalize(titled, status);
  if (U_FAILURE(status)) return std::string(utf8);
  std::string key;
  key.reserve(utf8.size() + utf8.size() / 2);
  decomposed.toUTF8String(key);  // RFC 5051 §2 (3): back to UTF-8
  return key;
}

int casemap_compare(std::string_view a, std::string_view b) {
  return compare_keys(casemap_key(a), casemap_key(b));
}

}  // namespace lemonade::sort
