#pragma once
// A client connection's byte stream: plain TCP, upgraded in place to TLS
// by STARTTLS or at accept for implicit-TLS listeners, and to DEFLATE by
// COMPRESS (RFC 4978) above either. Include only where Asio is wanted.
//
// TLS runs OpenSSL directly on the socket (SSL_set_fd, non-blocking, with
// Asio waiting for readiness) rather than through asio::ssl::stream, whose
// engine keeps four 17 KB buffers per connection for life: an idle phone
// must cost a few kilobytes (DESIGN.md §3), and with SSL_MODE_RELEASE_BUFFERS
// OpenSSL frees its own record buffers whenever nothing is in flight.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/system/error_category.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>

struct ssl_st;

namespace lemonade::net {

namespace asio = boost::asio;

struct deflate_options;
class deflate_codec;

// The category of the error read_some throws (as a
// boost::system::system_error) when the peer's compressed input is not
// valid DEFLATE.
const boost::system::error_category& compress_category();

// The socket is a generic stream socket: a TCP connection, or a Unix
// domain one (the LMTP socket an MTA on the same host delivers to).
class stream {
 public:
  using socket_type = asio::generic::stream_protocol::socket;
  explicit stream(asio::ip::tcp::socket socket);
  explicit stream(asio::local::stream_protocol::socket socket);
  // An unconnected stream for connect().
  explicit stream(const asio::any_io_executor& ex);
  stream(stream&&) noexcept;
  ~stream();

  // Connects to the first of the endpoints that answers. Throws the last
  // failure (or operation_aborted when close() ends the wait).
  asio::awaitable<void> connect(const asio::ip::tcp::resolver::results_type& endpoints);

  // Throws boost::system::system_error (eof, reset, aborted by close()).
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf);
  // Returns once read_some would find input (or an error): a connection
  // waits here holding no read buffer. Throws like read_some.
  asio::awaitable<void> wait_readable();
  asio::awaitable<void> write(asio::const_buffer buf);

  // Server-side TLS handshake on this connection; afterwards every read
  // and write is encrypted. Throws on handshake failure.
  asio::awaitable<void> start_tls(std::shared_ptr<asio::ssl::context> ctx);
  // Client-side handshake (a connection we opened). `server_name` goes in
  // SNI and, when the context verifies peers, must match the certificate.
  asio::awaitable<void> start_tls_client(std::shared_ptr<asio::ssl::context> ctx, std::string server_name);
  bool tls_active() const { return ssl_ != nullptr; }
  // "TLSv1.3 TLS_AES_256_GCM_SHA384", for logs.
  std::string tls_description() const;

  // RFC 4978 COMPRESS=DEFLATE from now on, both ways, above TLS when TLS
  // is on. `pending` is input already read past the COMPRESS command (the
  // peer's, so compressed). While a reader waits (wait_readable), the
  // codec's working memory goes after `release_after` (deflate.hpp).
  void start_compress(const deflate_options& opts, std::chrono::milliseconds release_after,
                      std::string_view pending);
  const deflate_codec* compression() const;

  // Aborts pending operations (they complete with operation_aborted).
  void cancel();
  // Closes the socket: pending and later operations fail.
  void close();
  // Sends a TLS close_notify where possible, then closes.
  asio::awaitable<void> shutdown();

  socket_type& socket() { return socket_; }
  std::string remote_address() const;  // "127.0.0.1:50312", "[::1]:50312", "unix"
  // A loopback address, or a Unix domain socket (a peer on this host).
  bool remote_is_loopback() const;

 private:
  // Waits until the socket is ready for what OpenSSL asked (its
  // SSL_get_error after a call returned r); throws for real errors.
  asio::awaitable<void> wait_for_tls(int r);
  // TLS on this socket with ctx, before either side's handshake.
  void attach_tls(std::shared_ptr<asio::ssl::context> ctx);
  asio::awaitable<void> handshake(bool client);
  // Below compression: the socket, or TLS on it.
  asio::awaitable<std::size_t> raw_read_some(asio::mutable_buffer buf);
  asio::awaitable<void> raw_wait_readable();
  asio::awaitable<void> raw_write(asio::const_buffer buf);
  // Through the compression layer. read_some, wait_readable and write
  // hand back one of these or the raw one, without a coroutine frame of
  // their own: an uncompressed connection pays nothing for COMPRESS.
  asio::awaitable<std::size_t> z_read_some(asio::mutable_buffer buf);
  asio::awaitable<void> z_wait_readable();
  asio::awaitable<void> z_write(asio::const_buffer buf);
  void arm_release(const asio::any_io_executor& ex);

  struct ssl_free {
    void operator()(ssl_st* s) const;
  };
  socket_type socket_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;  // outlives ssl_ (SIGHUP swaps contexts)
  std::unique_ptr<ssl_st, ssl_free> ssl_;
  struct compress_layer;
  std::shared_ptr<compress_layer> z_;  // shared: the release timer's handler holds it weakly
};

}  // namespace lemonade::net
