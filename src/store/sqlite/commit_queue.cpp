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
  // BEGIN, SAVEPOINT and COMMIT are prepared once per connection
  // (db::run). PRAGMA synchronous is not: SQLite applies it when the
  // statement is prepared, so a cached one would act only once.
  bool relaxed = false;
  if (w) try {
    auto& writer = *w;
    if (!durable) {
      writer.exec("PRAGMA synchronous=NORMAL");
      relaxed = true;
    }
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
      after = {};
    } else {
      // Housekeeping (ghosts whose blobs then go) only in durable
      // batches: a commit a crash may lose must not be followed by
      // unlinking blobs.
      if (housekeeping_ && durable) {
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
    }
  } catch (...) {
    commit_error = std::current_exception();
    try {
      w->reset_all();
      w->exec("ROLLBACK");
    } catch (...) {
    }
  }
  if (relaxed) {
    // Outside the try: the batch is committed (or not) whatever this
    // does; a connection left relaxed is not given back to the pool.
    try {
      w->exec("PRAGMA synchronous=FULL");
    } catch (...) {
      lease->discard();
      w = nullptr;
    }
  }
  if (!commit_error && w) {
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
