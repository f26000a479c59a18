#include "store/sqlite/db.hpp"

#include "store/sqlite/memory.hpp"
#include "store/sqlite/trigram_tokenizer.hpp"

#include <sqlite3.h>

namespace lemonade::store::sqlite {
namespace {
[[noreturn]] void fail(sqlite3* h, int rc, std::string_view what) {
  throw db_error(rc, std::string(what) + ": " + (h ? sqlite3_errmsg(h) : sqlite3_errstr(rc)));
}
}  // namespace

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, "prepare");
}

statement::~statement() { sqlite3_finalize(stmt_); }

statement& statement::bind(int i, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}
statement& statement::bind(int i, std::string_view text) {
  if (int rc = sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      rc != SQLITE_OK)
    fail(db_, rc, "bind");
  return *this;
}
statement& statement::bind_blob(int i, std::string_view bytes) {
  if (int rc = sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    fail(db_, rc, "bind");
  return *this;
}
statement& statement::bind_null(int i) {
  if (int rc = sqlite3_bind_null(stmt_, i); rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

bool statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "step");
}

void statement::run() {
  while (step()) {
  }
}

void statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
std::string statement::text(int col) const {
  auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::string statement::blob(int col) const {
  auto* p = sqlite3_column_blob(stmt_, col);
  return p ? std::string(static_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
bool statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

db::db(const std::filesystem::path& file) {
  install_memory_allocator();  // before SQLite initialises: memory.hpp
  int rc = sqlite3_open_v2(file.c_str(), &h_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = h_ ? sqlite3_errmsg(h_) : sqlite3_errstr(rc);
    sqlite3_close(h_);
    h_ = nullptr;
    throw db_error(rc, "open " + file.string() + ": " + msg);
  }
  sqlite3_busy_timeout(h_, 10000);
  exec("PRAGMA journal_mode=WAL");
  // DESIGN.md §5: an acknowledged change is on disk. In WAL mode FULL
  // syncs the log at every commit.
  exec("PRAGMA synchronous=FULL");
  exec("PRAGMA foreign_keys=ON");
  // Debian builds SQLite with SECURE_DELETE on: every page a DELETE frees
  // would be zeroed and so written to the log, and expunging 50 MB of
  // messages would need 50 MB of free disk, where it is most needed to
  // make room (a full disk: store_limits::min_free_space). FAST zeroes
  // deleted content only where that costs no extra write; freed pages go
  // back to the free list as the blob files of expunged mail go back to
  // the file system, not overwritten.
  exec("PRAGMA secure_delete=FAST");
  register_trigram_tokenizer(h_);
}

db::~db() {
  cache_.clear();
  sqlite3_close(h_);
}

void db::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(h_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw db_error(rc, msg);
  }
}

statement& db::cached(const char* sql) {
  auto it = cache_.find(sql);
  statement* st = nullptr;
  if (it != cache_.end()) {
    st = it->second.get();
    st->reset();
  } else {
    // Prepared before it enters the cache: a failed prepare leaves no
    // empty entry behind.
    st = cache_.emplace(sql, std::make_unique<statement>(h_, sql)).first->second.get();
  }
  if (!st->used_) {
    st->used_ = true;
    used_.push_back(st);
  }
  return *st;
}

void db::reset_all() {
  for (auto* st : used_) {
    st->reset();
    st->used_ = false;
  }
  used_.clear();
}

std::int64_t db::last_insert_rowid() const { return sqlite3_last_insert_rowid(h_); }
int db::changes() const { return sqlite3_changes(h_); }

std::optional<std::string> db::meta(std::string_view key) {
  auto& s = cached("SELECT value FROM meta WHERE key = ?1");
  s.bind(1, key);
  if (s.step()) return s.text(0);
  return std::nullopt;
}

void db::set_meta(std::string_view key, std::string_view value) {
  auto& s = cached("INSERT INTO meta(key, value) VALUES(?1, ?2) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  s.bind(1, key).bind(2, value).run();
}

}  // namespace lemonade::store::sqlite
