#include "smtp/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "net/listener.hpp"
#include "smtp/session.hpp"

namespace lemonade::smtp {

server::server(asio::io_context& ioc, server_context& ctx) : ioc_(ioc), ctx_(ctx) {}

server::~server() = default;

void server::listen(const net::host_port& where, bool implicit_tls, smtp::mode m) {
  std::string label = where.host + ":" + std::to_string(where.port);
  auto l = std::make_unique<listener>(listener{net::bind_listener(ioc_, where), std::nullopt, implicit_tls, m});
  spdlog::info("event=listen protocol={} address={} tls={}", m == smtp::mode::lmtp ? "lmtp" : "submission", label,
               m == smtp::mode::lmtp ? "none" : implicit_tls ? "implicit" : "starttls");
  listeners_.push_back(std::move(l));
}

void server::listen_unix(const std::string& path, unsigned mode, smtp::mode m) {
  auto l = std::make_unique<listener>(listener{std::nullopt, net::bind_unix_listener(ioc_, path, mode), false, m});
  spdlog::info("event=listen protocol={} address=unix:{} mode={:04o}", m == smtp::mode::lmtp ? "lmtp" : "submission",
               path, mode);
  listeners_.push_back(std::move(l));
}

void server::start() {
  for (auto& l : listeners_) {
    auto* lp = l.get();
    const char* protocol = lp->mode == smtp::mode::lmtp ? "lmtp" : "submission";
    if (lp->tcp) {
      net::start_accepting(
          ioc_, *lp->tcp,
          [this, lp](asio::ip::tcp::socket socket) {
            boost::system::error_code ec;
            socket.set_option(asio::ip::tcp::no_delay(true), ec);
            spawn(net::stream(std::move(socket)), *lp);
          },
          protocol);
    } else {
      net::start_accepting(
          ioc_, *lp->local,
          [this, lp](asio::local::stream_protocol::socket socket) { spawn(net::stream(std::move(socket)), *lp); },
          protocol);
    }
  }
}

void server::spawn(net::stream stream, const listener& l) {
  bool implicit_tls = l.implicit_tls;
  boost::system::error_code ec;
  if (session_count() >= ctx_.cfg.max_connections) {
    // RFC 5321 §3.1: 554 (or 421) instead of the greeting.
    static const std::string busy = "421 4.7.0 Too many connections; try again later\r\n";
    if (!implicit_tls) asio::write(stream.socket(), asio::buffer(busy), ec);
    stream.close();
    spdlog::warn("event=connection_refused protocol=submission reason=max_connections");
    return;
  }
  connection_info info;
  info.remote = stream.remote_address();
  info.address = info.remote == "unix" ? info.remote : info.remote.substr(0, info.remote.rfind(':'));
  if (info.address.size() > 2 && info.address.front() == '[') info.address = info.address.substr(1, info.address.size() - 2);
  info.loopback = stream.remote_is_loopback();
  info.implicit_tls = implicit_tls;
  info.mode = l.mode;
  run(std::move(stream), std::move(info));
}

bool server::adopt(net::stream& stream, connection_info info) {
  if (ctx_.shutting_down || session_count() >= ctx_.cfg.max_connections) return false;
  info.mode = smtp::mode::submission;
  info.implicit_tls = false;
  run(std::move(stream), std::move(info));
  return true;
}

void server::run(net::stream stream, connection_info info) {
  {
    std::lock_guard lock(mu_);
    info.id = next_id_++;
  }
  auto executor = stream.socket().get_executor();
  auto s = std::make_shared<session>(ctx_, std::move(stream), info);
  {
    std::lock_guard lock(mu_);
    sessions_[info.id] = s;
  }
  asio::co_spawn(executor, s->run(), [this, s, id = info.id](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("conn={} event=session_escaped protocol=submission error=\"{}\"", id, ex.what());
      }
    }
    std::lock_guard lock(mu_);
    sessions_.erase(id);
  });
}

std::vector<std::shared_ptr<session>> server::live_sessions() const {
  std::vector<std::shared_ptr<session>> live;
  std::lock_guard lock(mu_);
  for (auto& [id, w] : sessions_)
    if (auto s = w.lock()) live.push_back(std::move(s));
  return live;
}

void server::begin_shutdown() {
  for (auto& l : listeners_) {
    boost::system::error_code ec;
    if (l->tcp) l->tcp->close(ec);
    if (l->local) l->local->close(ec);
  }
  for (auto& s : live_sessions()) s->request_shutdown();
}

void server::end_key_sessions(std::function<bool(const std::string&)> revoked) {
  for (auto& s : live_sessions()) s->end_if_key_revoked(revoked);
}

std::size_t server::session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace lemonade::smtp
