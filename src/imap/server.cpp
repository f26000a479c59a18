#include "imap/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "imap/session.hpp"
#include "net/listener.hpp"

namespace lemonade::imap {

server::server(asio::io_context& ioc, server_context& ctx) : ioc_(ioc), ctx_(ctx) {}

server::~server() = default;

void server::listen(const net::host_port& where, bool implicit_tls) {
  std::string label = where.host + ":" + std::to_string(where.port);
  auto l = std::make_unique<listener>(listener{net::bind_listener(ioc_, where), implicit_tls});
  spdlog::info("event=listen address={} tls={}", label, implicit_tls ? "implicit" : "starttls");
  listeners_.push_back(std::move(l));
}

void server::start() {
  for (auto& l : listeners_) {
    auto* lp = l.get();
    net::start_accepting(
        ioc_, lp->acceptor, [this, lp](asio::ip::tcp::socket socket) { spawn(std::move(socket), lp->implicit_tls); },
        "imap");
  }
}

void server::spawn(asio::ip::tcp::socket socket, bool implicit_tls) {
  if (session_count() >= ctx_.cfg.max_connections) {
    // Over the limit: one line and close, so the client knows why.
    static const std::string bye = "* BYE Too many connections; try again later\r\n";
    boost::system::error_code ec;
    if (!implicit_tls) asio::write(socket, asio::buffer(bye), ec);
    socket.close(ec);
    spdlog::warn("event=connection_refused reason=max_connections");
    return;
  }
  boost::system::error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  net::stream stream(std::move(socket));
  connection_info info;
  info.remote = stream.remote_address();
  info.address = info.remote.substr(0, info.remote.rfind(':'));
  info.loopback = stream.remote_is_loopback();
  info.implicit_tls = implicit_tls;
  run(std::move(stream), std::move(info));
}

bool server::adopt(net::stream& stream, connection_info info) {
  if (ctx_.shutting_down || session_count() >= ctx_.cfg.max_connections) return false;
  run(std::move(stream), std::move(info));
  return true;
}

void server::run(net::stream stream, connection_info info) {
  info.id = next_id_++;
  auto executor = stream.socket().get_executor();
  auto s = std::make_shared<session>(ctx_, std::move(stream), info);
  {
    std::lock_guard lock(sessions_mu_);
    sessions_[info.id] = s;
  }
  asio::co_spawn(executor, s->run(), [this, s, id = info.id](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("conn={} event=session_escaped error=\"{}\"", id, ex.what());
      }
    }
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(id);
  });
}

void server::on_each_session(const std::function<void(session&)>& fn) {
  std::vector<std::shared_ptr<session>> live;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& [id, w] : sessions_)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  // fn touches the session's state: run it on its strand.
  for (auto& s : live) {
    auto ex = s->executor();
    asio::dispatch(ex, [s, fn] { fn(*s); });
  }
}

void server::begin_shutdown() {
  for (auto& l : listeners_) {
    boost::system::error_code ec;
    l->acceptor.close(ec);
  }
  on_each_session([](session& s) { s.request_shutdown(); });
}

void server::end_sessions_of(std::int64_t id, const std::string& why) {
  on_each_session([id, why](session& s) {
    if (s.user_id() == id) s.request_shutdown(why);
  });
}

void server::end_proxy_sessions(std::function<bool(std::int64_t, const store::proxy_grant&)> revoked,
                                const std::string& why) {
  on_each_session([revoked = std::move(revoked), why](session& s) {
    if (auto& g = s.proxy(); g && revoked(s.user_id(), *g)) s.request_shutdown(why);
  });
}

void server::end_key_sessions(std::function<bool(const std::string&)> revoked, const std::string& why) {
  on_each_session([revoked = std::move(revoked), why](session& s) {
    if (auto& x = s.xenc(); x && revoked(x->key_id)) s.request_shutdown(why);
  });
}

std::size_t server::session_count() const {
  std::lock_guard lock(sessions_mu_);
  return sessions_.size();
}

}  // namespace lemonade::imap
