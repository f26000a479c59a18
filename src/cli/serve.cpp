// `lemonade serve`: wires config, store, TLS and listeners, runs the
// network threads, and handles SIGTERM (graceful stop) and SIGHUP (reload
// TLS certificates).
#include <sys/resource.h>

#include <malloc.h>

#include <charconv>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <map>
#include <set>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "auth/password.hpp"
#include "cli/cli.hpp"
#include "core/log.hpp"
#include "delivery/agent.hpp"
#include "http/key_api.hpp"
#include "imap/server.hpp"
#include "smtp/client.hpp"
#include "smtp/outbound.hpp"
#include "smtp/server.hpp"
#include "net/tls.hpp"
#include "store/sqlite/memory.hpp"
#include "store/sqlite/store.hpp"

namespace lemonade::cli {
namespace asio = boost::asio;

namespace {

// Idle connections are cheap; file descriptors should not be the limit:
// the soft limit goes up to the hard one, and if that is still below what
// server.max_connections needs (one each, plus database connections and
// listeners), the log says so.
void raise_fd_limit(const core::config& cfg) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  auto needed = static_cast<rlim_t>(cfg.max_connections) + 4 * cfg.store_idle_connections + 64;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < needed)
    spdlog::warn("event=fd_limit limit={} needed={} max_connections={} reason=\"the hard RLIMIT_NOFILE is too low; "
                 "raise it (ulimit -Hn, LimitNOFILE=) or lower server.max_connections\"",
                 rl.rlim_cur, needed, cfg.max_connections);
}

class tls_holder {
 public:
  tls_holder(std::filesystem::path cert, std::filesystem::path key) : cert_(std::move(cert)), key_(std::move(key)) {
    reload();
  }
  void reload() {
    auto ctx = net::make_server_tls(cert_, key_);
    std::lock_guard lock(mu_);
    ctx_ = std::move(ctx);
  }
  std::shared_ptr<asio::ssl::context> current() {
    std::lock_guard lock(mu_);
    return ctx_;
  }

 private:
  std::filesystem::path cert_, key_;
  std::mutex mu_;
  std::shared_ptr<asio::ssl::context> ctx_;
};

struct shutdown_state {
  imap::server& srv;
  smtp::server& submission;
  imap::server_context& ctx;
  asio::io_context& ioc;
  std::chrono::steady_clock::time_point deadline;
  asio::steady_timer timer;
};

void wait_for_sessions(std::shared_ptr<shutdown_state> st) {
  auto sessions = st->srv.session_count() + st->submission.session_count();
  if (sessions == 0 || std::chrono::steady_clock::now() >= st->deadline) {
    if (sessions > 0) spdlog::warn("event=shutdown_forced sessions={}", sessions);
    st->ioc.stop();
    return;
  }
  st->timer.expires_after(std::chrono::milliseconds(20));
  st->timer.async_wait([st](boost::system::error_code) { wait_for_sessions(st); });
}

void watch_signals(asio::signal_set& sigs, imap::server& srv, smtp::server& submission, imap::server_context& ctx,
                   smtp::server_context& smtp_ctx, tls_holder& tls, asio::io_context& ioc) {
  sigs.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      try {
        tls.reload();
        spdlog::info("event=tls_reloaded");
      } catch (const std::exception& e) {
        spdlog::error("event=tls_reload_failed error=\"{}\"", e.what());
      }
      watch_signals(sigs, srv, submission, ctx, smtp_ctx, tls, ioc);
      return;
    }
    spdlog::info("event=shutdown signal={} sessions={}", sig, srv.session_count());
    ctx.shutting_down = true;
    smtp_ctx.shutting_down = true;
    srv.begin_shutdown();
    submission.begin_shutdown();
    auto st = std::make_shared<shutdown_state>(
        shutdown_state{srv, submission, ctx, ioc, std::chrono::steady_clock::now() + ctx.cfg.shutdown_grace, asio::steady_timer(ioc)});
    wait_for_sessions(st);
  });
}

