#pragma once
// Header fields of a message or MIME part (RFC 5322 §2.2, §3.6) and the
// RFC 3501 §6.4.5 HEADER.FIELDS / HEADER.FIELDS.NOT subsets.
//
// The reading of a header is the parser's (parser.hpp), shared through
// header_line_kind so that both agree on where a header ends:
//   - an empty line (CRLF or a lone LF) ends it and belongs to it;
//   - a line starting with SP or HTAB continues the field above it
//     (RFC 5322 §2.2.3, obs-FWS §4.2 allows a line of white space only);
//   - a line "name:" with a name of visible characters (8-bit tolerated,
//     white space before the colon tolerated as RFC 5322 §4.5 allows) is a
//     field;
//   - any other line (or a continuation with no field above it) is not part
//     of the header: the body starts there although no blank line came
//     first (lenient; Python's email package reads it the same way).
// Lines end in CRLF or a lone LF.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lemonade::mime {

enum class header_line { blank, continuation, field, other };

// Classifies one line (its line end excluded or included, either works).
// For a field, *colon receives the index of the colon.
header_line header_line_kind(std::string_view line, std::size_t* colon = nullptr) noexcept;

struct header_field {
  std::string_view name;   // as written, white space before the colon removed
  std::string_view value;  // from after the colon to the end of the field's
                           // last line, that line end excluded; inner folding
                           // line ends included
  std::string_view raw;    // the whole field, every line end included
};

// The fields of a header block (as BODY[HEADER] or BODY[x.MIME] returns
// it). Views into header. Stops at the blank line or at a line that cannot
// be part of a header.
std::vector<header_field> split_header(std::string_view header);

// The unfolded, trimmed value of the first field named name (ASCII
// case-insensitive), nullopt when there is none.
std::optional<std::string> field_value(std::string_view header, std::string_view name);

// RFC 3501 §6.4.5: the fields of header whose name matches one of names
// (case-insensitive, otherwise exact) — or, with exclude, the fields that
// match none — each as its exact original lines including continuation
// lines, followed by the blank line ending the header when the header has
// one ("Subsetting does not exclude the [RFC-2822] delimiting blank line").
std::string header_fields(std::string_view header, std::span<const std::string> names, bool exclude);

}  // namespace lemonade::mime
