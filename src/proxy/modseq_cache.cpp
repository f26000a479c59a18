#include "proxy/modseq_cache.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "core/strings.hpp"
#include "store/sqlite/db.hpp"

namespace lemonade::proxy {

namespace {

using store::sqlite::db;

std::uint64_t floor_now() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::int64_t seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One transaction: committed at the end of the scope unless an exception
// leaves it (then rolled back).
class transaction {
 public:
  explicit transaction(db& d) : d_(d) { d_.run("BEGIN IMMEDIATE"); }
  ~transaction() {
    if (!done_) {
      try {
        d_.run("ROLLBACK");
      } catch (...) {
      }
    }
    d_.reset_all();
  }
  void commit() {
    d_.run("COMMIT");
    done_ = true;
  }

 private:
  db& d_;
  bool done_ = false;
};

}  // namespace

std::string canonical_flags(const std::vector<std::string>& flags) {
  std::vector<std::string> up;
  for (auto& f : flags) {
    auto u = core::to_upper(f);
    if (u == "\\RECENT") continue;
    up.push_back(std::move(u));
  }
  std::sort(up.begin(), up.end());
  up.erase(std::unique(up.begin(), up.end()), up.end());
  std::string out;
  for (auto& f : up) {
    if (!out.empty()) out += ' ';
    out += f;
  }
  return out;
}

modseq_cache::modseq_cache(const std::filesystem::path& file) : db_(std::make_unique<db>(file)) {
  // The cache can be rebuilt from the backend: a commit need not wait for
  // the disk (the floor below covers what a power failure loses).
  db_->exec("PRAGMA synchronous=NORMAL");
  db_->exec(
      "CREATE TABLE IF NOT EXISTS mailbox ("
      " id INTEGER PRIMARY KEY, user TEXT NOT NULL, name TEXT NOT NULL,"
      " uidvalidity INTEGER NOT NULL, highest INTEGER NOT NULL, base INTEGER NOT NULL,"
      " fingerprint TEXT NOT NULL DEFAULT '',"
      " UNIQUE (user, name));"
      "CREATE TABLE IF NOT EXISTS message ("
      " mailbox INTEGER NOT NULL REFERENCES mailbox(id) ON DELETE CASCADE, uid INTEGER NOT NULL,"
      " flags TEXT NOT NULL, modseq INTEGER NOT NULL, PRIMARY KEY (mailbox, uid)) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS message_modseq ON message (mailbox, modseq);"
      "CREATE TABLE IF NOT EXISTS expunged ("
      " mailbox INTEGER NOT NULL REFERENCES mailbox(id) ON DELETE CASCADE, uid INTEGER NOT NULL,"
      " modseq INTEGER NOT NULL, at INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (mailbox, uid)) WITHOUT ROWID;");
  // A file from before expunges had a time (`at`, seconds since the
  // epoch, for trim()): they count from now.
  auto& has_at = db_->cached("SELECT count(*) FROM pragma_table_info('expunged') WHERE name = 'at'");
  bool missing = has_at.step() && has_at.int64(0) == 0;
  db_->reset_all();
  if (missing) db_->exec("ALTER TABLE expunged ADD COLUMN at INTEGER NOT NULL DEFAULT 0");
  db_->cached("UPDATE expunged SET at = ?1 WHERE at = 0").bind(1, seconds_now()).run();
  // RFC 7162 §3.1: never below a MODSEQ already given out, even one whose
  // commit a power failure lost.
  db_->cached("UPDATE mailbox SET highest = ?1 WHERE highest < ?1")
      .bind(1, static_cast<std::int64_t>(floor_now()))
      .run();
  db_->reset_all();
}

modseq_cache::~modseq_cache() = default;

std::uint64_t modseq_cache::bump(std::int64_t mailbox) {
  auto& up = db_->cached("UPDATE mailbox SET highest = highest + 1 WHERE id = ?1 RETURNING highest");
  up.bind(1, mailbox);
  if (!up.step()) throw std::runtime_error("modseq cache: no mailbox " + std::to_string(mailbox));
  auto v = static_cast<std::uint64_t>(up.int64(0));
  up.reset();
  return v;
}

modseq_cache::mailbox modseq_cache::open(std::string_view user, std::string_view name, std::uint32_t uidvalidity) {
  std::lock_guard lock(mu_);
  transaction tx(*db_);
  auto& get = db_->cached("SELECT id, uidvalidity, highest, base FROM mailbox WHERE user = ?1 AND name = ?2");
  get.bind(1, user).bind(2, name);
  mailbox out;
  if (get.step()) {
    out.id = get.int64(0);
    auto held = static_cast<std::uint32_t>(get.int64(1));
    out.highest = static_cast<std::uint64_t>(get.int64(2));
    out.base = static_cast<std::uint64_t>(get.int64(3));
    get.reset();
    if (held != uidvalidity) {
      out.highest = bump(out.id);
      out.base = out.highest;
      db_->cached("DELETE FROM message WHERE mailbox = ?1").bind(1, out.id).run();
      db_->cached("DELETE FROM expunged WHERE mailbox = ?1").bind(1, out.id).run();
      db_->cached("UPDATE mailbox SET uidvalidity = ?2, base = ?3, fingerprint = '' WHERE id = ?1")
          .bind(1, out.id)
          .bind(2, static_cast<std::int64_t>(uidvalidity))
          .bind(3, static_cast<std::int64_t>(out.base))
          .run();
    }
  } else {
    get.reset();
    out.highest = out.base = floor_now();
    db_->cached("INSERT INTO mailbox (user, name, uidvalidity, highest, base) VALUES (?1, ?2, ?3, ?4, ?4)")
        .bind(1, user)
        .bind(2, name)
        .bind(3, static_cast<std::int64_t>(uidvalidity))
        .bind(4, static_cast<std::int64_t>(out.highest))
        .run();
    out.id = db_->last_insert_rowid();
  }
  tx.commit();
  return out;
}

std::vector<std::uint64_t> modseq_cache::observe_all(
    std::int64_t mailbox, const std::vector<std::pair<std::uint32_t, std::string>>& messages, bool complete) {
  std::lock_guard lock(mu_);
  transaction tx(*db_);
  std::unordered_map<std::uint32_t, std::pair<std::string, std::uint64_t>> held;
  {
    auto& all = db_->cached("SELECT uid, flags, modseq FROM message WHERE mailbox = ?1");
    all.bind(1, mailbox);
    while (all.step())
      held.emplace(static_cast<std::uint32_t>(all.int64(0)),
                   std::make_pair(all.text(1), static_cast<std::uint64_t>(all.int64(2))));
    all.reset();
  }
  std::vector<std::uint64_t> out;
  out.reserve(messages.size());
  auto& put = db_->cached("INSERT OR REPLACE INTO message (mailbox, uid, flags, modseq) VALUES (?1, ?2, ?3, ?4)");
  for (auto& [uid, flags] : messages) {
    // UIDs are not used again (RFC 3501 §2.3.1.1): one logged as expunged
    // and listed still is a listing from before the expunge.
    if (auto gone = expunged_at(mailbox, uid)) {
      out.push_back(gone);
      continue;
    }
    auto it = held.find(uid);
    if (it != held.end() && it->second.first == flags) {
      out.push_back(it->second.second);
      held.erase(it);
      continue;
    }
    if (it != held.end()) held.erase(it);
    auto m = bump(mailbox);
    put.reset();
    put.bind(1, mailbox).bind(2, static_cast<std::int64_t>(uid)).bind(3, flags).bind(4, static_cast<std::int64_t>(m));
    put.run();
    out.push_back(m);
  }
  // What is held but was not listed is gone from the backend.
  if (!complete) held.clear();
  for (auto& [uid, v] : held) log_expunge(mailbox, uid);
  tx.commit();
  return out;
}

bool modseq_cache::log_expunge(std::int64_t mailbox, std::uint32_t uid) {
  db_->cached("DELETE FROM message WHERE mailbox = ?1 AND uid = ?2")
      .bind(1, mailbox)
      .bind(2, static_cast<std::int64_t>(uid))
      .run();
  // Another session saw this expunge first: one MODSEQ for it.
  if (db_->changes() == 0) return false;
  db_->cached("INSERT OR REPLACE INTO expunged (mailbox, uid, modseq, at) VALUES (?1, ?2, ?3, ?4)")
      .bind(1, mailbox)
      .bind(2, static_cast<std::int64_t>(uid))
      .bind(3, static_cast<std::int64_t>(bump(mailbox)))
      .bind(4, seconds_now())
      .run();
  return true;
}

modseq_cache::observed modseq_cache::observe(std::int64_t mailbox, std::uint32_t uid, std::string_view flags) {
  std::lock_guard lock(mu_);
  transaction tx(*db_);
  // A late report of a message another session saw expunged: not
  // brought back; its expunge's MODSEQ stands for it.
  if (auto gone = expunged_at(mailbox, uid)) return {gone, false};
  auto& get = db_->cached("SELECT flags, modseq FROM message WHERE mailbox = ?1 AND uid = ?2");
  get.bind(1, mailbox).bind(2, static_cast<std::int64_t>(uid));
  if (get.step() && get.text(0) == flags) {
    auto m = static_cast<std::uint64_t>(get.int64(1));
    get.reset();
    return {m, false};  // the transaction rolls back: nothing was written
  }
  get.reset();
  auto m = bump(mailbox);
  db_->cached("INSERT OR REPLACE INTO message (mailbox, uid, flags, modseq) VALUES (?1, ?2, ?3, ?4)")
      .bind(1, mailbox)
      .bind(2, static_cast<std::int64_t>(uid))
      .bind(3, flags)
      .bind(4, static_cast<std::int64_t>(m))
      .run();
  tx.commit();
  return {m, true};
}

std::uint64_t modseq_cache::expunged_at(std::int64_t mailbox, std::uint32_t uid) {
  auto& q = db_->cached("SELECT modseq FROM expunged WHERE mailbox = ?1 AND uid = ?2");
  q.bind(1, mailbox).bind(2, static_cast<std::int64_t>(uid));
  std::uint64_t v = q.step() ? static_cast<std::uint64_t>(q.int64(0)) : 0;
  q.reset();
  return v;
}

void modseq_cache::restamp(std::int64_t mailbox, std::uint64_t from, std::uint64_t to,
                           const std::function<bool(std::uint32_t, std::string_view)>& delivered,
                           const std::function<bool(std::uint32_t)>& in_view) {
  std::lock_guard lock(mu_);
  transaction tx(*db_);
  auto range = [&](const char* sql) {
    std::vector<std::pair<std::uint32_t, std::string>> rows;
    auto& q = db_->cached(sql);
    q.bind(1, mailbox)
        .bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(from, INT64_MAX)))
        .bind(3, static_cast<std::int64_t>(std::min<std::uint64_t>(to, INT64_MAX)));
    while (q.step()) rows.emplace_back(static_cast<std::uint32_t>(q.int64(0)), q.text(1));
    q.reset();
    return rows;
  };
  bool any = false;
  for (auto& [uid, flags] : range("SELECT uid, flags FROM message WHERE mailbox = ?1 AND modseq > ?2 AND modseq <= ?3")) {
    if (delivered(uid, flags)) continue;
    db_->cached("UPDATE message SET modseq = ?3 WHERE mailbox = ?1 AND uid = ?2")
        .bind(1, mailbox)
        .bind(2, static_cast<std::int64_t>(uid))
        .bind(3, static_cast<std::int64_t>(bump(mailbox)))
        .run();
    any = true;
  }
  for (auto& [uid, unused] : range("SELECT uid, '' FROM expunged WHERE mailbox = ?1 AND modseq > ?2 AND modseq <= ?3")) {
    if (!in_view(uid)) continue;
    db_->cached("UPDATE expunged SET modseq = ?3 WHERE mailbox = ?1 AND uid = ?2")
        .bind(1, mailbox)
        .bind(2, static_cast<std::int64_t>(uid))
        .bind(3, static_cast<std::int64_t>(bump(mailbox)))
        .run();
    any = true;
  }
  if (any) tx.commit();
}

