#include "store/sqlite/users.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>

#include "auth/aead.hpp"
#include "auth/smime.hpp"
#include "core/strings.hpp"
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

bool valid_proxy_label(std::string_view label) {
  if (label.empty() || label.size() > 32) return false;
  for (char c : label) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

sqlite_users::sqlite_users(const std::filesystem::path& file, std::filesystem::path mail_root,
                           std::filesystem::path master_key_file)
    : db_(file), mail_root_(std::move(mail_root)), master_key_file_(std::move(master_key_file)) {
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
// The id of a user by name; throws error{nonexistent}.
std::int64_t user_id(db& d, std::string_view user) {
  auto& f = d.cached("SELECT id FROM users WHERE name = ?1");
  f.bind(1, user);
  if (!f.step()) {
    f.reset();
    throw error(error::code::nonexistent, "no such user");
  }
  auto id = f.int64(0);
  f.reset();
  return id;
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
    id = user_id(db_, name);
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

namespace {
constexpr const char* all_proxies =
    "SELECT u.id, u.name, p.password_hash, p.scram_salt, p.scram_iterations, p.scram_stored_key, "
    "p.scram_server_key, p.label, p.allow FROM proxy_identities p JOIN users u ON u.id = p.user_id";
const std::string select_proxy = std::string(all_proxies) + " WHERE u.name = ?1";

user_record read_proxy(const statement& s) {
  auto r = read_user(s);
  // The hash string holds its own random salt: each password set differs.
  r.proxy = proxy_grant{s.text(7), static_cast<unsigned>(s.int64(8)), std::hash<std::string>{}(r.password_hash)};
  return r;
}
}  // namespace

void sqlite_users::add_proxy(const user_record& r) {
  if (!r.proxy || !valid_proxy_label(r.proxy->label))
    throw error(error::code::invalid_name, "proxy labels are 1-32 letters, digits, '.', '_' or '-'");
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto id = user_id(db_, r.name);
    auto& f = db_.cached("SELECT 1 FROM proxy_identities WHERE user_id = ?1 AND label = ?2");
    if (f.bind(1, id).bind(2, r.proxy->label).step()) {
      f.reset();
      throw error(error::code::already_exists, "proxy identity already exists");
    }
    f.reset();
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    bind_credentials(db_.cached("INSERT INTO proxy_identities(label, password_hash, scram_salt, scram_iterations, "
                                "scram_stored_key, scram_server_key, user_id, allow, created) "
                                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                     r)
        .bind(1, r.proxy->label)
        .bind(7, id)
        .bind(8, static_cast<std::int64_t>(r.proxy->allow))
        .bind(9, now)
        .run();
  });
}

void sqlite_users::remove_proxy(std::string_view user, std::string_view label) {
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto id = user_id(db_, user);
    db_.cached("DELETE FROM proxy_identities WHERE user_id = ?1 AND label = ?2").bind(1, id).bind(2, label).run();
    if (db_.changes() == 0) throw error(error::code::nonexistent, "no such proxy identity");
  });
}

void sqlite_users::set_proxy_allowances(std::string_view user, std::string_view label, unsigned allow) {
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto id = user_id(db_, user);
    db_.cached("UPDATE proxy_identities SET allow = ?3 WHERE user_id = ?1 AND label = ?2")
        .bind(1, id)
        .bind(2, label)
        .bind(3, static_cast<std::int64_t>(allow))
        .run();
    if (db_.changes() == 0) throw error(error::code::nonexistent, "no such proxy identity");
  });
}

std::vector<user_record> sqlite_users::list_proxies(std::string_view user) {
  std::lock_guard lock(mu_);
  static const std::string sql = select_proxy + " ORDER BY p.label";
  auto& s = db_.cached(sql.c_str());
  s.bind(1, user);
  std::vector<user_record> out;
  while (s.step()) out.push_back(read_proxy(s));
  s.reset();
  return out;
}

std::vector<user_record> sqlite_users::list_all_proxies() {
  std::lock_guard lock(mu_);
  auto& s = db_.cached(all_proxies);
  std::vector<user_record> out;
  while (s.step()) out.push_back(read_proxy(s));
  s.reset();
  return out;
}

