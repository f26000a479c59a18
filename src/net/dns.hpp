#pragma once
// DNS lookups for mail routing (RFC 5321 §5.1): MX records and the
// addresses of the hosts they name, through c-ares (Debian's libc-ares),
// not a resolver of our own. Blocking calls with a deadline, for the queue
// runner's threads; each call uses a channel of its own, so calls on
// several threads do not meet.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace lemonade::net {

struct dns_options {
  // "ip" or "ip:port" ("[::1]:53" for IPv6); empty: /etc/resolv.conf.
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{5000};  // per try
  int tries = 2;
};

struct dns_answer {
  enum class status {
    ok,
    no_data,    // the name exists, but not with that record type
    no_domain,  // NXDOMAIN: the name does not exist
    failed,     // SERVFAIL, a timeout, a refusal: worth another try later
  } result = status::failed;
  std::string error;  // the resolver's words, for logs and replies
};

struct mx_record {
  std::uint16_t preference = 0;
  std::string host;  // "" for the null MX "." (RFC 7505)
};

struct mx_answer : dns_answer {
  std::vector<mx_record> records;  // as the server sent them
};

struct address_answer : dns_answer {
  std::vector<std::string> addresses;  // "192.0.2.1", "2001:db8::1"
};

class dns_resolver {
 public:
  // Throws std::runtime_error for a server list (options.servers) c-ares
  // cannot use.
  explicit dns_resolver(dns_options options);

  mx_answer mx(const std::string& domain) const;
  // A and AAAA records (and /etc/hosts, as the system's resolver would).
  address_answer addresses(const std::string& host) const;

 private:
  dns_options options_;
};

}  // namespace lemonade::net
