#pragma once
// The structured Content-* fields of a MIME entity:
//   Content-Type          RFC 2045 §5.1, parameters with RFC 2231 §3-§4
//   Content-Disposition   RFC 2183 §2 (same parameter syntax)
//   Content-Language      RFC 3282 §2
// Every function takes a raw field value (folded or not), never throws and
// accepts more than the grammar: comments anywhere (RFC 5322 CFWS), unquoted
// values holding tspecials such as '=' (common in boundaries), a missing
// ';' between parameters, 8-bit octets.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.hpp"

namespace lemonade::mime {

struct content_type {
  std::string type;     // lower-case
  std::string subtype;  // lower-case
  std::vector<parameter> params;
};

// RFC 2045 §5.1 type "/" subtype *(";" parameter). nullopt when there is no
// type "/" subtype pair: the caller applies the default (RFC 2045 §5.2).
std::optional<content_type> parse_content_type(std::string_view value);

struct content_disposition {
  std::string type;  // lower-case
  std::vector<parameter> params;
};

// RFC 2183 §2 disposition-type *(";" disposition-parm); nullopt when the
// value holds no type.
std::optional<content_disposition> parse_content_disposition(std::string_view value);

// A parameter list "; a=b; c*0*=..." (the part after the type). RFC 2231
// §3 continuations of one attribute are joined in section order: when one
// section is extended the joined value is extended ("charset'lang'" then
// %XX-encoded; plain sections are %-encoded on the way in). A plain "name"
// and an RFC 2231 "name*..." stay two parameters. A repeated parameter keeps
// its first value. Attribute names are lower-cased. At most 256 parameters
// are read from one field.
std::vector<parameter> parse_parameters(std::string_view text);

// RFC 3282 §2: the comma-separated language tags, as written.
std::vector<std::string> parse_language_list(std::string_view value);

// The first token of a value (Content-Transfer-Encoding, RFC 2045 §6.1),
// lower-cased; empty when there is none.
std::string parse_token(std::string_view value);

// The first parameter named name (lower-case) that is not extended, else
// the first extended one; nullptr when there is none.
const parameter* find_parameter(const std::vector<parameter>& params, std::string_view name);

}  // namespace lemonade::mime
