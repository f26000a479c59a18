#pragma once
// The queue runner: takes due messages from the outbound queue and
// delivers each pending recipient. Local recipients go into their mailbox
// through deliver() (local.hpp); a recipient that fails for a reason that
// may pass (a full disk, a store error) is retried with growing delays
// (1, 5, 15, 30 minutes, then hourly) until queue_lifetime, then failed.
// A message with no pending recipient leaves the queue. Recipients that
// asked for it (NOTIFY=SUCCESS) or failed (unless NOTIFY=NEVER) are
// reported to the sender (dsn.hpp): in its INBOX when it is local, else
// queued to it with a null reverse path.
//
// A dispatcher thread, woken when a message is queued, when an attempt
// ends and at least every poll interval, hands due messages to `workers`
// threads; a message whose remote recipients' domain already has
// `per_destination` attempts in progress waits for one to end, so one slow
// or dead destination holds at most that many workers and local mail
// always finds one free. The queue's size and age are logged every poll
// interval while it is not empty.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "delivery/local.hpp"
#include "store/api/queue.hpp"

namespace lemonade::delivery {

struct agent_options {
  std::chrono::seconds queue_lifetime{5 * 24 * 3600};  // RFC 5321 §4.5.4.1: 4-5 days
  std::chrono::milliseconds poll{30000};
  // A recipient still pending this long after arrival gets one "delayed"
  // report (RFC 3464); 0: never.
  std::chrono::seconds delay_warning{4 * 3600};
  unsigned workers = 4;          // attempts in progress at once
  unsigned per_destination = 2;  // of which to one recipient domain
  mailbox::describe_limits describe;
  std::string hostname = "localhost";  // Reporting-MTA of delivery reports
  std::uint64_t max_account_size = 0;  // the store's quota: a bigger message fails at once
  // Mail for other servers: hands `content` of `m` over for these of its
  // recipients and returns one reply per recipient (2xx taken, 4xx try
  // again later, 5xx failed) and whether the DSN parameters went along
  // with it (then the next hop reports success, not us). Empty: such
  // recipients fail. Blocking; called on the runner's thread.
  struct relay_outcome {
    std::vector<std::string> replies;
    std::vector<bool> dsn_passed;  // per recipient; missing: false
  };
  std::function<relay_outcome(const store::queued_message& m, const std::vector<store::queued_recipient>& recipients,
                              const std::string& content)>
      relay;
};

class queue_agent {
 public:
  queue_agent(store::mail_queue& queue, const local_addresses& addresses, mailbox::account_registry& accounts,
              agent_options options);
  ~queue_agent();
  queue_agent(const queue_agent&) = delete;
  queue_agent& operator=(const queue_agent&) = delete;

  void start();
  // Finishes the attempt in progress and stops.
  void stop();
  // Something was queued: look now.
  void wake();
  // Attempts everything due now, on the caller's thread (tests, `lemonade
  // queue flush`); returns the number of recipients attempted.
  std::size_t run_once();

 private:
  void dispatch();
  void work();
  // The other servers' domains among m's pending recipients (lower case).
  std::vector<std::string> destinations(const store::queued_message& m) const;
  void attempt(const store::queued_message& m);
  // RFC 3461 §6: reports to the sender about recipients that ended now,
  // or (pending ones) are delayed.
  void report(const store::queued_message& m, const std::vector<store::queued_recipient>& ended,
              const std::string& content);
  std::int64_t retry_at(const store::queued_message& m, const store::queued_recipient& r, std::int64_t now) const;

  store::mail_queue& queue_;
  const local_addresses& addresses_;
  mailbox::account_registry& accounts_;
  agent_options options_;
  std::mutex mu_;
  std::condition_variable cv_;       // the dispatcher's
  std::condition_variable work_cv_;  // the workers'
  bool woken_ = false;
  bool stopping_ = false;
  struct work_item {
    store::queued_message message;
    std::vector<std::string> destinations;  // counted in busy_ while it is attempted
  };
  std::deque<work_item> work_;
  std::set<std::int64_t> in_flight_;
  std::map<std::string, unsigned> busy_;         // destination -> attempts in progress
  std::map<std::int64_t, std::int64_t> held_;    // id -> not before (an attempt threw)
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace lemonade::delivery