std::optional<user_record> sqlite_users::find_proxy(std::string_view user, std::string_view label) {
  std::lock_guard lock(mu_);
  static const std::string sql = select_proxy + " AND p.label = ?2";
  auto& s = db_.cached(sql.c_str());
  s.bind(1, user).bind(2, label);
  std::optional<user_record> out;
  if (s.step()) out = read_proxy(s);
  s.reset();
  return out;
}

// Device keys -------------------------------------------------------------

namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a wrapped key is bound to: its owner and its id, so a row's wrapped
// secret copied to another user or key does not unwrap.
std::string wrap_context(std::int64_t user, std::string_view key_id) {
  return "lemonade-device-key/1 " + std::to_string(user) + " " + core::hex_encode(key_id);
}

constexpr const char* select_keys = "SELECT key_id, device, created, revoked, wrapped FROM device_keys";

device_key read_key(const statement& s) {
  device_key k;
  k.id = s.blob(0);
  k.device = s.text(1);
  k.created = s.int64(2);
  if (!s.is_null(3)) k.revoked = s.int64(3);
  return k;
}

}  // namespace

const std::string& sqlite_users::master_key(bool make) {
  if (!master_key_.empty()) return master_key_;
  const auto& file = master_key_file_;
  if (!std::filesystem::exists(file)) {
    if (!make)
      throw std::runtime_error("master key file " + file.string() +
                               " is missing: device keys cannot be read without it");
    // A new master key only for a store with no device keys yet: one made
    // while keys exist would leave every one of them unreadable.
    auto& any = db_.cached("SELECT 1 FROM device_keys UNION ALL SELECT 1 FROM server_smime LIMIT 1");
    bool keys = any.step();
    any.reset();
    if (keys)
      throw std::runtime_error("master key file " + file.string() +
                               " is missing but device keys exist: restore it (a new one would not open them)");
    // 64 hex digits, readable only by the server's user, written whole to
    // a file of its own and linked into place: a crash leaves no partial
    // key, and of two processes making the first key one wins (link fails
    // with EEXIST for the other, which reads the winner's).
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    auto tmp = file;
    tmp += ".new." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot make master key file " + tmp.string());
    auto text = core::hex_encode(auth::aead::random_octets(auth::aead::key_size)) + "\n";
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (ok && ::link(tmp.c_str(), file.c_str()) != 0 && errno != EEXIST) ok = false;
    std::filesystem::remove(tmp);
    if (!ok) throw std::runtime_error("cannot write master key file " + file.string());
    if (int dir = ::open(file.has_parent_path() ? file.parent_path().c_str() : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }
  auto perms = std::filesystem::status(file).permissions();
  using p = std::filesystem::perms;
  if ((perms & (p::group_all | p::others_all)) != p::none)
    throw std::runtime_error("master key file " + file.string() + " is readable by others: chmod 600 it");
  std::ifstream in(file);
  std::string text;
  if (!(in >> text)) throw std::runtime_error("cannot read master key file " + file.string());
  auto key = core::hex_decode(text);
  if (!key || key->size() != auth::aead::key_size)
    throw std::runtime_error("master key file " + file.string() + " does not hold 64 hex digits");
  master_key_ = std::move(*key);
  return master_key_;
}

device_key sqlite_users::insert_device_key(std::int64_t user, std::string_view device) {
  device_key k;
  k.id = auth::aead::random_octets(8);
  k.device = std::string(device);
  k.created = now_seconds();
  k.secret = auth::aead::random_octets(auth::aead::key_size);
  auto nonce = auth::aead::random_octets(auth::aead::nonce_size);
  auto wrapped = nonce + auth::aead::seal(master_key(true), nonce, wrap_context(user, k.id), k.secret);
  db_.cached("INSERT INTO device_keys(key_id, user_id, device, wrapped, created) VALUES(?1, ?2, ?3, ?4, ?5)")
      .bind_blob(1, k.id)
      .bind(2, user)
      .bind(3, k.device)
      .bind_blob(4, wrapped)
      .bind(5, k.created)
      .run();
  return k;
}

device_key sqlite_users::add_device_key(std::string_view user, std::string_view device) {
  if (!valid_proxy_label(device))
    throw error(error::code::invalid_name, "device names are 1-32 letters, digits, '.', '_' or '-'");
  std::lock_guard lock(mu_);
  device_key k;
  immediate_transaction(db_, [&] { k = insert_device_key(user_id(db_, user), device); });
  return k;
}

device_key sqlite_users::rotate_device_key(std::string_view user, std::string_view id) {
  std::lock_guard lock(mu_);
  device_key k;
  immediate_transaction(db_, [&] {
    auto uid = user_id(db_, user);
    auto& f = db_.cached("SELECT device FROM device_keys WHERE key_id = ?1 AND user_id = ?2 AND revoked IS NULL");
    f.bind_blob(1, id).bind(2, uid);
    if (!f.step()) {
      f.reset();
      throw error(error::code::nonexistent, "no such key in use");
    }
    auto device = f.text(0);
    f.reset();
    db_.cached("UPDATE device_keys SET revoked = ?2 WHERE key_id = ?1").bind_blob(1, id).bind(2, now_seconds()).run();
    k = insert_device_key(uid, device);
  });
  return k;
}

void sqlite_users::revoke_device_key(std::string_view user, std::string_view id) {
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto uid = user_id(db_, user);
    db_.cached("UPDATE device_keys SET revoked = ?3 WHERE key_id = ?1 AND user_id = ?2 AND revoked IS NULL")
        .bind_blob(1, id)
        .bind(2, uid)
        .bind(3, now_seconds())
        .run();
    if (db_.changes() == 0) throw error(error::code::nonexistent, "no such key in use");
  });
}

