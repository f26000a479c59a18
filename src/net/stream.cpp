#include "net/stream.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace lemonade::net {

stream::stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

stream::~stream() = default;

asio::awaitable<std::size_t> stream::read_some(asio::mutable_buffer buf) {
  if (tls_) co_return co_await tls_->async_read_some(buf, asio::use_awaitable);
  co_return co_await socket_.async_read_some(buf, asio::use_awaitable);
}

asio::awaitable<void> stream::write(asio::const_buffer buf) {
  if (tls_) co_await asio::async_write(*tls_, buf, asio::use_awaitable);
  else co_await asio::async_write(socket_, buf, asio::use_awaitable);
}

asio::awaitable<void> stream::start_tls(std::shared_ptr<asio::ssl::context> ctx) {
  tls_ctx_ = std::move(ctx);
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_ctx_);
  co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
}

std::string stream::tls_description() const {
  if (!tls_) return "none";
  auto* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket&>&>(*tls_).native_handle();
  return std::string(SSL_get_version(ssl)) + " " + SSL_get_cipher_name(ssl);
}

void stream::cancel() {
  boost::system::error_code ec;
  socket_.cancel(ec);
}

void stream::close() {
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

asio::awaitable<void> stream::shutdown() {
  if (tls_ && socket_.is_open()) {
    // Best effort: a peer that is gone must not hold us up.
    SSL_set_quiet_shutdown(tls_->native_handle(), 1);
    SSL_shutdown(tls_->native_handle());
  }
  close();
  co_return;
}

std::string stream::remote_address() const {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (ec) return "?";
  auto addr = ep.address();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  return addr.to_string() + ":" + std::to_string(ep.port());
}

bool stream::remote_is_loopback() const {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (ec) return false;
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).is_loopback();
  return addr.is_loopback();
}

}  // namespace lemonade::net
