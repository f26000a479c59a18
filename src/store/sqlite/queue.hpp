#pragma once
// The outbound queue on SQLite: DATA_DIR/queue/queue.db for envelopes and
// recipients, DATA_DIR/queue/blobs/ for contents (content-addressed like
// account blobs, shared by identical messages, collected when no queued
// message refers to them). Writes go through a commit queue: concurrent
// submissions share fsyncs (group commit, DESIGN.md §5).

#include <filesystem>
#include <memory>

#include "store/api/queue.hpp"
#include "store/blob/blob_store.hpp"
#include "store/sqlite/commit_queue.hpp"
#include "store/sqlite/pool.hpp"

namespace lemonade::store::sqlite {

class sqlite_queue final : public mail_queue {
 public:
  // min_free_space: store_limits::min_free_space, kept free as for mail.
  sqlite_queue(const std::filesystem::path& dir, connection_pool& pool, std::uint64_t min_free_space = 0);

  std::unique_ptr<staged_message> stage() override;
  std::int64_t enqueue(queued_message m, staged_message& content) override;
  std::vector<queued_message> due(std::int64_t now, std::size_t limit) override;
  std::optional<queued_message> find(std::int64_t id) override;
  std::vector<queued_message> list() override;
  queue_stats stats() override;
  void mark_delay_reported(std::int64_t recipient) override;
  std::string read(const queued_message& m, std::uint64_t offset, std::uint64_t length) override;
  void record(std::int64_t recipient, recipient_state state, const std::string& reply,
              std::int64_t next_attempt) override;
  void remove(std::int64_t id) override;
  bool retry_now(std::int64_t id) override;

 private:
  std::vector<queued_message> load(db& d, const char* where_sql, std::int64_t a, std::int64_t b);
  void collect_garbage(db& d, const after_commit& after);

  void check_space() const;

  std::filesystem::path file_;
  connection_pool& pool_;
  std::uint64_t min_free_space_;
  blob_store blobs_;
  commit_queue writes_;
};

}  // namespace lemonade::store::sqlite