std::vector<device_key> sqlite_users::list_device_keys(std::string_view user) {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string(select_keys) + " WHERE user_id = (SELECT id FROM users WHERE name = ?1) ORDER BY created, device";
  auto& s = db_.cached(sql.c_str());
  s.bind(1, user);
  std::vector<device_key> out;
  while (s.step()) out.push_back(read_key(s));
  s.reset();
  return out;
}

sqlite_users::~sqlite_users() { auth::aead::wipe(master_key_); }

std::vector<std::string> sqlite_users::device_keys_in_use() {
  std::lock_guard lock(mu_);
  auto& s = db_.cached("SELECT key_id FROM device_keys WHERE revoked IS NULL");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.blob(0));
  s.reset();
  return out;
}

std::optional<device_key> sqlite_users::find_device_key(std::string_view user, std::string_view id) {
  std::lock_guard lock(mu_);
  auto& s = db_.cached(
      "SELECT k.key_id, k.device, k.created, k.revoked, k.wrapped, u.id FROM device_keys k "
      "JOIN users u ON u.id = k.user_id WHERE u.name = ?1 AND k.key_id = ?2 AND k.revoked IS NULL");
  s.bind(1, user).bind_blob(2, id);
  std::optional<device_key> out;
  std::string wrapped;
  std::int64_t uid = 0;
  if (s.step()) {
    out = read_key(s);
    wrapped = s.blob(4);
    uid = s.int64(5);
  }
  s.reset();
  if (!out) return out;
  const auto& master = master_key(false);
  constexpr auto n = auth::aead::nonce_size;
  auto secret = wrapped.size() > n ? auth::aead::open(master, std::string_view(wrapped).substr(0, n),
                                                      wrap_context(uid, out->id), std::string_view(wrapped).substr(n))
                                   : std::nullopt;
  if (!secret)
    throw std::runtime_error("device key " + core::hex_encode(out->id) + " of " + std::string(user) +
                             " does not unwrap under the master key in " + master_key_file_.string());
  out->secret = std::move(*secret);
  return out;
}

namespace {
// Throws error{limit} ("at most <max> <what>") unless the user's count
// (`count_sql`, the user's id as ?1) is below max.
void require_below(db& d, const char* count_sql, std::int64_t user, unsigned max, const std::string& what) {
  auto& n = d.cached(count_sql);
  n.bind(1, user);
  auto count = n.step() ? n.int64(0) : 0;
  n.reset();
  if (count >= static_cast<std::int64_t>(max)) throw error(error::code::limit, "at most " + std::to_string(max) + " " + what);
}
}  // namespace

