#pragma once
// The background half of search_index.hpp: one thread per store, at a lower
// CPU priority than the threads that answer clients, that brings an
// account's SEARCH index up to date in batches once the account asks
// (store.search_index_batch messages wait). Each batch is a write of its
// own through the account's commit queue. Other upkeep that must not
// compete with clients for the CPU (the sweep of unreferenced blobs) runs
// on the same thread through post().

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace lemonade::store::sqlite {

class sqlite_account;

class search_indexer {
 public:
  search_indexer();
  // Stops after the batch in progress; what is still queued waits in the
  // database for the next start or SEARCH.
  ~search_indexer();
  search_indexer(const search_indexer&) = delete;
  search_indexer& operator=(const search_indexer&) = delete;

  // Queues the account; it stays queued until no batch is left.
  void request(std::weak_ptr<sqlite_account> account);
  // Runs task on the background thread, before any index batch still
  // queued; exceptions it throws are logged. Dropped at shutdown.
  void post(std::function<void()> task);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::weak_ptr<sqlite_account>> todo_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lemonade::store::sqlite
