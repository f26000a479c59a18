// Fuzz target: the framing of the long-poll binding (docs/http-binding.md,
// "Long polling"). Octets go through Beast's request parser with the HTTPS
// listener's limits (8 KB of header; a window of body for a long-poll
// POST, 16 KB for any other request), as they arrive in pieces; each whole request is read by parse_poll, which must answer with
// an operation or a reason, never crash. An operation's token is 32 hex
// digits, as the registry expects; a POST's body stays within the window.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/poll_request.hpp"

namespace {

namespace bhttp = boost::beast::http;
constexpr std::size_t window = 64 * 1024;
constexpr std::size_t max_request = 16 * 1024;  // https.max_request_size

void check_token(const std::string& t) {
  if (t.size() != 32) std::abort();
  for (char c : t)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // The first octet picks the size of the pieces the input arrives in.
  std::size_t piece = size > 0 ? 1 + static_cast<unsigned char>(in[0]) % 64 : 1;
  if (!in.empty()) in.remove_prefix(1);
  std::string pending;  // arrived, not yet parsed: the start of the next request
  for (int requests = 0; requests < 16; ++requests) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(8192);
    // As the listener reads: the larger limit until the header is in,
    // then the path's (a long-poll POST's window, else max_request).
    parser.body_limit(window);
    parser.eager(false);
    boost::system::error_code ec;
    bool starved = pending.empty(), limited = false;
    std::size_t limit = window;
    while (!parser.is_done()) {
      if (parser.is_header_done() && !limited) {
        limited = true;
        auto& head = parser.get();
        std::string_view target(head.target().data(), head.target().size());
        target = target.substr(0, target.find('?'));
        bool poll_post = head.method() == bhttp::verb::post && (target == "/imap" || target == "/submission");
        limit = poll_post ? window : max_request;
        parser.body_limit(limit);
        if (auto length = parser.content_length(); length && *length > limit) return 0;  // 413
        parser.eager(true);
      }
      if (starved) {
        if (in.empty()) return 0;
        auto n = std::min(piece, in.size());
        pending.append(in.substr(0, n));
        in.remove_prefix(n);
      }
      auto used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        starved = true;
        continue;
      }
      if (ec) return 0;  // the listener answers 400 or 413 and closes
      starved = pending.empty() || used == 0;
    }
    auto req = parser.release();
    if (req.body().size() > limit) std::abort();
    auto op = lemonade::http::parse_poll(req);
    if (auto* bad = std::get_if<std::string>(&op)) {
      if (bad->empty()) std::abort();
    } else {
      std::visit(
          [](auto& o) {
            if constexpr (requires { o.token; }) check_token(o.token);
          },
          std::get<lemonade::http::poll_request>(op));
    }
  }
  return 0;
}
