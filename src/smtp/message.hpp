#pragma once
// What a submitted message becomes on its way into the queue (RFC 6409
// §8): a Received: trace field first (RFC 5321 §4.4), and Date: and
// Message-ID: added when the header lacks them (§8.2, §8.3). The header
// is held until its end (or max_header octets, past which nothing is
// added), then everything streams to the staged content.

#include <string>
#include <string_view>

#include "store/api/types.hpp"

namespace lemonade::smtp {

class message_writer {
 public:
  // `received` is the whole field, CRLF included; `hostname` names the
  // server in a Message-ID it makes.
  // `add_missing`: add Date: and Message-ID: when absent (an MSA does;
  // a final delivery by LMTP does not).
  message_writer(store::staged_message& out, std::string received, std::string hostname,
                 std::size_t max_header = 256 * 1024, bool add_missing = true);
  void write(std::string_view piece);
  // The end of the content: a header not yet ended is written as it is.
  void finish();
  // Octets the client sent (without what this writer added).
  std::uint64_t client_octets() const { return client_octets_; }

 private:
  void release(bool header_complete);
  store::staged_message& out_;
  std::string received_;
  std::string hostname_;
  std::size_t max_header_;
  bool add_missing_;
  std::string header_;  // held while the header's end is not seen
  bool streaming_ = false;
  std::uint64_t client_octets_ = 0;
};

// RFC 5322 §3.3 date-time for now, "Fri, 04 Dec 2026 14:27:25 +0000".
std::string rfc5322_now();

// Whether the header block (up to its blank line) has a field `name`.
bool has_field(std::string_view header, std::string_view name);

}  // namespace lemonade::smtp
