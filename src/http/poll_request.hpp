#pragma once
// The long-poll binding's requests (docs/http-binding.md, "Long polling"),
// read from their method and headers: no Asio, so the fuzz target
// (tests/fuzz/http_binding) runs it alone behind Beast's parser.

#include <cstdint>
#include <string>
#include <variant>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace lemonade::http {

// One request of the binding, as its method and headers say.
namespace poll_op {
struct open {};  // POST, Lemonade-Session: new
struct send {    // POST, Lemonade-Session: TOKEN, Lemonade-Offset: S
  std::string token;
  std::uint64_t offset = 0;
};
struct receive {  // GET, Lemonade-Session: TOKEN, Lemonade-Received: N
  std::string token;
  std::uint64_t received = 0;
};
struct close {  // DELETE, Lemonade-Session: TOKEN
  std::string token;
};
}  // namespace poll_op
using poll_request = std::variant<poll_op::open, poll_op::send, poll_op::receive, poll_op::close>;

// The operation `req` asks for, or why it is not one (a 400's text).
std::variant<poll_request, std::string> parse_poll(const boost::beast::http::request<boost::beast::http::string_body>& req);

}  // namespace lemonade::http
