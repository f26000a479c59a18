#pragma once
// `lemonade proxy` (issue 17): an IMAP proxy in front of any IMAP server.
// A client logs in to the proxy (LOGIN or AUTHENTICATE PLAIN, over TLS
// unless from loopback, as auth.plaintext says); the proxy logs in to the
// user's backend (routes.hpp: proxy.backend, proxy.routes, failover at
// login) with the same credentials, answers with the backend's
// capabilities, and from then on relays the octets both ways untouched:
// IDLE, COMPRESS, literals, XENCRYPTED objects and sealed requests pass
// through as they are; in front of a backend without IDLE, ESEARCH or
// CONDSTORE it mediates instead (mediator.hpp). Before login it answers
// CAPABILITY, NOOP, LOGOUT, STARTTLS, ID and the two logins itself
// (docs/design/proxy-research.md §1, §2). A route none of whose backends
// can be reached is NO [UNAVAILABLE] at login (RFC 5530); a backend that
// goes away later without a BYE of its own gets the client * BYE
// [UNAVAILABLE], then the end of the connection. More than
// server.max_connections at once are refused with * BYE [UNAVAILABLE].

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "core/config.hpp"
#include "net/endpoint.hpp"
#include "net/stream.hpp"
#include "proxy/mediator.hpp"
#include "proxy/routes.hpp"

namespace lemonade::proxy {

namespace asio = boost::asio;

struct context {
  const core::config& cfg;
  // Each user's backends (proxy.backend, proxy.routes: routes.hpp).
  std::shared_ptr<router> routes;
  // The client side's TLS (STARTTLS, implicit TLS listeners); the
  // backend side's, for imaps:// backends.
  std::function<std::shared_ptr<asio::ssl::context>()> tls;
  std::shared_ptr<asio::ssl::context> backend_tls;
  // proxy.special_use, parsed (mediator.hpp); empty: none offered.
  std::shared_ptr<const special_use_map> special_use;
};

// How a client came to a session: by a listener's TCP connection, or by
// a binding of the HTTPS listener (http/binding.hpp), which has done TLS.
struct arrival {
  std::string remote;  // address:port, for logs
  bool loopback = false;
  bool tls = false;     // already under TLS: no STARTTLS, logins allowed
  std::string binding;  // "websocket", "poll"; empty for a listener's
  // Called at login with the name and password the backend accepted.
  std::function<void(const std::string& login, const std::string& password)> logged_in;
};

class server {
 public:
  server(asio::io_context& ioc, context ctx);
  ~server();
  // Throws std::runtime_error when the address cannot be bound.
  void listen(const net::host_port& where, bool implicit_tls);
  void start();
  // Runs a session on `s`, which the HTTPS listener's TLS protects (its
  // binding: docs/http-binding.md). False, with `s` untouched, when no more
  // sessions are taken (server.max_connections, proxy.max_per_address,
  // stopping).
  bool adopt(net::stream& s, arrival a);
  // Stops accepting and asks every session to end: a mediated one says
  // * BYE after the command under way, a relayed one closes (mediator.hpp,
  // session_control). sessions() counts those not yet gone.
  void stop();
  std::size_t sessions() const;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace lemonade::proxy
