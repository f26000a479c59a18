#pragma once
// The MIME structure parser (RFC 5322, RFC 2045-2049): one pass over a raw
// message, run once at APPEND time, that records for every entity the exact
// octet ranges of its header and body, its body line count, its Content-*
// fields and, for the message and every encapsulated message/rfc822, the
// ENVELOPE fields.
//
// Never fails and never throws on content: malformed mail (missing or
// unclosed boundaries, bad headers, 8-bit octets, bare LF line ends) is
// described as well as possible. Work is linear in the message size times
// the nesting depth, which parse_limits bounds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.hpp"

namespace lemonade::mime {

message_structure parse_message(std::string_view message, const parse_limits& limits = {});

// RFC 5322 §3.4 address-list (also a single mailbox or mailbox-list), as
// ENVELOPE shows it (RFC 3501 §7.4.2), from a raw field value.
std::vector<address> parse_address_list(std::string_view value);

// The date of an RFC 5322 §3.3 Date: value as written (time and zone
// disregarded, RFC 3501 §6.4.4 SENT*), in days since 1970-01-01; nullopt if
// unreadable.
std::optional<std::int64_t> parse_date_day(std::string_view value);

// The moment of an RFC 5322 §3.3 Date: value, in seconds since
// 1970-01-01T00:00:00Z (RFC 5256 §2.2 sent date: "adjusted by time zone
// to normalize to UTC"). Read as leniently as parse_date_day (whenever that
// finds a day, this finds a moment on that day in the written zone), plus:
//   - a time "hh:mm[:ss]" (RFC 5322 §4.3 allows CFWS around the colons);
//     a missing or invalid time reads as 00:00:00 UTC (RFC 5256 §2.2);
//   - a zone "+hhmm"/"-hhmm", or an RFC 5322 §4.3 obs-zone name (UT, GMT,
//     EST/EDT, CST/CDT, MST/MDT, PST/PDT); a missing, unknown or invalid
//     zone, "-0000" and the military letters read as UTC (RFC 5256 §2.2,
//     RFC 5322 §4.3).
// nullopt when no day-month-year can be read.
std::optional<std::int64_t> parse_date_time(std::string_view value);

// RFC 3501 §6.4.5 section numbers "1.2.3" resolved to an entity: the index
// in s.parts, or nullopt when the message has no such part. An empty path
// is the message itself.
//   - the message, or an encapsulated message, that is not multipart has
//     one part, numbered 1: the message itself (its body);
//   - the parts of a multipart are numbered from 1;
//   - below a message/rfc822 part the numbers address the encapsulated
//     message's parts.
std::optional<std::uint32_t> find_part(const message_structure& s, const std::vector<std::uint32_t>& path);

// The encapsulated message of a message/rfc822 part (parsed, not opaque),
// or of the message itself for an empty path; nullopt otherwise. HEADER,
// HEADER.FIELDS and TEXT with a part number apply to this entity.
std::optional<std::uint32_t> find_message(const message_structure& s, const std::vector<std::uint32_t>& path);

// Storage form of a structure: a versioned, compact binary encoding.
// decode_structure returns nullopt for anything it did not write (another
// version, truncated or corrupt data); the caller then parses the message
// again.
std::string encode_structure(const message_structure& s);
std::optional<message_structure> decode_structure(std::string_view data);

}  // namespace lemonade::mime
