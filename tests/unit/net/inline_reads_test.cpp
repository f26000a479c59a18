// net/inline_reads.hpp: quick reads run inline until one takes longer than
// the budget; then every quick read goes to the pool for a second.
#include <gtest/gtest.h>

#include "net/inline_reads.hpp"

namespace lemonade::net {
namespace {

using namespace std::chrono_literals;

TEST(inline_reads, within_budget_stays_inline) {
  inline_reads policy(2000us);
  EXPECT_TRUE(policy.admit());
  policy.took(1500us);
  EXPECT_TRUE(policy.admit());
  EXPECT_EQ(policy.over_budget(), 0u);
}

TEST(inline_reads, a_slow_read_sends_the_next_ones_to_the_pool) {
  inline_reads policy(2000us);
  policy.took(2001us);
  EXPECT_FALSE(policy.admit());
  EXPECT_EQ(policy.over_budget(), 1u);
}

TEST(inline_reads, zero_budget_never_inline) {
  inline_reads policy(0us);
  EXPECT_FALSE(policy.admit());
}

}  // namespace
}  // namespace lemonade::net
