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
    for (auto it = idle_.begin(); it != idle_.end();) {
      auto& list = it->second;
      for (auto& e : list)
        if (now - e.since >= max_age_) closing.push_back(std::move(e.d));
      std::erase_if(list, [](auto& e) { return !e.d; });
      it = list.empty() ? idle_.erase(it) : std::next(it);
    }
    if (closing.empty()) continue;
    idle_count_ = 0;
    for (auto& [file, list] : idle_) idle_count_ += list.size();
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
    auto it = idle_.find(file.native());
    if (it != idle_.end()) {
      auto d = std::move(it->second.back().d);
      it->second.pop_back();
      --idle_count_;
      if (it->second.empty()) idle_.erase(it);
      return lease(*this, file.native(), std::move(d));
    }
  }
  // Opened outside the lock: opening reads the file.
  return lease(*this, file.native(), std::make_unique<db>(file));
}

void connection_pool::give_back(std::string file, std::unique_ptr<db> d) {
  std::lock_guard lock(mu_);
  if (max_idle_ == 0) return;  // d closes here
  idle_[std::move(file)].push_back({std::move(d), ++clock_, std::chrono::steady_clock::now()});
  if (++idle_count_ > max_idle_) {
    // The least recently used over all files: the front of some list.
    auto lru = idle_.end();
    for (auto it = idle_.begin(); it != idle_.end(); ++it)
      if (lru == idle_.end() || it->second.front().used < lru->second.front().used) lru = it;
    // Closed by the sweeper, not here: the last connection to a database
    // checkpoints and syncs as it closes, and this may be a network
    // thread (a quick read, net/inline_reads.hpp).
    evicted_.push_back(std::move(lru->second.front().d));
    lru->second.erase(lru->second.begin());
    if (lru->second.empty()) idle_.erase(lru);
    --idle_count_;
    wake_.notify_one();
  }
}

std::size_t connection_pool::idle() const {
  std::lock_guard lock(mu_);
  return idle_count_;
}

}  // namespace lemonade::store::sqlite
