#pragma once
// Group commit (DESIGN.md §5). Writers of one account queue their work; the
// first to find no commit in progress becomes the leader, runs every queued
// job in one transaction (each in its own savepoint, so one failure does
// not undo the others), commits once — one fsync for the whole batch — and
// wakes the others. Callers block: this runs on storage threads only.

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/db.hpp"
#include "store/sqlite/pool.hpp"

namespace lemonade::store::sqlite {

// What a job may ask to happen after the batch has committed, while the
// leader still holds the write side (no other job runs meanwhile).
struct after_commit {
  std::vector<std::string> maybe_orphaned_blobs;
};

class commit_queue {
 public:
  using job_fn = std::function<void(db&, after_commit&)>;
  using finish_fn = std::function<void(db&, const after_commit&)>;

  using connect_fn = std::function<connection_pool::lease()>;

  // The leader of each batch takes a connection from `connect` for it (an
  // account keeps none between writes). `finish` runs after each
  // successful commit with the batch's requests. `housekeeping`, if given,
  // runs inside each batch's transaction after its jobs, in a savepoint of
  // its own: what it fails to do is rolled back without failing the jobs.
  commit_queue(connect_fn connect, finish_fn finish, job_fn housekeeping = {});

  // Runs fn inside a committed transaction; rethrows what fn threw (its
  // savepoint rolled back) or the commit error. A job that is not
  // `durable` (state a crash may lose, like which session saw a message
  // first as \Recent) lets its batch commit without an fsync when no
  // durable job shares it; the next durable commit syncs it with its own.
  void run(job_fn fn, bool durable = true);

  // Number of commits so far (tests and metrics).
  std::uint64_t commits() const;

 private:
  struct job {
    job_fn fn;
    bool durable = true;
    std::exception_ptr error;
    bool done = false;
  };
  void lead(std::vector<job*> batch);

  connect_fn connect_;
  finish_fn finish_;
  job_fn housekeeping_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job*> pending_;
  bool leading_ = false;
  std::uint64_t commits_ = 0;
};

}  // namespace lemonade::store::sqlite
