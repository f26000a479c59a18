#include "net/listener.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace lemonade::net {

asio::ip::tcp::acceptor bind_listener(asio::io_context& ioc, const host_port& where) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(where.host, ec);
  std::string label = where.host + ":" + std::to_string(where.port);
  if (ec) throw std::runtime_error("cannot listen on " + label + ": not an IP address");
  asio::ip::tcp::endpoint ep(addr, where.port);
  asio::ip::tcp::acceptor a(ioc);
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && addr.is_v6()) a.set_option(asio::ip::v6_only(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + label + ": " + ec.message());
  return a;
}

asio::local::stream_protocol::acceptor bind_unix_listener(asio::io_context& ioc, const std::string& path,
                                                          unsigned mode) {
  std::string label = "unix:" + path;
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error("cannot listen on " + label + ": a file that is not a socket is there");
    ::unlink(path.c_str());
  }
  boost::system::error_code ec;
  asio::local::stream_protocol::acceptor a(ioc);
  asio::local::stream_protocol::endpoint ep(path);
  a.open(ep.protocol(), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec && ::chmod(path.c_str(), mode) != 0) ec.assign(errno, boost::system::system_category());
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + label + ": " + ec.message());
  return a;
}

namespace {

template <typename Acceptor>
asio::awaitable<void> accept_any(asio::io_context& ioc, Acceptor& acceptor,
                                 std::function<void(typename Acceptor::protocol_type::socket)> on_accept,
                                 const char* protocol) {
  for (;;) {
    boost::system::error_code ec;
    // Each connection gets its own strand. (Named, not a temporary: GCC 12
    // may destroy temporaries of a co_await expression twice.)
    auto strand = asio::make_strand(ioc);
    auto socket = co_await acceptor.async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: keep serving the connections we have.
      spdlog::warn("event=accept_failed protocol={} error=\"{}\"", protocol, ec.message());
      asio::steady_timer t(ioc, std::chrono::milliseconds(100));
      co_await t.async_wait(asio::use_awaitable);
      continue;
    }
    on_accept(std::move(socket));
  }
}

template <typename Acceptor>
void spawn_accepting(asio::io_context& ioc, Acceptor& acceptor,
                     std::function<void(typename Acceptor::protocol_type::socket)> on_accept, const char* protocol) {
  asio::co_spawn(ioc, accept_any(ioc, acceptor, std::move(on_accept), protocol), [protocol](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("event=accept_loop_failed protocol={} error=\"{}\"", protocol, ex.what());
    }
  });
}

}  // namespace

void start_accepting(asio::io_context& ioc, asio::ip::tcp::acceptor& acceptor,
                     std::function<void(asio::ip::tcp::socket)> on_accept, const char* protocol) {
  spawn_accepting(ioc, acceptor, std::move(on_accept), protocol);
}

void start_accepting(asio::io_context& ioc, asio::local::stream_protocol::acceptor& acceptor,
                     std::function<void(asio::local::stream_protocol::socket)> on_accept, const char* protocol) {
  spawn_accepting(ioc, acceptor, std::move(on_accept), protocol);
}

}  // namespace lemonade::net
