#pragma once
// RFC 3516 (IMAP BINARY) on the MIME side: a body part's content after its
// Content-Transfer-Encoding is undone (FETCH BINARY), and a message
// appended with literal8 made safe to serve to IMAP4rev1 clients (no NUL
// octet may reach them outside a literal8).

#include <optional>
#include <string>
#include <string_view>

#include "mime/structure.hpp"

namespace lemonade::mime {

// The CTE of a part, as BINARY sees it.
enum class cte_kind { identity, base64, quoted_printable, unknown };
cte_kind classify_cte(std::string_view encoding);

// RFC 3516 §4.2: `body` (the octets of a part's body) with its encoding
// undone; text/* content gets CRLF line ends (§6: "textual line-oriented
// sections are always transmitted using the IMAP4 CRLF line termination").
// nullopt for an encoding it cannot decode (the caller answers
// NO [UNKNOWN-CTE]).
std::optional<std::string> binary_content(std::string_view body, const part& p);

// RFC 3516 §4.4: "The server MAY modify the CTE of the appended data,
// however any such transformation MUST NOT result in a loss of data."
// Every leaf part whose body holds a NUL octet is re-encoded as base64
// (its Content-Transfer-Encoding field replaced or added); FETCH BINARY
// still returns the original octets. Returns the message unchanged when it
// has no NUL, and nullopt when a NUL lies outside any leaf body (in a
// header or between parts), where no encoding can carry it.
std::optional<std::string> encode_nul_parts(std::string_view message, const message_structure& s);

}  // namespace lemonade::mime
