#include "net/stream.hpp"

#include "net/deflate.hpp"

#include <cerrno>
#include <cstring>
#include <optional>

#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace lemonade::net {

namespace {

class compress_error_category : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "compress"; }
  std::string message(int) const override { return "invalid compressed input"; }
};

// Compressed input is read in pieces of this size.
constexpr std::size_t compressed_piece = 4096;
// A compressed output buffer bigger than this is freed after its write.
constexpr std::size_t keep_output = 16 * 1024;

}  // namespace

const boost::system::error_category& compress_category() {
  static const compress_error_category c;
  return c;
}

// RFC 4978: the codec, its compressed output on its way, and the timer
// that frees the codec's working memory while a reader waits.
struct stream::compress_layer {
  compress_layer(const deflate_options& opts, std::chrono::milliseconds after, const asio::any_io_executor& ex)
      : codec(opts), release_after(after), release(ex) {}
  deflate_codec codec;
  std::string out;
  std::chrono::milliseconds release_after;
  asio::steady_timer release;
  bool waiting = false;  // a reader is in wait_readable
  bool writing = false;  // out is being written
};

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
stream::stream(stream&&) noexcept = default;

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
  return z_ ? z_read_some(buf) : raw_read_some(buf);
}

asio::awaitable<std::size_t> stream::z_read_some(asio::mutable_buffer buf) {
  auto& codec = z_->codec;
  for (;;) {
    if (codec.input_pending()) {
      std::size_t n = 0;
      try {
        n = codec.decompress(static_cast<char*>(buf.data()), buf.size());
      } catch (const deflate_error& e) {
        throw boost::system::system_error(boost::system::error_code(1, compress_category()), e.what());
      }
      if (n > 0) co_return n;
    }
    auto* p = codec.prepare(compressed_piece);
    std::size_t got = 0;
    try {
      got = co_await raw_read_some(asio::buffer(p, compressed_piece));
    } catch (...) {
      codec.commit(0);
      throw;
    }
    codec.commit(got);
  }
}

asio::awaitable<std::size_t> stream::raw_read_some(asio::mutable_buffer buf) {
  if (!ssl_) co_return co_await socket_.async_read_some(buf, asio::use_awaitable);
  for (;;) {
    // After close() the SSL object still names the old descriptor, which
    // a new connection may have by now: never touch it.
    if (!socket_.is_open()) throw boost::system::system_error(asio::error::bad_descriptor);
    std::size_t n = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n);
    if (r == 1) co_return n;
    co_await wait_for_tls(r);
  }
}

asio::awaitable<void> stream::wait_readable() { return z_ ? z_wait_readable() : raw_wait_readable(); }

asio::awaitable<void> stream::z_wait_readable() {
  if (z_->codec.input_pending()) co_return;
  z_->waiting = true;
  arm_release(co_await asio::this_coro::executor);
  try {
    co_await raw_wait_readable();
  } catch (...) {
    z_->waiting = false;
    z_->release.cancel();
    throw;
  }
  z_->waiting = false;
  z_->release.cancel();
}

void stream::arm_release(const asio::any_io_executor& ex) {
  auto* z = z_.get();
  if (z->release_after.count() <= 0) {
    z->codec.release();
    return;
  }
  z->release.expires_after(z->release_after);
  // The timer is z's. Its handler runs on the waiting coroutine's
  // executor (a session's strand), not on any thread of the socket's
  // context, as the codec is that coroutine's; one already queued when the
  // stream goes finds the layer gone.
  std::weak_ptr<compress_layer> weak = z_;
  z->release.async_wait(asio::bind_executor(ex, [weak](const boost::system::error_code& ec) {
    auto layer = weak.lock();
    if (ec || !layer || !layer->waiting) return;
    layer->codec.release();
    if (!layer->writing) std::string().swap(layer->out);
  }));
}

asio::awaitable<void> stream::raw_wait_readable() {
  // Decrypted input already buffered by OpenSSL needs no wait.
  if (ssl_ && SSL_pending(ssl_.get()) > 0) co_return;
  co_await socket_.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
}

asio::awaitable<void> stream::write(asio::const_buffer buf) { return z_ ? z_write(buf) : raw_write(buf); }

asio::awaitable<void> stream::z_write(asio::const_buffer buf) {
  auto* z = z_.get();
  z->out.clear();
  z->codec.compress(std::string_view(static_cast<const char*>(buf.data()), buf.size()), z->out);
  z->writing = true;
  try {
    co_await raw_write(asio::buffer(z->out));
  } catch (...) {
    z->writing = false;
    throw;
  }
  z->writing = false;
  if (z->out.capacity() > keep_output) std::string().swap(z->out);
  // Written while a reader waits (IDLE, NOTIFY): the codec is live again,
  // and goes again once the line is quiet.
  if (z->waiting) arm_release(co_await asio::this_coro::executor);
}

void stream::start_compress(const deflate_options& opts, std::chrono::milliseconds release_after,
                            std::string_view pending) {
  z_ = std::make_shared<compress_layer>(opts, release_after, socket_.get_executor());
  if (!pending.empty()) {
    auto* p = z_->codec.prepare(pending.size());
    std::memcpy(p, pending.data(), pending.size());
    z_->codec.commit(pending.size());
  }
}

const deflate_codec* stream::compression() const { return z_ ? &z_->codec : nullptr; }

asio::awaitable<void> stream::raw_write(asio::const_buffer buf) {
  if (!ssl_) {
    co_await asio::async_write(socket_, buf, asio::use_awaitable);
    co_return;
  }
  auto* p = static_cast<const char*>(buf.data());
  std::size_t left = buf.size();
  while (left > 0) {
    // Partial writes are on, so a retry after WANT_WRITE starts where the
    // last record ended.
    if (!socket_.is_open()) throw boost::system::system_error(asio::error::bad_descriptor);  // as above
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
    if (!socket_.is_open()) throw boost::system::system_error(asio::error::bad_descriptor);  // as in raw_read_some
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
