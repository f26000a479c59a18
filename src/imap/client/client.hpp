#pragma once
// A small IMAP client of our own (DESIGN.md §2): the submission server
// redeems BURL URLs with it (RFC 4468 §3: URLFETCH, RFC 4467 §7.3), the
// tests drive servers with it, and the proxy will speak to stores with it.
// One connection, one command at a time, coroutines on the caller's
// executor. It reads what RFC 3501 §7 lets a server send: lines, literals
// ({n} and RFC 3516 ~{n}) anywhere in a response, untagged data before the
// tagged result, continuations for synchronizing literals; it sends
// literals non-synchronizing when the server has LITERAL+ (RFC 7888).
// Every wait has a deadline; a response larger than the limit ends the
// connection. Errors throw client::error (a NO or BAD for the commands
// that must succeed, a protocol violation, the connection lost).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "imap/client/response.hpp"

namespace lemonade::net {
class stream;
}

namespace lemonade::imap::client {

namespace asio = boost::asio;

// The tagged end of a command.
struct result {
  std::string status;  // "OK", "NO" or "BAD"
  std::string code;
  std::string text;
  std::vector<untagged> responses;  // untagged responses that came first
  bool ok() const { return status == "OK"; }
};

// A command's arguments, written as the server will read them.
class command {
 public:
  explicit command(std::string_view name) { add_text(name); }
  command& atom(std::string_view a);
  // A quoted string when it can be one, else a literal.
  command& string(std::string_view s);
  command& literal(std::string_view octets, bool literal8 = false);
  // Raw text (a parenthesis, a sequence set, ...), after a space unless
  // `space` is false.
  command& raw(std::string_view text, bool space = true);

 private:
  friend class connection;
  struct piece {
    std::string text;      // sent as it is
    bool literal = false;  // announced as {n} / ~{n} first
    bool literal8 = false;
  };
  void add_text(std::string_view t);
  std::vector<piece> pieces_;
};

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 143;
  // starttls_if_offered: STARTTLS when the server lists it, else plain.
  enum class security { none, starttls, starttls_if_offered, implicit } tls = security::none;
  std::shared_ptr<asio::ssl::context> tls_context;  // for starttls/implicit
  std::string server_name;                           // SNI and name check
  std::chrono::milliseconds timeout{30000};          // any one wait
  std::size_t max_response = 64 * 1024 * 1024;       // one response
};

// One item of a URLFETCH answer (RFC 4467 §6, RFC 5524 §3.2): the URL as
// the server echoed it and its data, nullopt for NIL (a URL the server will
// not or cannot resolve).
struct fetched_url {
  std::string url;
  std::optional<std::string> data;
};

class connection {
 public:
  // Connects, reads the greeting (PREAUTH is taken as is, BYE is an
  // error), starts TLS as asked and learns the capabilities.
  static asio::awaitable<std::unique_ptr<connection>> open(asio::any_io_executor ex, options o);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Sends the command with a fresh tag and collects its answer.
  asio::awaitable<result> run(const command& c);
  // LOGIN; throws error with the server's text when refused.
  asio::awaitable<void> login(std::string_view user, std::string_view password);
  // RFC 4467 §6 URLFETCH: one item per URL, in the order given.
  asio::awaitable<std::vector<fetched_url>> urlfetch(const std::vector<std::string>& urls);
  // LOGOUT and close; never throws.
  asio::awaitable<void> logout();

  // The stream and any input read past the last response, for a caller
  // that relays octets from now on (the proxy); this connection is then
  // spent: destroy it.
  std::pair<std::shared_ptr<net::stream>, std::string> release();

  // For a caller that drives the conversation itself (the proxy's
  // mediated sessions): octets sent as they are, and the next whole
  // response as read (line and literals, CRLF off), each within the
  // timeout; set_timeout changes it for the waits that follow.
  asio::awaitable<void> send_raw(std::string_view data) { return send(data); }
  asio::awaitable<std::string> next_response() { return read_response(); }
  // True when a response is buffered already (no wait for it).
  bool response_buffered() const { return in_.find("\r\n") != std::string::npos; }
  // For a caller that waits on its client too, without a deadline:
  // wait_readable returns once the server may have sent something (it may
  // wake spuriously); read_available then reads what it sent into the
  // buffer (one read, at least an octet). Both throw
  // boost::system::system_error when the connection ended or cancel() was
  // called (then nothing was taken).
  asio::awaitable<void> wait_readable();
  asio::awaitable<void> read_available();
  void set_timeout(std::chrono::milliseconds t) { opt_.timeout = t; }
  // Closes the connection without a LOGOUT: pending waits end.
  void close();
  // Ends pending waits on the connection (operation_aborted), keeping it.
  void cancel();

  bool has_capability(std::string_view name) const;
  const std::vector<std::string>& capabilities() const { return caps_; }
  bool tls_active() const;

 private:
  connection(asio::any_io_executor ex, options o);
  asio::awaitable<void> connect();
  asio::awaitable<void> starttls();
  asio::awaitable<void> refresh_capabilities();
  // One whole response (line plus every literal it announces), CRLF off.
  asio::awaitable<std::string> read_response();
  asio::awaitable<void> fill();
  asio::awaitable<void> send(std::string_view data);
  void take_capabilities(std::string_view list);
  void arm();
  void disarm();

  asio::any_io_executor ex_;
  options opt_;
  std::shared_ptr<net::stream> stream_;
  asio::steady_timer timer_;
  std::string in_;
  std::uint64_t next_tag_ = 1;
  std::vector<std::string> caps_;
};

}  // namespace lemonade::imap::client
