#pragma once
// IMAP listeners and the sessions they spawn; the shutdown protocol of
// SIGTERM (stop accepting, let commands finish, BYE, exit).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "imap/context.hpp"
#include "net/endpoint.hpp"
#include "net/stream.hpp"

namespace lemonade::imap {

class session;

class server {
 public:
  server(asio::io_context& ioc, server_context& ctx);
  ~server();

  // Binds a listener. Throws std::runtime_error("cannot listen on
  // 127.0.0.1:1143: Address already in use").
  void listen(const net::host_port& where, bool implicit_tls);
  // Starts accepting on every bound listener.
  void start();
  // Closes the listeners and asks every session to finish.
  void begin_shutdown();
  std::size_t session_count() const;
  // Runs a session on a stream another listener accepted (http/binding:
  // IMAP over WebSocket). `info` names the client as that listener saw
  // it; its id is assigned here. False, with the stream untouched, when
  // the server is at imap.max_connections or shutting down.
  bool adopt(net::stream& stream, connection_info info);
  // Ends the sessions logged in as user `id` with `* BYE <why>` (the user
  // was deleted while they were connected).
  void end_sessions_of(std::int64_t id, const std::string& why);
  // Ends the sessions of proxy identities for which revoked(user id,
  // grant at login) is true (called on each session's strand).
  void end_proxy_sessions(std::function<bool(std::int64_t, const store::proxy_grant&)> revoked,
                          const std::string& why);
  // Ends the sessions whose XKEY named a key for which revoked(key id) is
  // true (docs/xencrypted.md; called on each session's strand).
  void end_key_sessions(std::function<bool(const std::string&)> revoked, const std::string& why);

 private:
  struct listener {
    asio::ip::tcp::acceptor acceptor;
    bool implicit_tls;
  };
  void spawn(asio::ip::tcp::socket socket, bool implicit_tls);
  void run(net::stream stream, connection_info info);
  // Runs fn on every live session, each on its own strand.
  void on_each_session(const std::function<void(session&)>& fn);

  asio::io_context& ioc_;
  server_context& ctx_;
  std::vector<std::unique_ptr<listener>> listeners_;
  mutable std::mutex sessions_mu_;
  std::unordered_map<std::uint64_t, std::weak_ptr<session>> sessions_;
  std::atomic<std::uint64_t> next_id_{1};
};

}  // namespace lemonade::imap
