#include "http/binding.hpp"

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

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
using namespace std::chrono_literals;

constexpr std::size_t relay_chunk = 16 * 1024;

// One WebSocket and the socket-pair end its session reads and writes.
struct link {
  ws_stream ws;
  local::socket near;
  std::uint64_t up = 0, down = 0;  // octets relayed each way, for the log
  bool closing = false;
};

// Sends a close frame and waits (briefly) for the client's. Beast then
// ends TLS with close_notify and waits for the client's: a client that
// keeps its TCP connection open after the close handshake (RFC 6455 §7.1.1
// says the server closes first) must not hold it for long.
asio::awaitable<void> close(link& l, websocket::close_reason why) {
  l.ws.set_option(websocket::stream_base::timeout{5s, websocket::stream_base::none(), false});
  boost::system::error_code ec;
  co_await l.ws.async_close(why, asio::redirect_error(asio::use_awaitable, ec));
}

// Client to session: the payload of every binary frame, in order. Ends at
// the client's close (or a text frame, close code 1003), and then shuts
// the pair's sending side so the session reads end of input and ends.
asio::awaitable<void> upward(std::shared_ptr<link> l) {
  std::string buf(relay_chunk, '\0');
  boost::system::error_code ec;
  for (;;) {
    auto n = co_await l->ws.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    if (l->ws.got_text()) {
      // RFC 6455 §7.4.1: 1003, a type of data the endpoint cannot accept.
      // The session ends first: the close handshake may take its time.
      l->near.shutdown(local::socket::shutdown_send, ec);
      if (!l->closing) {
        l->closing = true;
        co_await close(*l, {websocket::close_code::unknown_data, "binary frames only"});
      }
      break;
    }
    l->up += n;
    co_await asio::async_write(l->near, asio::buffer(buf.data(), n), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  l->near.shutdown(local::socket::shutdown_send, ec);
}

// Session to client: whatever it writes, one binary message per read. Holds
// no buffer while the session is quiet. Ends when the session closes its
// end; then closes the WebSocket (1000), or just the TCP connection when
// the client is gone.
asio::awaitable<void> downward(std::shared_ptr<link> l) {
  boost::system::error_code ec;
  for (;;) {
    co_await l->near.async_wait(local::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    std::string buf(relay_chunk, '\0');
    auto n = co_await l->near.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    l->down += n;
    co_await l->ws.async_write(asio::buffer(buf.data(), n), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  if (!l->closing && l->ws.is_open()) {
    l->closing = true;
    co_await close(*l, websocket::close_code::normal);
  }
  beast::get_lowest_layer(l->ws).close();
  l->near.close(ec);
}

bhttp::response<bhttp::string_body> refusal(const bhttp::request<bhttp::string_body>& req, bhttp::status st,
                                            const std::string& text) {
  bhttp::response<bhttp::string_body> res{st, req.version()};
  res.set(bhttp::field::server, "lemonade");
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
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

}  // namespace

asio::awaitable<void> serve_websocket(asio::io_context& ioc, beast::ssl_stream<beast::tcp_stream> tls,
                                      bhttp::request<bhttp::string_body> req, std::string_view protocol,
                                      const adopt_session& adopt, client_facts client) {
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
  if (!refused.empty()) {
    auto res = refusal(req, status, refused);
    if (status == bhttp::status::upgrade_required) {
      res.set(bhttp::field::upgrade, "websocket");
      res.set(bhttp::field::connection, "Upgrade");
    }
    beast::get_lowest_layer(tls).expires_after(30s);
    co_await bhttp::async_write(tls, res, asio::redirect_error(asio::use_awaitable, ec));
    spdlog::info("event=websocket_refused remote={} path=\"{}\" reason=\"{}\"", client.remote,
                 std::string(req.target().substr(0, 64)), refused);
    co_return;
  }

  auto strand = asio::make_strand(ioc);  // the session's own
  auto ex = beast::get_lowest_layer(tls).get_executor();
  auto l = std::make_shared<link>(link{ws_stream(std::move(tls)), local::socket(ex), 0, 0, false});
  local::socket far(strand);
  asio::local::connect_pair(l->near, far);

  auto& ws = l->ws;
  beast::get_lowest_layer(ws).expires_never();  // the stream's own timeouts from here
  ws.set_option(websocket::stream_base::timeout{30s, websocket::stream_base::none(), false});
  ws.set_option(websocket::stream_base::decorator([protocol = std::string(protocol), offered](websocket::response_type& res) {
    res.set(bhttp::field::server, "lemonade");
    if (offered) res.set(bhttp::field::sec_websocket_protocol, protocol);
  }));
  ws.binary(true);
  // The relay reads frames piecemeal (read_some): the session's own limits
  // (line length, literal sizes) bound what a client may send.
  ws.read_message_max(0);
  co_await ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    spdlog::info("event=websocket_failed remote={} error=\"{}\"", client.remote, ec.message());
    co_return;
  }
  net::stream session_side(std::move(far));
  if (!adopt(session_side, client)) {
    // RFC 6455 §7.4.1 (IANA registry): 1013, try again later.
    spdlog::warn("event=connection_refused protocol={} binding=websocket reason=max_connections", protocol);
    co_await close(*l, {websocket::close_code::try_again_later, "Too many connections; try again later"});
    co_return;
  }
  spdlog::info("event=websocket remote={} protocol={}", client.remote, protocol);
  asio::co_spawn(ws.get_executor(), upward(l), asio::detached);
  co_await downward(l);
  spdlog::debug("event=websocket_closed remote={} protocol={} octets_in={} octets_out={}", client.remote, protocol,
                l->up, l->down);
}

}  // namespace lemonade::http
