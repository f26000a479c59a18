#include "store/sqlite/pool.hpp"

#include <algorithm>

namespace lemonade::store::sqlite {

connection_pool::connection_pool(std::size_t max_idle, std::chrono::milliseconds max_age)
    : max_idle_(max_idle), max_age_(max_age), sweeper_([this] { sweep(); }) {}

connection_pool::~connection_pool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  sweeper_.join();
}

void connection_pool::sweep() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, max_age_ / 2 + std::chrono::milliseconds(1));
    auto now = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<db>> closing;
    closing.swap(evicted_);
    for (auto& e : idle_)
      if (now - e.since >= max_age_) closing.push_back(std::move(e.d));
    if (closing.empty()) continue;
    std::erase_if(idle_, [](auto& e) { return !e.d; });
    lock.unlock();
    closing.clear();  // closed outside the lock
    lock.lock();
  }
}

connection_pool::lease::~lease() {
  if (!d_) return;  // moved from
  try {
    d_->reset_all();
  } catch (...) {
    return;  // a connection in an unknown state is closed, not pooled
  }
  pool_->give_back(std::move(file_), std::move(d_));
}

connection_pool::lease connection_pool::acquire(const std::filesystem::path& file) {
  {
    std::lock_guard lock(mu_);
    // The most recently used one to this file: its pages are the warmest.
    auto best = idle_.end();
    for (auto it = idle_.begin(); it != idle_.end(); ++it)
      if (it->file == file && (best == idle_.end() || it->used > best->used)) best = it;
    if (best != idle_.end()) {
      auto d = std::move(best->d);
      idle_.erase(best);
      return lease(*this, file, std::move(d));
    }
  }
  // Opened outside the lock: opening reads the file.
  return lease(*this, file, std::make_unique<db>(file));
}

void connection_pool::give_back(std::filesystem::path file, std::unique_ptr<db> d) {
  std::lock_guard lock(mu_);
  if (max_idle_ == 0) return;  // d closes here
  idle_.push_back({std::move(file), std::move(d), ++clock_, std::chrono::steady_clock::now()});
  if (idle_.size() > max_idle_) {
    auto lru = std::min_element(idle_.begin(), idle_.end(), [](auto& a, auto& b) { return a.used < b.used; });
    // Closed by the sweeper, not here: the last connection to a database
    // checkpoints and syncs as it closes, and this may be a network
    // thread (a quick read, imap/inline_reads.hpp).
    evicted_.push_back(std::move(lru->d));
    idle_.erase(lru);
    wake_.notify_one();
  }
}

void connection_pool::close(const std::filesystem::path& file) {
  std::vector<std::unique_ptr<db>> closing;
  std::lock_guard lock(mu_);
  for (auto& e : idle_)
    if (e.file == file) closing.push_back(std::move(e.d));
  std::erase_if(idle_, [](auto& e) { return !e.d; });
}

std::size_t connection_pool::idle() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

}  // namespace lemonade::store::sqlite
