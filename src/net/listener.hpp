#pragma once
// Listening sockets for every protocol's server (IMAP, submission, LMTP):
// binding with the options a server wants and the accept loop, so each
// server keeps only what it does with a connection. Include only where
// Asio is wanted.

#include <functional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "net/endpoint.hpp"

namespace lemonade::net {

namespace asio = boost::asio;

// A listening acceptor on where (SO_REUSEADDR; IPV6_V6ONLY for an IPv6
// address, so [::]:N and 0.0.0.0:N can both be bound). Throws
// std::runtime_error("cannot listen on 127.0.0.1:1143: Address already in
// use").
asio::ip::tcp::acceptor bind_listener(asio::io_context& ioc, const host_port& where);

// Accepts until the acceptor is closed; each connection's socket is bound
// to a strand of its own and handed to on_accept. A failed accept (EMFILE
// and friends) is logged and retried after 100 ms: the connections there
// are keep being served.
asio::awaitable<void> accept_loop(asio::io_context& ioc, asio::ip::tcp::acceptor& acceptor,
                                  std::function<void(asio::ip::tcp::socket)> on_accept, const char* protocol);

// accept_loop() spawned on ioc; an exception that ends it is logged.
void start_accepting(asio::io_context& ioc, asio::ip::tcp::acceptor& acceptor,
                     std::function<void(asio::ip::tcp::socket)> on_accept, const char* protocol);

}  // namespace lemonade::net
