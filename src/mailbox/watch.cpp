#include "mailbox/watch.hpp"

#include <algorithm>

namespace lemonade::mailbox {
namespace {

std::size_t weight_of(const event& e) {
  if (auto* a = std::get_if<messages_added>(&e)) return std::max<std::size_t>(1, a->uids.size());
  if (auto* x = std::get_if<messages_expunged>(&e)) return std::max<std::size_t>(1, x->uids.size());
  if (auto* f = std::get_if<flags_changed>(&e)) return std::max<std::size_t>(1, f->updates.size());
  return 1;
}

}  // namespace

void event_queue::on_event(const event& e) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (overflowed_) return;
    auto w = weight_of(e);
    if (weight_ + w > limit_) {
      // RFC 5465 §5.8: too far behind; what is queued is useless now.
      overflowed_ = true;
      events_.clear();
      events_.shrink_to_fit();
      weight_ = 0;
    } else {
      events_.push_back(e);
      weight_ += w;
    }
    wake = waker_;
  }
  if (wake) wake();
}

event_queue::taken event_queue::take() {
  std::lock_guard lock(mu_);
  taken t;
  t.events.swap(events_);
  t.overflowed = overflowed_;
  weight_ = 0;
  return t;
}

bool event_queue::pending() const {
  std::lock_guard lock(mu_);
  return overflowed_ || !events_.empty();
}

void event_queue::set_waker(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  waker_ = std::move(wake);
}

}  // namespace lemonade::mailbox
