#pragma once
// Serialises typed responses to bytes (RFC 3501 §7, §9 formal syntax).

#include <string>
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

}  // namespace lemonade::imap::response