// `lemonade user del` runs in another process. The server polls the user
// directory's version (one tiny query); once it moves, the open accounts
// of users that are gone are forgotten and their sessions end with BYE
// (RFC 3501 §7.1.5), on the storage pool, off the network threads. Adding
// users and changing passwords need none of this: every login reads the
// directory.
struct user_watch {
  imap::server& srv;
  smtp::server& submission;
  imap::server_context& ctx;
  asio::steady_timer timer;
  std::uint64_t seen = 0;
};

// Ends the IMAP and submission sessions whose XKEY named a key no longer
// in use (call on a storage thread: it reads the user directory).
void end_revoked_key_sessions(imap::server& srv, smtp::server& submission, store::mail_store& store) {
  auto keys = std::make_shared<std::set<std::string>>();
  for (auto& id : store.users().device_keys_in_use()) keys->insert(id);
  auto revoked = [keys](const std::string& id) { return !keys->contains(id); };
  srv.end_key_sessions(revoked, "Device key revoked");
  submission.end_key_sessions(revoked);
}

void watch_users(std::shared_ptr<user_watch> w) {
  w->timer.expires_after(w->ctx.cfg.user_check_interval);
  w->timer.async_wait([w](boost::system::error_code ec) {
    if (ec || w->ctx.shutting_down) return;
    asio::post(w->ctx.storage, [w] {
      try {
        auto v = w->ctx.store.users().version();
        if (v != w->seen) {
          w->seen = v;
          for (auto id : w->ctx.accounts.drop_deleted_users()) {
            spdlog::info("event=user_deleted user_id={}", id);
            w->srv.end_sessions_of(id, "Account deleted");
          }
          // A proxy identity removed (`lemonade user proxy del`), its
          // allowances changed, or added again with a new password: its
          // sessions end, and a new login gets the grant as it is now.
          auto now = std::make_shared<std::map<std::pair<std::int64_t, std::string>, store::proxy_grant>>();
          for (auto& p : w->ctx.store.users().list_all_proxies()) (*now)[{p.id, p.proxy->label}] = *p.proxy;
          w->srv.end_proxy_sessions(
              [now](std::int64_t id, const store::proxy_grant& g) {
                auto it = now->find({id, g.label});
                return it == now->end() || !it->second.same_as(g);
              },
              "Proxy identity revoked or changed");
          // A device key revoked or rotated (`lemonade key`): sessions
          // that XKEY named it end.
          end_revoked_key_sessions(w->srv, w->submission, w->ctx.store);
        }
      } catch (const std::exception& e) {
        spdlog::warn("event=user_check_failed error=\"{}\"", e.what());
      }
      watch_users(w);
    });
  });
}

}  // namespace

