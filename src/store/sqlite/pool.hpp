#pragma once
// SQLite connections shared by every account of the server (DESIGN.md §3:
// "an account whose sessions are all idle holds no database handle and no
// page cache of its own"). A store call leases a connection to its
// account's database for its duration: one kept idle from an earlier call
// if there is one (its statements stay prepared, its page cache warm),
// else a new one. At most max_idle connections wait in the pool, over all
// accounts; past that the least recently used is closed. So a thousand
// accounts with idle phones cost max_idle connections, not two thousand,
// and a busy account finds its connections warm. A connection unused for
// max_age is closed too (by a sweeper thread), so an account whose
// sessions are all idle soon holds none at all.
//
// Thread-safe. A lease belongs to one thread at a time, as a db does.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/sqlite/db.hpp"

namespace lemonade::store::sqlite {

class connection_pool {
 public:
  connection_pool(std::size_t max_idle, std::chrono::milliseconds max_age);
  ~connection_pool();
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;

  class lease {
   public:
    lease(connection_pool& pool, std::string file, std::unique_ptr<db> d)
        : pool_(&pool), file_(std::move(file)), d_(std::move(d)) {}
    lease(lease&& o) noexcept = default;
    lease& operator=(lease&&) = delete;
    // Resets every statement (a statement stopped mid-way keeps its read
    // snapshot) and gives the connection back.
    ~lease();
    // Closes the connection instead of giving it back (its state is not
    // what the next borrower expects).
    void discard() { d_.reset(); }
    db& operator*() { return *d_; }
    db* operator->() { return d_.get(); }

   private:
    connection_pool* pool_;
    std::string file_;
    std::unique_ptr<db> d_;
  };

  // A connection to `file` (opened in WAL mode, see db). Throws db_error.
  lease acquire(const std::filesystem::path& file);
  std::size_t idle() const;

 private:
  void give_back(std::string file, std::unique_ptr<db> d);

  void sweep();

  struct idle_entry {
    std::unique_ptr<db> d;
    std::uint64_t used = 0;
    std::chrono::steady_clock::time_point since;
  };
  const std::size_t max_idle_;
  const std::chrono::milliseconds max_age_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  // By database file, each list oldest first: acquire takes the last
  // (warmest) one without looking at other accounts' connections (a scan
  // of all of them, comparing paths under the lock, was where the storage
  // threads queued up on this mutex).
  std::unordered_map<std::string, std::vector<idle_entry>> idle_;
  std::size_t idle_count_ = 0;
  std::vector<std::unique_ptr<db>> evicted_;  // for the sweeper to close
  std::uint64_t clock_ = 0;
  std::thread sweeper_;
};

}  // namespace lemonade::store::sqlite
