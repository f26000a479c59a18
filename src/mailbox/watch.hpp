#pragma once
// A listener that keeps an account's events for a session to report later
// (RFC 5465 NOTIFY): bounded, so a session that falls behind costs a
// fixed amount of memory and learns that it overflowed instead.

#include <cstddef>
#include <functional>
#include <mutex>
#include <vector>

#include "mailbox/events.hpp"

namespace lemonade::mailbox {

class event_queue final : public listener {
 public:
  // `limit` counts messages as well as events: a flag change of 500
  // messages weighs 500.
  explicit event_queue(std::size_t limit) : limit_(limit) {}

  void on_event(const event& e) override;

  struct taken {
    std::vector<event> events;  // in commit order
    bool overflowed = false;    // events were dropped: the queue is now off
  };
  // Everything queued since the last take().
  taken take();
  bool pending() const;

  // Called (on the committing thread) when an event is queued; quick and
  // thread-safe, like selected_mailbox::set_waker.
  void set_waker(std::function<void()> wake);

 private:
  const std::size_t limit_;
  mutable std::mutex mu_;
  std::vector<event> events_;
  std::size_t weight_ = 0;
  bool overflowed_ = false;
  std::function<void()> waker_;
};

}  // namespace lemonade::mailbox