void modseq_cache::expunge(std::int64_t mailbox, std::uint32_t uid) {
  std::lock_guard lock(mu_);
  transaction tx(*db_);
  if (log_expunge(mailbox, uid)) tx.commit();
}

std::uint64_t modseq_cache::mailbox_value(const char* sql, std::int64_t mailbox) {
  std::lock_guard lock(mu_);
  auto& get = db_->cached(sql);
  get.bind(1, mailbox);
  std::uint64_t v = get.step() ? static_cast<std::uint64_t>(get.int64(0)) : 0;
  db_->reset_all();
  return v;
}

std::uint64_t modseq_cache::highest(std::int64_t mailbox) {
  return mailbox_value("SELECT highest FROM mailbox WHERE id = ?1", mailbox);
}

std::uint64_t modseq_cache::base(std::int64_t mailbox) {
  return mailbox_value("SELECT base FROM mailbox WHERE id = ?1", mailbox);
}

std::size_t modseq_cache::trim(std::int64_t before) {
  std::lock_guard lock(mu_);
  transaction tx(*db_);
  db_->cached(
         "UPDATE mailbox SET base = max(base, (SELECT max(modseq) FROM expunged"
         " WHERE expunged.mailbox = mailbox.id AND at < ?1))"
         " WHERE id IN (SELECT mailbox FROM expunged WHERE at < ?1)")
      .bind(1, before)
      .run();
  db_->cached("DELETE FROM expunged WHERE at < ?1").bind(1, before).run();
  auto n = static_cast<std::size_t>(db_->changes());
  tx.commit();
  return n;
}

