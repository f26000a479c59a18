#pragma once
// RFC 5051 "i;unicode-casemap", the collation RFC 5256 §2.1 and RFC 5255
// (I18NLEVEL=1) require for SORT and THREAD string comparisons.
//
// RFC 5051 §2: every character is mapped to its simple titlecase
// (UnicodeData.txt field 14), then decomposed (NFKD); the results are
// compared octet by octet as UTF-8 (i;octet). We compute that "titlecased
// canonicalized UTF-8" form once (casemap_key) and store it, so sorting
// compares plain octet strings and does no Unicode work.
//
// Invalid UTF-8: RFC 5051 §2 says strings that "cannot be converted to
// Unicode are not rejected, but are treated as binary". casemap_key returns
// such input unchanged, so it is compared by its octets. (Header text reaches
// this layer already repaired to valid UTF-8 by mime::decode_header_value,
// so this case only arises for direct callers.)
//
// Thread-safe; uses ICU (Unicode data of the linked ICU version).

#include <string>
#include <string_view>

namespace lemonade::sort {

// The RFC 5051 §2 comparison key of a UTF-8 string: simple titlecase
// mapping per code point, then NFKD. ASCII input takes a fast path
// (upper-casing). Invalid UTF-8 comes back unchanged (see above). Never
// throws except std::bad_alloc.
std::string casemap_key(std::string_view utf8);

// RFC 5051 ordering of two UTF-8 strings: negative, zero or positive as a
// sorts before, equal to or after b.
int casemap_compare(std::string_view a, std::string_view b);

// Octet comparison of two keys made by casemap_key (RFC 5051 §2: i;octet on
// the prepared strings): negative, zero or positive.
inline int compare_keys(std::string_view a, std::string_view b) noexcept { return a.compare(b); }

}  // namespace lemonade::sort
