#include "net/dns.hpp"

#include <arpa/nameser.h>
#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <memory>
#include <mutex>
#include <stdexcept>

namespace lemonade::net {
namespace {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) throw std::runtime_error("c-ares: cannot initialise");
  });
}

struct channel_free {
  void operator()(ares_channeldata* c) const { ares_destroy(c); }
};
using channel_ptr = std::unique_ptr<ares_channeldata, channel_free>;

channel_ptr open_channel(const dns_options& o) {
  init_library();
  ares_options opts{};
  opts.timeout = static_cast<int>(o.timeout.count());
  opts.tries = o.tries;
  ares_channel ch = nullptr;
  int r = ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (r != ARES_SUCCESS) throw std::runtime_error(std::string("c-ares: ") + ares_strerror(r));
  channel_ptr c(ch);
  if (!o.servers.empty()) {
    std::string csv;
    for (auto& s : o.servers) csv += (csv.empty() ? "" : ",") + s;
    r = ares_set_servers_ports_csv(ch, csv.c_str());
    if (r != ARES_SUCCESS) throw std::runtime_error("c-ares: bad DNS server list \"" + csv + "\": " + ares_strerror(r));
  }
  return c;
}

// Runs the channel's queries until `done` (set by their callbacks) or
// until nothing is pending; c-ares keeps each try under its timeout.
void run(ares_channel ch, const bool& done) {
  while (!done) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM];
    int n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short ev = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) ev |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) ev |= POLLOUT;
      if (!ev) continue;
      fds[n++] = pollfd{socks[i], ev, 0};
    }
    timeval tv{};
    timeval* left = ares_timeout(ch, nullptr, &tv);
    if (n == 0 && left == nullptr) return;  // nothing pending
    int ms = left ? static_cast<int>(left->tv_sec * 1000 + left->tv_usec / 1000) : 1000;
    int ready = ::poll(fds, static_cast<nfds_t>(n), ms);
    if (ready <= 0) {
      ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
      continue;
    }
    for (int i = 0; i < n; ++i) {
      auto r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
      auto w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
      if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD) ares_process_fd(ch, r, w);
    }
  }
}

// RFC 1035 §4.1.1 RCODEs as c-ares reports them.
void set_status(dns_answer& a, int status) {
  switch (status) {
    case ARES_SUCCESS:
      a.result = dns_answer::status::ok;
      return;
    case ARES_ENODATA:
      a.result = dns_answer::status::no_data;
      break;
    case ARES_ENOTFOUND:
      a.result = dns_answer::status::no_domain;
      break;
    default:
      a.result = dns_answer::status::failed;
      break;
  }
  a.error = ares_strerror(status);
}

}  // namespace

dns_resolver::dns_resolver(dns_options options) : options_(std::move(options)) {
  // A bad server list fails here, at start-up; the system's resolver
  // settings are read at each lookup (a missing /etc/resolv.conf shows as
  // a failed lookup, 4.4.3, not as a server that will not start).
  if (!options_.servers.empty()) open_channel(options_);
}

mx_answer dns_resolver::mx(const std::string& domain) const {
  struct state {
    mx_answer answer;
    bool done = false;
  } st;
  auto ch = open_channel(options_);
  ares_query(
      ch.get(), domain.c_str(), ns_c_in, ns_t_mx,
      [](void* arg, int status, int, unsigned char* abuf, int alen) {
        auto& s = *static_cast<state*>(arg);
        s.done = true;
        if (status != ARES_SUCCESS) {
          set_status(s.answer, status);
          return;
        }
        ares_mx_reply* list = nullptr;
        int r = ares_parse_mx_reply(abuf, alen, &list);
        if (r != ARES_SUCCESS) {
          set_status(s.answer, r);
          return;
        }
        for (auto* m = list; m; m = m->next) {
          std::string host = m->host ? m->host : "";
          if (host == ".") host.clear();
          s.answer.records.push_back({m->priority, host});
        }
        ares_free_data(list);
        s.answer.result = s.answer.records.empty() ? dns_answer::status::no_data : dns_answer::status::ok;
      },
      &st);
  run(ch.get(), st.done);
  if (!st.done) st.answer.error = "no answer";
  return st.answer;
}

address_answer dns_resolver::addresses(const std::string& host) const {
  struct state {
    address_answer answer;
    bool done = false;
  } st;
  auto ch = open_channel(options_);
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ares_getaddrinfo(
      ch.get(), host.c_str(), nullptr, &hints,
      [](void* arg, int status, int, ares_addrinfo* res) {
        auto& s = *static_cast<state*>(arg);
        s.done = true;
        if (status != ARES_SUCCESS) {
          set_status(s.answer, status);
          if (res) ares_freeaddrinfo(res);
          return;
        }
        for (auto* n = res ? res->nodes : nullptr; n; n = n->ai_next) {
          char text[INET6_ADDRSTRLEN] = {};
          if (n->ai_family == AF_INET) {
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, text, sizeof text);
          } else if (n->ai_family == AF_INET6) {
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr, text, sizeof text);
          } else {
            continue;
          }
          bool seen = false;
          for (auto& a : s.answer.addresses) seen = seen || a == text;
          if (!seen) s.answer.addresses.emplace_back(text);
        }
        if (res) ares_freeaddrinfo(res);
        s.answer.result = s.answer.addresses.empty() ? dns_answer::status::no_data : dns_answer::status::ok;
      },
      &st);
  run(ch.get(), st.done);
  if (!st.done) st.answer.error = "no answer";
  return st.answer;
}

}  // namespace lemonade::net
