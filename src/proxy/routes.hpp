#pragma once
// Which backend a user of `lemonade proxy` goes to (issue 17, docs/proxy.md
// "Routing and failover"). A route is one or more backends, tried in turn:
// the next one when one cannot be reached or fails before the proxy sends
// it LOGIN (after that, no other backend hears the password; a NO is the
// user's answer, and ends there). proxy.backend is the
// default route; proxy.routes names a file of routes per user or domain:
//
//   # user or @domain, then the backends, comma-separated
//   alice@example.org   imaps://mail1.example.org:993,imaps://mail2.example.org:993
//   @example.net        imaps://mail3.example.net:993
//
// A user's own line wins over its domain's, which wins over the default.
// Names compare case-insensitively. The file is read again when it
// changes (its time or size; checked at each login): a new route takes
// effect at the next login, without a restart; a file with an error keeps
// the routes read before, with an error in the log. Replace the file by
// rename(): a file cut short while being written reads as a shorter list.

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemonade::proxy {

// imap://host:port (plain) or imaps://host:port (TLS, the certificate
// checked against proxy.backend_ca, or the system's CAs).
struct backend {
  std::string host;
  std::uint16_t port = 143;
  bool tls = false;
  std::string text() const { return host + ":" + std::to_string(port); }
};
using route = std::vector<backend>;

// nullopt for anything else.
std::optional<backend> parse_backend(const std::string& url);
// "url[,url...]": each a backend; throws std::invalid_argument naming the
// bad one. imap:// only to a loopback host: it carries the users'
// passwords in the clear.
route parse_route(std::string_view urls);

class router {
 public:
  // Throws std::invalid_argument (with the file and line) when `file`
  // (when not empty) does not read.
  router(route fallback, std::filesystem::path file);
  // The user's route, reading the file again first if it changed.
  route lookup(std::string_view user);
  // Every backend some route names (for the TLS set-up and the log).
  std::vector<backend> all();

 private:
  void load();  // throws std::invalid_argument
  std::mutex mu_;
  route fallback_;
  std::filesystem::path file_;
  void remember(std::filesystem::file_time_type stamp);
  std::filesystem::file_time_type loaded_{};
  std::uintmax_t loaded_size_ = 0;
  bool missing_ = false;  // the file could not be looked at (said once)
  std::map<std::string, route> users_;    // lower case
  std::map<std::string, route> domains_;  // lower case, without '@'
};

}  // namespace lemonade::proxy
