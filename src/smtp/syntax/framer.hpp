#pragma once
// SMTP-family input framing (RFC 5321 §2.3.8, §4.5.2; RFC 3030), shared by
// submission and LMTP. No I/O: the session keeps the bytes and asks what
// they are.
//
// Commands are lines ending in CRLF (a bare LF is taken as a line end too,
// as most servers do; a bare CR inside a command line is part of it and
// the parser refuses it). The body after DATA is decoded by data_decoder:
// dot-stuffing undone, the end found only at CRLF "." CRLF, so a bare LF
// "." LF can never end a message (the "SMTP smuggling" ambiguity). BDAT
// chunks need no framing: their size is given.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lemonade::smtp::syntax {

struct line_event {
  enum class kind { need_more, line, too_long } what = kind::need_more;
  // line: input[0, size) is the line, line end included; too_long:
  // input[0, size) is to be dropped (the line goes on past the limit, or
  // ends within it: `ended` tells which).
  std::size_t size = 0;
  bool ended = false;
};

// The next command line of `input` (which starts at a line's first byte),
// at most max_line octets with its line end. After a too_long that has not
// ended, call again on the following input: it is dropped up to and
// including the next line end (the session then answers 500 5.5.6 once).
class line_framer {
 public:
  explicit line_framer(std::size_t max_line) : max_line_(max_line) {}
  line_event next(std::string_view input);

 private:
  std::size_t max_line_;
  bool discarding_ = false;
};

// The text of a line without its line end.
std::string_view strip_line_end(std::string_view line);

// DATA content (RFC 5321 §4.5.2): feed() takes input as it arrives and
// appends the message's octets to `out`: a line's leading '.' removed,
// CRLF kept (the message's last CRLF included), the terminating
// "." CRLF not. Octets past max_size are counted but not appended.
class data_decoder {
 public:
  explicit data_decoder(std::uint64_t max_size) : max_size_(max_size) {}
  struct result {
    std::size_t consumed = 0;  // input octets used (all, unless done)
    bool done = false;         // the terminating line was read
  };
  result feed(std::string_view input, std::string& out);

  std::uint64_t size() const { return size_; }         // octets of content
  bool too_big() const { return size_ > max_size_; }
  // RFC 5321 §2.3.8: "CR and LF MUST only occur together as CRLF".
  bool bare_line_end() const { return bare_; }

 private:
  void emit(std::string_view octets, std::string& out);
  enum class state { line_start, in_line, cr, dot, dot_cr };
  state st_ = state::line_start;
  std::uint64_t max_size_;
  std::uint64_t size_ = 0;
  bool bare_ = false;
};

}  // namespace lemonade::smtp::syntax
