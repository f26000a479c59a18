#pragma once
// Mail for other servers, as the queue runner hands it over: through the
// configured smarthost, or, without one, to each recipient domain's mail
// exchangers found in the DNS (RFC 5321 §5.1), with opportunistic
// STARTTLS (RFC 3207). Blocking; called on the runner's threads.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "delivery/agent.hpp"
#include "net/dns.hpp"
#include "smtp/client.hpp"

namespace lemonade::smtp {

struct outbound_options {
  // Set: everything goes there (relay.smarthost).
  std::optional<relay_target> smarthost;
  // Otherwise MX delivery with these settings.
  net::dns_options dns;
  std::uint16_t mx_port = 25;
  std::string helo = "localhost";
  std::shared_ptr<asio::ssl::context> tls_context;  // for STARTTLS with MX hosts
  // RFC 5321 §5.1 leaves the limit to the client: addresses tried per
  // domain and attempt (as Postfix's smtp_mx_address_limit).
  std::size_t max_addresses = 5;
  std::chrono::seconds connect_timeout{30};
};

class outbound {
 public:
  explicit outbound(outbound_options options);

  delivery::agent_options::relay_outcome send(const store::queued_message& m,
                                              const std::vector<store::queued_recipient>& recipients,
                                              const std::string& content) const;

  // Ends the attempts in progress (at shutdown): their recipients get a
  // 451 and stay queued; later calls fail at once the same way.
  void shutdown();

  // RFC 5321 §5.1: the hosts to try for domain, best first (MX records by
  // preference, equal ones in random order; the domain itself when it has
  // no MX; an address literal as it is). Empty with *reply set when the
  // domain cannot take mail (null MX, RFC 7505; no such domain) or the
  // lookup failed.
  std::vector<std::string> exchangers(const std::string& domain, std::string& reply) const;

 private:
  relay_result send_one(const relay_target& target, const relay_envelope& env, const std::string& content) const;
  relay_result to_domain(const std::string& domain, const relay_envelope& env, const std::string& content) const;

  bool stopping() const;

  outbound_options options_;
  net::dns_resolver dns_;
  mutable std::mutex mu_;
  mutable std::set<asio::io_context*> live_;
  bool stopping_ = false;
};

}  // namespace lemonade::smtp
