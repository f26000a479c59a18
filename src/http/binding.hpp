#pragma once
// IMAP and submission over the HTTPS listener (docs/http-binding.md), for
// phones behind firewalls that pass only HTTP(S). What the binding layer
// needs from the protocol servers: a way to run one of their sessions on a
// stream it hands over. The protocol session runs unchanged on one end of
// a socket pair; http/websocket.cpp relays between the other end and the
// client's WebSocket.

#include <functional>
#include <string>
#include <string_view>

#include "net/stream.hpp"

namespace lemonade::http {

// The client as the HTTPS listener saw it.
struct client_facts {
  std::string remote;   // address:port, for logs
  std::string address;  // address only: the key for login throttling
  bool loopback = false;
  std::string binding = "websocket";  // or "poll": the binding carrying the session
  std::string device;                 // Lemonade-Device: what the path learners know it by, with the user
  // To be called with the login name ("alice", "alice+phone") when the
  // session logs in: only that user may resume it.
  std::function<void(const std::string&)> logged_in;
  // For a server with no user directory of its own (`lemonade proxy`,
  // whose backend checks passwords): to be called at login with the
  // password the session logged in with. Resuming the session then takes
  // that password (HTTP Basic), checked against a keyed hash of it.
  std::function<void(const std::string&)> logged_in_password;
  // To be called when a request named the session's user but not its
  // password (that check is the session's, on the proxy): counted as a
  // failed login of the client's address.
  std::function<void()> wrong_password;
};

// Runs a protocol session on `stream`, which the HTTPS listener's TLS
// already protects. False, with the stream untouched, when that server
// takes no more sessions (its connection limit, or shutting down).
using adopt_session = std::function<bool(net::stream& stream, const client_facts& client)>;

struct bindings {
  adopt_session imap;        // at /imap, subprotocol "imap"; empty: off
  adopt_session submission;  // at /submission, subprotocol "submission"
  // The protocol served at `path` ("imap", "submission"), or "" when none.
  std::string_view protocol_at(std::string_view path) const;
  const adopt_session& adopt(std::string_view protocol) const { return protocol == "imap" ? imap : submission; }
};

}  // namespace lemonade::http
