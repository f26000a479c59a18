#include "http/poll.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "auth/password.hpp"
#include "core/strings.hpp"
#include "http/binding_session.hpp"

namespace lemonade::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using local = asio::local::stream_protocol;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

response answer(const request& req, bhttp::status st, std::string body = {},
                const char* type = "application/octet-stream") {
  response res{st, req.version()};
  res.set(bhttp::field::server, "lemonade");
  res.set(bhttp::field::cache_control, "no-store");  // RFC 9111 §5.2.2.5: a session's octets are no one else's
  if (st != bhttp::status::no_content) res.set(bhttp::field::content_type, type);
  res.body() = std::move(body);
  return res;
}

response refusal(const request& req, bhttp::status st, std::string_view text) {
  return answer(req, st, std::string(text) + "\n", "text/plain; charset=utf-8");
}

// One answer for every session a request may not use: unknown, finished,
// expired, another user's, or a count it cannot have.
response no_session(const request& req) { return refusal(req, bhttp::status::not_found, "No such session"); }

using millis = std::chrono::milliseconds;
millis since(clock::time_point t) { return std::chrono::duration_cast<millis>(clock::now() - t); }

// Ends a long-poll session that has seen no request (none running, no GET
// held) for https.resume_grace; one that has not logged in, or has ended
// (its last octets wait), already after the longest hold and
// https.pong_timeout: a client that keeps a GET outstanding has come back
// by then.
asio::awaitable<void> expire(std::shared_ptr<binding_registry> reg, std::shared_ptr<binding_session> bs) {
  auto grace = std::chrono::duration_cast<clock::duration>(reg->cfg.https_resume_grace);
  auto brief = std::min(grace, std::chrono::duration_cast<clock::duration>(reg->holds.ceiling + reg->cfg.https_pong_timeout));
  boost::system::error_code ec;
  for (;;) {
    clock::time_point due;
    {
      std::lock_guard lock(bs->mu);
      if (bs->finished) co_return;
      due = bs->last_request + (bs->login.empty() || bs->ended ? brief : grace);
      if (bs->busy > 0) due = clock::now() + grace;
    }
    if (clock::now() >= due) break;
    bs->grace->expires_at(due);
    co_await bs->grace->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  spdlog::info("event=binding_expired binding={} protocol={} binding_type=poll", bs->id, bs->protocol);
  finish(*reg, bs);
}

// The session `token` names, when `login` may use it (any request before
// the session logged in; after, only its user's).
std::shared_ptr<binding_session> find(binding_registry& reg, std::string_view token, std::string_view protocol,
                                      const std::optional<std::string>& login,
                                      const std::optional<std::string>& unchecked, bool& need_login,
                                      bool& bad_password) {
  need_login = bad_password = false;
  std::shared_ptr<binding_session> bs;
  {
    std::lock_guard lock(reg.mu);
    auto it = reg.by_token.find(token_hash(token));
    if (it == reg.by_token.end()) return nullptr;
    bs = it->second;
  }
  std::lock_guard lock(bs->mu);
  if (!bs->poll || bs->finished || bs->protocol != protocol) return nullptr;
  if (!bs->login.empty()) {
    if (!login) {
      need_login = true;
      return nullptr;
    }
    if (*login != bs->login) return nullptr;
    if (!credential_matches(*bs, unchecked)) {
      bad_password = true;
      return nullptr;
    }
  }
  return bs;
}

// Counts a request as running (the session does not expire under it).
struct busy_guard {
  std::shared_ptr<binding_session> bs;
  explicit busy_guard(std::shared_ptr<binding_session> s) : bs(std::move(s)) {
    std::lock_guard lock(bs->mu);
    ++bs->busy;
    bs->last_request = clock::now();
  }
  ~busy_guard() {
    std::lock_guard lock(bs->mu);
    --bs->busy;
    bs->last_request = clock::now();
  }
  busy_guard(const busy_guard&) = delete;
  busy_guard& operator=(const busy_guard&) = delete;
};

// The client's octets from `offset` on into the session: what it has
// already is skipped (a POST sent again after its answer was lost), a gap
// is refused. Waits while `in` holds a window's worth, for up to 30 s;
// then answers 503, nothing taken.
asio::awaitable<response> take(const request& req, std::shared_ptr<binding_session> bs, std::uint64_t offset) {
  busy_guard busy(bs);
  const std::string& body = req.body();
  auto ex = co_await asio::this_coro::executor;
  auto room = std::make_shared<asio::steady_timer>(ex);
  auto give_up = clock::now() + 30s;
  for (;;) {
    std::uint64_t received = 0;
    enum { taken, wait_room, gap, gone, full } result = taken;
    {
      std::lock_guard lock(bs->mu);
      received = bs->in_count;
      auto skip = offset <= received ? received - offset : 0;
      std::string_view fresh = skip < body.size() ? std::string_view(body).substr(skip) : std::string_view();
      if (bs->finished) {
        result = gone;
      } else if (offset > received) {
        result = gap;
      } else if (fresh.empty() || bs->ended) {
        // Nothing new, or a session that has ended (its last octets wait
        // for a GET): nothing to take.
      } else if (bs->in.empty() || bs->in.size() + fresh.size() <= bs->window) {
        bs->in.append(fresh);
        bs->in_count += fresh.size();
        received = bs->in_count;
      } else if (clock::now() < give_up) {
        room->expires_at(give_up);
        bs->in_waiter = room;
        result = wait_room;
      } else {
        result = full;
      }
    }
    if (result == wait_room) {
      co_await wait(*room);
      continue;
    }
    if (result == gone) co_return no_session(req);
    response res;
    if (result == gap) {
      res = refusal(req, bhttp::status::conflict, "Octets missing before Lemonade-Offset");
    } else if (result == full) {
      res = refusal(req, bhttp::status::service_unavailable, "The session is not taking input; send again");
      res.set(bhttp::field::retry_after, "1");
    } else {
      poke(bs->in_ready);
      res = answer(req, bhttp::status::ok);
    }
    res.set("Lemonade-Received", std::to_string(received));
    co_return res;
  }
}

// The session's octets from `received` on, as soon as there are any, or
// an empty answer when the hold runs out first; the session's last octets
// carry Lemonade-End and finish it.
asio::awaitable<response> give(std::shared_ptr<binding_registry> reg, const request& req,
                               std::shared_ptr<binding_session> bs, std::uint64_t received, bool credentialed) {
  const std::uint64_t most = std::max<std::uint64_t>(reg->cfg.https_poll_answer_max, 1024);
  busy_guard busy(bs);
  auto ex = co_await asio::this_coro::executor;
  std::uint64_t mine = 0;
  std::string path;  // the path learner's key
  millis hold;
  timer_ptr superseded;
  bool known = true;
  {
    std::lock_guard lock(bs->mu);
    known = received >= bs->out_base && received <= bs->sent_max;
    path = bs->path_key();
    if (known) {
      // What the client's path survived (docs/http-binding.md, "Long
      // polling"): a GET held when the next arrives was lost on the way; a
      // GET answered empty at the end of its hold either reached the
      // client (the next GET follows at once) or died before (the client
      // waited out its own time-out first).
      if (bs->get_held) {
        reg->holds.loss(path, since(bs->held_since));
        superseded = bs->out_waiter;
        bs->get_held = false;
      } else if (bs->last_hold.count() > 0) {
        if (since(bs->last_answer) > reg->cfg.https_pong_timeout)
          reg->holds.loss(path, bs->last_hold);
        else
          reg->holds.survived(path, bs->last_hold);
      }
      bs->last_hold = 0ms;
      mine = ++bs->poll_gets;
      // What the client has, it has: no replay of it.
      bs->out.erase(0, received - bs->out_base);
      bs->out_base = received;
    }
  }
  if (!known) co_return no_session(req);
  poke(superseded);
  poke(bs->space);
  hold = reg->holds.interval(path);
  auto deadline = clock::now() + hold;
  for (;;) {
    auto event = std::make_shared<asio::steady_timer>(ex, deadline);
    std::string chunk;
    bool end = false, stale = false, held = false;
    {
      std::lock_guard lock(bs->mu);
      // A request without credentials gets nothing the session wrote
      // after its login (a GET held from before it).
      auto limit = credentialed ? UINT64_MAX : bs->login_at;
      auto have = std::min(bs->out_base + bs->out.size(), limit);
      if (bs->poll_gets != mine) {
        stale = true;
      } else if (have > received) {
        chunk = bs->out.substr(received - bs->out_base, std::min<std::uint64_t>(have - received, most));
        bs->sent_max = std::max(bs->sent_max, received + chunk.size());
        end = bs->ended && received + chunk.size() == bs->out_base + bs->out.size();
      } else if (limit <= received) {
        // Nothing more without credentials: answered at once, empty.
      } else if (bs->ended || bs->finished) {
        end = true;
      } else if (clock::now() < deadline) {
        if (!bs->get_held) bs->held_since = clock::now();
        bs->out_waiter = event;
        bs->get_held = held = true;
      } else {
        bs->last_hold = hold;
      }
      path = bs->path_key();
      if (!held && !stale) {
        bs->get_held = false;
        bs->out_waiter.reset();
        bs->last_answer = clock::now();
      }
    }
    if (held) {
      co_await wait(*event);
      continue;
    }
    auto res = answer(req, bhttp::status::ok, std::move(chunk));
    res.set("Lemonade-Offset", std::to_string(received));
    res.set("Lemonade-Hold", std::to_string(reg->holds.interval(path).count()));
    if (end) {
      // The session's last octets: it is over, as when a WebSocket session
      // closes with 1000 (what is lost on the way is not replayed).
      res.set("Lemonade-End", "1");
      finish(*reg, bs);
    }
    co_return res;
  }
}

}  // namespace

