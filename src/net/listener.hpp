#pragma once
// Listening sockets for every protocol's server (IMAP, submission, LMTP):
// binding with the options a server wants and the accept loop, so each
// server keeps only what it does with a connection. Include only where
// Asio is wanted.

#include <functional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "net/endpoint.hpp"

namespace lemonade::net {

namespace asio = boost::asio;

// A listening acceptor on where (SO_REUSEADDR; IPV6_V6ONLY for an IPv6
// address, so [::]:N and 0.0.0.0:N can both be bound). Throws
// std::runtime_error("cannot listen on 127.0.0.1:1143: Address already in
// use").
asio::ip::tcp::acceptor bind_listener(asio::io_context& ioc, const host_port& where);

// A listening Unix domain socket at path with the given permission bits
// (connecting needs write permission: 0660 lets the socket's group in). A
// socket file left by an earlier run is replaced; any other file there is
// an error. Throws std::runtime_error("cannot listen on unix:/run/x: ...").
asio::local::stream_protocol::acceptor bind_unix_listener(asio::io_context& ioc, const std::string& path,
                                                          unsigned mode);

// Accepts on the acceptor, on ioc, until it is closed; each connection's
// socket is bound to a strand of its own and handed to on_accept. A failed
// accept (EMFILE and friends) is logged and retried after 100 ms: the
// connections there keep being served. An exception that ends the loop is
// logged.
void start_accepting(asio::io_context& ioc, asio::ip::tcp::acceptor& acceptor,
                     std::function<void(asio::ip::tcp::socket)> on_accept, const char* protocol);
void start_accepting(asio::io_context& ioc, asio::local::stream_protocol::acceptor& acceptor,
                     std::function<void(asio::local::stream_protocol::socket)> on_accept, const char* protocol);

}  // namespace lemonade::net