void sqlite_users::add_pairing_code(std::string_view user, std::string_view device, std::string_view code_hash,
                                    std::int64_t now, std::int64_t expires, unsigned max) {
  if (!valid_proxy_label(device))
    throw error(error::code::invalid_name, "device names are 1-32 letters, digits, '.', '_' or '-'");
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto uid = user_id(db_, user);
    // Codes past their time are of no use to anyone: gone with each new one.
    db_.cached("DELETE FROM pairing_codes WHERE expires <= ?1").bind(1, now).run();
    require_below(db_, "SELECT count(*) FROM pairing_codes WHERE user_id = ?1", uid, max,
                  "unredeemed pairing codes per user");
    db_.cached("INSERT INTO pairing_codes(code_hash, user_id, device, expires) VALUES(?1, ?2, ?3, ?4)")
        .bind_blob(1, code_hash)
        .bind(2, uid)
        .bind(3, device)
        .bind(4, expires)
        .run();
  });
}

std::optional<std::pair<std::string, device_key>> sqlite_users::redeem_pairing_code(std::string_view code_hash,
                                                                                    std::int64_t now) {
  std::lock_guard lock(mu_);
  std::optional<std::pair<std::string, device_key>> out;
  immediate_transaction(db_, [&] {
    auto& f = db_.cached(
        "SELECT p.user_id, p.device, p.expires, u.name FROM pairing_codes p JOIN users u ON u.id = p.user_id "
        "WHERE p.code_hash = ?1");
    f.bind_blob(1, code_hash);
    if (!f.step()) {
      f.reset();
      return;
    }
    auto uid = f.int64(0);
    auto device = f.text(1);
    auto expires = f.int64(2);
    auto name = f.text(3);
    f.reset();
    // One use only, in time or not.
    db_.cached("DELETE FROM pairing_codes WHERE code_hash = ?1").bind_blob(1, code_hash).run();
    if (expires <= now) return;
    out.emplace(std::move(name), insert_device_key(uid, device));
  });
  return out;
}

namespace {
// What a wrapped server S/MIME key is bound to: its owner.
std::string smime_wrap_context(std::int64_t user) { return "lemonade-server-smime/1 " + std::to_string(user); }
}  // namespace

std::optional<server_smime> sqlite_users::read_server_smime(std::int64_t user) {
  auto& s = db_.cached("SELECT certificate, wrapped_key FROM server_smime WHERE user_id = ?1");
  s.bind(1, user);
  std::optional<server_smime> out;
  std::string wrapped;
  if (s.step()) {
    out.emplace();
    out->certificate = s.blob(0);
    wrapped = s.blob(1);
  }
  s.reset();
  if (!out) return out;
  constexpr auto n = auth::aead::nonce_size;
  auto key = wrapped.size() > n ? auth::aead::open(master_key(false), std::string_view(wrapped).substr(0, n),
                                                   smime_wrap_context(user), std::string_view(wrapped).substr(n))
                                : std::nullopt;
  if (!key) throw std::runtime_error("the server's S/MIME key does not unwrap under the master key");
  out->private_key = std::move(*key);
  return out;
}

std::optional<server_smime> sqlite_users::find_server_smime(std::string_view user) {
  std::lock_guard lock(mu_);
  return read_server_smime(user_id(db_, user));
}

server_smime sqlite_users::make_server_smime(std::string_view user) {
  std::lock_guard lock(mu_);
  server_smime out;
  immediate_transaction(db_, [&] {
    auto uid = user_id(db_, user);
    if (auto have = read_server_smime(uid)) {
      out = std::move(*have);
      return;
    }
    auto made = auth::smime::make_identity(std::string(user), 3650);
    auto nonce = auth::aead::random_octets(auth::aead::nonce_size);
    auto wrapped = nonce + auth::aead::seal(master_key(true), nonce, smime_wrap_context(uid), made.private_key);
    db_.cached("INSERT INTO server_smime(user_id, certificate, wrapped_key, created) VALUES(?1, ?2, ?3, ?4)")
        .bind(1, uid)
        .bind_blob(2, made.certificate)
        .bind_blob(3, wrapped)
        .bind(4, now_seconds())
        .run();
    out = {std::move(made.certificate), std::move(made.private_key)};
  });
  return out;
}