asio::awaitable<response> serve_poll(asio::io_context& ioc, std::shared_ptr<binding_registry> reg, const request& req,
                                     poll_request op, std::string_view protocol, const adopt_session& adopt,
                                     client_facts client, std::optional<std::string> login,
                                     std::optional<std::string> password) {
  auto& cfg = reg->cfg;
  if (std::holds_alternative<poll_op::open>(op)) {
    auto token = core::hex_encode(auth::random_bytes(16));
    auto hash = token_hash(token);
    auto bs = std::make_shared<binding_session>(ioc, protocol, true, cfg.https_resume_window);
    bs->id = reg->next_id++;
    bs->poll = true;
    bs->address = client.address;
    if (!valid_device(client.device))
      co_return refusal(req, bhttp::status::bad_request,
                        "Lemonade-Device must be up to 64 letters, digits, '.', '_' or '-'");
    bs->device = client.device;
    bs->last_request = clock::now();
    if (req.body().size() > bs->window) co_return refusal(req, bhttp::status::payload_too_large, "Over the window");
    if (!reg->try_poll(client.address)) {
      spdlog::warn("event=connection_refused protocol={} binding=poll reason=max_poll_per_address remote={}", protocol,
                   client.remote);
      auto res = refusal(req, bhttp::status::too_many_requests, "Too many sessions from your address");
      res.set(bhttp::field::retry_after, "60");
      co_return res;
    }
    local::socket far(asio::make_strand(ioc));  // the protocol session's own
    asio::local::connect_pair(bs->near, far);
    client.binding = "poll";
    watch_login(client, bs);
    net::stream session_side(std::move(far));
    if (!adopt(session_side, client)) {
      reg->unpoll(client.address);
      spdlog::warn("event=connection_refused protocol={} binding=poll reason=max_connections", protocol);
      auto res = refusal(req, bhttp::status::service_unavailable, "Too many connections; try again later");
      res.set(bhttp::field::retry_after, "5");
      co_return res;
    }
    {
      std::lock_guard lock(bs->mu);
      bs->token_hash = hash;
      bs->in = req.body();
      bs->in_count = req.body().size();
    }
    {
      std::lock_guard lock(reg->mu);
      reg->by_token[hash] = bs;
    }
    spdlog::info("event=binding_poll remote={} protocol={} binding={}", client.remote, protocol, bs->id);
    asio::co_spawn(bs->s, from_session(reg, bs), asio::detached);
    asio::co_spawn(bs->s, to_session(bs), asio::detached);
    asio::co_spawn(bs->s, expire(reg, bs), asio::detached);
    auto res = answer(req, bhttp::status::ok);
    res.set("Lemonade-Session", token);
    res.set("Lemonade-Grace", std::to_string(cfg.https_resume_grace.count()));
    res.set("Lemonade-Window", std::to_string(bs->window));
    res.set("Lemonade-Hold", std::to_string(reg->holds.start.count()));
    res.set("Lemonade-Received", std::to_string(req.body().size()));
    co_return res;
  }

  std::string_view token = std::visit(
      [](auto& o) -> std::string_view {
        if constexpr (requires { o.token; }) return o.token;
        else return {};
      },
      op);
  bool need_login = false, bad_password = false;
  auto bs = find(*reg, token, protocol, login, password, need_login, bad_password);
  if (bad_password && client.wrong_password) client.wrong_password();
  if (need_login) {
    auto res = refusal(req, bhttp::status::unauthorized, "Log in as the session's user (HTTP Basic)");
    res.set(bhttp::field::www_authenticate, "Basic realm=\"lemonade\", charset=\"UTF-8\"");
    co_return res;
  }
  if (!bs) {
    spdlog::info("event=binding_poll_refused remote={} user=\"{}\" protocol={}", client.remote,
                 core::log_printable(login ? login->substr(0, 64) : std::string()), protocol);
    co_return no_session(req);
  }
  if (auto* s = std::get_if<poll_op::send>(&op)) co_return co_await take(req, bs, s->offset);
  if (auto* r = std::get_if<poll_op::receive>(&op))
    co_return co_await give(reg, req, bs, r->received, login.has_value());
  // DELETE: the client is done, as with a WebSocket close frame: the
  // session ends and its token goes at once.
  finish(*reg, bs);
  spdlog::info("event=binding_poll_closed binding={} protocol={} remote={}", bs->id, protocol, client.remote);
  co_return answer(req, bhttp::status::no_content);
}

}  // namespace lemonade::http
