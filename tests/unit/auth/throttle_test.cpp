// Failed-login throttle, driven by an injected clock (no sleeping).

#include "auth/throttle.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemonade::auth {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A clock the test moves by hand.
struct manual_clock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  login_throttle::clock_fn fn() {
    return [this] { return now; };
  }
};

login_throttle::policy small_policy() {
  return {.base_delay = 500ms, .max_failures = 10, .window = 600s, .lockout = 300s,
          .max_tracked = 100};
}

TEST(auth_throttle, delays_double_then_cap_at_sixteen_times_base) {
  manual_clock clock;
  login_throttle t(small_policy(), clock.fn());
  const std::vector<milliseconds> expected = {500ms,  1000ms, 2000ms, 4000ms, 8000ms,
                                              8000ms, 8000ms, 8000ms, 8000ms};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(i + 1);
    EXPECT_EQ(t.locked_out("192.0.2.1"), std::nullopt);
    EXPECT_EQ(t.record_failure("192.0.2.1"), expected[i]);
  }
}

TEST(auth_throttle, lockout_starts_at_max_failures_and_expires) {
  manual_clock clock;
  auto p = small_policy();
  p.max_failures = 3;
  login_throttle t(p, clock.fn());

  t.record_failure("192.0.2.1");
  t.record_failure("192.0.2.1");
  EXPECT_EQ(t.locked_out("192.0.2.1"), std::nullopt);
  EXPECT_EQ(t.record_failure("192.0.2.1"), 2000ms);  // the 3rd failure locks
  EXPECT_EQ(t.locked_out("192.0.2.1"), seconds(300));
  EXPECT_EQ(t.locked_out("192.0.2.2"), std::nullopt);  // other addresses unaffected

  struct row {
    std::chrono::steady_clock::duration advance;
    std::optional<seconds> remaining;
  };
  const std::vector<row> rows = {
      {100s, 200s},
      {199s, 1s},
      {500ms, 1s},  // rounded up, never 0
      {499ms, 1s},
      {1ms, std::nullopt},  // exactly 300 s after the lockout began
  };
  for (const auto& r : rows) {
    clock.now += r.advance;
    EXPECT_EQ(t.locked_out("192.0.2.1"), r.remaining);
  }
  // After the lockout the address starts afresh.
  EXPECT_EQ(t.record_failure("192.0.2.1"), 500ms);
  EXPECT_EQ(t.locked_out("192.0.2.1"), std::nullopt);
}

TEST(auth_throttle, failures_during_lockout_do_not_extend_it) {
  manual_clock clock;
  auto p = small_policy();
  p.max_failures = 2;
  login_throttle t(p, clock.fn());
  t.record_failure("a");
  t.record_failure("a");
  clock.now += 100s;
  EXPECT_EQ(t.record_failure("a"), 2000ms);
  EXPECT_EQ(t.locked_out("a"), seconds(200));
  clock.now += 200s;
  EXPECT_EQ(t.locked_out("a"), std::nullopt);
}

TEST(auth_throttle, window_expiry_resets_the_count) {
  manual_clock clock;
  login_throttle t(small_policy(), clock.fn());
  EXPECT_EQ(t.record_failure("a"), 500ms);
  clock.now += 300s;
  EXPECT_EQ(t.record_failure("a"), 1000ms);  // same window
  clock.now += 300s;                         // 600 s after the first failure
  EXPECT_EQ(t.record_failure("a"), 500ms);   // new window
  EXPECT_EQ(t.record_failure("a"), 1000ms);
}

TEST(auth_throttle, success_clears_failures) {
  manual_clock clock;
  login_throttle t(small_policy(), clock.fn());
  t.record_failure("a");
  t.record_failure("a");
  t.record_failure("b");
  EXPECT_EQ(t.tracked(), 2u);
  t.record_success("a");
  EXPECT_EQ(t.tracked(), 1u);
  EXPECT_EQ(t.record_failure("a"), 500ms);
  EXPECT_EQ(t.record_failure("b"), 1000ms);  // b was not touched
  t.record_success("never-failed");         // harmless
  EXPECT_EQ(t.tracked(), 2u);
}

TEST(auth_throttle, success_does_not_lift_a_lockout_for_other_addresses) {
  manual_clock clock;
  auto p = small_policy();
  p.max_failures = 1;
  login_throttle t(p, clock.fn());
  t.record_failure("a");
  t.record_success("b");
  EXPECT_EQ(t.locked_out("a"), seconds(300));
}

TEST(auth_throttle, zero_max_failures_never_locks) {
  manual_clock clock;
  auto p = small_policy();
  p.max_failures = 0;
  login_throttle t(p, clock.fn());
  for (int i = 0; i < 50; ++i) t.record_failure("a");
  EXPECT_EQ(t.locked_out("a"), std::nullopt);
  EXPECT_EQ(t.record_failure("a"), 8000ms);
}

TEST(auth_throttle, size_is_bounded_evicting_least_recently_failed) {
  manual_clock clock;
  auto p = small_policy();
  p.max_tracked = 3;
  login_throttle t(p, clock.fn());
  t.record_failure("a");
  t.record_failure("b");
  t.record_failure("c");
  t.record_failure("a");  // a is now the most recent; b the oldest
  EXPECT_EQ(t.tracked(), 3u);
  t.record_failure("d");  // evicts b
  EXPECT_EQ(t.tracked(), 3u);
  EXPECT_EQ(t.record_failure("a"), 2000ms);  // kept: 3rd failure
  EXPECT_EQ(t.record_failure("c"), 1000ms);  // kept: 2nd failure
  EXPECT_EQ(t.record_failure("b"), 500ms);   // forgotten: counts from 1 (evicts d)
  EXPECT_EQ(t.tracked(), 3u);
  EXPECT_EQ(t.record_failure("d"), 500ms);
}

TEST(auth_throttle, expired_entries_go_before_live_ones) {
  manual_clock clock;
  auto p = small_policy();
  p.max_tracked = 3;
  login_throttle t(p, clock.fn());
  t.record_failure("a");
  t.record_failure("b");
  clock.now += 601s;      // a and b have expired
  t.record_failure("c");  // room exists; expired entries are dropped anyway
  EXPECT_EQ(t.tracked(), 1u);
  t.record_failure("d");
  t.record_failure("e");
  EXPECT_EQ(t.tracked(), 3u);
}

TEST(auth_throttle, invalid_policy_throws) {
  auto p = small_policy();
  p.max_tracked = 0;
  EXPECT_THROW(login_throttle{p}, std::invalid_argument);
  p = small_policy();
  p.lockout = -1s;
  EXPECT_THROW(login_throttle{p}, std::invalid_argument);
  EXPECT_THROW((login_throttle{small_policy(), nullptr}), std::invalid_argument);
}

TEST(auth_throttle, default_clock_works) {
  login_throttle t(small_policy());
  EXPECT_EQ(t.record_failure("a"), 500ms);
  EXPECT_EQ(t.locked_out("a"), std::nullopt);
}

}  // namespace
}  // namespace lemonade::auth
