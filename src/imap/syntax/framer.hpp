#pragma once
// Splits client input into complete IMAP commands: the command line plus
// every literal it announces (RFC 3501 §4.3, RFC 7888). No I/O, no copies:
// the session keeps the bytes and asks the framer what they are.
//
// Call next() with every unconsumed input byte (the command always starts
// at input[0]). It returns what to do:
//   need_more          read more input, then call again;
//   need_continuation  send "+ ..." for a synchronizing literal, then call
//                      again (returned once per literal);
//   command            input[0, size) is one whole command, CRLF included:
//                      parse it, consume it, call again;
//   discard            drop input[0, size): bytes of a rejected command;
//   reject             drop input[0, size) and answer `tag` with `reason`;
//   reject_and_close   answer `tag` with `reason` and close the connection:
//                      a non-synchronizing literal over the limit that is
//                      too big to read and drop (over max_line octets).
//                      RFC 7888 §4 lets a server "Read the number of bytes
//                      specified in the non-synchronizing literal and
//                      reject the command" or close the connection; we
//                      read and drop at most max_line octets.
// Limits are checked before anything is buffered: an over-long line or a
// literal over the limit never grows the buffer past the limit.

#include <cstddef>
#include <string>
#include <string_view>

namespace lemonade::imap::syntax {

struct framer_limits {
  std::size_t max_line = 64 * 1024;             // one line between literals
  std::size_t max_literal = 50 * 1024 * 1024;   // one literal
  std::size_t max_command = 64 * 1024 * 1024;   // everything
  std::size_t max_nonsync_literal = SIZE_MAX;   // 4096 for LITERAL-
};

class framer {
 public:
  enum class kind { need_more, need_continuation, command, discard, reject, reject_and_close };
  enum class reason {
    none,
    line_too_long,       // BAD [TOOBIG]
    literal_too_big,     // NO [TOOBIG] (RFC 7888 §4, RFC 4469)
    nonsync_too_big,     // BAD [TOOBIG]: LITERAL- limit (RFC 7888 §5)
    command_too_big,     // NO [TOOBIG]
  };
  struct event {
    kind what = kind::need_more;
    std::size_t size = 0;
    reason why = reason::none;
    std::string tag;              // for reject: "*" if none could be read
    std::size_t literal_size = 0; // for need_continuation
  };

  explicit framer(framer_limits limits) : limits_(limits) {}

  event next(std::string_view input);

  // True while in the middle of a command (some bytes of it consumed or
  // scanned); a peer that closes now dropped a half-sent command.
  // Octets of the current literal still to come (a read-size hint).
  std::size_t literal_remaining() const { return literal_remaining_; }

  bool mid_command() const { return pos_ > 0 || literal_remaining_ > 0 || rejecting_ != reason::none; }

 private:
  void reset();
  event start_rejecting(reason r, std::string_view input);

  framer_limits limits_;
  std::size_t pos_ = 0;          // scanned so far
  std::size_t line_start_ = 0;   // start of the current line segment
  std::size_t literal_remaining_ = 0;
  std::size_t command_size_ = 0; // bytes of this command already discarded
  reason rejecting_ = reason::none;
  std::string reject_tag_;
  std::string line_tail_;        // last octets of a discarded line
};

// The tag at the start of a command line, or "*" when there is none.
std::string leading_tag(std::string_view input);

}  // namespace lemonade::imap::syntax
