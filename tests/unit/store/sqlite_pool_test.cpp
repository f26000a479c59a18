// The server-wide connection pool (store/sqlite/pool.hpp): a connection
// given back is the one the next lease to the same file gets (the most
// recently used first), never one to another file; at most max_idle wait,
// the least recently used over all files going first; close(file) and
// max_age drop a file's idle connections.

#include "store/sqlite/pool.hpp"

#include "../temp_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

namespace lemonade::store::sqlite {
namespace {

struct pool_dir : test::temp_dir {
  std::filesystem::path file(int i) const { return path / ("a" + std::to_string(i) + ".db"); }
};

TEST(sqlite_pool, a_lease_gets_the_warmest_connection_to_its_file) {
  pool_dir dir;
  connection_pool pool(8, std::chrono::hours(1));
  db* first;
  db* second;
  {
    auto a = pool.acquire(dir.file(1));
    auto b = pool.acquire(dir.file(1));
    first = &*a;
    second = &*b;
    EXPECT_NE(first, second);
    EXPECT_EQ(pool.idle(), 0u);
  }  // b goes back first, then a: a is the most recent
  EXPECT_EQ(pool.idle(), 2u);
  {
    auto other = pool.acquire(dir.file(2));  // another file: a new connection
    EXPECT_NE(&*other, first);
    EXPECT_NE(&*other, second);
    EXPECT_EQ(pool.idle(), 2u);
  }
  EXPECT_EQ(pool.idle(), 3u);
  auto again = pool.acquire(dir.file(1));
  EXPECT_EQ(&*again, first);
  auto then = pool.acquire(dir.file(1));
  EXPECT_EQ(&*then, second);
  EXPECT_EQ(pool.idle(), 1u);
}

TEST(sqlite_pool, past_max_idle_the_least_recently_used_goes) {
  pool_dir dir;
  connection_pool pool(2, std::chrono::hours(1));
  db* one;
  { auto l = pool.acquire(dir.file(1)); one = &*l; }
  db* two;
  { auto l = pool.acquire(dir.file(2)); two = &*l; }
  { auto l = pool.acquire(dir.file(1)); EXPECT_EQ(&*l, one); }  // file 1 is now the most recent
  { auto l = pool.acquire(dir.file(3)); }  // a third: file 2's is the oldest and goes
  EXPECT_EQ(pool.idle(), 2u);
  {
    auto l = pool.acquire(dir.file(2));
    EXPECT_NE(&*l, two);
    EXPECT_EQ(pool.idle(), 2u);  // files 1 and 3
  }  // file 2's goes back: file 1's, used before file 3's, goes
  EXPECT_EQ(pool.idle(), 2u);
  auto l = pool.acquire(dir.file(1));
  EXPECT_NE(&*l, one);  // (evicted connections are closed later: no address reused)
  EXPECT_EQ(pool.idle(), 2u);
}

TEST(sqlite_pool, max_age_drops_idle_connections) {
  pool_dir dir;
  connection_pool pool(8, std::chrono::milliseconds(200));
  { auto a = pool.acquire(dir.file(1)); auto b = pool.acquire(dir.file(1)); auto c = pool.acquire(dir.file(2)); }
  EXPECT_EQ(pool.idle(), 3u);
  for (int i = 0; i < 100 && pool.idle() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(sqlite_pool, a_discarded_connection_is_not_given_back) {
  pool_dir dir;
  connection_pool pool(8, std::chrono::hours(1));
  {
    auto l = pool.acquire(dir.file(1));
    l.discard();
  }
  EXPECT_EQ(pool.idle(), 0u);
}

}  // namespace
}  // namespace lemonade::store::sqlite
