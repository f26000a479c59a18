#pragma once
// Serialises typed responses to bytes (RFC 3501 §7, §9 formal syntax).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/response/response.hpp"

namespace lemonade::imap::response {

struct writer_options {
  bool utf8 = false;  // RFC 6855 UTF8=ACCEPT: names and strings as UTF-8
};

// Where the octets of a literal_ref go: at offset `at` of out.
struct splice {
  std::size_t at;
  std::uint32_t id;
};

// Appends the CRLF-terminated response to out. A literal_ref in it needs
// splices (else std::logic_error).
void write(std::string& out, const untagged& r, const writer_options& o, std::vector<splice>* splices = nullptr);
void write(std::string& out, const status_line& r, const writer_options& o);
void write(std::string& out, const continuation& r);

// One value, as it would appear inside a response (tests, logs).
void write_value(std::string& out, const value& v, const writer_options& o, std::vector<splice>* splices = nullptr);

const char* status_name(status s);

// RFC 3501 §9 string: quoted when it can be (7-bit, or UTF-8 under
// UTF8=ACCEPT; no CR, LF or NUL; at most 1024 octets), else a literal.
void write_string(std::string& out, std::string_view s, bool utf8);

// Writes values straight into a buffer with the writer's rules, a space
// between neighbours, for responses made too often to build as trees of
// values first (FETCH ENVELOPE and BODYSTRUCTURE of a page of messages).
// The result goes into a response as a `raw` value.
class emitter {
 public:
  emitter(std::string& out, const writer_options& o) : out_(out), o_(o) {}
  emitter& open();   // "("
  emitter& close();  // ")"
  // The next value follows the last with no space: RFC 3501 §9 "1*body"
  // and "1*address" are written back to back.
  emitter& glue() {
    spaced_ = false;
    return *this;
  }
  emitter& atom(std::string_view a);
  emitter& number(std::uint64_t n);
  emitter& nil();
  emitter& string(std::string_view s);
  emitter& nstring(const std::optional<std::string>& s);
  // A string of the text in upper case (media types, encodings).
  emitter& upper_string(std::string_view s);
  // A value already in wire form (response::raw).
  emitter& raw(std::string_view octets);

 private:
  emitter& separate();
  std::string& out_;
  const writer_options& o_;
  bool spaced_ = false;  // a value precedes at this level
};

}  // namespace lemonade::imap::response
