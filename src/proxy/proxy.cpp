#include "proxy/proxy.hpp"

#include <algorithm>
#include <set>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "auth/throttle.hpp"
#include "core/strings.hpp"
#include "imap/client/client.hpp"
#include "imap/parse/parse.hpp"
#include "imap/syntax/framer.hpp"
#include "imap/syntax/lexer.hpp"
#include "net/listener.hpp"
#include "net/stream.hpp"
#include "proxy/mediator.hpp"
#include "proxy/modseq_cache.hpp"

namespace lemonade::proxy {

namespace {

using namespace std::chrono_literals;
namespace syntax = imap::syntax;
namespace parse = imap::parse;

constexpr std::size_t relay_chunk = 16 * 1024;

// What a failed wait or a closed peer looks like here.
struct closed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A logged-in session's two connections, relayed both ways.
struct relay {
  std::shared_ptr<net::stream> client;
  std::shared_ptr<net::stream> backend;
  asio::steady_timer watch;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  bool done = false;
  // For the BYE the proxy owes a client whose backend went away: whether
  // the client may have started COMPRESS (its octets named it once: a BYE
  // of ours would then not be DEFLATE), and the backend's last octets
  // (a BYE of its own there says it all).
  bool maybe_compressed = false;
  std::string backend_tail;
  void end() {
    done = true;
    client->close();
    backend->close();
    watch.cancel();
  }
};

// One direction until either side is gone, then both end (the other
// direction's wait fails with it). Holds no buffer while it waits: an idle
// session costs its coroutine frames.
asio::awaitable<void> pump(std::shared_ptr<relay> r, bool up, std::string first) {
  auto& from = up ? r->client : r->backend;
  auto& to = up ? r->backend : r->client;
  bool reading = false;
  try {
    if (!first.empty()) co_await to->write(asio::buffer(first));
    for (;;) {
      reading = true;
      co_await from->wait_readable();
      std::string buf(relay_chunk, '\0');
      auto n = co_await from->read_some(asio::buffer(buf));
      reading = false;
      buf.resize(n);
      r->last = std::chrono::steady_clock::now();
      if (up && !r->maybe_compressed) {
        // Case-insensitively, without a copy of the chunk.
        constexpr std::string_view word = "COMPRESS";
        r->maybe_compressed = std::search(buf.begin(), buf.end(), word.begin(), word.end(), [](char a, char b) {
                                return core::ascii_upper(a) == b;
                              }) != buf.end();
      }
      if (!up) {
        r->backend_tail += std::string_view(buf).substr(n > 256 ? n - 256 : 0);
        if (r->backend_tail.size() > 256) r->backend_tail.erase(0, r->backend_tail.size() - 256);
      }
      co_await to->write(asio::buffer(buf));
    }
  } catch (const std::exception&) {
  }
  // The backend went away (not the client, not us) without a BYE of its
  // own: RFC 3501 §7.1.5, the client hears why.
  bool owed = !up && reading && !r->done && !r->maybe_compressed &&
              r->backend_tail.find("* BYE ") == std::string::npos;
  if (owed) {
    r->done = true;  // the other direction ends quietly
    std::string bye = "* BYE [UNAVAILABLE] The mail server closed the connection\r\n";
    try {
      co_await r->client->write(asio::buffer(bye));
    } catch (const std::exception&) {
    }
  }
  r->end();
}

// Ends a session quiet both ways for longer than `limit` (a backend that
// hangs without closing, say).
asio::awaitable<void> watchdog(std::shared_ptr<relay> r, std::chrono::seconds limit) {
  while (!r->done) {
    r->watch.expires_after(std::min<std::chrono::seconds>(limit, std::chrono::seconds(60)));
    boost::system::error_code ec;
    co_await r->watch.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!r->done && std::chrono::steady_clock::now() - r->last > limit) r->end();
  }
}

// An RFC 3501 quoted string, or "" for text that cannot be one (8-bit,
// CR, LF, NUL): such an ID field is left out.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == 0 || u == '\r' || u == '\n' || u >= 0x80) return {};
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

// The CONDSTORE cache, or none (CONDSTORE is then not offered) when
// proxy.condstore is off or the file cannot be opened.
std::shared_ptr<modseq_cache> open_cache(const core::config& cfg) {
  if (!cfg.proxy_condstore) return nullptr;
  auto file = cfg.data_dir / "proxy-modseq.sqlite";
  try {
    return std::make_shared<modseq_cache>(file);
  } catch (const std::exception& e) {
    spdlog::error("event=cache_failed file={} error=\"{}\" (CONDSTORE and QRESYNC are not offered)", file.string(),
                  e.what());
    return nullptr;
  }
}

namespace {

// The address of "address:port" or "[v6]:port" alone: the key of the
// login throttle and of proxy.max_per_address (as the IMAP server keys it).
std::string address_of(const std::string& remote) {
  auto address = remote.substr(0, remote.rfind(':'));
  if (address.size() > 2 && address.front() == '[') address = address.substr(1, address.size() - 2);
  return address;
}

}  // namespace

struct server::impl {
  asio::io_context& ioc;
  context ctx;
  struct listener {
    asio::ip::tcp::acceptor acceptor;
    bool implicit_tls;
  };
  std::vector<std::unique_ptr<listener>> listeners;
  std::atomic<std::uint64_t> next_id{1};
  // Live sessions, for server.max_connections and a graceful stop; each
  // session holds it too (a session still suspended when the server is
  // destroyed goes with the io_context, after it).
  struct registry {
    std::mutex mu;
    std::map<std::uint64_t, std::pair<asio::any_io_executor, std::shared_ptr<session_control>>> live;
    bool stopping = false;
    // Sessions at once per client address (proxy.max_per_address) and
    // per backend (proxy.max_per_backend, counted from the connect on).
    std::map<std::string, unsigned> per_address, per_backend;
    // Backends that could not be reached, until when they go last in
    // their routes (proxy.backend_retry).
    std::map<std::string, std::chrono::steady_clock::time_point> down_until;
  };
  std::shared_ptr<registry> reg = std::make_shared<registry>();
  // CONDSTORE for backends without it (proxy.condstore), shared by all
  // mediated sessions.
  std::shared_ptr<modseq_cache> cache = open_cache(ctx.cfg);
  // Failed logins per client address, as the store counts them: its own
  // throttle sees only the proxy's address.
  auth::login_throttle throttle{auth::login_throttle::policy{ctx.cfg.auth_failure_delay, ctx.cfg.auth_max_failures,
                                                             ctx.cfg.auth_failure_window, ctx.cfg.auth_lockout}};

