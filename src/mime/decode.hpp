#pragma once
// Decoding for SEARCH and display: RFC 2047 encoded words in header
// values, RFC 2045 §6 content-transfer-encodings, RFC 2231 §4 parameter
// values. Everything is lenient — invalid input is decoded as far as it
// goes or kept as it is, never an error — and returns UTF-8 where it says
// so (charset conversion: charset.hpp).

#include <cstdint>
#include <string>
#include <string_view>

#include "mime/structure.hpp"

namespace lemonade::mime {

// A header field value (raw, possibly folded) as UTF-8 text: unfolded
// (RFC 5322 §2.2.3), RFC 2047 encoded words decoded, both B and Q
// (§4.1, §4.2), from their charsets. White space between two encoded words
// is dropped (§6.2); adjacent words in one charset are joined before
// conversion, so a character split across two words survives. A malformed
// encoded word stays as written. Text outside encoded words is kept; octets
// in it that are not valid UTF-8 are read as ISO-8859-1. Encoded words are
// also recognised inside other text (a common violation of §5).
std::string decode_header_value(std::string_view raw);

// The length of the RFC 2047 encoded word at s[i] ("=?charset?B?...?=" or
// Q) as decode_header_value reads one, with its charset; 0 if none starts
// there.
std::size_t encoded_word_at(std::string_view s, std::size_t i, std::string_view* charset = nullptr);

// RFC 2045 §6.8 base64, lenient: characters outside the alphabet are
// skipped; '=' ends a quantum (the partial bits are dropped), so
// concatenated streams decode.
std::string decode_base64(std::string_view text);
// The same for text that arrives in pieces: the bits of a quantum not yet
// complete are carried in `state` from one call to the next.
struct base64_state {
  std::uint32_t acc = 0;
  int bits = 0;
};
void decode_base64(std::string_view text, base64_state& state, std::string& out);

// RFC 2045 §6.7 quoted-printable, lenient: "=XX" (either case) is decoded,
// any other '=' is kept, "=" at a line end is a soft line break, white space
// at line ends is dropped (rule 3). Line ends (CRLF or LF) are kept.
std::string decode_quoted_printable(std::string_view text);

// A body in its Content-Transfer-Encoding (lower-case, as in part::encoding):
// base64 and quoted-printable are decoded, anything else (7bit, 8bit,
// binary, unknown) is returned unchanged.
std::string decode_transfer_encoding(std::string_view body, std::string_view encoding);

// A parameter's value as UTF-8: an extended value (RFC 2231 §4) is
// %-decoded and converted from its charset; a plain value has RFC 2047
// encoded words decoded (not standard in parameters, but widely sent).
std::string parameter_value_utf8(const parameter& p);

}  // namespace lemonade::mime