std::uint64_t modseq_cache::modseq(std::int64_t mailbox, std::uint32_t uid) {
  std::lock_guard lock(mu_);
  auto& get = db_->cached("SELECT modseq FROM message WHERE mailbox = ?1 AND uid = ?2");
  get.bind(1, mailbox).bind(2, static_cast<std::int64_t>(uid));
  std::uint64_t v = get.step() ? static_cast<std::uint64_t>(get.int64(0)) : 0;
  db_->reset_all();
  return v;
}

std::vector<std::uint32_t> modseq_cache::uids_above(const char* sql, std::int64_t mailbox, std::uint64_t since) {
  std::lock_guard lock(mu_);
  return uids_above_locked(sql, mailbox, since);
}

std::vector<std::uint32_t> modseq_cache::uids_above_locked(const char* sql, std::int64_t mailbox,
                                                           std::uint64_t since) {
  auto& q = db_->cached(sql);
  q.bind(1, mailbox).bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(since, INT64_MAX)));
  std::vector<std::uint32_t> out;
  while (q.step()) out.push_back(static_cast<std::uint32_t>(q.int64(0)));
  db_->reset_all();
  return out;
}

std::vector<std::uint32_t> modseq_cache::changed_since(std::int64_t mailbox, std::uint64_t since) {
  return uids_above("SELECT uid FROM message WHERE mailbox = ?1 AND modseq > ?2 ORDER BY uid", mailbox, since);
}

