#include "store/sqlite/search_indexer.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "store/sqlite/account.hpp"

namespace lemonade::store::sqlite {

search_indexer::search_indexer() : thread_([this] { run(); }) {}

search_indexer::~search_indexer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void search_indexer::request(std::weak_ptr<sqlite_account> account) {
  {
    std::lock_guard lock(mu_);
    todo_.push_back(std::move(account));
  }
  wake_.notify_one();
}

void search_indexer::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void search_indexer::run() {
  // Index work yields the CPU to the threads that answer clients (Linux
  // gives each thread its own nice value).
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !todo_.empty() || !tasks_.empty(); });
    if (stopping_) return;
    if (!tasks_.empty()) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      try {
        task();
      } catch (const std::exception& e) {
        spdlog::warn("event=background_task_failed error=\"{}\"", e.what());
      }
      // Whatever the task held (an account) is released here, not under mu_.
      task = nullptr;
      lock.lock();
      continue;
    }
    auto next = std::move(todo_.front());
    todo_.pop_front();
    lock.unlock();
    bool more = false;
    if (auto account = next.lock()) {
      try {
        // One batch per turn, so a big backlog does not hold back the
        // other accounts.
        more = account->index_search_batch();
      } catch (const std::exception& e) {
        // Left for a later batch or the next SEARCH.
        spdlog::warn("event=search_index_failed error=\"{}\"", e.what());
      }
      if (!more) {
        account->search_index_done();
        // Commits between the last batch and now saw the request still
        // standing and asked for none.
        try {
          account->request_indexing_if_behind();
        } catch (const std::exception& e) {
          spdlog::warn("event=search_index_failed error=\"{}\"", e.what());
        }
      }
      // The account may close here, and its destructor write: not under mu_.
    }
    lock.lock();
    if (more) todo_.push_back(std::move(next));
  }
}

}  // namespace lemonade::store::sqlite
