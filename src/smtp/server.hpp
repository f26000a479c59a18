#pragma once
// The SMTP-family listeners: submission (RFC 6409 with STARTTLS on
// submission.listen, RFC 8314 implicit TLS on submissions.listen) and LMTP
// (RFC 2033, lmtp.listen), and their sessions.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/endpoint.hpp"
#include "net/stream.hpp"
#include "smtp/context.hpp"

namespace lemonade::smtp {

class session;

class server {
 public:
  server(asio::io_context& ioc, server_context& ctx);
  ~server();
  // Throws std::runtime_error("cannot listen on 127.0.0.1:1587: ...").
  void listen(const net::host_port& where, bool implicit_tls, smtp::mode m = smtp::mode::submission);
  // A Unix domain socket (LMTP for an MTA on this host, as Postfix's
  // "lmtp:unix:/path"); mode is its permission bits.
  void listen_unix(const std::string& path, unsigned mode, smtp::mode m);
  void start();
  // Closes the listeners; sessions end at their next command (421) or at
  // once when they wait for the client.
  void begin_shutdown();
  std::size_t session_count() const;
  // Runs a submission session on a stream another listener accepted
  // (http/binding: submission over WebSocket). `info` names the client as
  // that listener saw it; id and mode are set here. False, with the stream
  // untouched, at submission.max_connections or when shutting down.
  bool adopt(net::stream& stream, connection_info info);
  // Ends the sessions whose XKEY named a key for which revoked(key id) is
  // true (docs/xencrypted.md; called on each session's strand).
  void end_key_sessions(std::function<bool(const std::string&)> revoked);

 private:
  struct listener {
    std::optional<asio::ip::tcp::acceptor> tcp;
    std::optional<asio::local::stream_protocol::acceptor> local;
    bool implicit_tls;
    smtp::mode mode;
  };
  void spawn(net::stream stream, const listener& l);
  void run(net::stream stream, connection_info info);
  std::vector<std::shared_ptr<session>> live_sessions() const;

  asio::io_context& ioc_;
  server_context& ctx_;
  std::vector<std::unique_ptr<listener>> listeners_;
  mutable std::mutex mu_;
  std::map<std::uint64_t, std::weak_ptr<session>> sessions_;
  std::uint64_t next_id_ = 1;
};

}  // namespace lemonade::smtp
