#pragma once
// The SMTP client of the relay (RFC 5321 §3, as a client; RFC 3207
// STARTTLS; RFC 4954 AUTH PLAIN): hands one queued message to a smarthost
// and says, per recipient, what the smarthost answered. One connection per
// message; every wait has a deadline.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

namespace lemonade::smtp {

namespace asio = boost::asio;

struct relay_target {
  std::string host;         // a name or an IP address
  std::string server_name;  // for TLS (SNI) and messages; empty: host
  std::uint16_t port = 25;
  enum class tls_mode { none, try_starttls, require } tls = tls_mode::require;
  std::shared_ptr<asio::ssl::context> tls_context;
  std::string user, password;  // AUTH PLAIN when user is set
  std::string helo = "localhost";
  std::chrono::seconds timeout{300};  // RFC 5321 §4.5.3.2: minutes per step
  std::chrono::seconds connect_timeout{30};  // a dead smarthost must not hold the queue (or a shutdown) long
};

// The envelope a relay passes on: the RFC 3461 parameters go with it
// when the smarthost offers DSN (§5.2: a relaying client passes them).
struct relay_envelope {
  std::string sender;  // "" for <>
  std::string envid;   // "" when none
  int ret = 0;         // 0 none, 1 FULL, 2 HDRS
  struct recipient {
    std::string address;
    unsigned notify = 0;  // store::notify_bits
    std::string orcpt;    // "type;address" or ""
  };
  std::vector<recipient> recipients;
  int body = 0;           // BODY= as accepted: 0 none, 1 7BIT, 2 8BITMIME, 3 BINARYMIME
  bool smtputf8 = false;  // RFC 6531 SMTPUTF8 was given
};

struct relay_result {
  std::vector<std::string> replies;  // one per recipient, in order
  bool dsn_passed = false;           // the smarthost took the DSN parameters
  bool tls = false;                  // the message went over TLS
};

// Sends `content`. Each reply is "250 ..." when the smarthost took the
// message for that recipient, else its refusal. 8-bit content goes only
// to a server with 8BITMIME (RFC 6152), binary content (BINARYMIME) only
// by BDAT to one with BINARYMIME and CHUNKING (RFC 3030), an SMTPUTF8
// envelope with non-ASCII addresses only to one with SMTPUTF8 (RFC 6531
// §3.4); otherwise each recipient gets a 5.6.x refusal (no conversion is
// attempted). A failure before any
// recipient was answered (connection, TLS, AUTH) is a 4xx for all, so the
// queue tries again later. Never throws.
asio::awaitable<relay_result> relay_message(asio::any_io_executor ex, const relay_target& target,
                                            const relay_envelope& envelope, std::string_view content);

}  // namespace lemonade::smtp
