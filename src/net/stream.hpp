#pragma once
// A client connection's byte stream: plain TCP, upgraded in place to TLS
// by STARTTLS or at accept for implicit-TLS listeners. Later layers
// (COMPRESS) stack here too. Include only where Asio is wanted.

#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace lemonade::net {

namespace asio = boost::asio;

class stream {
 public:
  explicit stream(asio::ip::tcp::socket socket);
  // Movable only before start_tls (the TLS layer refers to socket_).
  stream(stream&&) = default;
  ~stream();

  // Throws boost::system::system_error (eof, reset, aborted by close()).
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf);
  asio::awaitable<void> write(asio::const_buffer buf);

  // Server-side TLS handshake on this connection; afterwards every read
  // and write is encrypted. Throws on handshake failure.
  asio::awaitable<void> start_tls(std::shared_ptr<asio::ssl::context> ctx);
  bool tls_active() const { return tls_ != nullptr; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs.
  std::string tls_description() const;

  // Aborts pending operations (they complete with operation_aborted).
  void cancel();
  // Closes the socket: pending and later operations fail.
  void close();
  // Sends a TLS close_notify where possible, then closes.
  asio::awaitable<void> shutdown();

  asio::ip::tcp::socket& socket() { return socket_; }
  std::string remote_address() const;  // "127.0.0.1:50312"
  bool remote_is_loopback() const;

 private:
  asio::ip::tcp::socket socket_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;  // outlives tls_ (SIGHUP swaps contexts)
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
};

}  // namespace lemonade::net
