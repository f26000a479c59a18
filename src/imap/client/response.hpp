#pragma once
// What imap/client reads from a server, parsed: RFC 3501 §7 responses and
// §9 values, literals ({n}, RFC 3516 ~{n}) inline. No I/O here (the
// fuzz target and the tests use it alone).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lemonade::imap::client {

struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One value of a response (RFC 3501 §9 grammar, loosely): an atom (or
// number, or a bracketed response code kept whole), a string (quoted or
// literal, octets as sent), NIL, or a parenthesised list.
struct value {
  enum class kind { atom, string, nil, list } what = kind::atom;
  std::string text;
  std::vector<value> items;
  bool literal8 = false;
  bool is_string() const { return what == kind::string; }
  bool is_atom(std::string_view name) const;  // case-insensitive
};

// An untagged response after "* ": status responses (OK, NO, BAD, BYE,
// PREAUTH) have `status`, `code` (inside [...], may be empty) and `text`;
// data responses (CAPABILITY, FETCH, URLFETCH, ...) have `name` (upper
// case; "EXISTS" for "* 3 EXISTS", `number` then set) and `items`, the
// values after the name.
struct untagged {
  std::string status;
  std::string code;
  std::string text;
  std::string name;
  std::optional<std::uint32_t> number;
  std::vector<value> items;
};

// The size a line's final "{n}", "{n+}" or "~{n}" announces; nullopt
// when the line ends in none.
std::optional<std::size_t> literal_size_at_end(std::string_view line);

// Parses the values of a response (after its name); throws error when
// they are malformed. Exposed for tests and fuzzing.
std::vector<value> parse_values(std::string_view text);
// An untagged response as read by read_response (without "* ").
untagged parse_untagged(std::string_view text);

}  // namespace lemonade::imap::client
