#include "http/binding.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

#include "auth/password.hpp"
#include "core/strings.hpp"
#include "http/websocket.hpp"

namespace lemonade::http {

std::string_view bindings::protocol_at(std::string_view path) const {
  if (path == "/imap" && imap) return "imap";
  if (path == "/submission" && submission) return "submission";
  return {};
}

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using local = asio::local::stream_protocol;
using ws_stream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
using timer_ptr = std::shared_ptr<asio::steady_timer>;
using namespace std::chrono_literals;

constexpr std::size_t relay_chunk = 16 * 1024;

// A timer used as an event: wait() until someone poke()s it. Pokes run on
// the timer's strand, after the waiter (which checked its condition under
// the session's lock, then began waiting in the same step) waits.
timer_ptr make_event(const asio::any_io_executor& ex) { return std::make_shared<asio::steady_timer>(ex); }
void poke(const timer_ptr& t) {
  asio::post(t->get_executor(), [t] { t->cancel(); });
}
asio::awaitable<void> wait(asio::steady_timer& t) {
  t.expires_at(asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

struct link;

}  // namespace

// A protocol session and what its client has not yet seen, across the
// connections that carry it. The session reads and writes `near`, one end
// of a socket pair; from_session and to_session (on strand `s`) move its
// octets to and from the buffers here; a link (one WebSocket, on its own
// strand) moves them to and from the client. Octets are numbered from 0 in
// each direction.
struct binding_session {
  binding_session(asio::io_context& ioc, std::string_view protocol, bool resumable, std::uint64_t window)
      : s(asio::make_strand(ioc)),
        protocol(protocol),
        resumable(resumable),
        window(std::max<std::uint64_t>(window, relay_chunk)),
        near(s),
        in_ready(make_event(s)),
        space(make_event(s)),
        grace(make_event(s)) {}
  asio::strand<asio::io_context::executor_type> s;
  const std::string_view protocol;
  const bool resumable;
  const std::uint64_t window;
  std::uint64_t id = 0;
  local::socket near;
  timer_ptr in_ready;  // input for the session, or its end
  timer_ptr space;     // room in `out`
  timer_ptr grace;     // a parked session's deadline

  std::mutex mu;  // guards what follows
  std::string out;             // the session's octets from out_base on, not yet acknowledged
  std::uint64_t out_base = 0;
  std::string in;              // the client's octets not yet written to the session
  std::uint64_t in_count = 0;  // the client's octets received, all told
  bool in_closed = false;      // no more input: the session reads end of file
  bool ended = false;          // the session closed its end
  bool finished = false;       // over: nothing to resume
  bool parked = false;         // waiting for its client to resume
  std::uint64_t generation = 0;  // links attached so far
  std::string login;           // once the session logged in
  std::string token_hash;      // resumable: SHA-256 of the current token
  std::shared_ptr<link> current;
};

class binding_registry {
 public:
  explicit binding_registry(const core::config& cfg) : cfg(cfg) {}
  const core::config& cfg;
  std::atomic<unsigned> parked{0};
  std::atomic<std::uint64_t> next_id{1};
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<binding_session>> by_token;
};

std::shared_ptr<binding_registry> make_binding_registry(const core::config& cfg) {
  return std::make_shared<binding_registry>(cfg);
}

namespace {

// One WebSocket carrying a binding session.
struct link {
  link(ws_stream ws, std::shared_ptr<binding_session> bs, std::string remote)
      : ws(std::move(ws)), bs(std::move(bs)), wake(make_event(this->ws.get_executor())), remote(std::move(remote)) {}
  ws_stream ws;
  std::shared_ptr<binding_session> bs;
  timer_ptr wake;  // new output, room for input, an ack to send, the end
  std::string remote;
  // Under bs->mu:
  std::uint64_t sent = 0;      // the next of the session's octets to send
  std::uint64_t told_in = 0;   // the in_count last told the client
  bool ack_due = false;
  // On the link's strand:
  bool closing = false;  // a close frame went out (or is going)
};

// Sends a close frame and waits (briefly) for the client's. Beast then
// ends TLS with close_notify and waits for the client's: a client that
// keeps its TCP connection open after the close handshake (RFC 6455 §7.1.1
// says the server closes first) must not hold it for long.
asio::awaitable<void> close(link& l, websocket::close_reason why) {
  if (l.closing) co_return;
  l.closing = true;
  l.ws.set_option(websocket::stream_base::timeout{5s, websocket::stream_base::none(), false});
  boost::system::error_code ec;
  co_await l.ws.async_close(why, asio::redirect_error(asio::use_awaitable, ec));
}

// Over for good: the token goes, the session's end closes (a session
// still running sees its connection gone and ends).
void finish(binding_registry& reg, const std::shared_ptr<binding_session>& bs) {
  std::string hash;
  {
    std::lock_guard lock(bs->mu);
    if (bs->finished) return;
    bs->finished = bs->in_closed = true;
    if (bs->parked) --reg.parked;
    bs->parked = false;
    hash = std::move(bs->token_hash);
  }
  if (!hash.empty()) {
    std::lock_guard lock(reg.mu);
    reg.by_token.erase(hash);
  }
  asio::post(bs->s, [bs] {
    boost::system::error_code ec;
    bs->near.close(ec);
    bs->in_ready->cancel();
    bs->space->cancel();
    bs->grace->cancel();
  });
  spdlog::debug("event=binding_finished binding={} protocol={}", bs->id, bs->protocol);
}

// The session's output into `out`, as fast as the window allows.
asio::awaitable<void> from_session(std::shared_ptr<binding_registry> reg, std::shared_ptr<binding_session> bs) {
  boost::system::error_code ec;
  for (;;) {
    co_await bs->near.async_wait(local::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    std::size_t room;
    {
      std::lock_guard lock(bs->mu);
      room = bs->out.size() < bs->window ? bs->window - bs->out.size() : 0;
    }
    if (room == 0) {
      co_await wait(*bs->space);
      continue;
    }
    std::string chunk(std::min(room, relay_chunk), '\0');
    auto n = co_await bs->near.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    std::shared_ptr<link> cur;
    {
      std::lock_guard lock(bs->mu);
      bs->out.append(chunk, 0, n);
      cur = bs->current;
    }
    if (cur) poke(cur->wake);
  }
  std::shared_ptr<link> cur;
  bool over;
  {
    std::lock_guard lock(bs->mu);
    bs->ended = true;
    cur = bs->current;
    over = !cur && !bs->parked;  // a parked one keeps its last octets for the client
  }
  if (cur) poke(cur->wake);
  if (over) finish(*reg, bs);
}

// The client's octets into the session, in order; then end of file.
asio::awaitable<void> to_session(std::shared_ptr<binding_session> bs) {
  boost::system::error_code ec;
  for (;;) {
    std::string chunk;
    bool closed;
    std::shared_ptr<link> cur;
    {
      std::lock_guard lock(bs->mu);
      chunk.swap(bs->in);
      closed = bs->in_closed;
      cur = bs->current;
    }
    if (chunk.empty()) {
      if (closed) break;
      co_await wait(*bs->in_ready);
      continue;
    }
    if (cur) poke(cur->wake);  // room for more input
    co_await asio::async_write(bs->near, asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  bs->near.shutdown(local::socket::shutdown_send, ec);
}

// No more input for the session: it reads end of file and ends.
void end_input(const std::shared_ptr<binding_session>& bs) {
  {
    std::lock_guard lock(bs->mu);
    bs->in_closed = true;
  }
  poke(bs->in_ready);
}

// The link is gone (or going). When it was the session's current one, the
// session ends (a clean close, a session that cannot resume) or parks for
// https.resume_grace. Closes the link's connection either way.
void detach(binding_registry& reg, const std::shared_ptr<link>& l, bool clean) {
  auto& bs = l->bs;
  bool was_current = false, park = false, ended = false;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(bs->mu);
    if (bs->current == l) {
      was_current = true;
      bs->current.reset();
      ended = bs->ended;
      park = !clean && bs->resumable && !bs->finished && !bs->login.empty();
      if (park && ++reg.parked > reg.cfg.https_max_parked) {
        --reg.parked;
        park = false;
      }
      bs->parked = park;
      generation = bs->generation;
    }
  }
  boost::system::error_code ec;
  beast::get_lowest_layer(l->ws).socket().close(ec);
  poke(l->wake);
  if (!was_current) return;
  if (park) {
    spdlog::info("event=binding_parked binding={} protocol={} remote={} grace={}s", bs->id, bs->protocol, l->remote,
                 reg.cfg.https_resume_grace.count());
    auto grace = reg.cfg.https_resume_grace;
    asio::post(bs->s, [&reg, bs, generation, grace] {
      bs->grace->expires_after(grace);
      bs->grace->async_wait([&reg, bs, generation](boost::system::error_code ec) {
        if (ec) return;
        {
          std::lock_guard lock(bs->mu);
          if (!bs->parked || bs->generation != generation) return;
        }
        spdlog::info("event=binding_expired binding={} protocol={}", bs->id, bs->protocol);
        finish(reg, bs);
      });
    });
    return;
  }
  end_input(bs);
  if (ended) finish(reg, bs);
}

// Session to client: `out` from `sent` on, one binary message per chunk,
// and "ack N" text messages when the client's ack asked for one. When the
// session has ended and all went out, closes with 1000.
asio::awaitable<void> writer(std::shared_ptr<binding_registry> reg, std::shared_ptr<link> l) {
  auto& bs = l->bs;
  boost::system::error_code ec;
  for (;;) {
    std::string chunk;
    bool text = false, end = false;
    {
      std::lock_guard lock(bs->mu);
      if (bs->current != l) break;
      if (l->ack_due) {
        l->ack_due = false;
        l->told_in = bs->in_count;
        chunk = "ack " + std::to_string(l->told_in);
        text = true;
      } else if (l->sent < bs->out_base + bs->out.size()) {
        // Counted as sent from now: the client may have it (and ack it)
        // before this write completes. A failed write ends the link.
        auto off = l->sent - bs->out_base;
        chunk = bs->out.substr(off, std::min(relay_chunk, bs->out.size() - off));
        l->sent += chunk.size();
        if (!bs->resumable) {
          // Nothing to replay: what goes out needs no keeping.
          bs->out.erase(0, l->sent - bs->out_base);
          bs->out_base = l->sent;
        }
      } else if (bs->ended) {
        end = true;
      }
    }
    if (end) {
      finish(*reg, bs);  // first: no resume during the close handshake
      co_await close(*l, websocket::close_code::normal);
      detach(*reg, l, true);
      co_return;
    }
    if (chunk.empty()) {
      co_await wait(*l->wake);
      continue;
    }
    l->ws.text(text);
    co_await l->ws.async_write(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    l->ws.binary(true);
    if (ec) break;
    if (!bs->resumable && !text) poke(bs->space);
  }
  detach(*reg, l, false);
}

// "ack N" (docs/http-binding.md): the client has the session's octets
// before N. False for anything else, or an N it cannot have.
bool take_ack(link& l, std::string_view msg) {
  if (msg.substr(0, 4) != "ack ") return false;
  std::uint64_t n = 0;
  auto digits = msg.substr(4);
  auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (err != std::errc() || end != digits.data() + digits.size() || digits.empty()) return false;
  auto& bs = *l.bs;
  std::lock_guard lock(bs.mu);
  if (n > l.sent) return false;
  if (n > bs.out_base) {
    bs.out.erase(0, n - bs.out_base);
    bs.out_base = n;
  }
  l.ack_due = bs.in_count != l.told_in;
  return true;
}

// Client to session: the payload of binary frames, in order, into `in`
// (waiting while it holds a window's worth); text frames are the binding's
// own acks, or, on a session that cannot resume, close code 1003.
asio::awaitable<void> reader(std::shared_ptr<binding_registry> reg, std::shared_ptr<link> l) {
  auto& bs = l->bs;
  std::string buf(relay_chunk, '\0');
  std::string text;
  boost::system::error_code ec;
  bool clean = false;
  for (;;) {
    auto n = co_await l->ws.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      clean = ec == websocket::error::closed;  // the client's close frame
      break;
    }
    if (l->ws.got_text()) {
      // RFC 6455 §7.4.1: 1003, data of a type the endpoint cannot accept;
      // 1002, a protocol error (a control message that is not one).
      bool resumable = bs->resumable;
      if (resumable && text.size() + n <= 64) {
        text.append(buf, 0, n);
        if (!l->ws.is_message_done()) continue;
        if (take_ack(*l, text)) {
          text.clear();
          poke(bs->space);
          poke(l->wake);
          continue;
        }
      }
      end_input(bs);  // the session ends first: the close handshake may take its time
      co_await close(*l, resumable ? websocket::close_reason(websocket::close_code::protocol_error, "not an ack")
                                   : websocket::close_reason(websocket::close_code::unknown_data, "binary frames only"));
      clean = true;
      break;
    }
    bool stale = false;
    for (;;) {
      {
        std::lock_guard lock(bs->mu);
        if (bs->current != l) {
          stale = true;
          break;
        }
        if (bs->in.size() < bs->window) {
          bs->in.append(buf, 0, n);
          bs->in_count += n;
          break;
        }
      }
      co_await wait(*l->wake);
    }
    if (stale) break;
    poke(bs->in_ready);
  }
  detach(*reg, l, clean);
}

bhttp::response<bhttp::string_body> refusal(const bhttp::request<bhttp::string_body>& req, bhttp::status st,
                                            const std::string& text) {
  bhttp::response<bhttp::string_body> res{st, req.version()};
  res.set(bhttp::field::server, "lemonade");
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = text + "\n";
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

// RFC 6455 §4.2.1 item 10 / RFC 9110 §5.6.1: Sec-WebSocket-Protocol is a
// comma-separated list of tokens, possibly spread over several fields.
bool offers(const bhttp::request<bhttp::string_body>& req, std::string_view protocol, bool& any) {
  any = false;
  bool found = false;
  for (auto it = req.find(bhttp::field::sec_websocket_protocol);
       it != req.end() && it->name() == bhttp::field::sec_websocket_protocol; ++it) {
    std::string_view v(it->value().data(), it->value().size());
    for (std::size_t at = 0; at <= v.size();) {
      auto comma = v.find(',', at);
      if (comma == std::string_view::npos) comma = v.size();
      auto token = v.substr(at, comma - at);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
      if (!token.empty()) {
        any = true;
        if (token == protocol) found = true;  // tokens compare case-sensitively (§4.1)
      }
      at = comma + 1;
    }
  }
  return found;
}

std::string token_hash(std::string_view token) { return auth::sha256(token); }

// Takes over the session `resume` names, for the new link `l`, when the
// user and the octet count allow; the link then sends from that count.
// Returns the client octets the session has had (for Lemonade-Received).
std::optional<std::uint64_t> attach(binding_registry& reg, const resume_request& resume, std::string_view protocol,
                                    const std::shared_ptr<link>& l, std::string& new_hash) {
  std::shared_ptr<binding_session> bs;
  auto old_hash = token_hash(resume.token);
  {
    std::lock_guard lock(reg.mu);
    auto it = reg.by_token.find(old_hash);
    if (it == reg.by_token.end()) return std::nullopt;
    bs = it->second;
  }
  std::shared_ptr<link> old;
  std::uint64_t in_count;
  bool was_parked;
  {
    std::lock_guard lock(bs->mu);
    if (bs->finished || bs->protocol != protocol || bs->login.empty() || bs->login != resume.login ||
        bs->token_hash != old_hash || resume.received < bs->out_base ||
        resume.received > bs->out_base + bs->out.size())
      return std::nullopt;
    old = std::move(bs->current);
    ++bs->generation;
    was_parked = bs->parked;
    bs->parked = false;
    // What the client has, it has: no replay of it.
    bs->out.erase(0, resume.received - bs->out_base);
    bs->out_base = resume.received;
    l->bs = bs;
    l->sent = resume.received;
    l->told_in = in_count = bs->in_count;
    bs->current = l;
    bs->token_hash = new_hash;  // a token serves once
  }
  if (was_parked) --reg.parked;
  {
    std::lock_guard lock(reg.mu);
    reg.by_token.erase(old_hash);
    reg.by_token[new_hash] = bs;
  }
  asio::post(bs->s, [bs] { bs->grace->cancel(); });
  if (old) {
    // A connection the client gave up on, though it still looked alive.
    asio::post(old->ws.get_executor(), [old] {
      boost::system::error_code ec;
      beast::get_lowest_layer(old->ws).socket().close(ec);
      old->wake->cancel();
    });
  }
  return in_count;
}

}  // namespace

asio::awaitable<void> serve_websocket(asio::io_context& ioc, std::shared_ptr<binding_registry> reg,
                                      beast::ssl_stream<beast::tcp_stream> tls, bhttp::request<bhttp::string_body> req,
                                      std::string_view protocol, const adopt_session& adopt, client_facts client,
                                      std::optional<resume_request> resume) {
  boost::system::error_code ec;
  bool any = false;
  bool offered = offers(req, protocol, any);
  std::string refused;
  bhttp::status status = bhttp::status::bad_request;
  if (!websocket::is_upgrade(req)) {
    refused = "Use a WebSocket (RFC 6455) here";
    status = bhttp::status::upgrade_required;
  } else if (any && !offered) {
    // §4.2.2: the server may only select a subprotocol the client offered;
    // one speaking something else here cannot be served.
    refused = "This path speaks the WebSocket subprotocol " + std::string(protocol);
  }
  std::string session_header(req["Lemonade-Session"]);
  bool resumable = session_header == "new" || resume.has_value();
  auto l = std::make_shared<link>(ws_stream(std::move(tls)), nullptr, client.remote);
  std::string token, hash;
  std::optional<std::uint64_t> in_count;
  if (resumable) {
    token = core::hex_encode(auth::random_bytes(16));
    hash = token_hash(token);
  }
  if (refused.empty() && resume) {
    in_count = attach(*reg, *resume, protocol, l, hash);
    if (!in_count) {
      // One answer for an unknown, finished or expired session, another
      // user's, and a count the session cannot resume from.
      refused = "No such session to resume";
      status = bhttp::status::not_found;
      spdlog::info("event=binding_resume_refused remote={} user=\"{}\" protocol={}", client.remote,
                   resume->login.substr(0, 64), protocol);
    }
  }
  if (!refused.empty()) {
    auto res = refusal(req, status, refused);
    if (status == bhttp::status::upgrade_required) {
      res.set(bhttp::field::upgrade, "websocket");
      res.set(bhttp::field::connection, "Upgrade");
    }
    auto& tcp = beast::get_lowest_layer(l->ws);
    tcp.expires_after(30s);
    co_await bhttp::async_write(l->ws.next_layer(), res, asio::redirect_error(asio::use_awaitable, ec));
    if (status != bhttp::status::not_found)
      spdlog::info("event=websocket_refused remote={} path=\"{}\" reason=\"{}\"", client.remote,
                   std::string(req.target().substr(0, 64)), refused);
    co_return;
  }

  auto& ws = l->ws;
  beast::get_lowest_layer(ws).expires_never();  // the stream's own timeouts from here
  ws.set_option(websocket::stream_base::timeout{30s, websocket::stream_base::none(), false});
  auto& cfg = reg->cfg;
  ws.set_option(websocket::stream_base::decorator([protocol = std::string(protocol), offered, token, in_count,
                                                   grace = cfg.https_resume_grace.count(),
                                                   window = cfg.https_resume_window](websocket::response_type& res) {
    res.set(bhttp::field::server, "lemonade");
    if (offered) res.set(bhttp::field::sec_websocket_protocol, protocol);
    if (!token.empty()) {
      res.set("Lemonade-Session", token);
      res.set("Lemonade-Grace", std::to_string(grace));
      res.set("Lemonade-Window", std::to_string(std::max<std::uint64_t>(window, relay_chunk)));
    }
    if (in_count) res.set("Lemonade-Received", std::to_string(*in_count));
  }));
  ws.binary(true);
  // The relay reads frames piecemeal (read_some): the session's own limits
  // (line length, literal sizes) bound what a client may send.
  ws.read_message_max(0);
  co_await ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    spdlog::info("event=websocket_failed remote={} error=\"{}\"", client.remote, ec.message());
    if (resume) detach(*reg, l, false);  // parks again
    co_return;
  }
  if (resume) {
    spdlog::info("event=binding_resumed binding={} protocol={} remote={} user=\"{}\" from={}", l->bs->id, protocol,
                 client.remote, resume->login, resume->received);
    asio::co_spawn(ws.get_executor(), reader(reg, l), asio::detached);
    co_await writer(reg, l);
    co_return;
  }

  auto bs = std::make_shared<binding_session>(ioc, protocol, resumable, cfg.https_resume_window);
  bs->id = reg->next_id++;
  local::socket far(asio::make_strand(ioc));  // the protocol session's own
  asio::local::connect_pair(bs->near, far);
  client.logged_in = [w = std::weak_ptr<binding_session>(bs)](const std::string& login) {
    if (auto b = w.lock()) {
      std::lock_guard lock(b->mu);
      b->login = login;
    }
  };
  net::stream session_side(std::move(far));
  if (!adopt(session_side, client)) {
    // RFC 6455 §7.4.1 (IANA registry): 1013, try again later.
    spdlog::warn("event=connection_refused protocol={} binding=websocket reason=max_connections", protocol);
    co_await close(*l, {websocket::close_code::try_again_later, "Too many connections; try again later"});
    co_return;
  }
  l->bs = bs;
  bs->current = l;
  if (resumable) {
    bs->token_hash = hash;
    std::lock_guard lock(reg->mu);
    reg->by_token[hash] = bs;
  }
  spdlog::info("event=websocket remote={} protocol={} binding={} resumable={}", client.remote, protocol, bs->id,
               resumable);
  asio::co_spawn(bs->s, from_session(reg, bs), asio::detached);
  asio::co_spawn(bs->s, to_session(bs), asio::detached);
  asio::co_spawn(ws.get_executor(), reader(reg, l), asio::detached);
  co_await writer(reg, l);
}

}  // namespace lemonade::http
