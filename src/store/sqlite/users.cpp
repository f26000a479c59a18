#include "store/sqlite/users.hpp"

#include <chrono>

#include "store/sqlite/schema.hpp"

namespace lemonade::store::sqlite {
namespace {

user_record read_user(const statement& s) {
  user_record u;
  u.id = s.int64(0);
  u.name = s.text(1);
  u.password_hash = s.text(2);
  u.scram.salt = s.blob(3);
  u.scram.iterations = static_cast<unsigned>(s.int64(4));
  u.scram.stored_key = s.blob(5);
  u.scram.server_key = s.blob(6);
  return u;
}

// ?1 name, ?2 hash, ?3-?6 the SCRAM verifier.
statement& bind_credentials(statement& s, const user_record& r) {
  return s.bind(1, r.name)
      .bind(2, r.password_hash)
      .bind_blob(3, r.scram.salt)
      .bind(4, static_cast<std::int64_t>(r.scram.iterations))
      .bind_blob(5, r.scram.stored_key)
      .bind_blob(6, r.scram.server_key);
}

constexpr const char* select_user =
    "SELECT id, name, password_hash, scram_salt, scram_iterations, scram_stored_key, "
    "scram_server_key FROM users";

}  // namespace

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return false;
  }
  return true;
}

sqlite_users::sqlite_users(const std::filesystem::path& file, std::filesystem::path mail_root)
    : db_(file), mail_root_(std::move(mail_root)) {
  migrate_users(db_);
  db_.reset_all();
}

namespace {
// Runs f in one write transaction taken at once: a read first and an
// upgrade later fails at once ("database is locked") when another process
// (a second `lemonade user add`) wrote in between, instead of waiting.
template <class F>
void immediate_transaction(db& d, F f) {
  d.exec("BEGIN IMMEDIATE");
  try {
    f();
    d.reset_all();
    d.exec("COMMIT");
  } catch (...) {
    d.reset_all();
    d.exec("ROLLBACK");
    throw;
  }
}
}  // namespace

user_record sqlite_users::add_user(const user_record& r) {
  if (!valid_user_name(r.name))
    throw error(error::code::invalid_name,
                "user names are 1-64 letters, digits, '.', '_', '-' or '@'");
  std::lock_guard lock(mu_);
  user_record out = r;
  immediate_transaction(db_, [&] {
    if (auto& f = db_.cached("SELECT 1 FROM users WHERE name = ?1"); f.bind(1, r.name).step()) {
      f.reset();
      throw error(error::code::already_exists, "user already exists");
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    bind_credentials(db_.cached("INSERT INTO users(name, password_hash, scram_salt, scram_iterations, "
                                "scram_stored_key, scram_server_key, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                     r)
        .bind(7, now)
        .run();
    out.id = db_.last_insert_rowid();
  });
  return out;
}

void sqlite_users::update_credentials(const user_record& r) {
  std::lock_guard lock(mu_);
  bind_credentials(db_.cached("UPDATE users SET password_hash = ?2, scram_salt = ?3, scram_iterations = ?4, "
                              "scram_stored_key = ?5, scram_server_key = ?6 WHERE name = ?1"),
                   r)
      .run();
  if (db_.changes() == 0) throw error(error::code::nonexistent, "no such user");
}

void sqlite_users::delete_user(std::string_view name) {
  std::lock_guard lock(mu_);
  std::int64_t id = 0;
  immediate_transaction(db_, [&] {
    auto& f = db_.cached("SELECT id FROM users WHERE name = ?1");
    f.bind(1, name);
    if (!f.step()) throw error(error::code::nonexistent, "no such user");
    id = f.int64(0);
    f.reset();
    db_.cached("DELETE FROM users WHERE id = ?1").bind(1, id).run();
  });
  // The row goes first: a crash between the two leaves unreachable files
  // (which `lemonade check` reports), never a user without a mail store.
  std::filesystem::remove_all(mail_root_ / std::to_string(id));
}

std::uint64_t sqlite_users::version() {
  std::lock_guard lock(mu_);
  // Differs between two calls on one connection iff another connection
  // committed in between (https://sqlite.org/pragma.html#pragma_data_version).
  auto& s = db_.cached("PRAGMA data_version");
  std::uint64_t v = s.step() ? static_cast<std::uint64_t>(s.int64(0)) : 0;
  s.reset();
  return v;
}

std::vector<user_record> sqlite_users::list_users() {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string(select_user) + " ORDER BY name";
  auto& s = db_.cached(sql.c_str());
  std::vector<user_record> out;
  while (s.step()) out.push_back(read_user(s));
  s.reset();
  return out;
}

std::optional<user_record> sqlite_users::find_user(std::string_view name) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string(select_user) + " WHERE name = ?1";
  auto& s = db_.cached(sql.c_str());
  s.bind(1, name);
  std::optional<user_record> out;
  if (s.step()) out = read_user(s);
  s.reset();
  return out;
}

}  // namespace lemonade::store::sqlite
