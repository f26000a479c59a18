#pragma once
// Small string helpers shared by every layer: ASCII case folding (IMAP
// keywords and INBOX are ASCII case-insensitive, RFC 3501 §9), base64
// (RFC 4648 §4, used by SASL), hex.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemonade::core {

constexpr char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// True when a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b) noexcept;
// True when s starts with prefix, ignoring ASCII case.
bool istarts_with(std::string_view s, std::string_view prefix) noexcept;
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
// A client's text for a log line's quoted value: at most 256 octets,
// control characters, '"' and '\\' as '?' (no forged fields or lines).
std::string log_printable(std::string_view s);

// RFC 4648 §4 base64 with padding.
std::string base64_encode(std::string_view data);
// Returns nullopt for anything that is not canonical padded base64
// (whitespace is not allowed: SASL responses carry none).
std::optional<std::string> base64_decode(std::string_view text);

std::string hex_encode(std::string_view data);
// Either case; nullopt for an odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view text);

// Parses a decimal unsigned number that fits in max; nullopt otherwise
// (empty, non-digit, overflow).
std::optional<std::uint64_t> parse_uint(std::string_view s,
                                        std::uint64_t max = UINT64_MAX) noexcept;

// Parses sizes like "50MB", "64KiB", "1024" (bytes); nullopt when malformed.
std::optional<std::uint64_t> parse_size(std::string_view s) noexcept;

// RFC 5259 §10 concrete-mime-type: "type/subtype", each an RFC 4288
// §4.2 reg-name; lower-cased, or nullopt if it is not one.
std::optional<std::string> concrete_mime_type(std::string_view s);
// RFC 5259 §10 mime-type-req: "*", "type/*" or a concrete type.
std::optional<std::string> mime_type_pattern(std::string_view s);

}  // namespace lemonade::core
