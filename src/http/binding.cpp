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
#include <boost/range/iterator_range.hpp>
#include <spdlog/spdlog.h>

#include "auth/password.hpp"
#include "core/strings.hpp"
#include "http/binding_session.hpp"
#include "http/websocket.hpp"

namespace lemonade::http {

std::string_view bindings::protocol_at(std::string_view path) const {
  if (path == "/imap" && imap) return "imap";
  if (path == "/submission" && submission) return "submission";
  return {};
}

namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using local = asio::local::stream_protocol;
using ws_stream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
using namespace std::chrono_literals;

}  // namespace

std::shared_ptr<binding_registry> make_binding_registry(const core::config& cfg, const std::filesystem::path& file) {
  return std::make_shared<binding_registry>(cfg, file);
}

// One WebSocket carrying a binding session.
struct link {
  link(ws_stream ws, std::shared_ptr<binding_session> bs, std::string remote)
      : ws(std::move(ws)),
        bs(std::move(bs)),
        wake(make_event(this->ws.get_executor())),
        ka(make_event(this->ws.get_executor())),
        remote(std::move(remote)) {}
  ws_stream ws;
  std::shared_ptr<binding_session> bs;
  timer_ptr wake;  // new output, room for input, an ack to send, the end
  timer_ptr ka;    // the keepalive's next ping, or its pong
  std::string remote;
  // The last frame either way (steady clock, ns), for keepalives.
  std::atomic<std::int64_t> last{now_ns()};
  static std::int64_t now_ns() { return std::chrono::steady_clock::now().time_since_epoch().count(); }
  void touch() { last = now_ns(); }
  std::chrono::milliseconds quiet() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(now_ns() - last));
  }
  // On the link's strand:
  bool pong_seen = false;
  bool reader_waiting = false;     // for room in `in`
  std::int64_t writing_since = 0;  // a write under way since (ns), or 0
  // Under bs->mu:
  std::uint64_t sent = 0;      // the next of the session's octets to send
  std::uint64_t told_in = 0;   // the in_count last told the client
  bool ack_due = false;
  // On the link's strand:
  bool closing = false;  // a close frame went out (or is going)
};

