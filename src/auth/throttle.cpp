// Failed-login slowdown and lockout. See throttle.hpp for the rules.

#include "auth/throttle.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <utility>

namespace lemonade::auth {

namespace {
// The delay doubles up to this many times: 16 * base_delay at most.
constexpr unsigned max_doublings = 4;
}  // namespace

login_throttle::login_throttle(policy p, clock_fn now) : policy_(p), now_(std::move(now)) {
  if (policy_.max_tracked == 0) throw std::invalid_argument("login_throttle: max_tracked is 0");
  if (policy_.base_delay.count() < 0 || policy_.window.count() < 0 ||
      policy_.lockout.count() < 0)
    throw std::invalid_argument("login_throttle: negative duration");
  if (!now_) throw std::invalid_argument("login_throttle: no clock");
}

bool login_throttle::is_expired(const entry& e, time_point now) const {
  if (is_locked(e, now)) return false;
  // A finished lockout, or a window with no lockout that has run out.
  return e.lockout_started || now - e.window_start >= policy_.window;
}

void login_throttle::erase(lru_list::iterator it) {
  index_.erase(it->address);
  lru_.erase(it);
}

login_throttle::lru_list::iterator login_throttle::find_live(std::string_view address,
                                                             time_point now) {
  auto found = index_.find(address);
  if (found == index_.end()) return lru_.end();
  if (is_expired(*found->second, now)) {
    erase(found->second);
    return lru_.end();
  }
  return found->second;
}

login_throttle::lru_list::iterator login_throttle::insert(std::string_view address,
                                                          time_point now) {
  // Expired entries tend to sit at the front (least recently failed): drop
  // those before evicting anything live.
  while (!lru_.empty() && is_expired(lru_.front(), now)) erase(lru_.begin());
  if (lru_.size() >= policy_.max_tracked) erase(lru_.begin());
  lru_.push_back(entry{std::string(address), 0, now, false, {}});
  auto it = std::prev(lru_.end());
  index_.emplace(it->address, it);
  return it;
}

std::chrono::milliseconds login_throttle::delay_for(unsigned failures) const {
  unsigned doublings = std::min(failures - 1, max_doublings);
  return policy_.base_delay * (1u << doublings);
}

std::optional<std::chrono::seconds> login_throttle::locked_out(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto now = now_();
  auto it = find_live(address, now);
  if (it == lru_.end() || !is_locked(*it, now)) return std::nullopt;
  return std::max(std::chrono::ceil<std::chrono::seconds>(it->locked_until - now),
                  std::chrono::seconds{1});
}

std::chrono::milliseconds login_throttle::record_failure(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto now = now_();
  auto it = find_live(address, now);
  if (it == lru_.end()) it = insert(address, now);
  else lru_.splice(lru_.end(), lru_, it);  // most recently failed goes last

  if (it->failures < std::numeric_limits<unsigned>::max()) ++it->failures;
  if (policy_.max_failures > 0 && it->failures >= policy_.max_failures && !it->lockout_started) {
    it->lockout_started = true;
    it->locked_until = now + policy_.lockout;
  }
  return delay_for(it->failures);
}

void login_throttle::record_success(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto found = index_.find(address);
  if (found != index_.end()) erase(found->second);
}

std::size_t login_throttle::tracked() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace lemonade::auth
