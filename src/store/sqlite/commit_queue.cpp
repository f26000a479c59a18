#include "store/sqlite/commit_queue.hpp"

#include <optional>

namespace lemonade::store::sqlite {

commit_queue::commit_queue(connect_fn connect, finish_fn finish, job_fn housekeeping)
    : connect_(std::move(connect)), finish_(std::move(finish)), housekeeping_(std::move(housekeeping)) {}

void commit_queue::run(job_fn fn, bool durable) {
  job self{std::move(fn), durable};
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
  bool durable = false;
  for (auto* j : batch) durable = durable || j->durable;
  // Statements prepared once per connection (db::run): BEGIN, SAVEPOINT
  // and COMMIT come with every write.
  if (w) try {
    auto& writer = *w;
    if (!durable) writer.run("PRAGMA synchronous=NORMAL");
    writer.run("BEGIN IMMEDIATE");
    if (batch.size() == 1) {
      // Alone in its batch, a job needs no savepoint: if it fails, the
      // whole transaction goes.
      try {
        batch[0]->fn(writer, after);
      } catch (...) {
        batch[0]->error = std::current_exception();
      }
    } else {
      for (auto* j : batch) {
        writer.run("SAVEPOINT job");
        try {
          j->fn(writer, after);
          writer.run("RELEASE job");
        } catch (...) {
          j->error = std::current_exception();
          writer.run("ROLLBACK TO job");
          writer.run("RELEASE job");
        }
      }
    }
    if (batch.size() == 1 && batch[0]->error) {
      writer.reset_all();
      writer.run("ROLLBACK");
      if (!durable) writer.run("PRAGMA synchronous=FULL");
      after = {};
      // Nothing committed: nothing for finish_ to collect.
      std::lock_guard lock(mu_);
      batch[0]->done = true;
      return;
    }
    if (housekeeping_) {
      writer.run("SAVEPOINT housekeeping");
      try {
        housekeeping_(writer, after);
        writer.run("RELEASE housekeeping");
      } catch (...) {
        writer.run("ROLLBACK TO housekeeping");
        writer.run("RELEASE housekeeping");
      }
    }
    writer.reset_all();
    writer.run("COMMIT");
    ++commits_;
    if (!durable) writer.run("PRAGMA synchronous=FULL");
  } catch (...) {
    commit_error = std::current_exception();
    try {
      w->reset_all();
      w->run("ROLLBACK");
    } catch (...) {
    }
    try {
      if (!durable) w->run("PRAGMA synchronous=FULL");
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
