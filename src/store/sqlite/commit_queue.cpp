#include "store/sqlite/commit_queue.hpp"

#include <optional>

namespace lemonade::store::sqlite {

commit_queue::commit_queue(connect_fn connect, finish_fn finish, job_fn housekeeping)
    : connect_(std::move(connect)), finish_(std::move(finish)), housekeeping_(std::move(housekeeping)) {}

void commit_queue::run(job_fn fn) {
  job self{std::move(fn)};
  std::unique_lock lock(mu_);
  pending_.push_back(&self);
  while (!self.done) {
    if (leading_) {
      cv_.wait(lock);
      continue;
    }
    // Our job is still pending, so it is in the batch we take.
    leading_ = true;
    std::vector<job*> batch(pending_.begin(), pending_.end());
    pending_.clear();
    lock.unlock();
    lead(std::move(batch));
    lock.lock();
    leading_ = false;
    cv_.notify_all();
  }
  if (self.error) std::rethrow_exception(self.error);
}

void commit_queue::lead(std::vector<job*> batch) {
  after_commit after;
  std::exception_ptr commit_error;
  std::optional<connection_pool::lease> lease;
  try {
    lease.emplace(connect_());
  } catch (...) {
    commit_error = std::current_exception();
  }
  db* w = lease ? &**lease : nullptr;
  if (w) try {
    auto& writer = *w;
    writer.exec("BEGIN IMMEDIATE");
    for (auto* j : batch) {
      writer.exec("SAVEPOINT job");
      try {
        j->fn(writer, after);
        writer.exec("RELEASE job");
      } catch (...) {
        j->error = std::current_exception();
        writer.exec("ROLLBACK TO job");
        writer.exec("RELEASE job");
      }
    }
    if (housekeeping_) {
      writer.exec("SAVEPOINT housekeeping");
      try {
        housekeeping_(writer, after);
        writer.exec("RELEASE housekeeping");
      } catch (...) {
        writer.exec("ROLLBACK TO housekeeping");
        writer.exec("RELEASE housekeeping");
      }
    }
    writer.reset_all();
    writer.exec("COMMIT");
    ++commits_;
  } catch (...) {
    commit_error = std::current_exception();
    try {
      w->exec("ROLLBACK");
    } catch (...) {
    }
  }
  if (!commit_error) {
    try {
      finish_(*w, after);
      w->reset_all();
    } catch (...) {
      // Housekeeping (blob GC) failing loses nothing acknowledged; the
      // store check finds the leftovers.
    }
  }
  std::lock_guard lock(mu_);
  for (auto* j : batch) {
    if (commit_error && !j->error) j->error = commit_error;
    j->done = true;
  }
}

std::uint64_t commit_queue::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

}  // namespace lemonade::store::sqlite