  asio::awaitable<void> session(std::shared_ptr<net::stream> client, bool implicit_tls, std::uint64_t id,
                                arrival a);
  // Room for one more session from `address`? (server.max_connections,
  // proxy.max_per_address; not counted here.)
  bool room_for(const std::string& address) {
    std::lock_guard lock(reg->mu);
    auto it = reg->per_address.find(address);
    return !reg->stopping && reg->live.size() < ctx.cfg.max_connections &&
           (it == reg->per_address.end() || it->second < ctx.cfg.proxy_max_per_address);
  }
};

namespace {

// One client's time before login: the proxy answers it itself.
struct pre_login {
  const context& ctx;
  std::shared_ptr<net::stream> client;
  std::uint64_t id;
  bool tls = false;
  bool loopback = false;
  std::string in;
  std::string out;
  asio::steady_timer timer;
  // Each wait's deadline: a generation, so that a timer that fired as its
  // wait ended cannot touch the next one; and whether one was missed.
  struct deadline_state {
    std::uint64_t generation = 0;
    bool late = false;
  };
  std::shared_ptr<deadline_state> dl = std::make_shared<deadline_state>();

  // The wait that follows ends by `d`: cancelled (a read: the caller says
  // BYE), or with the connection closed (a write or a handshake).
  void arm(std::chrono::steady_clock::duration d, bool close) {
    auto g = ++dl->generation;
    dl->late = false;
    timer.expires_after(d);
    timer.async_wait([state = dl, g, close, c = client](boost::system::error_code ec) {
      if (ec || state->generation != g) return;
      state->late = true;
      if (close) c->close();
      else c->cancel();
    });
  }
  void disarm() {
    ++dl->generation;
    timer.cancel();
  }

