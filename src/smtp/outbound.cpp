#include "smtp/outbound.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "core/strings.hpp"

namespace lemonade::smtp {
namespace {

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? "" : core::to_lower(std::string_view(address).substr(at + 1));
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool decided(const relay_result& r) {
  return std::any_of(r.replies.begin(), r.replies.end(),
                     [](const std::string& x) { return x.starts_with("2") || x.starts_with("5"); });
}

}  // namespace

outbound::outbound(outbound_options options) : options_(std::move(options)), dns_(options_.dns) {}

void outbound::shutdown() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (auto* loop : live_) loop->stop();
}

bool outbound::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

relay_result outbound::send_one(const relay_target& target, const relay_envelope& env,
                                const std::string& content) const {
  // The runner's thread waits for each relay, on an event loop of its own.
  asio::io_context loop;
  relay_result result;
  bool done = false;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) live_.insert(&loop);
  }
  if (!stopping()) {
    asio::co_spawn(
        loop,
        [&]() -> asio::awaitable<void> {
          result = co_await relay_message(loop.get_executor(), target, env, content);
          done = true;
        },
        asio::detached);
    loop.run();
  }
  {
    std::lock_guard lock(mu_);
    live_.erase(&loop);
  }
  if (!done) {
    // Stopped by shutdown(), maybe after DATA went out: SMTP's
    // at-least-once (RFC 5321 §6.1) allows sending it again later.
    result = relay_result{};
    result.replies.assign(env.recipients.size(), "451 4.3.2 delivery interrupted by shutdown; will try again");
  }
  return result;
}

std::vector<std::string> outbound::exchangers(const std::string& domain, std::string& reply) const {
  // RFC 5321 §4.1.3, §5.1: an address literal names the host itself.
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    auto inner = domain.substr(1, domain.size() - 2);
    if (core::iequals(std::string_view(inner).substr(0, 5), "ipv6:")) inner = inner.substr(5);
    if (is_ip(inner)) return {inner};
    reply = "550 5.1.2 bad address literal " + domain;
    return {};
  }
  auto mx = dns_.mx(domain);
  switch (mx.result) {
    case net::dns_answer::status::failed:
      reply = "451 4.4.3 DNS lookup of the MX of " + domain + " failed: " + mx.error;
      return {};
    case net::dns_answer::status::no_domain:
      reply = "550 5.1.2 the domain " + domain + " does not exist";
      return {};
    case net::dns_answer::status::no_data:
      // RFC 5321 §5.1: no MX records: the domain is its own exchanger.
      return {domain};
    case net::dns_answer::status::ok:
      break;
  }
  std::vector<net::mx_record> records;
  for (auto& r : mx.records)
    if (!r.host.empty()) records.push_back(r);
  if (records.empty()) {
    // RFC 7505 §3, §4.1: a null MX: the domain takes no mail.
    reply = "556 5.1.10 " + domain + " accepts no mail (null MX)";
    return {};
  }
  // RFC 5321 §5.1: by preference; equal ones in random order, to spread
  // the load.
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::shuffle(records.begin(), records.end(), rng);
  std::stable_sort(records.begin(), records.end(),
                   [](const net::mx_record& a, const net::mx_record& b) { return a.preference < b.preference; });
  std::vector<std::string> hosts;
  for (auto& r : records) hosts.push_back(r.host);
  return hosts;
}

relay_result outbound::to_domain(const std::string& domain, const relay_envelope& env,
                                 const std::string& content) const {
  relay_result result;
  std::string reply;
  auto hosts = exchangers(domain, reply);
  std::size_t tried = 0;
  bool transient = false;  // a lookup or a host failed in a way that may pass
  std::string last;
  for (auto& host : hosts) {
    std::vector<std::string> addresses;
    if (is_ip(host)) {
      addresses.push_back(host);
    } else {
      auto a = dns_.addresses(host);
      if (a.result != net::dns_answer::status::ok) {
        transient = transient || a.result == net::dns_answer::status::failed;
        last = "451 4.4.3 no address for " + host + ": " + a.error;
        continue;
      }
      addresses = std::move(a.addresses);
    }
    for (auto& address : addresses) {
      if (tried >= options_.max_addresses || stopping()) break;
      ++tried;
      relay_target t;
      t.host = address;
      t.server_name = host;
      t.port = options_.mx_port;
      // RFC 3207 §4: STARTTLS where offered; a server without it still
      // gets the mail (there is no way to know it should have had it).
      t.tls = relay_target::tls_mode::try_starttls;
      t.tls_context = options_.tls_context;
      t.helo = options_.helo;
      t.connect_timeout = options_.connect_timeout;
      result = send_one(t, env, content);
      spdlog::info("event=mx_attempt domain={} host={} address={} tls={} result=\"{}\"", domain, host, address,
                   result.tls, result.replies.empty() ? "" : result.replies.front());
      // A 2xx or 5xx for anyone: that host decided. All 4xx (it could not
      // be reached, or put us off): the next one may do better.
      if (decided(result)) return result;
      transient = true;
      last = result.replies.empty() ? "" : result.replies.front();
    }
    if (tried >= options_.max_addresses) break;
  }
  if (reply.empty() && stopping()) reply = "451 4.3.2 delivery interrupted by shutdown; will try again";
  if (reply.empty()) {
    if (!transient && tried == 0) {
      // Every exchanger's name answered "no such host" or "no address".
      reply = hosts.size() == 1 && hosts.front() == domain
                  ? "550 5.1.2 " + domain + " has no mail exchanger and no address"
                  : "550 5.4.4 no mail exchanger of " + domain + " has an address";
    } else {
      reply = last.empty() ? "451 4.4.1 no mail exchanger of " + domain + " answered" : last;
    }
  }
  result.replies.assign(env.recipients.size(), reply);
  result.dsn_passed = false;
  return result;
}

delivery::agent_options::relay_outcome outbound::send(const store::queued_message& m,
                                                      const std::vector<store::queued_recipient>& recipients,
                                                      const std::string& content) const {
  delivery::agent_options::relay_outcome out;
  out.replies.resize(recipients.size());
  out.dsn_passed.resize(recipients.size(), false);
  // One envelope per next hop: the smarthost takes all; otherwise one per
  // recipient domain (RFC 5321 §5.1 routes by domain).
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < recipients.size(); ++i)
    groups[options_.smarthost ? std::string() : domain_of(recipients[i].address)].push_back(i);
  for (auto& [domain, which] : groups) {
    relay_envelope env{m.sender, m.envid, m.ret, {}, m.body, m.smtputf8};
    for (auto i : which) env.recipients.push_back({recipients[i].address, recipients[i].notify, recipients[i].orcpt});
    auto r = options_.smarthost ? send_one(*options_.smarthost, env, content) : to_domain(domain, env, content);
    for (std::size_t k = 0; k < which.size(); ++k) {
      out.replies[which[k]] = k < r.replies.size() ? r.replies[k] : "451 4.4.0 no reply";
      out.dsn_passed[which[k]] = r.dsn_passed;
    }
  }
  return out;
}

}  // namespace lemonade::smtp
