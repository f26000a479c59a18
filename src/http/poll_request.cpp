#include "http/poll_request.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

namespace lemonade::http {

namespace {

namespace bhttp = boost::beast::http;
using request = bhttp::request<bhttp::string_body>;

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t n = 0;
  auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || err != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

bool is_token(std::string_view s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

std::variant<poll_request, std::string> parse_poll(const request& req) {
  std::string_view session = req["Lemonade-Session"];
  auto method = req.method();
  if (method != bhttp::verb::post && method != bhttp::verb::get && method != bhttp::verb::delete_)
    return std::string("Use POST, GET or DELETE here");
  if (method == bhttp::verb::post && session == "new") return poll_request{poll_op::open{}};
  if (session.empty()) return std::string("Lemonade-Session is missing");
  if (!is_token(session)) return std::string("Lemonade-Session must be \"new\" or a session's token");
  std::string token(session);
  if (method == bhttp::verb::post) {
    auto offset = number(req["Lemonade-Offset"]);
    if (!offset) return std::string("Lemonade-Offset must be the number of the body's first octet");
    return poll_request{poll_op::send{std::move(token), *offset}};
  }
  if (method == bhttp::verb::get) {
    auto received = number(req["Lemonade-Received"]);
    if (!received) return std::string("Lemonade-Received must be the octets received");
    return poll_request{poll_op::receive{std::move(token), *received}};
  }
  return poll_request{poll_op::close{std::move(token)}};
}

}  // namespace lemonade::http