namespace {

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

// The link is gone (or going). When it was the session's current one, the
// session ends (a clean close, a session that cannot resume, one not
// logged in, or too many parked) or parks for https.resume_grace. Closes
// the link's connection either way.
void detach(binding_registry& reg, const std::shared_ptr<link>& l, bool clean) {
  auto& bs = l->bs;
  bool was_current = false, park = false, ended = false;
  std::uint64_t generation = 0;
  std::string path;
  {
    std::lock_guard lock(bs->mu);
    path = bs->path_key();
    if (bs->current == l) {
      was_current = true;
      bs->current.reset();
      ended = bs->ended;
      park = !clean && bs->resumable && !bs->finished && !bs->in_closed && !bs->login.empty() &&
             reg.try_park(bs->login);
      bs->parked = park;
      generation = bs->generation;
      if (!park) {
        // No client will read the session's output again: drop it, so a
        // session blocked writing it can read its end of file and end.
        bs->discard = true;
        bs->out.clear();
      }
    }
  }
  boost::system::error_code ec;
  beast::get_lowest_layer(l->ws).socket().close(ec);
  poke(l->wake);
  poke(l->ka);
  if (!was_current) return;
  if (!clean) reg.pings.loss(path, l->quiet());
  if (park) {
    spdlog::info("event=binding_parked binding={} protocol={} remote={} grace={}s", bs->id, bs->protocol, l->remote,
                 reg.cfg.https_resume_grace.count());
    auto grace = reg.cfg.https_resume_grace;
    asio::post(bs->s, [r = reg.shared_from_this(), bs, generation, grace] {
      bs->grace->expires_after(grace);
      bs->grace->async_wait([r, bs, generation](boost::system::error_code ec) {
        if (ec) return;
        {
          std::lock_guard lock(bs->mu);
          if (!bs->parked || bs->generation != generation) return;
        }
        spdlog::info("event=binding_expired binding={} protocol={}", bs->id, bs->protocol);
        finish(*r, bs);
      });
    });
    return;
  }
  void_tokens(reg, *bs);  // a close frame (or any end) voids them at once
  poke(bs->space);
  end_input(bs);
  if (ended) finish(reg, bs);
}

// Session to client: `out` from `sent` on, in binary messages of up to
// 16 KB, and "ack M" text messages when the client's ack asked for one.
// When the session has ended and all went out, closes with 1000.
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
        l->told_in = bs->taken;
        chunk = "ack " + std::to_string(l->told_in);
        text = true;
      } else if (l->sent < bs->out_base + bs->out.size()) {
        // Counted as sent from now: the client may have it (and ack it)
        // before this write completes. A failed write ends the link.
        auto off = l->sent - bs->out_base;
        chunk = bs->out.substr(off, std::min(relay_chunk, bs->out.size() - off));
        l->sent += chunk.size();
        bs->sent_max = std::max(bs->sent_max, l->sent);
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
    l->writing_since = link::now_ns();
    co_await l->ws.async_write(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    l->writing_since = 0;
    l->ws.binary(true);
    if (ec) break;
    l->touch();
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
  if (bs.current.get() != &l) return true;  // a link replaced by a resume: its acks mean nothing now
  if (n > l.sent) return false;
  if (n > bs.out_base) {
    bs.out.erase(0, n - bs.out_base);
    bs.out_base = n;
  }
  l.ack_due = bs.taken != l.told_in;
  return true;
}

// Client to session: the payload of binary frames, in order, into `in`;
// text frames are the binding's own acks, or, on a session that cannot
// resume, close code 1003.
//
// A resumable session never stops reading (acks must get through while
// the session's output waits for them): its client keeps within the window
// beyond the server's last "ack M", and one that goes past it is closed
// (1008). Another session reads no more while `in` holds a window's worth.
asio::awaitable<void> reader(std::shared_ptr<binding_registry> reg, std::shared_ptr<link> l) {
  auto& bs = l->bs;
  std::string buf(relay_chunk, '\0');
  std::string text;
  boost::system::error_code ec;
  bool clean = false, confirmed = false;
  for (;;) {
    auto n = co_await l->ws.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      clean = ec == websocket::error::closed;  // the client's close frame
      break;
    }
    l->touch();
    if (!confirmed) {
      // The client got the 101 of this connection: the token before it is
      // done with.
      confirmed = true;
      std::string prev;
      {
        std::lock_guard lock(bs->mu);
        if (bs->current == l) prev = std::move(bs->prev_hash);
        bs->prev_hash.clear();
      }
      if (!prev.empty()) {
        std::lock_guard lock(reg->mu);
        reg->by_token.erase(prev);
      }
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
    bool stale = false, over = false;
    for (;;) {
      {
        std::lock_guard lock(bs->mu);
        if (bs->current != l) {
          stale = true;
          break;
        }
        if (bs->in.size() + n <= bs->window || bs->in.empty()) {
          bs->in.append(buf, 0, n);
          bs->in_count += n;
          break;
        }
        if (bs->resumable) {
          over = true;
          break;
        }
      }
      l->reader_waiting = true;
      co_await wait(*l->wake);
      l->reader_waiting = false;
    }
    if (stale) break;
    if (over) {
      // RFC 6455 §7.4.1: 1008, a message that violates the endpoint's policy.
      end_input(bs);
      co_await close(*l, {websocket::close_code::policy_error, "over the window"});
      clean = true;
      break;
    }
    poke(bs->in_ready);
  }
  detach(*reg, l, clean);
}

// Pings the client when the connection has been quiet for the interval
// its user's path is learned to survive, just before a middlebox would
// forget it; nothing while traffic flows. A pong means the path survived
// that quiet period. A pong missing after https.pong_timeout, or a write
// stuck as long, means the connection is lost (the session parks, as on
// any loss).
asio::awaitable<void> keepalive(std::shared_ptr<binding_registry> reg, std::shared_ptr<link> l) {
  auto& bs = l->bs;
  link* raw = l.get();  // the callback belongs to the link's own stream
  l->ws.control_callback([raw](websocket::frame_type kind, beast::string_view) {
    raw->touch();
    if (kind == websocket::frame_type::pong) {
      raw->pong_seen = true;
      raw->ka->cancel();  // on the link's strand: called from its read
    }
  });
  auto pong_timeout = reg->cfg.https_pong_timeout;
  boost::system::error_code ec;
  for (;;) {
    std::string path;
    {
      std::lock_guard lock(bs->mu);
      if (bs->current != l) break;
      path = bs->path_key();
    }
    auto interval = reg->pings.interval(path);
    if (l->writing_since != 0) {
      // A write that does not complete is a connection gone as surely as
      // a missing pong (and a ping would only queue behind it).
      auto stuck = std::chrono::nanoseconds(link::now_ns() - l->writing_since);
      if (stuck >= interval + pong_timeout) {
        spdlog::info("event=binding_write_stuck binding={} remote={}", bs->id, l->remote);
        detach(*reg, l, false);
        break;
      }
      l->ka->expires_after(interval + pong_timeout - stuck);
      co_await l->ka->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (l->reader_waiting) l->touch();  // the reader holds back by choice: no pong could be read
    auto quiet = l->quiet();
    if (quiet < interval) {
      l->ka->expires_after(interval - quiet);
      co_await l->ka->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    l->pong_seen = false;
    co_await l->ws.async_ping({}, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    l->ka->expires_after(pong_timeout);
    co_await l->ka->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    {
      std::lock_guard lock(bs->mu);
      if (bs->current != l) break;
    }
    if (!l->pong_seen && !l->reader_waiting) {
      spdlog::info("event=binding_ping_unanswered binding={} remote={}", bs->id, l->remote);
      detach(*reg, l, false);
      break;
    }
    if (l->pong_seen) reg->pings.survived(path, quiet);
  }
  l->ws.control_callback();
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
  for (auto& f : boost::make_iterator_range(req.equal_range(bhttp::field::sec_websocket_protocol)))
    for (auto token : bhttp::token_list(f.value())) {
      any = true;
      if (std::string_view(token.data(), token.size()) == protocol) found = true;  // case-sensitive (§4.1)
    }
  return found;
}

// Takes over the session `resume` names, for the new link `l`, when the
// user and the octet count allow; the link then sends from that count.
// Returns the client octets the session has had (for Lemonade-Received).
std::optional<std::uint64_t> attach(binding_registry& reg, const resume_request& resume, std::string_view protocol,
                                    const std::shared_ptr<link>& l, const std::string& new_hash, bool& bad_password) {
  bad_password = false;
  std::shared_ptr<binding_session> bs;
  auto hash = token_hash(resume.token);
  {
    std::lock_guard lock(reg.mu);
    auto it = reg.by_token.find(hash);
    if (it == reg.by_token.end()) return std::nullopt;
    bs = it->second;
  }
  std::shared_ptr<link> old;
  std::uint64_t in_count;
  std::string stale_hash, path;
  {
    std::lock_guard lock(bs->mu);
    // The token of the last 101, or the one before while that 101 may
    // not have arrived; octets between what the client acknowledged and
    // what any connection sent.
    bool known = hash == bs->token_hash || hash == bs->prev_hash;
    if (!known || bs->poll || bs->finished || bs->in_closed || bs->protocol != protocol || bs->login.empty() ||
        bs->login != resume.login || resume.received < bs->out_base || resume.received > bs->sent_max)
      return std::nullopt;
    if (!credential_matches(*bs, resume.password)) {
      bad_password = true;
      return std::nullopt;
    }
    old = std::move(bs->current);
    path = bs->path_key();
    ++bs->generation;
    if (bs->parked) reg.unpark(bs->login);
    bs->parked = false;
    // What the client has, it has: no replay of it.
    bs->out.erase(0, resume.received - bs->out_base);
    bs->out_base = resume.received;
    l->bs = bs;
    l->sent = resume.received;
    l->told_in = bs->taken;
    in_count = bs->in_count;
    bs->current = l;
    bs->out_waiter = bs->in_waiter = l->wake;
    // A token serves once: the one used goes, unless it is the current
    // one, which stays good until this connection shows its 101 arrived.
    // (Resumed with that earlier token: the 101 that followed it never
    // arrived, so the token it carried goes and the earlier one stays.)
    if (hash == bs->token_hash) {
      stale_hash = std::move(bs->prev_hash);
      bs->prev_hash = hash;
    } else {
      stale_hash = std::move(bs->token_hash);
    }
    bs->token_hash = new_hash;
  }
  if (old) reg.pings.loss(path, old->quiet());  // the client saw it die first
  {
    std::lock_guard lock(reg.mu);
    if (!stale_hash.empty()) reg.by_token.erase(stale_hash);
    std::lock_guard inner(bs->mu);
    if (!bs->finished) reg.by_token[new_hash] = bs;
  }
  poke(bs->space);  // room, if the client had what `out` held
  asio::post(bs->s, [bs] { bs->grace->cancel(); });
  if (old) {
    // A connection the client gave up on, though it still looked alive.
    asio::post(old->ws.get_executor(), [old] {
      boost::system::error_code ec;
      beast::get_lowest_layer(old->ws).socket().close(ec);
      old->wake->cancel();
      old->ka->cancel();
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
  if (refused.empty() && !valid_device(client.device))
    refused = "Lemonade-Device must be up to 64 letters, digits, '.', '_' or '-'";
  auto l = std::make_shared<link>(ws_stream(std::move(tls)), nullptr, client.remote);
  std::string token, hash;
  std::optional<std::uint64_t> in_count;
  if (resumable) {
    token = core::hex_encode(auth::random_bytes(16));
    hash = token_hash(token);
  }
  if (refused.empty() && resume) {
    bool bad_password = false;
    in_count = attach(*reg, *resume, protocol, l, hash, bad_password);
    if (bad_password && client.wrong_password) client.wrong_password();
    if (!in_count) {
      // One answer for an unknown, finished or expired session, another
      // user's, and a count the session cannot resume from.
      refused = "No such session to resume";
      status = bhttp::status::not_found;
      spdlog::info("event=binding_resume_refused remote={} user=\"{}\" protocol={}", client.remote,
                   core::log_printable(resume->login.substr(0, 64)), protocol);
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
  std::string path;  // a resumed session's, for its keepalive
  if (resume) {
    std::lock_guard lock(l->bs->mu);
    path = l->bs->path_key();
  }
  beast::get_lowest_layer(ws).expires_never();  // the stream's own timeouts from here
  ws.set_option(websocket::stream_base::timeout{30s, websocket::stream_base::none(), false});
  auto& cfg = reg->cfg;
  ws.set_option(websocket::stream_base::decorator([protocol = std::string(protocol), offered, token, in_count,
                                                   grace = cfg.https_resume_grace.count(),
                                                   window = cfg.https_resume_window,
                                                   keepalive = reg->pings.interval(path)](
                                                      websocket::response_type& res) {
    res.set(bhttp::field::server, "lemonade");
    if (offered) res.set(bhttp::field::sec_websocket_protocol, protocol);
    if (!token.empty()) {
      res.set("Lemonade-Session", token);
      res.set("Lemonade-Grace", std::to_string(grace));
      res.set("Lemonade-Window", std::to_string(std::max<std::uint64_t>(window, relay_chunk)));
    }
    if (in_count) res.set("Lemonade-Received", std::to_string(*in_count));
    res.set("Lemonade-Keepalive", std::to_string(keepalive.count()));
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
    asio::co_spawn(ws.get_executor(), keepalive(reg, l), asio::detached);
    co_await writer(reg, l);
    co_return;
  }

  auto bs = std::make_shared<binding_session>(ioc, protocol, resumable, cfg.https_resume_window);
  bs->id = reg->next_id++;
  local::socket far(asio::make_strand(ioc));  // the protocol session's own
  asio::local::connect_pair(bs->near, far);
  watch_login(client, bs);
  net::stream session_side(std::move(far));
  if (!adopt(session_side, client)) {
    // RFC 6455 §7.4.1 (IANA registry): 1013, try again later.
    spdlog::warn("event=connection_refused protocol={} binding=websocket reason=max_connections", protocol);
    co_await close(*l, {websocket::close_code::try_again_later, "Too many connections; try again later"});
    co_return;
  }
  l->bs = bs;
  {
    std::lock_guard lock(bs->mu);
    bs->device = client.device;
    bs->current = l;
    bs->out_waiter = bs->in_waiter = l->wake;
    if (resumable) bs->token_hash = hash;
  }
  if (resumable) {
    std::lock_guard lock(reg->mu);
    reg->by_token[hash] = bs;
  }
  spdlog::info("event=websocket remote={} protocol={} binding={} resumable={}", client.remote, protocol, bs->id,
               resumable);
  asio::co_spawn(bs->s, from_session(reg, bs), asio::detached);
  asio::co_spawn(bs->s, to_session(bs), asio::detached);
  asio::co_spawn(ws.get_executor(), reader(reg, l), asio::detached);
  asio::co_spawn(ws.get_executor(), keepalive(reg, l), asio::detached);
  co_await writer(reg, l);
}

}  // namespace lemonade::http