  bool plaintext_allowed() const {
    switch (ctx.cfg.plaintext) {
      case core::plaintext_policy::always: return true;
      case core::plaintext_policy::loopback: return tls || loopback;
      case core::plaintext_policy::never: return tls;
    }
    return false;
  }
  std::string capabilities() const {
    std::string c = "IMAP4rev1 LITERAL+ SASL-IR ID";
    if (!tls && ctx.tls && ctx.tls()) c += " STARTTLS";
    c += plaintext_allowed() ? " AUTH=PLAIN" : " LOGINDISABLED";
    return c;
  }
  void say(std::string_view line) {
    out += line;
    out += "\r\n";
  }
  asio::awaitable<void> flush() {
    if (out.empty()) co_return;
    arm(std::chrono::seconds(30), true);  // a client that does not read
    co_await client->write(asio::buffer(out));
    disarm();
    out.clear();
  }
  asio::awaitable<void> start_tls(std::shared_ptr<asio::ssl::context> tls_ctx) {
    arm(std::chrono::seconds(30), true);
    co_await client->start_tls(std::move(tls_ctx));
    disarm();
    tls = true;
  }
  // More input, within imap.timeout_unauthenticated; false when the
  // client went away or took too long.
  asio::awaitable<bool> read_more() {
    arm(ctx.cfg.timeout_unauthenticated, false);
    char buf[4096];
    std::size_t n = 0;
    bool gone = false;
    try {
      n = co_await client->read_some(asio::buffer(buf));
    } catch (const std::exception&) {
      gone = true;
    }
    bool late = dl->late;
    disarm();
    if (gone) {
      if (late) {
        say("* BYE Autologout; idle for too long");
        try {
          co_await flush();
        } catch (const std::exception&) {
        }
      }
      co_return false;
    }
    in.append(buf, n);
    co_return true;
  }
};

}  // namespace

asio::awaitable<void> server::impl::session(std::shared_ptr<net::stream> client, bool implicit_tls, std::uint64_t id,
                                            arrival a) {
  auto ex = co_await asio::this_coro::executor;  // the session's strand
  auto control = std::make_shared<session_control>(ex);
  control->end = [client] { client->close(); };  // before login: nothing to say
  auto remote = a.remote;
  auto address = address_of(remote);
  const char* refused = nullptr;
  {
    std::lock_guard lock(reg->mu);
    if (reg->stopping || reg->live.size() >= ctx.cfg.max_connections)
      refused = "max_connections";
    else if (reg->per_address[address] >= ctx.cfg.proxy_max_per_address)
      refused = "max_per_address";
    if (!refused) {
      reg->live.emplace(id, std::pair{ex, control});
      ++reg->per_address[address];
    } else if (reg->per_address[address] == 0) {
      reg->per_address.erase(address);
    }
  }
  if (refused) {
    spdlog::warn("conn={} event=refused protocol=imap-proxy reason={} remote={}", id, refused, remote);
    if (!implicit_tls) {
      std::string bye = std::string("* BYE [UNAVAILABLE] Too many connections") +
                        (std::string_view(refused) == "max_per_address" ? " from your address" : "") + "; try again later\r\n";
      boost::system::error_code ec;
      co_await asio::async_write(client->socket(), asio::buffer(bye), asio::redirect_error(asio::use_awaitable, ec));
    }
    client->close();
    co_return;
  }
  struct unregister {
    std::shared_ptr<registry> reg;
    std::uint64_t id;
    std::string address;
    std::string backend;  // the backend slot held, if any
    void release_backend() {
      if (backend.empty()) return;
      std::lock_guard lock(reg->mu);
      if (--reg->per_backend[backend] == 0) reg->per_backend.erase(backend);
      backend.clear();
    }
    // A slot on `b` (proxy.max_per_backend), held until released or the
    // session ends.
    bool take_backend(const std::string& b, unsigned max) {
      release_backend();
      std::lock_guard lock(reg->mu);
      auto& n = reg->per_backend[b];
      if (n >= max) {
        if (n == 0) reg->per_backend.erase(b);
        return false;
      }
      ++n;
      backend = b;
      return true;
    }
    ~unregister() {
      release_backend();
      std::lock_guard lock(reg->mu);
      reg->live.erase(id);
      if (--reg->per_address[address] == 0) reg->per_address.erase(address);
    }
  } registered{reg, id, address, {}};
  pre_login p{ctx, client, id, a.tls, a.loopback, {}, {}, asio::steady_timer(ex)};
  spdlog::info("conn={} event=connect protocol=imap-proxy remote={} tls={}{}{}", id, remote, implicit_tls || a.tls,
               a.binding.empty() ? "" : " binding=", a.binding);
  std::unique_ptr<imap::client::connection> backend;
  proxy::backend chosen;  // the one of the user's route that answered
  std::vector<std::pair<std::string, std::string>> client_id;  // RFC 2971, from the client
  std::string tag;
  std::string user;
  std::string account;  // the login name as given (user is its printable form)
  additions add;
  std::string caps;
  try {
    if (implicit_tls) co_await p.start_tls(ctx.tls());
    p.say("* OK [CAPABILITY " + p.capabilities() + "] Lemonade proxy ready");
    syntax::framer_limits limits;
    limits.max_line = ctx.cfg.max_line_length;
    limits.max_literal = 64 * 1024;  // credentials, not mail, before login
    limits.max_command = 128 * 1024;
    syntax::framer framer(limits);
    int failures = 0;
    while (!backend) {
      co_await p.flush();
      auto ev = framer.next(p.in);
      if (ev.what == syntax::framer::kind::need_more) {
        if (!co_await p.read_more()) co_return;
        continue;
      }
      if (ev.what == syntax::framer::kind::need_continuation) {
        p.say("+ Ready for literal data");
        continue;
      }
      if (ev.what != syntax::framer::kind::command) {
        p.in.erase(0, ev.size);
        if (ev.what == syntax::framer::kind::discard) continue;
        p.say((ev.tag.empty() ? std::string("*") : ev.tag) + " BAD [TOOBIG] Too long before login");
        if (ev.what == syntax::framer::kind::reject_and_close) {
          co_await p.flush();
          co_return;
        }
        continue;
      }
      std::string command = p.in.substr(0, ev.size);
      p.in.erase(0, ev.size);
      syntax::lexer in(command, ctx.cfg.max_nesting_depth);
      auto head = parse::parse_head(in);
      if (!in.ok()) {
        p.say((head.tag.empty() ? std::string("*") : head.tag) + " BAD Missing or invalid tag or command");
        continue;
      }
      tag = head.tag;
      auto& name = head.name;
      std::optional<std::pair<std::string, std::string>> credentials;
      if (name == "CAPABILITY" || name == "NOOP" || name == "LOGOUT" || name == "STARTTLS") {
        in.end();
        if (!in.ok()) {
          p.say(tag + " BAD " + name + " takes no arguments");
          continue;
        }
        if (name == "CAPABILITY") p.say("* CAPABILITY " + p.capabilities());
        if (name == "LOGOUT") {
          p.say("* BYE Lemonade proxy logging out");
          p.say(tag + " OK LOGOUT completed");
          co_await p.flush();
          co_return;
        }
        if (name == "STARTTLS") {
          auto tls = ctx.tls ? ctx.tls() : nullptr;
          if (p.tls || !tls) {
            p.say(tag + " BAD STARTTLS is not available");
            continue;
          }
          p.say(tag + " OK Begin TLS negotiation now");
          co_await p.flush();
          // RFC 3501 §6.2.1: input sent after STARTTLS is not kept, nor
          // what the client said before it.
          p.in.clear();
          client_id.clear();
          co_await p.start_tls(tls);
          continue;
        }
        p.say(tag + " OK " + name + " completed");
        continue;
      } else if (name == "ID") {
        // RFC 2971: answered here; the client's fields go to the backend
        // at login with the proxy's own (below).
        auto args = parse::parse_id(in, {ctx.cfg.max_nesting_depth});
        if (!in.ok()) {
          p.say(tag + " BAD ID: " + in.error().message);
          continue;
        }
        client_id.clear();
        for (auto& [field, value] : std::get<parse::id_cmd>(args).params) {
          // x-* fields are the proxy's to set (a client must not name its
          // own address to the backend); RFC 2971 §3.3: 30 pairs at most,
          // three of them the proxy's; a field once.
          if (core::istarts_with(field, "x-") || !value || client_id.size() >= 27) continue;
          if (std::any_of(client_id.begin(), client_id.end(), [&](auto& kv) { return core::iequals(kv.first, field); }))
            continue;
          client_id.emplace_back(field, *value);
        }
        p.say("* ID (\"name\" \"Lemonade proxy\")");
        p.say(tag + " OK ID completed");
        continue;
      } else if (name == "LOGIN") {
        auto args = parse::parse_login(in, {ctx.cfg.max_nesting_depth});
        if (!in.ok()) {
          p.say(tag + " BAD LOGIN: " + in.error().message);
          continue;
        }
        auto& l = std::get<parse::login_cmd>(args);
        credentials.emplace(l.user, l.password);
      } else if (name == "AUTHENTICATE") {
        auto args = parse::parse_authenticate(in, {ctx.cfg.max_nesting_depth});
        if (!in.ok()) {
          p.say(tag + " BAD AUTHENTICATE: " + in.error().message);
          continue;
        }
        auto& a = std::get<parse::authenticate_cmd>(args);
        if (a.mechanism != "PLAIN") {
          p.say(tag + " NO [CANNOT] Only AUTHENTICATE PLAIN here");
          continue;
        }
        // Before the password is sent, not after (RFC 3501 §6.2.3).
        if (!p.plaintext_allowed()) {
          p.say(tag + " NO [PRIVACYREQUIRED] Plaintext authentication is disabled here; use STARTTLS");
          continue;
        }
        std::string response;
        if (a.initial_response) {
          response = *a.initial_response;
        } else {
          p.say("+ ");
          co_await p.flush();
          while (p.in.find("\r\n") == std::string::npos) {
            if (p.in.size() > 8192 || !co_await p.read_more()) co_return;
          }
          auto end = p.in.find("\r\n");
          response = p.in.substr(0, end);
          p.in.erase(0, end + 2);
          if (response == "*") {
            p.say(tag + " BAD Authentication cancelled");
            continue;
          }
        }
        // RFC 4616 §2: [authzid] NUL authcid NUL passwd.
        auto decoded = response == "=" ? std::optional<std::string>(std::string()) : core::base64_decode(response);
        auto first = decoded ? decoded->find('\0') : std::string::npos;
        auto second = first == std::string::npos ? std::string::npos : decoded->find('\0', first + 1);
        if (second == std::string::npos) {
          p.say(tag + " BAD Not a PLAIN response");
          continue;
        }
        auto authzid = decoded->substr(0, first);
        auto authcid = decoded->substr(first + 1, second - first - 1);
        if (!authzid.empty() && authzid != authcid) {
          p.say(tag + " NO [AUTHORIZATIONFAILED] No other identity here");
          continue;
        }
        credentials.emplace(authcid, decoded->substr(second + 1));
      } else {
        p.say(tag + " BAD Log in first (the proxy answers CAPABILITY, NOOP, LOGOUT, STARTTLS, ID, LOGIN and "
                    "AUTHENTICATE PLAIN before login)");
        continue;
      }
      if (!p.plaintext_allowed()) {
        p.say(tag + " NO [PRIVACYREQUIRED] Plaintext authentication is disabled here; use STARTTLS");
        continue;
      }
      if (throttle.locked_out(address)) {
        p.say(tag + " NO [UNAVAILABLE] Too many failed logins from your address; try again later");
        continue;
      }
      // The backend, logged in with the client's credentials: the user's
      // route (routes.hpp), the next backend when one cannot be reached
      // or fails before it is sent LOGIN.
      user = core::log_printable(credentials->first);
      account = credentials->first;  // with the backend: the cache's key
      auto route = ctx.routes->lookup(credentials->first);
      {
        // A backend that could not be reached lately goes last: while
        // another of the route answers, a dead one costs no
        // proxy.connect_timeout at each login. Once its time is up, this
        // login alone tries it in its place (the others still put it
        // last until the try tells).
        std::lock_guard lock(reg->mu);
        auto now = std::chrono::steady_clock::now();
        std::set<std::string> down;
        for (auto& b : route) {
          auto it = reg->down_until.find(b.text());
          if (it == reg->down_until.end()) continue;
          if (it->second > now) down.insert(b.text());
          else it->second = now + ctx.cfg.proxy_backend_retry;  // this login probes it
        }
        std::stable_partition(route.begin(), route.end(),
                              [&](const proxy::backend& b) { return !down.count(b.text()); });
      }
      std::unique_ptr<imap::client::connection> conn;
      imap::client::result r;
      bool unreachable = true, busy = false;
      bool login_sent = false;  // then no other backend hears the password
      for (std::size_t i = 0; i < route.size() && unreachable && !login_sent; ++i) {
        auto& b = route[i];
        if (!registered.take_backend(b.text(), ctx.cfg.proxy_max_per_backend)) {
          // As good as down for this session: the next of the route.
          busy = true;
          spdlog::warn("conn={} event=backend_full user=\"{}\" backend={} sessions={}", id, user, b.text(),
                       ctx.cfg.proxy_max_per_backend);
          continue;
        }
        imap::client::options o;
        o.host = b.host;
        o.port = b.port;
        o.tls = b.tls ? imap::client::options::security::implicit : imap::client::options::security::none;
        o.tls_context = ctx.backend_tls;
        o.server_name = b.host;
        o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.cfg.proxy_connect_timeout);
        std::string failure;
        try {
          conn = co_await imap::client::connection::open(ex, o);
          // RFC 2971 ID before LOGIN, where the backend offers it: the
          // client's own fields, and its address and port, which a backend
          // that trusts the proxy (Dovecot's login_trusted_networks) logs
          // and throttles by instead of the proxy's.
          if (conn->has_capability("ID")) {
            std::string list;
            auto add_pair = [&](std::string_view k, std::string_view v) {
              auto qk = quoted(k), qv = quoted(v);
              if (qk.empty() || qv.empty()) return;
              list += (list.empty() ? "" : " ") + qk + " " + qv;
            };
            for (auto& [k, v] : client_id) add_pair(k, v);
            if (auto colon = remote.rfind(':'); colon != std::string::npos) {  // not a Unix socket
              add_pair("x-originating-ip", address);
              add_pair("x-originating-port", remote.substr(colon + 1));
            }
            add_pair("x-session-id", "lemonade-proxy-" + std::to_string(id));
            co_await conn->run(imap::client::command("ID").raw("(" + list + ")"));
          }
          login_sent = true;
          r = co_await conn->run(
              imap::client::command("LOGIN").string(credentials->first).string(credentials->second));
          unreachable = false;
          chosen = b;
        } catch (const std::exception& e) {
          failure = e.what();
        }
        {
          // Down only when it failed before LOGIN went: a failure after
          // may be this user's (a slow authentication), not the server's.
          std::lock_guard lock(reg->mu);
          if (!unreachable)
            reg->down_until.erase(b.text());
          else if (!login_sent)
            reg->down_until[b.text()] = std::chrono::steady_clock::now() + ctx.cfg.proxy_backend_retry;
        }
        if (!unreachable) break;
        if (conn) conn->close();
        conn.reset();
        spdlog::warn("conn={} event=backend_unavailable user=\"{}\" backend={} error=\"{}\"", id, user, b.text(),
                     failure);
        if (i + 1 < route.size() && !login_sent)
          spdlog::warn("conn={} event=backend_failover user=\"{}\" from={} to={}", id, user, b.text(),
                       route[i + 1].text());
      }
      if (unreachable) {
        registered.release_backend();
        p.say(tag + (busy ? " NO [UNAVAILABLE] The mail server is busy; try again later"
                          : " NO [UNAVAILABLE] The mail server is not reachable; try again later"));
        continue;
      }
      if (!r.ok()) {
        registered.release_backend();
        auto delay = throttle.record_failure(address);
        spdlog::info("conn={} event=auth_failed protocol=imap-proxy user=\"{}\" remote={} delay_ms={}", id, user,
                     remote, delay.count());
        co_await conn->logout();
        asio::steady_timer wait(ex, delay);
        co_await wait.async_wait(asio::use_awaitable);
        std::string code = r.code.empty() ? std::string() : "[" + r.code + "] ";
        p.say(tag + " NO " + code + (r.text.empty() ? std::string("Authentication failed") : r.text));
        if (++failures >= 3) {
          p.say("* BYE Too many failed logins");
          co_await p.flush();
          co_return;
        }
        continue;
      }
      throttle.record_success(address);
      backend = std::move(conn);
      if (a.logged_in) a.logged_in(account, credentials->second);
    }
    // The backend's capabilities after login, less what is the proxy's
    // own business (TLS and logins on the client's side), plus what the
    // proxy adds when the backend lacks it (mediator.hpp).
    std::vector<std::string> backend_caps;
    bool failed = false;
    try {
      auto r = co_await backend->run(imap::client::command("CAPABILITY"));
      for (auto& u : r.responses)
        if (core::iequals(u.name, "CAPABILITY"))
          for (auto& v : u.items) backend_caps.push_back(v.text);  // as the backend wrote them
    } catch (const std::exception& e) {
      spdlog::warn("conn={} event=backend_failed user=\"{}\" error=\"{}\"", id, user, e.what());
      failed = true;
    }
    if (failed) {
      p.say("* BYE [UNAVAILABLE] The mail server failed; try again later");
      co_await p.flush();
      co_return;
    }
    add = additions_for(backend_caps, cache != nullptr, ctx.special_use && !ctx.special_use->empty());
    caps = client_capabilities(backend_caps, add, ctx.cfg.compress);
    spdlog::info("conn={} event=login protocol=imap-proxy user=\"{}\" remote={} backend={} mediated={}", id, user,
                 remote, chosen.text(), add.any());
    p.say(tag + " OK [CAPABILITY " + caps + "] Logged in");
    co_await p.flush();
  } catch (const std::exception& e) {
    spdlog::info("conn={} event=connection_error protocol=imap-proxy error=\"{}\"", id, e.what());
    co_return;
  }
  if (add.any()) {
    // Named first: GCC 12 destroys a braced temporary argument of a
    // coroutine twice.
    control->end = nullptr;  // it says BYE between commands
    // The CONDSTORE cache keys by backend and login: a route's backends
    // (replicas, a moved user) keep states of their own.
    auto key = chosen.text() + "\n" + account;
    mediation m{ctx.cfg, client, std::move(p.in), std::move(backend), caps, add, id, user, key,
                control,     cache,  ctx.special_use};
    co_await mediate(std::move(m));
    co_return;
  }
  // From here every octet is relayed as it is, both ways, until either
  // side goes; a session quiet both ways beyond imap.timeout_authenticated
  // (plus five minutes: the backend's own autologout comes first) ends.
  auto [down, pending] = backend->release();
  backend.reset();
  auto r = std::make_shared<relay>(relay{client, down, asio::steady_timer(ex)});
  control->end = [r] {
    if (!r->done) r->end();
  };
  if (control->stopping) r->end();
  asio::co_spawn(ex, watchdog(r, ctx.cfg.timeout_authenticated + std::chrono::seconds(300)), asio::detached);
  asio::co_spawn(ex, pump(r, true, std::move(p.in)), asio::detached);
  co_await pump(r, false, std::move(pending));
  spdlog::info("conn={} event=disconnect protocol=imap-proxy user=\"{}\"", id, user);
}

