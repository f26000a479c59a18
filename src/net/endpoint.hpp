#pragma once
// "host:port" / "[v6]:port" listener addresses from the config.

#include <cstdint>
#include <optional>
#include <string>

namespace lemonade::net {

struct host_port {
  std::string host;  // literal IP address
  std::uint16_t port = 0;
};

// nullopt when malformed (missing port, port out of range, bad brackets).
std::optional<host_port> parse_host_port(const std::string& s);

}  // namespace lemonade::net