void sqlite_users::add_app_password(std::string_view user, std::string_view label, std::string_view hash) {
  if (!valid_proxy_label(label))
    throw error(error::code::invalid_name, "labels are 1-32 letters, digits, '.', '_' or '-'");
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto uid = user_id(db_, user);
    auto& dup = db_.cached("SELECT 1 FROM app_passwords WHERE user_id = ?1 AND label = ?2");
    dup.bind(1, uid).bind(2, label);
    bool exists = dup.step();
    dup.reset();
    if (exists) throw error(error::code::already_exists, "an app password with that label exists");
    db_.cached("INSERT INTO app_passwords(user_id, label, hash, created) VALUES(?1, ?2, ?3, ?4)")
        .bind(1, uid)
        .bind(2, label)
        .bind_blob(3, hash)
        .bind(4, now_seconds())
        .run();
  });
}

void sqlite_users::remove_app_password(std::string_view user, std::string_view label) {
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto uid = user_id(db_, user);
    db_.cached("DELETE FROM app_passwords WHERE user_id = ?1 AND label = ?2").bind(1, uid).bind(2, label).run();
    if (db_.changes() == 0) throw error(error::code::nonexistent, "no such app password");
  });
}

std::vector<app_password> sqlite_users::list_app_passwords(std::string_view user) {
  std::lock_guard lock(mu_);
  auto& s = db_.cached(
      "SELECT label, created FROM app_passwords WHERE user_id = (SELECT id FROM users WHERE name = ?1) "
      "ORDER BY created, label");
  s.bind(1, user);
  std::vector<app_password> out;
  while (s.step()) out.push_back({s.text(0), s.int64(1)});
  s.reset();
  return out;
}

std::optional<std::string> sqlite_users::find_app_password(std::string_view user, std::string_view hash) {
  std::lock_guard lock(mu_);
  auto& s = db_.cached(
      "SELECT a.label FROM app_passwords a JOIN users u ON u.id = a.user_id WHERE u.name = ?1 AND a.hash = ?2");
  s.bind(1, user).bind_blob(2, hash);
  std::optional<std::string> out;
  if (s.step()) out = s.text(0);
  s.reset();
  return out;
}

void sqlite_users::add_smime_certificate(std::string_view user, const smime_certificate& c, unsigned max) {
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto uid = user_id(db_, user);
    auto& dup = db_.cached("SELECT 1 FROM smime_certificates WHERE user_id = ?1 AND fingerprint = ?2");
    dup.bind(1, uid).bind_blob(2, c.fingerprint);
    bool exists = dup.step();
    dup.reset();
    if (exists) throw error(error::code::already_exists, "that certificate is already there");
    require_below(db_, "SELECT count(*) FROM smime_certificates WHERE user_id = ?1", uid, max,
                  "S/MIME certificates per user");
    db_.cached(
           "INSERT INTO smime_certificates(user_id, fingerprint, subject, not_after, der, added) "
           "VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(1, uid)
        .bind_blob(2, c.fingerprint)
        .bind(3, c.subject)
        .bind(4, c.not_after)
        .bind_blob(5, c.der)
        .bind(6, now_seconds())
        .run();
  });
}

void sqlite_users::remove_smime_certificate(std::string_view user, std::string_view fingerprint) {
  std::lock_guard lock(mu_);
  immediate_transaction(db_, [&] {
    auto uid = user_id(db_, user);
    db_.cached("DELETE FROM smime_certificates WHERE user_id = ?1 AND fingerprint = ?2")
        .bind(1, uid)
        .bind_blob(2, fingerprint)
        .run();
    if (db_.changes() == 0) throw error(error::code::nonexistent, "no such certificate");
  });
}

std::vector<smime_certificate> sqlite_users::list_smime_certificates(std::string_view user) {
  std::lock_guard lock(mu_);
  auto& s = db_.cached(
      "SELECT fingerprint, subject, not_after, der, added FROM smime_certificates "
      "WHERE user_id = (SELECT id FROM users WHERE name = ?1) ORDER BY added, fingerprint");
  s.bind(1, user);
  std::vector<smime_certificate> out;
  while (s.step()) out.push_back({s.blob(0), s.text(1), s.int64(2), s.int64(4), s.blob(3)});
  s.reset();
  return out;
}

}  // namespace lemonade::store::sqlite