server::server(asio::io_context& ioc, context ctx) : p_(new impl{ioc, std::move(ctx), {}, {}}) {}
server::~server() = default;

void server::listen(const net::host_port& where, bool implicit_tls) {
  p_->listeners.push_back(std::make_unique<impl::listener>(impl::listener{net::bind_listener(p_->ioc, where), implicit_tls}));
  auto ep = p_->listeners.back()->acceptor.local_endpoint();
  spdlog::info("event=listen protocol=imap-proxy address={}:{} tls={}", ep.address().to_string(), ep.port(),
               implicit_tls);
}

namespace {

// The expunge log (proxy.condstore) keeps proxy.expunge_log_keep: trimmed
// at start and every hour after.
asio::awaitable<void> trim_expunges(std::shared_ptr<modseq_cache> cache, std::chrono::seconds keep) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    try {
      if (auto n = cache->trim((now - keep).count()))
        spdlog::info("event=expunge_log_trimmed entries={} keep_s={}", n, keep.count());
    } catch (const std::exception& e) {
      spdlog::error("event=cache_failed what=trim error=\"{}\"", e.what());
    }
    t.expires_after(std::chrono::hours(1));
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

}  // namespace

void server::start() {
  if (p_->cache && p_->ctx.cfg.proxy_expunge_log_keep.count() > 0)
    asio::co_spawn(p_->ioc, trim_expunges(p_->cache, p_->ctx.cfg.proxy_expunge_log_keep), asio::detached);
  for (auto& l : p_->listeners) {
    net::start_accepting(
        p_->ioc, l->acceptor,
        [p = p_.get(), tls = l->implicit_tls](asio::ip::tcp::socket s) {
          // One strand per session: its coroutines (the two relay pumps,
          // a mediated IDLE's waits) share state on several threads.
          auto strand = asio::make_strand(s.get_executor());
          auto client = std::make_shared<net::stream>(std::move(s));
          arrival a{client->remote_address(), client->remote_is_loopback(), false, {}, {}};
          asio::co_spawn(strand, p->session(std::move(client), tls, p->next_id++, std::move(a)), asio::detached);
        },
        "imap-proxy");
  }
}

bool server::adopt(net::stream& s, arrival a) {
  if (!p_->room_for(address_of(a.remote))) return false;
  auto client = std::make_shared<net::stream>(std::move(s));
  auto strand = asio::make_strand(p_->ioc);
  asio::co_spawn(strand, p_->session(std::move(client), false, p_->next_id++, std::move(a)), asio::detached);
  return true;
}

void server::stop() {
  for (auto& l : p_->listeners) {
    boost::system::error_code ec;
    l->acceptor.close(ec);
  }
  std::lock_guard lock(p_->reg->mu);
  p_->reg->stopping = true;
  for (auto& [id, live] : p_->reg->live) {
    asio::post(live.first, [c = live.second] {
      c->stopping = true;
      c->wake.cancel();
      if (c->end) c->end();
    });
  }
}

std::size_t server::sessions() const {
  std::lock_guard lock(p_->reg->mu);
  return p_->reg->live.size();
}

}  // namespace lemonade::proxy
