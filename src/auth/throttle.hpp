#pragma once
// Failed-login slowdown and lockout per client address.
//
// Used by every protocol that checks passwords (IMAP LOGIN/AUTHENTICATE,
// SMTP AUTH, ManageSieve). The session asks locked_out() before verifying
// credentials; after a failure it waits record_failure()'s delay before
// answering NO, and after a success calls record_success().
//
// Rules, per address:
//  - Failures are counted in a fixed window that opens at the first failure
//    and lasts policy.window; a failure after the window starts a new count.
//  - The n-th failure in the window asks for a delay of
//    base_delay * 2^(n-1), capped at 16 * base_delay.
//  - The max_failures-th failure starts a lockout of policy.lockout.
//    Failures recorded during a lockout still get the capped delay but do
//    not extend it. When the lockout ends the address starts afresh.
//    max_failures == 0 disables lockouts (delays still apply).
//  - A success forgets the address.
//
// The address is an opaque key chosen by the caller. For IPv6 the caller
// should pass the /64 prefix, not the full address, or one client can
// rotate through addresses for free.
//
// Memory is bounded: at most policy.max_tracked addresses are kept. To make
// room, expired entries are dropped first, then the least recently failed
// address, even if it is locked out. An attacker controlling more than
// max_tracked addresses can thus flush a lockout; the delays still apply to
// each of its connections.
//
// Thread-safe: all members may be called concurrently (one std::mutex). The
// clock function is called with that mutex held.

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lemonade::auth {

class login_throttle {
 public:
  struct policy {
    std::chrono::milliseconds base_delay{500};
    unsigned max_failures = 10;
    std::chrono::seconds window{600};
    std::chrono::seconds lockout{300};
    std::size_t max_tracked = 100000;
  };
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  // Throws std::invalid_argument when p.max_tracked is 0, any duration is
  // negative, or now is empty.
  explicit login_throttle(policy p, clock_fn now = std::chrono::steady_clock::now);

  login_throttle(const login_throttle&) = delete;
  login_throttle& operator=(const login_throttle&) = delete;

  // Remaining lockout for address, rounded up to whole seconds (at least
  // 1s), or nullopt when it may try to log in.
  std::optional<std::chrono::seconds> locked_out(std::string_view address);

  // Records a failed login from address and returns how long to wait before
  // answering it (see the rules above). May start a lockout.
  std::chrono::milliseconds record_failure(std::string_view address);

  // Records a successful login: forgets address's failures.
  void record_success(std::string_view address);

  // Number of addresses currently tracked (never above policy.max_tracked).
  std::size_t tracked() const;

 private:
  using time_point = std::chrono::steady_clock::time_point;
  struct entry {
    std::string address;
    unsigned failures = 0;
    time_point window_start{};
    bool lockout_started = false;
    time_point locked_until{};
  };
  // Least recently failed first. std::list nodes never move, so index_ keys
  // can view the address strings stored in them.
  using lru_list = std::list<entry>;

  static bool is_locked(const entry& e, time_point now) {
    return e.lockout_started && now < e.locked_until;
  }
  bool is_expired(const entry& e, time_point now) const;
  void erase(lru_list::iterator it);
  lru_list::iterator find_live(std::string_view address, time_point now);
  lru_list::iterator insert(std::string_view address, time_point now);
  std::chrono::milliseconds delay_for(unsigned failures) const;

  const policy policy_;
  const clock_fn now_;
  mutable std::mutex mutex_;
  lru_list lru_;
  std::unordered_map<std::string_view, lru_list::iterator> index_;
};

}  // namespace lemonade::auth