std::vector<std::uint32_t> modseq_cache::expunged_since(std::int64_t mailbox, std::uint64_t since) {
  return uids_above("SELECT uid FROM expunged WHERE mailbox = ?1 AND modseq > ?2 ORDER BY uid", mailbox, since);
}

std::optional<std::vector<std::uint32_t>> modseq_cache::logged_expunges(std::int64_t mailbox, std::uint64_t since,
                                                                        std::uint64_t floor) {
  std::lock_guard lock(mu_);
  auto& get = db_->cached("SELECT base, highest FROM mailbox WHERE id = ?1");
  get.bind(1, mailbox);
  bool covered = get.step() && since >= std::max(floor, static_cast<std::uint64_t>(get.int64(0))) &&
                 since <= static_cast<std::uint64_t>(get.int64(1));
  db_->reset_all();
  if (!covered) return std::nullopt;
  return uids_above_locked("SELECT uid FROM expunged WHERE mailbox = ?1 AND modseq > ?2 ORDER BY uid", mailbox, since);
}

std::uint64_t modseq_cache::status(std::string_view user, std::string_view name, std::uint32_t uidvalidity,
                                   std::string_view fingerprint) {
  auto mb = open(user, name, uidvalidity);
  std::lock_guard lock(mu_);
  transaction tx(*db_);
  auto& get = db_->cached("SELECT fingerprint FROM mailbox WHERE id = ?1");
  get.bind(1, mb.id);
  bool same = get.step() && get.text(0) == fingerprint;
  get.reset();
  if (same) return mb.highest;
  auto m = bump(mb.id);
  db_->cached("UPDATE mailbox SET fingerprint = ?2 WHERE id = ?1").bind(1, mb.id).bind(2, fingerprint).run();
  tx.commit();
  return m;
}

void modseq_cache::set_fingerprint(std::int64_t mailbox, std::string_view fingerprint) {
  std::lock_guard lock(mu_);
  db_->cached("UPDATE mailbox SET fingerprint = ?2 WHERE id = ?1").bind(1, mailbox).bind(2, fingerprint).run();
  db_->reset_all();
}

}  // namespace lemonade::proxy
