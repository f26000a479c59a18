#include "net/endpoint.hpp"

#include "core/strings.hpp"

namespace lemonade::net {

std::optional<host_port> parse_host_port(const std::string& s) {
  host_port hp;
  std::string port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    hp.host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || s.find(':') != colon) return std::nullopt;
    hp.host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  auto p = core::parse_uint(port, 65535);
  if (!p || hp.host.empty()) return std::nullopt;
  hp.port = static_cast<std::uint16_t>(*p);
  return hp;
}

}  // namespace lemonade::net
