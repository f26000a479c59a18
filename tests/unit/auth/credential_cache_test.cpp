// Verified-password cache, driven by an injected clock (no sleeping).

#include "auth/credential_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "auth/password.hpp"

namespace lemonade::auth {
namespace {

using namespace std::chrono_literals;

struct manual_clock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  credential_cache::clock_fn fn() {
    return [this] { return now; };
  }
};

class auth_credential_cache : public ::testing::Test {
 protected:
  void SetUp() override { init_crypto(); }
  manual_clock clock;
};

TEST_F(auth_credential_cache, hit_only_for_the_remembered_password_and_hash) {
  credential_cache c({.ttl = 60s, .max_entries = 10}, clock.fn());
  EXPECT_FALSE(c.check("alice", "$argon2id$h1", "secret"));
  c.remember("alice", "$argon2id$h1", "secret");
  EXPECT_TRUE(c.check("alice", "$argon2id$h1", "secret"));
  EXPECT_FALSE(c.check("alice", "$argon2id$h1", "Secret"));
  EXPECT_FALSE(c.check("alice", "$argon2id$h1", "secret "));
  EXPECT_FALSE(c.check("alice", "$argon2id$h1", ""));
  // `lemonade user passwd` stores a new string: the entry no longer matches.
  EXPECT_FALSE(c.check("alice", "$argon2id$h2", "secret"));
  EXPECT_FALSE(c.check("bob", "$argon2id$h1", "secret"));
}

TEST_F(auth_credential_cache, fields_are_not_confused_by_concatenation) {
  credential_cache c({.ttl = 60s, .max_entries = 10}, clock.fn());
  c.remember("alice", "hash", "xpw");
  EXPECT_FALSE(c.check("alice", "hashx", "pw"));
}

TEST_F(auth_credential_cache, entries_expire_after_ttl_and_a_hit_does_not_extend_it) {
  credential_cache c({.ttl = 60s, .max_entries = 10}, clock.fn());
  c.remember("alice", "h", "pw");
  clock.now += 59s;
  EXPECT_TRUE(c.check("alice", "h", "pw"));
  clock.now += 1s;
  EXPECT_FALSE(c.check("alice", "h", "pw"));
  EXPECT_EQ(c.size(), 0u);
}

TEST_F(auth_credential_cache, least_recently_verified_is_evicted_first) {
  credential_cache c({.ttl = 60s, .max_entries = 2}, clock.fn());
  c.remember("a", "h", "pw");
  c.remember("b", "h", "pw");
  c.remember("a", "h", "pw");  // verified again: now the newest
  c.remember("c", "h", "pw");
  EXPECT_EQ(c.size(), 2u);
  EXPECT_TRUE(c.check("a", "h", "pw"));
  EXPECT_FALSE(c.check("b", "h", "pw"));
  EXPECT_TRUE(c.check("c", "h", "pw"));
}

TEST_F(auth_credential_cache, forget_drops_the_entry) {
  credential_cache c({.ttl = 60s, .max_entries = 10}, clock.fn());
  c.remember("alice", "h", "pw");
  c.forget("alice");
  c.forget("nobody");
  EXPECT_FALSE(c.check("alice", "h", "pw"));
}

TEST_F(auth_credential_cache, zero_ttl_or_size_disables) {
  credential_cache off1({.ttl = 0s, .max_entries = 10}, clock.fn());
  off1.remember("alice", "h", "pw");
  EXPECT_FALSE(off1.check("alice", "h", "pw"));
  credential_cache off2({.ttl = 60s, .max_entries = 0}, clock.fn());
  off2.remember("alice", "h", "pw");
  EXPECT_FALSE(off2.check("alice", "h", "pw"));
  EXPECT_EQ(off2.size(), 0u);
}

TEST_F(auth_credential_cache, two_caches_have_different_keys) {
  // The key is random per cache: a tag from one process means nothing to another.
  credential_cache a({.ttl = 60s, .max_entries = 10}, clock.fn());
  credential_cache b({.ttl = 60s, .max_entries = 10}, clock.fn());
  a.remember("alice", "h", "pw");
  EXPECT_FALSE(b.check("alice", "h", "pw"));
}

}  // namespace
}  // namespace lemonade::auth
