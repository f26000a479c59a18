#pragma once
// RFC 3516 (IMAP BINARY) on the MIME side: a body part's content after its
// Content-Transfer-Encoding is undone (FETCH BINARY), and a message
// appended with literal8 made safe to serve to IMAP4rev1 clients (no NUL
// octet may reach them outside a literal8).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mime/decode.hpp"
#include "mime/structure.hpp"

namespace lemonade::mime {

// The CTE of a part, as BINARY sees it.
enum class cte_kind { identity, base64, quoted_printable, unknown };
cte_kind classify_cte(std::string_view encoding);

// RFC 3516 §4.2 for a body read in pieces: feed() the encoded octets in
// order, then finish(); the decoded octets are appended to `out` as they
// become known. Holds a few bytes of state (a quoted-printable line in
// progress at most), so a part of any size decodes in bounded memory, and
// the result equals binary_content() of the whole body.
class binary_decoder {
 public:
  // kind must not be cte_kind::unknown; text: line ends become CRLF.
  binary_decoder(cte_kind kind, bool text) : kind_(kind), text_(text) {}
  void feed(std::string_view in, std::string& out);
  void finish(std::string& out);

 private:
  void emit(std::string_view decoded, std::string& out);
  void qp_line(std::string_view line, std::string_view eol, std::string& out);
  cte_kind kind_;
  bool text_;
  base64_state b64_;       // base64 bits not yet output
  std::string line_;       // quoted-printable: the line not yet ended
  bool skip_lf_ = false;   // text: a CR was output as CRLF; drop a LF next
};

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
