#pragma once
// The parsed shape of one message, computed once at APPEND time and stored
// with it (DESIGN.md §4), so that FETCH answers ENVELOPE, BODY,
// BODYSTRUCTURE and BODY[section] without parsing the message again.
//
// RFC 5322 (message format), RFC 2045 §5-§8 (Content-* fields), RFC 2046 §5
// (multipart and message/rfc822), RFC 2183 (Content-Disposition), RFC 3282
// (Content-Language), RFC 2557 (Content-Location), RFC 2231 (parameter
// values), RFC 3501 §6.4.5 (section numbers) and §7.4.2 (ENVELOPE, BODY,
// BODYSTRUCTURE).
//
// Plain values: no pointers into the raw message, so a structure outlives
// the buffer it was parsed from and can be serialised (serialize.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lemonade::mime {

// The octets [offset, offset + length) of the raw message.
struct byte_range {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  constexpr std::uint64_t end() const noexcept { return offset + length; }
  friend bool operator==(const byte_range&, const byte_range&) = default;
};

// One Content-Type or Content-Disposition parameter, after the RFC 2231 §3
// continuations of one attribute are joined in section order.
struct parameter {
  std::string name;   // attribute, lower-case, without the "*N" / "*" suffixes
  // The value without quotes. For an extended value (RFC 2231 §4) the joined
  // "charset'language'%XX..." text, still encoded: decode it with
  // parameter_value_utf8 (decode.hpp).
  std::string value;
  bool extended = false;
  friend bool operator==(const parameter&, const parameter&) = default;
};

// One ENVELOPE address (RFC 3501 §7.4.2), kept as raw header text: RFC 2047
// encoded words are not decoded, CFWS is dropped.
//   - group start: name, adl and host nullopt, mailbox = the group's phrase;
//   - group end: all four nullopt;
//   - an address without a domain has host "" (an empty string, never
//     nullopt: a NIL host means group syntax; see README.md).
struct address {
  std::optional<std::string> name;     // display name (quotes removed), or the
                                       // trailing comment when there is none
  std::optional<std::string> adl;      // obsolete source route "@a,@b"
  std::optional<std::string> mailbox;  // local part as written (a quoted
                                       // local part keeps its quotes)
  std::optional<std::string> host;     // domain
  friend bool operator==(const address&, const address&) = default;
};

// RFC 3501 §7.4.2 ENVELOPE. Strings are header values unfolded and trimmed,
// nullopt when the field is absent. sender and reply_to already hold the
// from addresses when their fields are absent or empty, as the RFC says the
// server sets them.
struct envelope {
  std::optional<std::string> date;
  std::optional<std::string> subject;
  std::vector<address> from;
  std::vector<address> sender;
  std::vector<address> reply_to;
  std::vector<address> to;
  std::vector<address> cc;
  std::vector<address> bcc;
  std::optional<std::string> in_reply_to;
  std::optional<std::string> message_id;
  friend bool operator==(const envelope&, const envelope&) = default;
};

enum class part_kind : std::uint8_t {
  leaf,       // one body: any discrete type, or a composite one left unparsed
  multipart,  // RFC 2046 §5.1: children are the body parts, at least one
  message,    // RFC 2046 §5.2.1 message/rfc822: one child, the encapsulated
              // message (its header and body)
};

inline constexpr std::uint32_t no_index = 0xffffffffu;

// One MIME entity: the whole message, a body part, or the message
// encapsulated in a message/rfc822 part.
struct part {
  // The header: the message header for the root and encapsulated messages,
  // the MIME header for a body part. Includes the blank line that ends it
  // when there is one. The body always starts where the header ends.
  byte_range header;
  byte_range body;
  // RFC 3501 §7.4.2 body-fld-lines, set for text/* leaves and message/rfc822
  // parts (0 otherwise): the number of LF octets in the body, plus one when
  // the body is not empty and its last octet is not LF. "a\r\nb\r\n" and
  // "a\r\nb" both have 2 lines; "" has 0.
  std::uint64_t lines = 0;
  part_kind kind = part_kind::leaf;
  // A composite type (multipart/*, message/rfc822) kept as a leaf: a limit
  // was reached, message/rfc822 had a base64/quoted-printable encoding, or
  // this is the synthesized remainder of a multipart whose part budget ran
  // out. BODYSTRUCTURE shows opaque composites as APPLICATION/OCTET-STREAM.
  bool opaque = false;
  // Content-Type (RFC 2045 §5), lower-case. Absent or invalid: text/plain
  // (RFC 2045 §5.2), or message/rfc822 in a multipart/digest (RFC 2046
  // §5.1.5); then params is empty and BODYSTRUCTURE adds CHARSET US-ASCII.
  std::string type = "text";
  std::string subtype = "plain";
  std::vector<parameter> params;
  std::optional<std::string> id;           // Content-ID, unfolded, trimmed
  std::optional<std::string> description;  // Content-Description, raw
  // Content-Transfer-Encoding, lower-case; empty when absent, which
  // RFC 2045 §6.1 reads as 7bit.
  std::string encoding;
  std::optional<std::string> disposition;  // RFC 2183 type, lower-case
  std::vector<parameter> disposition_params;
  std::vector<std::string> languages;      // RFC 3282 tags, as written
  std::optional<std::string> location;     // RFC 2557 §4, folding removed
  std::uint32_t parent = no_index;         // index in parts; root: no_index
  std::vector<std::uint32_t> children;     // indices in parts, in order
  // For the root and each encapsulated message: index in envelopes.
  std::uint32_t envelope = no_index;
  friend bool operator==(const part&, const part&) = default;
};

// parse_message's limits (DESIGN.md §5: every input has a limit). Beyond
// them the rest is kept as opaque leaves, still with exact offsets.
struct parse_limits {
  // Nesting of multipart and message/rfc822 levels below the message: a
  // composite part whose children would sit deeper stays an opaque leaf.
  // Values above 256 act as 256 (the parser recurses once per level).
  unsigned max_depth = 32;
  // Parts (every entity, the message itself included). When it is reached,
  // the remaining bytes of the multipart being split become one opaque
  // application/octet-stream part; a few such parts (one per open level)
  // may exceed the count.
  unsigned max_parts = 1000;
};

struct message_structure {
  std::uint64_t size = 0;           // octets of the raw message
  std::vector<part> parts;          // pre-order; parts[0] is the message
  std::vector<envelope> envelopes;  // envelopes[0] is the message's
  bool limited = false;             // a parse_limits limit was reached
  friend bool operator==(const message_structure&, const message_structure&) = default;

  const part& root() const { return parts.front(); }
};

}  // namespace lemonade::mime
