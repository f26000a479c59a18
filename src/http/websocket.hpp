#pragma once
// The WebSocket binding (RFC 6455) of the HTTPS listener
// (docs/http-binding.md): one protocol session per socket, binary frames
// carrying the protocol's octets as a byte stream. A session opened as
// resumable outlives its connection: the client reconnects and resumes it
// where the octets left off. Internal to http/: key_api.cpp hands it
// upgrade requests.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "core/config.hpp"
#include "http/binding.hpp"

namespace lemonade::http {

// The resumable sessions of one listener, by the hash of their tokens.
class binding_registry;
// `file` keeps what the bindings learn of their users' paths over a restart.
std::shared_ptr<binding_registry> make_binding_registry(const core::config& cfg, const std::filesystem::path& file);

// A request to resume (headers Lemonade-Session and Lemonade-Received),
// from a client the caller authenticated as `login`.
struct resume_request {
  std::string token;
  std::uint64_t received = 0;  // server octets the client has
  std::string login;
  // The password of the request's HTTP Basic, where the listener has no
  // user directory to check it (the proxy's): the session checks it.
  // nullopt: the directory checked it.
  std::optional<std::string> password;
};

// Answers the upgrade request `req` for `protocol` (bindings::protocol_at)
// on `tls` and relays between the client and a session of that protocol,
// a new one or, with `resume`, the one it names. Refuses with an HTTP
// answer a request that is not a proper upgrade, offers only other
// subprotocols (RFC 6455 §4.2.2) or names no session this user may resume
// from that point (404, one answer for every reason); closes with 1013
// when the protocol server is full.
boost::asio::awaitable<void> serve_websocket(boost::asio::io_context& ioc, std::shared_ptr<binding_registry> registry,
                                             boost::beast::ssl_stream<boost::beast::tcp_stream> tls,
                                             boost::beast::http::request<boost::beast::http::string_body> req,
                                             std::string_view protocol, const adopt_session& adopt,
                                             client_facts client, std::optional<resume_request> resume);

}  // namespace lemonade::http
