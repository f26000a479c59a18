#pragma once
// The text SEARCH matches (RFC 3501 §6.4.4: "case-insensitive" substring
// matching of the decoded text), extracted once at APPEND time for the
// full-text index.

#include <cstddef>
#include <string>
#include <string_view>

#include "mime/structure.hpp"

namespace lemonade::mime {

// Case folding for matching: UTF-8 in, UTF-8 out, every character mapped
// to its simple lower-case form (Unicode, through the C library's C.UTF-8
// tables; ASCII only if they are missing). Invalid UTF-8 is repaired first.
std::string fold_case(std::string_view utf8);

struct search_text {
  // The message header, one field per line: "name: decoded value\n", the
  // name lower-case, the value unfolded, RFC 2047-decoded and case-folded;
  // then, for the first From, To, Cc and Bcc, " name: addresses\n" (a
  // leading space: no field name starts with one) with the addresses as
  // the envelope has them ("display name <mailbox@host>", comments gone),
  // for SEARCH FROM/TO/CC/BCC (RFC 3501 §6.4.4).
  std::string headers;
  // The decoded (transfer encoding and charset) and case-folded content of
  // every text/* leaf and of the headers of encapsulated messages, parts
  // separated by "\n"; at most max_body octets.
  std::string body;
};

search_text extract_search_text(std::string_view message, const message_structure& s,
                                std::size_t max_body = std::size_t{4} << 20);

// The value of the field `name` (lower-case) in search_text::headers form,
// for HEADER <field> <string> (RFC 3501 §6.4.4); calls f(value) per field.
template <class F>
void for_each_header(std::string_view headers, std::string_view name, F f) {
  std::size_t pos = 0;
  while (pos < headers.size()) {
    auto nl = headers.find('\n', pos);
    auto line = headers.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? headers.size() : nl + 1;
    if (line.size() > name.size() + 1 && line.substr(0, name.size()) == name && line[name.size()] == ':')
      f(line.substr(name.size() + 2 <= line.size() ? name.size() + 2 : line.size()));
  }
}

}  // namespace lemonade::mime
