#pragma once
// A thin RAII layer over one SQLite connection. Not thread-safe: a
// connection belongs to one thread at a time (the commit queue's leader,
// or a reader borrowed from the pool).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace lemonade::store::sqlite {

struct db_error : std::runtime_error {
  int code;
  db_error(int c, const std::string& msg) : std::runtime_error(msg), code(c) {}
};

class statement {
 public:
  statement(sqlite3* db, std::string_view sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  // Binding is 1-based, as in SQLite.
  statement& bind(int i, std::int64_t v);
  statement& bind(int i, std::string_view text);
  statement& bind_blob(int i, std::string_view bytes);
  statement& bind_null(int i);
  // Runs one step: true while a row is available.
  bool step();
  // Runs to completion, ignoring rows.
  void run();
  void reset();

  std::int64_t int64(int col) const;
  std::string text(int col) const;
  std::string blob(int col) const;
  bool is_null(int col) const;

 private:
  friend class db;
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool used_ = false;  // taken from db::cached() since the last reset_all()
};

class db {
 public:
  // Opens (creating) the file in WAL mode with synchronous=FULL: a commit
  // returns once it is on disk.
  explicit db(const std::filesystem::path& file);
  ~db();
  db(const db&) = delete;
  db& operator=(const db&) = delete;

  void exec(const char* sql);
  // One statement without parameters or rows, prepared once per
  // connection (a string literal, as for cached()).
  void run(const char* sql) { cached(sql).run(); }
  // A statement prepared once per connection and reset for each use; sql
  // must be a string literal (the pointer is the cache key).
  statement& cached(const char* sql);
  // Resets every cached statement used since the last call. A statement
  // stopped before its last row keeps its read snapshot open (stale reads,
  // blocked checkpoints), so borrowers call this when they are done.
  void reset_all();
  std::int64_t last_insert_rowid() const;
  int changes() const;

  std::optional<std::string> meta(std::string_view key);
  void set_meta(std::string_view key, std::string_view value);

 private:
  sqlite3* h_ = nullptr;
  std::unordered_map<const char*, std::unique_ptr<statement>> cache_;
  // The cached statements handed out since the last reset_all(): a
  // connection caches dozens, a command uses a few, and resetting them all
  // each time a connection went back to the pool cost 5% of the server's
  // CPU under the population benchmark.
  std::vector<statement*> used_;
};

}  // namespace lemonade::store::sqlite
