#pragma once
// A cursor over one framed command (RFC 3501 §9 ABNF). Errors are sticky:
// the first failure is kept, later calls do nothing and return empty
// values, so a parser reads straight through and checks ok() once.
// Helpers are named after the ABNF rules they read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemonade::imap::syntax {

struct parse_error {
  std::string message;      // human text for the tagged BAD
  std::string code;         // response code without brackets, e.g. "TOOBIG"
};

class lexer {
 public:
  // input: one whole command as framed, CRLF included.
  explicit lexer(std::string_view input, unsigned max_depth = 16);

  bool ok() const { return !failed_; }
  const parse_error& error() const { return error_; }
  void fail(std::string message, std::string code = {});
  // An argument that is well-formed but names what cannot exist (a
  // mailbox name that is not valid modified UTF-7): the command is
  // answered NO, not BAD (RFC 3501 §7.1.2 vs §7.1.3), once it has parsed
  // to the end without a syntax error. The first refusal is kept.
  void refuse(std::string message, std::string code);
  const std::optional<parse_error>& refusal() const { return refusal_; }

  // tag SP: the tag and the space after it.
  std::string tag();
  // 1*ATOM-CHAR.
  std::string atom();
  // An atom, upper-cased (command names, options).
  std::string keyword();
  // An upper-cased atom that ends before `stop` too ("BODY" of "BODY[1]").
  std::string keyword_until(char stop);
  // Exactly one SP.
  void sp();
  // True if the next octet is c (nothing consumed).
  bool peek(char c) const;
  // True if the next octet is a digit 1-9 (a section part, RFC 3501 §9).
  bool peek_nz_digit() const { return !failed_ && pos_ < in_.size() && in_[pos_] >= '1' && in_[pos_] <= '9'; }
  // Consumes c if it is next.
  bool skip(char c);
  // Consumes c or fails.
  void expect(char c);
  // True at CRLF (the end of the command).
  bool at_end() const;
  // CRLF and nothing after it; otherwise fails with "extra arguments".
  void end();

  std::string astring();
  std::string string();                  // quoted / literal
  std::optional<std::string> nstring();  // string / NIL
  std::string list_mailbox();            // 1*list-char / string
  std::uint32_t number();
  std::uint32_t nz_number();
  std::uint64_t number64();
  // RFC 3501 §9 sequence-set (and RFC 5182 "$"); unparsed text.
  std::string sequence_set_text();
  // A flag: "\" atom or a keyword atom. Returned as written.
  std::string flag();
  // A literal or literal8 ("~{n}") whose octets stay in the input; sets
  // binary when it was a literal8. With `encrypted`, an encrypted literal
  // "~{Xn}" (docs/xencrypted.md) is one too, and sets it; without, it fails.
  std::string_view literal_data(bool allow_literal8, bool& binary, bool* encrypted = nullptr);
  // RFC 3501 §9 date-time: DQUOTE date-day-fixed "-" date-month "-"
  // date-year SP time SP zone DQUOTE. Returns seconds since the epoch and
  // the zone offset in minutes.
  struct date_time {
    std::int64_t seconds;
    int zone_minutes;
  };
  date_time date_time_value();

  // "(" and ")" with nesting-depth accounting.
  void open_list();
  void close_list();

  std::size_t position() const { return pos_; }
  std::string_view input() const { return in_; }

 private:
  std::string quoted();
  std::string literal_string();
  bool need(std::size_t n);

  std::string_view in_;
  std::size_t pos_ = 0;
  unsigned depth_ = 0;
  unsigned max_depth_;
  bool failed_ = false;
  parse_error error_;
  std::optional<parse_error> refusal_;
};

bool is_atom_char(char c);
// RFC 3501 §9 ASTRING-CHAR: ATOM-CHAR or "]".
bool is_astring_char(char c);

}  // namespace lemonade::imap::syntax
