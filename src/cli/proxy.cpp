// `lemonade proxy`: the IMAP proxy of src/proxy in a process of its own,
// in front of proxy.backend (or --backend). Its TLS certificate is the
// data directory's, as `serve`'s; SIGTERM and SIGINT stop it.
#include <algorithm>
#include <csignal>
#include <functional>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli.hpp"
#include "core/log.hpp"
#include "http/key_api.hpp"
#include "net/tls.hpp"
#include "proxy/proxy.hpp"

namespace lemonade::cli {

int proxy(const core::config& cfg, const std::string& backend_override) {
  core::init_logging(cfg.log_level, cfg.log_file);
  ::signal(SIGPIPE, SIG_IGN);
  auto urls = backend_override.empty() ? cfg.proxy_backend : backend_override;
  // The default route and proxy.routes (proxy/routes.hpp); imap:// carries
  // the users' passwords in the clear, to a loopback host only.
  proxy::route fallback;
  try {
    fallback = proxy::parse_route(urls);
  } catch (const std::invalid_argument& e) {
    throw exit_error(2, std::string("proxy.backend: ") + e.what());
  }
  std::shared_ptr<proxy::router> routes;
  try {
    routes = std::make_shared<proxy::router>(std::move(fallback), cfg.proxy_routes);
  } catch (const std::invalid_argument& e) {
    throw exit_error(2, std::string("proxy.routes: ") + e.what());
  }
  std::shared_ptr<const proxy::special_use_map> special_use;
  try {
    special_use = std::make_shared<const proxy::special_use_map>(proxy::parse_special_use(cfg.proxy_special_use));
  } catch (const std::invalid_argument& e) {
    throw exit_error(2, std::string("proxy.special_use: ") + e.what());
  }
  if (cfg.proxy_listen.empty() && cfg.proxy_tls_listen.empty())
    throw exit_error(2, "proxy.listen and proxy.tls_listen are both empty: nothing to listen on");
  auto cert = cfg.tls_cert.empty() ? cfg.data_dir / "tls" / "cert.pem" : cfg.tls_cert;
  auto key = cfg.tls_key.empty() ? cfg.data_dir / "tls" / "key.pem" : cfg.tls_key;
  std::shared_ptr<boost::asio::ssl::context> tls, backend_tls;
  std::mutex tls_mu;  // SIGHUP replaces tls
  try {
    if (cfg.tls_cert.empty() && net::ensure_self_signed(cert, key, cfg.hostname))
      spdlog::info("event=tls_self_signed cert={}", cert.string());
    tls = net::make_server_tls(cert, key);
    backend_tls = net::make_client_tls(true, cfg.proxy_backend_ca);
  } catch (const std::exception& e) {
    throw exit_error(2, e.what());
  }
  unsigned threads = cfg.network_threads ? cfg.network_threads : std::max(1u, std::thread::hardware_concurrency());
  boost::asio::io_context ioc(static_cast<int>(threads));
  proxy::server srv(ioc, {cfg, routes,
                          [&] {
                            std::lock_guard lock(tls_mu);
                            return tls;
                          },
                          backend_tls, special_use});
  bind_each(cfg.proxy_listen, "proxy.listen", [&](auto& hp) { srv.listen(hp, false); });
  bind_each(cfg.proxy_tls_listen, "proxy.tls_listen", [&](auto& hp) { srv.listen(hp, true); });
  // IMAP over WebSocket and long polling on https.listen
  // (docs/http-binding.md), for phones behind firewalls that pass only
  // HTTPS. The proxy has no user directory: a binding's resume is checked
  // against the password its session logged in with. No device keys here,
  // and no submission (the proxy has none).
  auth::login_throttle::policy policy;
  policy.base_delay = cfg.auth_failure_delay;
  policy.max_failures = cfg.auth_max_failures;
  policy.window = cfg.auth_failure_window;
  policy.lockout = cfg.auth_lockout;
  auth::login_throttle https_throttle(policy);
  auth::credential_cache https_credentials({cfg.auth_cache_ttl, cfg.auth_cache_size});
  http::bindings bindings;
  if (std::find(cfg.https_bindings.begin(), cfg.https_bindings.end(), "imap") != cfg.https_bindings.end())
    bindings.imap = [&srv](net::stream& s, const http::client_facts& c) {
      return srv.adopt(s, proxy::arrival{c.remote, c.loopback, true, c.binding,
                                         [c](const std::string& login, const std::string& password) {
                                           // The credential first: once the
                                           // login shows, requests need it.
                                           if (c.logged_in_password) c.logged_in_password(password);
                                           if (c.logged_in) c.logged_in(login);
                                         }});
    };
  std::unique_ptr<http::key_api> https;
  if (!cfg.https_listen.empty()) {
    https = std::make_unique<http::key_api>(
        ioc, http::key_api_context{cfg, nullptr, https_throttle, https_credentials, ioc.get_executor(),
                                   ioc.get_executor(),
                                   [&] {
                                     std::lock_guard lock(tls_mu);
                                     return tls;
                                   },
                                   nullptr, std::move(bindings)});
    bind_each(cfg.https_listen, "https.listen", [&](auto& hp) { https->listen(hp); });
    https->start();
  }
  srv.start();
  // SIGHUP reloads the certificate (new connections get it), as serve's;
  // SIGTERM and SIGINT stop.
  boost::asio::signal_set sigs(ioc, SIGTERM, SIGINT, SIGHUP);
  boost::asio::steady_timer grace(ioc);
  std::chrono::steady_clock::time_point deadline;
  bool stopping = false;
  std::function<void(const boost::system::error_code&)> wait_sessions = [&](const boost::system::error_code&) {
    if (srv.sessions() == 0 || std::chrono::steady_clock::now() >= deadline) {
      if (srv.sessions() > 0) spdlog::warn("event=shutdown_grace_over protocol=imap-proxy sessions={}", srv.sessions());
      ioc.stop();
      return;
    }
    grace.expires_after(std::chrono::milliseconds(50));
    grace.async_wait(wait_sessions);
  };
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                             int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      try {
        auto fresh = net::make_server_tls(cert, key);
        std::lock_guard lock(tls_mu);
        tls = std::move(fresh);
        spdlog::info("event=tls_reloaded protocol=imap-proxy cert={}", cert.string());
      } catch (const std::exception& e) {
        spdlog::error("event=tls_reload_failed protocol=imap-proxy error=\"{}\"", e.what());
      }
      sigs.async_wait(on_signal);
      return;
    }
    // Sessions end (mediated ones with * BYE after the command under
    // way); the process goes when they are gone or server.shutdown_grace
    // has passed.
    if (stopping) {  // a second SIGTERM or SIGINT: now
      spdlog::info("event=stopping_now protocol=imap-proxy sessions={}", srv.sessions());
      ioc.stop();
      return;
    }
    stopping = true;
    sigs.async_wait(on_signal);
    spdlog::info("event=stopping protocol=imap-proxy sessions={}", srv.sessions());
    srv.stop();
    deadline = std::chrono::steady_clock::now() + cfg.shutdown_grace;
    wait_sessions({});
  };
  sigs.async_wait(on_signal);
  std::string names;
  for (auto& b : routes->all()) names += (names.empty() ? "" : ",") + std::string(b.tls ? "imaps://" : "imap://") + b.text();
  spdlog::info("event=started protocol=imap-proxy backends={} routes=\"{}\" network_threads={}", names,
               cfg.proxy_routes.string(), threads);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  spdlog::info("event=stopped protocol=imap-proxy");
  return 0;
}

}  // namespace lemonade::cli