// DESIGN.md §3: memory that closed sessions and database connections
// freed goes back to the system. glibc keeps free pages inside its heaps
// (between the small blocks of live sessions) until malloc_trim asks;
// measured with 300 idle phones after their database connections closed:
// 53 KiB per connection without, 28 KiB with (jemalloc and mimalloc, tried
// by LD_PRELOAD, kept 57 and 61). SQLite's memory is apart from that heap
// (store/sqlite/memory.hpp); its empty slabs go back at the same time. A
// thread of its own: a trim of a big heap takes milliseconds that no
// network or storage thread should wait.
class memory_janitor {
 public:
  explicit memory_janitor(std::chrono::milliseconds every) {
    if (every.count() > 0) thread_ = std::thread([this, every] { run(every); });
  }
  ~memory_janitor() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run(std::chrono::milliseconds every) {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, every, [this] { return stopping_; })) {
      lock.unlock();
      store::sqlite::release_free_memory();
      malloc_trim(0);
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

void bind_each(const std::vector<std::string>& addrs, const char* key,
               const std::function<void(const net::host_port&)>& listen) {
  for (auto& a : addrs) {
    auto hp = net::parse_host_port(a);
    if (!hp) throw exit_error(2, std::string(key) + ": bad address \"" + a + "\" (expected host:port)");
    try {
      listen(*hp);
    } catch (const std::exception& e) {
      throw exit_error(1, e.what());
    }
  }
}

int serve(const core::config& cfg) {
  core::init_logging(cfg.log_level, cfg.log_file);
  auth::init_crypto();
  raise_fd_limit(cfg);
  // OpenSSL writes to the socket with write(2): a peer that went away
  // must give EPIPE (one session ends), not SIGPIPE (the process ends).
  ::signal(SIGPIPE, SIG_IGN);

  auto cert = cfg.tls_cert.empty() ? cfg.data_dir / "tls" / "cert.pem" : cfg.tls_cert;
  auto key = cfg.tls_key.empty() ? cfg.data_dir / "tls" / "key.pem" : cfg.tls_key;
  if (cfg.tls_cert.empty() && net::ensure_self_signed(cert, key, cfg.hostname))
    spdlog::info("event=tls_self_signed cert={}", cert.string());
  std::unique_ptr<tls_holder> tls;
  try {
    tls = std::make_unique<tls_holder>(cert, key);
  } catch (const std::exception& e) {
    throw exit_error(2, e.what());
  }

  auto store = open_store(cfg);
  unsigned threads = cfg.network_threads ? cfg.network_threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));
  asio::thread_pool storage(cfg.storage_threads);
  asio::thread_pool reads(cfg.storage_threads);
  // LMTP and submission write on threads of their own: a delivery is a
  // commit and an fsync, so its threads wait on the disk more than on the
  // CPU, and a burst of them to many accounts goes faster with more
  // threads than IMAP's writes do (bench/run/delivery.sh, population.sh).
  asio::thread_pool delivering(cfg.delivery_threads);
  asio::thread_pool hashing(std::max(1u, std::thread::hardware_concurrency()));

  auth::login_throttle::policy policy;
  policy.base_delay = cfg.auth_failure_delay;
  policy.max_failures = cfg.auth_max_failures;
  policy.window = cfg.auth_failure_window;
  policy.lockout = cfg.auth_lockout;
  net::inline_reads quick_reads(cfg.inline_read_budget);
  imap::server_context ctx{cfg,
                           *store,
                           mailbox::account_registry(*store, cfg.keep_accounts_open),
                           auth::login_throttle(policy),
                           auth::credential_cache({cfg.auth_cache_ttl, cfg.auth_cache_size}),
                           server_secret(cfg.data_dir),
                           storage.get_executor(),
                           reads.get_executor(),
                           hashing.get_executor(),
                           quick_reads,
                           [t = tls.get()] { return t->current(); }};

  // RFC 5259 CONVERT: its conversions checked once here (each image
  // format round-trips a picture), offered only if they work.
  std::unique_ptr<convert::converter> converter;
  asio::thread_pool converting(cfg.convert_threads);
  if (cfg.convert) {
    convert::limits lim;
    lim.max_decode_pixels = cfg.convert_max_decode_pixels;
    lim.max_shrink_pixels = cfg.convert_max_shrink_pixels;
    lim.max_output_side = cfg.convert_max_side;
    lim.image_time = cfg.convert_time;
    lim.max_html = static_cast<std::size_t>(cfg.convert_max_html);
    lim.quality = static_cast<int>(cfg.convert_quality);
    lim.max_output = static_cast<std::size_t>(cfg.convert_max_output);
    lim.max_html_depth = cfg.convert_max_html_depth;
    lim.wrap = cfg.convert_wrap;
    lim.max_replacement = cfg.convert_max_replacement;
    converter = std::make_unique<convert::converter>(lim);
    if (converter->available()) {
      // RFC 5259 §13: in processes of their own, this same executable.
      if (cfg.convert_isolate) {
        // /proc/self/exe itself, not the path it names: after an upgrade
        // of the file, workers still run this server's own executable.
        converter->isolate("/proc/self/exe", cfg.convert_threads, cfg.convert_memory);
      }
      ctx.converter = converter.get();
    } else {
      spdlog::warn("event=convert_unavailable reason=\"text and JPEG/PNG image conversions do not all work\"");
    }
  }
  ctx.converting = converting.get_executor();
  imap::server srv(ioc, ctx);
  bind_each(cfg.imap_listen, "imap.listen", [&](auto& hp) { srv.listen(hp, false); });
  bind_each(cfg.imaps_listen, "imaps.listen", [&](auto& hp) { srv.listen(hp, true); });

  // Mail in: submission (RFC 6409) into the queue; the queue runner
  // delivers into the accounts the IMAP sessions share.
  delivery::local_addresses addresses(store->users(), cfg.domains, cfg.aliases, cfg.detail_mailbox);
  delivery::agent_options agent_opts;
  agent_opts.describe.parse.max_depth = cfg.max_mime_depth;
  agent_opts.describe.parse.max_parts = cfg.max_mime_parts;
  agent_opts.describe.max_search_body = static_cast<std::size_t>(cfg.max_indexed_text);
  agent_opts.hostname = cfg.hostname;
  agent_opts.workers = cfg.queue_workers;
  agent_opts.per_destination = cfg.queue_destination_concurrency;
  agent_opts.queue_lifetime = cfg.queue_lifetime;
  agent_opts.delay_warning = cfg.queue_delay_warning;
  agent_opts.max_account_size = cfg.max_account_size;
  // Mail for other domains: through the smarthost, or to their MX hosts.
  smtp::outbound_options out_opts;
  out_opts.helo = cfg.hostname;
  out_opts.tls_context = net::make_client_tls(false);
  out_opts.dns.servers = cfg.relay_dns_servers;
  out_opts.mx_port = static_cast<std::uint16_t>(cfg.relay_mx_port);
  if (!cfg.relay_smarthost.empty()) {
    auto hp = net::parse_host_port(cfg.relay_smarthost);
    if (!hp) throw exit_error(2, "relay.smarthost: bad address \"" + cfg.relay_smarthost + "\" (expected host:port)");
    smtp::relay_target target;
    target.host = hp->host;
    target.port = hp->port;
    target.tls = cfg.relay_tls == "none"  ? smtp::relay_target::tls_mode::none
                 : cfg.relay_tls == "try" ? smtp::relay_target::tls_mode::try_starttls
                                          : smtp::relay_target::tls_mode::require;
    try {
      target.tls_context = net::make_client_tls(cfg.relay_tls_verify, cfg.relay_tls_ca_file);
    } catch (const std::exception& e) {
      throw exit_error(2, std::string("relay.tls_ca_file: ") + e.what());
    }
    target.user = cfg.relay_user;
    target.password = cfg.relay_password;
    target.helo = cfg.hostname;
    out_opts.smarthost = target;
  }
  std::shared_ptr<smtp::outbound> out;
  if (out_opts.smarthost || cfg.relay_mx) {
    try {
      out = std::make_shared<smtp::outbound>(out_opts);
    } catch (const std::exception& e) {
      throw exit_error(2, std::string("relay: ") + e.what());
    }
    agent_opts.relay = [out](const store::queued_message& m, const std::vector<store::queued_recipient>& rcpts,
                             const std::string& content) { return out->send(m, rcpts, content); };
  }
  delivery::queue_agent agent(store->queue(), addresses, ctx.accounts, agent_opts);
  smtp::server_context smtp_ctx{cfg,
                                *store,
                                addresses,
                                ctx.throttle,
                                ctx.credentials,
                                ctx.scram_fake_salt_key,
                                delivering.get_executor(),
                                reads.get_executor(),
                                hashing.get_executor(),
                                [t = tls.get()] { return t->current(); },
                                [&agent] { agent.wake(); },
                                net::make_client_tls(false)};
  smtp::server submission(ioc, smtp_ctx);
  smtp_ctx.accounts = &ctx.accounts;
  smtp_ctx.quick_reads = &quick_reads;
  bind_each(cfg.submission_listen, "submission.listen", [&](auto& hp) { submission.listen(hp, false); });
  bind_each(cfg.submissions_listen, "submissions.listen", [&](auto& hp) { submission.listen(hp, true); });
  bind_each(cfg.lmtp_listen, "lmtp.listen", [&](auto& hp) { submission.listen(hp, false, smtp::mode::lmtp); });
  if (!cfg.lmtp_socket.empty()) {
    unsigned mode = 0;
    auto& m = cfg.lmtp_socket_mode;
    auto [end, ec] = std::from_chars(m.data(), m.data() + m.size(), mode, 8);
    if (ec != std::errc{} || end != m.data() + m.size() || m.empty() || mode > 07777)
      throw exit_error(2, "lmtp.socket_mode: \"" + m + "\" is not octal permission bits (e.g. \"0660\")");
    try {
      submission.listen_unix(cfg.lmtp_socket.string(), mode, smtp::mode::lmtp);
    } catch (const std::exception& e) {
      throw exit_error(1, e.what());
    }
  }
  agent.start();

  // Device keys over HTTPS (docs/xencrypted.md), where https.listen asks.
  // The server's own writes do not move the user directory's version
  // (watch_users sees only other processes'): a key revoked or rotated
  // here ends its sessions at once.
  // On the same listener, IMAP and submission over WebSocket
  // (docs/http-binding.md): their sessions run as on their own ports.
  http::bindings bindings;
  auto binding_on = [&](const char* p) {
    return std::find(cfg.https_bindings.begin(), cfg.https_bindings.end(), p) != cfg.https_bindings.end();
  };
  if (binding_on("imap"))
    bindings.imap = [&srv](net::stream& s, const http::client_facts& c) {
      return srv.adopt(s, imap::connection_info{0, c.remote, c.address, c.loopback, false, c.binding, c.logged_in});
    };
  if (binding_on("submission"))
    bindings.submission = [&submission](net::stream& s, const http::client_facts& c) {
      smtp::connection_info info;
      info.remote = c.remote;
      info.address = c.address;
      info.loopback = c.loopback;
      info.binding = c.binding;
      info.on_login = c.logged_in;
      return submission.adopt(s, std::move(info));
    };
  http::key_api keys(ioc, {cfg, store.get(), ctx.throttle, ctx.credentials, storage.get_executor(),
                           hashing.get_executor(), [t = tls.get()] { return t->current(); },
                           [&srv, &submission, st = store.get()] { end_revoked_key_sessions(srv, submission, *st); },
                           std::move(bindings)});
  bind_each(cfg.https_listen, "https.listen", [&](auto& hp) { keys.listen(hp); });
  keys.start();

  asio::signal_set sigs(ioc, SIGTERM, SIGINT, SIGHUP);
  watch_signals(sigs, srv, submission, ctx, smtp_ctx, *tls, ioc);
  srv.start();
  submission.start();
  if (cfg.user_check_interval.count() > 0) {
    auto w = std::make_shared<user_watch>(user_watch{srv, submission, ctx, asio::steady_timer(ioc)});
    w->seen = store->users().version();
    watch_users(w);
  }
  spdlog::info("event=started version={} data_dir={} network_threads={} storage_threads={} delivery_threads={}",
               LEMONADE_VERSION, cfg.data_dir.string(), threads, cfg.storage_threads, cfg.delivery_threads);

  memory_janitor janitor(cfg.memory_trim_interval);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  if (out) out->shutdown();
  agent.stop();
  storage.join();
  delivering.join();
  reads.join();
  hashing.join();
  converting.join();
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace lemonade::cli
