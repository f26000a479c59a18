#pragma once
// Which store reads run on the network thread (DESIGN.md §3). A hop to the
// read pool and back costs two context switches and wakeups; for a FETCH
// of a page of messages, a STATUS or a LIST that SQLite's page cache
// answers in tens of microseconds that is more than the read (measured in
// bench/run/population.sh, kept-open variant: 12% less server CPU a
// command with these reads inline). So a read marked `quick` runs inline
// while such reads stay within the budget; one that takes longer (a disk
// that has become slow, a cold mailbox) sends every quick read to the pool
// for the next second, so a slow disk can stall a network thread for one
// read at most each second, not for every command. The budget is wall
// time, generous (10 ms): a read from an SSD (~0.1 ms) is no stall, and a
// thread preempted in the middle of a read from memory on a busy machine
// must not count as one. (The thread's block-input count was tried as the
// signal: under the population load a 4 kB read from disk came every
// second or so, always cheap, and kept every read in the pool.)
//
// Quick are: FETCH of at most one batch of messages (64, sections up to
// 1 MB in all), STATUS, LIST, SELECT's lookup, the HIGHESTMODSEQ read,
// and bringing a selected mailbox up to date before a response
// (session::report_changes: its \Recent claims are made in memory); for
// submission and LMTP, a recipient's lookup (smtp::session::quick_read).
// Reads that may write (a SEARCH that brings the index up to date), FETCH
// of more messages or of sections streamed in pieces, and heavy CPU work
// (SORT, a login's password check) always go to their pools. Connections
// the store's pool evicts are closed by its sweeper thread, not by the
// thread that gave them back (a last close checkpoints and syncs).

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lemonade::net {

class inline_reads {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds cooldown{1};

  // A zero budget never runs a read inline.
  explicit inline_reads(std::chrono::microseconds budget) : budget_(budget) {}

  bool admit() const {
    return budget_.count() > 0 && clock::now().time_since_epoch().count() >= pooled_until_.load(std::memory_order_relaxed);
  }
  // How long an inline read took.
  void took(clock::duration d) {
    if (d <= budget_) return;
    pooled_until_.store((clock::now() + cooldown).time_since_epoch().count(), std::memory_order_relaxed);
    over_.fetch_add(1, std::memory_order_relaxed);
  }
  // Inline reads that went over the budget so far (tests, metrics).
  std::uint64_t over_budget() const { return over_.load(std::memory_order_relaxed); }

 private:
  std::chrono::microseconds budget_;
  std::atomic<clock::rep> pooled_until_{0};
  std::atomic<std::uint64_t> over_{0};
};

}  // namespace lemonade::net
