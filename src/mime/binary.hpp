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

// RFC 6152 §3: a relay whose next hop does not offer 8BITMIME either
// converts an 8-bit message to 7 bit or returns it as undeliverable; RFC
// 3030 §3 says the same of binary content and a next hop without
// BINARYMIME. The conversion (what `allow_8bit` allows stays): every leaf
// part whose body holds a NUL, a bare CR or LF, a line over 998 octets or
// (without allow_8bit) an octet over 127 gets its content re-encoded,
// text/* as quoted-printable (RFC 2045 §6.7), anything else as base64
// (§6.8), and its Content-Transfer-Encoding field replaced; any other part
// labelled binary (or 8bit, when 8-bit may not pass) is relabelled to
// what it holds, a composite's label being that of its parts (§6.4). The
// message is unchanged where nothing needs it. The result can go by DATA:
// no NUL, no bare CR or LF, and (without allow_8bit) nothing over 127.
// nullopt when what cannot pass lies outside any leaf body (a header, a
// boundary line, a preamble), in a composite kept whole, or in a body of
// an unknown encoding: the relay then returns the message (5.6.3).
std::optional<std::string> downgrade(std::string_view message, const message_structure& s, bool allow_8bit);

}  // namespace lemonade::mime
