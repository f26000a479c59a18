#include "store/sqlite/queue.hpp"
#include "store/sqlite/staged.hpp"

#include <chrono>

#include <sys/statvfs.h>

#include <spdlog/spdlog.h>

namespace lemonade::store::sqlite {
namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void create_schema(db& d) {
  d.exec(R"(
    CREATE TABLE IF NOT EXISTS queue_messages(
      id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids name messages in logs and reports
      sender TEXT NOT NULL,
      envid TEXT NOT NULL DEFAULT '',
      ret INTEGER NOT NULL DEFAULT 0,
      body INTEGER NOT NULL DEFAULT 0,
      smtputf8 INTEGER NOT NULL DEFAULT 0,
      submitter TEXT NOT NULL DEFAULT '',
      created INTEGER NOT NULL,
      blob TEXT NOT NULL,
      size INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS queue_recipients(
      id INTEGER PRIMARY KEY,
      message INTEGER NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
      address TEXT NOT NULL,
      notify INTEGER NOT NULL DEFAULT 0,
      orcpt TEXT NOT NULL DEFAULT '',
      state INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt INTEGER NOT NULL,
      last_reply TEXT NOT NULL DEFAULT '',
      delay_reported INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS queue_recipients_due ON queue_recipients(state, next_attempt);
    CREATE INDEX IF NOT EXISTS queue_recipients_message ON queue_recipients(message);
    CREATE INDEX IF NOT EXISTS queue_messages_blob ON queue_messages(blob);
  )");
  // A queue made before delay reports existed.
  auto& has = d.cached("SELECT count(*) FROM pragma_table_info('queue_recipients') WHERE name = 'delay_reported'");
  bool present = has.step() && has.int64(0) > 0;
  has.reset();
  if (!present) d.exec("ALTER TABLE queue_recipients ADD COLUMN delay_reported INTEGER NOT NULL DEFAULT 0");
}

}  // namespace

sqlite_queue::sqlite_queue(const std::filesystem::path& dir, connection_pool& pool, std::uint64_t min_free_space)
    : file_(dir / "queue.db"),
      pool_(pool),
      min_free_space_(min_free_space),
      blobs_(dir / "blobs"),
      writes_([this] { return pool_.acquire(file_); },
              [this](db& d, const after_commit& a) { collect_garbage(d, a); }) {
  std::filesystem::create_directories(dir);
  writes_.run([](db& d, after_commit&) { create_schema(d); });
}

void sqlite_queue::check_space() const {
  // As for an APPEND (limits.min_free_space): a message is refused while
  // the disk is short, before anything is written.
  if (min_free_space_ == 0) return;
  struct statvfs fs {};
  if (statvfs(file_.parent_path().c_str(), &fs) != 0) return;
  auto avail = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (avail >= min_free_space_) return;
  spdlog::warn("event=disk_full dir={} free_bytes={} min_free_space={}", file_.parent_path().string(), avail,
               min_free_space_);
  throw error(error::code::no_space, "Not enough disk space on the server; try again later");
}

std::unique_ptr<staged_message> sqlite_queue::stage() {
  check_space();
  return std::make_unique<staged_blob>(blobs_, 0);
}

std::int64_t sqlite_queue::enqueue(queued_message m, staged_message& content) {
  auto* staged = dynamic_cast<staged_blob*>(&content);
  if (!staged) throw std::logic_error("enqueue: content staged by another store");
  // The file is synced and named before the rows that refer to it commit.
  staged->finish();
  if (staged->file) {
    m.blob = blobs_.adopt(*staged->file);
  } else {
    // Nothing was written (an empty message): no file was made.
    m.blob = staged->hash();
    blobs_.put(staged->view(), m.blob);
  }
  m.size = staged->size();
  m.created = now_seconds();
  writes_.run([&](db& d, after_commit&) {
    // An identical message removed meanwhile may have taken the file with
    // it; we lead the queue now, so writing it again is race-free.
    if (!blobs_.exists(m.blob)) blobs_.put(staged->view(), m.blob);
    auto& s = d.cached(
        "INSERT INTO queue_messages(sender, envid, ret, body, smtputf8, submitter, created, blob, size) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    s.bind(1, m.sender).bind(2, m.envid).bind(3, m.ret).bind(4, m.body).bind(5, m.smtputf8 ? 1 : 0);
    s.bind(6, m.submitter).bind(7, m.created).bind(8, m.blob).bind(9, static_cast<std::int64_t>(m.size));
    s.run();
    m.id = d.last_insert_rowid();
    for (auto& r : m.recipients) {
      auto& ins = d.cached(
          "INSERT INTO queue_recipients(message, address, notify, orcpt, next_attempt) VALUES(?1, ?2, ?3, ?4, ?5)");
      ins.bind(1, m.id).bind(2, r.address).bind(3, static_cast<std::int64_t>(r.notify)).bind(4, r.orcpt);
      ins.bind(5, m.created);
      ins.run();
      r.id = d.last_insert_rowid();
      r.state = recipient_state::pending;
      r.next_attempt = m.created;
    }
  });
  return m.id;
}

std::vector<queued_message> sqlite_queue::load(db& d, const char* where_sql, std::int64_t a, std::int64_t b) {
  std::vector<queued_message> out;
  auto& s = d.cached(where_sql);
  s.bind(1, a).bind(2, b);
  while (s.step()) {
    queued_message m;
    m.id = s.int64(0);
    m.sender = s.text(1);
    m.envid = s.text(2);
    m.ret = static_cast<int>(s.int64(3));
    m.body = static_cast<int>(s.int64(4));
    m.smtputf8 = s.int64(5) != 0;
    m.submitter = s.text(6);
    m.created = s.int64(7);
    m.blob = s.text(8);
    m.size = static_cast<std::uint64_t>(s.int64(9));
    out.push_back(std::move(m));
  }
  for (auto& m : out) {
    auto& r = d.cached(
        "SELECT id, address, notify, orcpt, state, attempts, next_attempt, last_reply, delay_reported "
        "FROM queue_recipients "
        "WHERE message = ?1 ORDER BY id");
    r.bind(1, m.id);
    while (r.step()) {
      queued_recipient q;
      q.id = r.int64(0);
      q.address = r.text(1);
      q.notify = static_cast<unsigned>(r.int64(2));
      q.orcpt = r.text(3);
      q.state = static_cast<recipient_state>(r.int64(4));
      q.attempts = static_cast<int>(r.int64(5));
      q.next_attempt = r.int64(6);
      q.last_reply = r.text(7);
      q.delay_reported = r.int64(8) != 0;
      m.recipients.push_back(std::move(q));
    }
  }
  return out;
}

#define QUEUE_COLUMNS "SELECT id, sender, envid, ret, body, smtputf8, submitter, created, blob, size FROM queue_messages "

std::vector<queued_message> sqlite_queue::due(std::int64_t now, std::size_t limit) {
  auto d = pool_.acquire(file_);
  return load(*d,
              QUEUE_COLUMNS
              "WHERE id IN (SELECT message FROM queue_recipients WHERE state = 0 AND next_attempt <= ?1) "
              "ORDER BY id LIMIT ?2",
              now, static_cast<std::int64_t>(limit));
}

std::optional<queued_message> sqlite_queue::find(std::int64_t id) {
  auto d = pool_.acquire(file_);
  auto found = load(*d, QUEUE_COLUMNS "WHERE id = ?1 AND ?2 = 0", id, 0);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<queued_message> sqlite_queue::list() {
  auto d = pool_.acquire(file_);
  return load(*d, QUEUE_COLUMNS "WHERE ?1 = 0 AND ?2 = 0 ORDER BY id", 0, 0);
}

queue_stats sqlite_queue::stats() {
  auto d = pool_.acquire(file_);
  auto& s = d->cached("SELECT count(*), coalesce(sum(size), 0), coalesce(min(created), 0) FROM queue_messages");
  queue_stats st;
  if (s.step()) {
    st.messages = static_cast<std::uint64_t>(s.int64(0));
    st.octets = static_cast<std::uint64_t>(s.int64(1));
    st.oldest = s.int64(2);
  }
  s.reset();
  return st;
}

std::string sqlite_queue::read(const queued_message& m, std::uint64_t offset, std::uint64_t length) {
  return blobs_.read(m.blob, offset, length);
}

void sqlite_queue::record(std::int64_t recipient, recipient_state state, const std::string& reply,
                          std::int64_t next_attempt) {
  writes_.run([&](db& d, after_commit&) {
    auto& s = d.cached(
        "UPDATE queue_recipients SET state = ?2, attempts = attempts + 1, last_reply = ?3, next_attempt = ?4 "
        "WHERE id = ?1");
    s.bind(1, recipient).bind(2, static_cast<std::int64_t>(state)).bind(3, reply).bind(4, next_attempt);
    s.run();
  });
}

void sqlite_queue::mark_delay_reported(std::int64_t recipient) {
  writes_.run([&](db& d, after_commit&) {
    d.cached("UPDATE queue_recipients SET delay_reported = 1 WHERE id = ?1").bind(1, recipient).run();
  });
}

void sqlite_queue::remove(std::int64_t id) {
  writes_.run([&](db& d, after_commit& after) {
    auto& b = d.cached("SELECT blob FROM queue_messages WHERE id = ?1");
    b.bind(1, id);
    if (!b.step()) return;
    after.maybe_orphaned_blobs.push_back(b.text(0));
    d.cached("DELETE FROM queue_recipients WHERE message = ?1").bind(1, id).run();
    d.cached("DELETE FROM queue_messages WHERE id = ?1").bind(1, id).run();
  });
}

bool sqlite_queue::retry_now(std::int64_t id) {
  bool found = false;
  writes_.run([&](db& d, after_commit&) {
    auto& s = d.cached("SELECT 1 FROM queue_messages WHERE id = ?1");
    s.bind(1, id);
    found = s.step();
    d.cached("UPDATE queue_recipients SET next_attempt = 0 WHERE message = ?1 AND state = 0").bind(1, id).run();
  });
  return found;
}

void sqlite_queue::collect_garbage(db& d, const after_commit& after) {
  // While this thread leads the queue no enqueue can add a reference
  // between the check and the unlink (see enqueue()).
  for (auto& hash : after.maybe_orphaned_blobs) {
    auto& s = d.cached("SELECT 1 FROM queue_messages WHERE blob = ?1 LIMIT 1");
    s.bind(1, hash);
    if (!s.step()) blobs_.remove(hash);
  }
}

}  // namespace lemonade::store::sqlite
