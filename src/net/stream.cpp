#include "net/stream.hpp"

#include <cerrno>
#include <cstring>
#include <optional>

#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/error.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace lemonade::net {

void stream::ssl_free::operator()(ssl_st* s) const { SSL_free(s); }

stream::stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}
stream::stream(asio::local::stream_protocol::socket socket) : socket_(std::move(socket)) {}
stream::stream(const asio::any_io_executor& ex) : socket_(ex) {}

asio::awaitable<void> stream::connect(const asio::ip::tcp::resolver::results_type& endpoints) {
  boost::system::error_code last = asio::error::host_not_found;
  for (const auto& entry : endpoints) {
    asio::generic::stream_protocol::endpoint ep(entry.endpoint());
    boost::system::error_code ec;
    socket_.close(ec);
    socket_.open(ep.protocol(), ec);
    if (ec) {
      last = ec;
      continue;
    }
    co_await socket_.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_return;
    last = ec;
    // close() while connecting: stop, not the next address.
    if (ec == asio::error::operation_aborted) break;
  }
  throw boost::system::system_error(last);
}

stream::~stream() = default;

asio::awaitable<void> stream::wait_for_tls(int r) {
  switch (SSL_get_error(ssl_.get(), r)) {
    case SSL_ERROR_WANT_READ:
      co_await socket_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
      co_return;
    case SSL_ERROR_WANT_WRITE:
      co_await socket_.async_wait(asio::socket_base::wait_write, asio::use_awaitable);
      co_return;
    case SSL_ERROR_ZERO_RETURN:  // close_notify
      throw boost::system::system_error(asio::error::eof);
    case SSL_ERROR_SYSCALL: {
      auto e = ERR_get_error();
      ERR_clear_error();
      if (e == 0 && errno != 0 && errno != EAGAIN)
        throw boost::system::system_error(boost::system::error_code(errno, boost::system::system_category()));
      throw boost::system::system_error(asio::error::eof);  // the peer went away
    }
    default: {
      auto e = ERR_get_error();
      ERR_clear_error();
      throw boost::system::system_error(
          boost::system::error_code(static_cast<int>(e), asio::error::get_ssl_category()));
    }
  }
}

asio::awaitable<std::size_t> stream::read_some(asio::mutable_buffer buf) {
  if (!ssl_) co_return co_await socket_.async_read_some(buf, asio::use_awaitable);
  for (;;) {
    std::size_t n = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n);
    if (r == 1) co_return n;
    co_await wait_for_tls(r);
  }
}

asio::awaitable<void> stream::wait_readable() {
  // Decrypted input already buffered by OpenSSL needs no wait.
  if (ssl_ && SSL_pending(ssl_.get()) > 0) co_return;
  co_await socket_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
}

asio::awaitable<void> stream::write(asio::const_buffer buf) {
  if (!ssl_) {
    co_await asio::async_write(socket_, buf, asio::use_awaitable);
    co_return;
  }
  auto* p = static_cast<const char*>(buf.data());
  std::size_t left = buf.size();
  while (left > 0) {
    // Partial writes are on, so a retry after WANT_WRITE starts where the
    // last record ended.
    std::size_t n = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write_ex(ssl_.get(), p, left, &n);
    if (r == 1) {
      p += n;
      left -= n;
      continue;
    }
    co_await wait_for_tls(r);
  }
}

void stream::attach_tls(std::shared_ptr<asio::ssl::context> ctx) {
  tls_ctx_ = std::move(ctx);
  ssl_.reset(SSL_new(tls_ctx_->native_handle()));
  if (!ssl_) throw boost::system::system_error(asio::error::no_memory);
  socket_.native_non_blocking(true);
  SSL_set_fd(ssl_.get(), socket_.native_handle());
  // Record buffers only while a record is in flight; an idle connection
  // keeps none.
  SSL_set_mode(ssl_.get(), SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                               SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

asio::awaitable<void> stream::handshake(bool client) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = client ? SSL_connect(ssl_.get()) : SSL_accept(ssl_.get());
    if (r == 1) co_return;
    co_await wait_for_tls(r);
  }
}

asio::awaitable<void> stream::start_tls(std::shared_ptr<asio::ssl::context> ctx) {
  attach_tls(std::move(ctx));
  co_await handshake(false);
}

asio::awaitable<void> stream::start_tls_client(std::shared_ptr<asio::ssl::context> ctx, std::string server_name) {
  attach_tls(std::move(ctx));
  if (!server_name.empty()) {
    // Checked only when the context verifies the chain: a name against the
    // certificate's DNS names, an IP address against its IP addresses (no
    // SNI for an address, RFC 6066 §3).
    boost::system::error_code ec;
    asio::ip::make_address(server_name, ec);
    if (ec) {
      SSL_set_tlsext_host_name(ssl_.get(), server_name.c_str());
      SSL_set1_host(ssl_.get(), server_name.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), server_name.c_str());
    }
  }
  co_await handshake(true);
}

std::string stream::tls_description() const {
  if (!ssl_) return "none";
  return std::string(SSL_get_version(ssl_.get())) + " " + SSL_get_cipher_name(ssl_.get());
}

void stream::cancel() {
  boost::system::error_code ec;
  socket_.cancel(ec);
}

void stream::close() {
  boost::system::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
}

asio::awaitable<void> stream::shutdown() {
  if (ssl_ && socket_.is_open()) {
    // Best effort, never waited for: a peer that is gone must not hold us
    // up.
    SSL_set_quiet_shutdown(ssl_.get(), 1);
    SSL_shutdown(ssl_.get());
  }
  close();
  co_return;
}

namespace {

// The peer's IP address and port; nullopt for a Unix domain peer (or a
// socket that is gone).
std::optional<asio::ip::tcp::endpoint> peer(const stream::socket_type& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return std::nullopt;
  const sockaddr* sa = ep.data();
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), &in->sin_addr, b.size());
    return asio::ip::tcp::endpoint(asio::ip::address_v4(b), ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), &in6->sin6_addr, b.size());
    return asio::ip::tcp::endpoint(asio::ip::address_v6(b, in6->sin6_scope_id), ntohs(in6->sin6_port));
  }
  return std::nullopt;
}

bool is_unix(const stream::socket_type& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  return !ec && ep.data()->sa_family == AF_UNIX;
}

}  // namespace

std::string stream::remote_address() const {
  auto ep = peer(socket_);
  if (!ep) return is_unix(socket_) ? "unix" : "?";
  auto addr = ep->address();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep->port());
  return addr.to_string() + ":" + std::to_string(ep->port());
}

bool stream::remote_is_loopback() const {
  auto ep = peer(socket_);
  if (!ep) return is_unix(socket_);
  auto addr = ep->address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).is_loopback();
  return addr.is_loopback();
}

}  // namespace lemonade::net
