// SQLite's slab allocator (store/sqlite/memory.hpp): blocks of every size
// are usable and aligned, realloc keeps content, blocks freed on another
// thread are fine, and once everything is freed and released the memory
// is unmapped.

#include "store/sqlite/memory.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace lemonade::store::sqlite {
namespace {

TEST(sqlite_memory, blocks_of_every_size_are_usable_and_returned) {
  release_free_memory();
  auto before = allocator_stats();
  std::vector<std::pair<unsigned char*, std::size_t>> blocks;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::size_t n = i % 50 == 0 ? 65536 + rng() % 400000 : 1 + rng() % 5000;
    auto* p = static_cast<unsigned char*>(memory_alloc(n));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 8, 0u) << n;  // SQLite needs 8
    EXPECT_GE(memory_size(p), n);
    std::memset(p, i & 0xff, n);
    blocks.emplace_back(p, n);
  }
  EXPECT_EQ(allocator_stats().blocks, before.blocks + blocks.size());
  EXPECT_GT(allocator_stats().mapped, before.mapped);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto [p, n] = blocks[i];
    ASSERT_EQ(p[0], static_cast<unsigned char>(i & 0xff));  // no block overlapped another
    ASSERT_EQ(p[n - 1], static_cast<unsigned char>(i & 0xff));
    memory_free(p);
  }
  EXPECT_EQ(allocator_stats().blocks, before.blocks);
  release_free_memory();
  EXPECT_LE(allocator_stats().mapped, before.mapped);
}

TEST(sqlite_memory, realloc_keeps_the_content) {
  auto* p = static_cast<char*>(memory_alloc(10));
  std::memcpy(p, "0123456789", 10);
  p = static_cast<char*>(memory_realloc(p, 100000));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  p = static_cast<char*>(memory_realloc(p, 5));
  EXPECT_EQ(std::memcmp(p, "01234", 5), 0);
  memory_free(p);
  memory_free(nullptr);
}

TEST(sqlite_memory, blocks_freed_on_other_threads) {
  release_free_memory();
  auto before = allocator_stats();
  constexpr int threads = 4, per_thread = 20000;
  std::vector<std::vector<void*>> made(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) made[t].push_back(memory_alloc(16 + (i * 37 + t) % 3000));
    });
  for (auto& w : workers) w.join();
  workers.clear();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (void* p : made[(t + 1) % threads]) memory_free(p);  // another thread's blocks
    });
  for (auto& w : workers) w.join();
  EXPECT_EQ(allocator_stats().blocks, before.blocks);
  release_free_memory();
  EXPECT_LE(allocator_stats().mapped, before.mapped);
}

}  // namespace
}  // namespace lemonade::store::sqlite
