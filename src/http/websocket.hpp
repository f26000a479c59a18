#pragma once
// The WebSocket binding (RFC 6455) of the HTTPS listener: one protocol
// session per socket, binary frames carrying the protocol's octets as a
// byte stream (frame boundaries mean nothing, as in MQTT over WebSocket).
// Internal to http/: key_api.cpp hands it upgrade requests.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "http/binding.hpp"

namespace lemonade::http {

// Answers the upgrade request `req` for `protocol` (bindings::protocol_at)
// on `tls`, and relays between the client and a session of that protocol
// until either ends. Refuses with an HTTP answer a request that is not a
// proper upgrade or offers only other subprotocols (RFC 6455 §4.2.2), and
// with close code 1013 when the protocol server is full.
boost::asio::awaitable<void> serve_websocket(boost::asio::io_context& ioc,
                                             boost::beast::ssl_stream<boost::beast::tcp_stream> tls,
                                             boost::beast::http::request<boost::beast::http::string_body> req,
                                             std::string_view protocol, const adopt_session& adopt,
                                             client_facts client);

}  // namespace lemonade::http
