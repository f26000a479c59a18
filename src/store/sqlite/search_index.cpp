#include "store/sqlite/search_index.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace lemonade::store::sqlite {
namespace {

// [low, high) of the keys of a mailbox, or of every mailbox.
std::pair<std::int64_t, std::int64_t> key_range(std::optional<mailbox_id> mb) {
  if (!mb) return {0, std::numeric_limits<std::int64_t>::max()};
  return {search_key(*mb, 0), search_key(*mb + 1, 0)};
}

std::vector<std::int64_t> keys_in(statement& s, std::int64_t low, std::int64_t high, std::size_t limit) {
  std::vector<std::int64_t> out;
  s.bind(1, low).bind(2, high).bind(3, static_cast<std::int64_t>(limit));
  while (s.step()) out.push_back(s.int64(0));
  s.reset();
  return out;
}

}  // namespace

std::int64_t search_key(mailbox_id mb, std::uint32_t u) {
  return (static_cast<std::int64_t>(mb) << 32) | static_cast<std::int64_t>(u);
}

void add_search_text(db& d, std::int64_t key, const std::string& headers, const std::string& body) {
  if (headers.empty() && body.empty()) return;
  d.cached("INSERT INTO search_text(id, headers, body) VALUES(?1, ?2, ?3)")
      .bind(1, key)
      .bind(2, headers)
      .bind(3, body)
      .run();
  d.cached("INSERT INTO search_pending(id) VALUES(?1)").bind(1, key).run();
}

void drop_search_text(db& d, std::int64_t key) {
  d.cached("DELETE FROM search_pending WHERE id = ?1").bind(1, key).run();
  if (d.changes() > 0) {
    // Never indexed: nothing to take out of the index.
    d.cached("DELETE FROM search_text WHERE id = ?1").bind(1, key).run();
    return;
  }
  // Indexed (or without text): FTS5 takes a row out of an external-content
  // index given the values it indexed, so the text stays until then.
  d.cached("INSERT OR IGNORE INTO search_unindex(id) SELECT id FROM search_text WHERE id = ?1").bind(1, key).run();
}

void drop_mailbox_search_text(db& d, mailbox_id mb) {
  auto [low, high] = key_range(mb);
  // Indexed are the rows not pending (a full scan of an external-content
  // FTS5 table reads the content table, not the index).
  d.cached(
       "INSERT INTO search_index(search_index, rowid, headers, body) "
       "SELECT 'delete', id, headers, body FROM search_text WHERE id >= ?1 AND id < ?2 "
       "AND id NOT IN (SELECT id FROM search_pending WHERE id >= ?1 AND id < ?2)")
      .bind(1, low)
      .bind(2, high)
      .run();
  d.cached("DELETE FROM search_text WHERE id >= ?1 AND id < ?2").bind(1, low).bind(2, high).run();
  d.cached("DELETE FROM search_pending WHERE id >= ?1 AND id < ?2").bind(1, low).bind(2, high).run();
  d.cached("DELETE FROM search_unindex WHERE id >= ?1 AND id < ?2").bind(1, low).bind(2, high).run();
}

std::optional<search_text_row> read_search_text(db& d, std::int64_t key) {
  auto& s = d.cached("SELECT headers, body FROM search_text WHERE id = ?1");
  s.bind(1, key);
  std::optional<search_text_row> out;
  if (s.step()) out = search_text_row{s.text(0), s.text(1)};
  s.reset();
  return out;
}

bool search_index_behind(db& d, mailbox_id mb) {
  auto [low, high] = key_range(mb);
  for (auto* sql : {"SELECT 1 FROM search_pending WHERE id >= ?1 AND id < ?2 LIMIT 1",
                    "SELECT 1 FROM search_unindex WHERE id >= ?1 AND id < ?2 LIMIT 1"}) {
    auto& s = d.cached(sql);
    s.bind(1, low).bind(2, high);
    bool any = s.step();
    s.reset();
    if (any) return true;
  }
  return false;
}

std::int64_t search_backlog(db& d) {
  auto& s = d.cached("SELECT (SELECT count(*) FROM search_pending) + (SELECT count(*) FROM search_unindex)");
  std::int64_t n = s.step() ? s.int64(0) : 0;
  s.reset();
  return n;
}

bool search_removals_waiting(db& d) {
  auto& s = d.cached("SELECT 1 FROM search_unindex LIMIT 1");
  bool any = s.step();
  s.reset();
  return any;
}

std::uint64_t pending_search_text(db& d, std::optional<mailbox_id> mb, std::size_t limit) {
  auto [low, high] = key_range(mb);
  auto& s = d.cached(
      "SELECT sum(length(CAST(t.headers AS BLOB)) + length(CAST(t.body AS BLOB))) FROM "
      "(SELECT id FROM search_pending WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3) p "
      "JOIN search_text t ON t.id = p.id");
  s.bind(1, low).bind(2, high).bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  std::uint64_t n = s.step() ? static_cast<std::uint64_t>(s.int64(0)) : 0;
  s.reset();
  return n;
}

std::size_t catch_up_search_index(db& d, std::optional<mailbox_id> mb, std::size_t limit, bool additions) {
  auto [low, high] = key_range(mb);
  std::size_t done = 0;
  // One statement for the whole batch, not one a row: FTS5 (SQLite 3.40)
  // writes its pending terms out as a new segment when a statement inside
  // a transaction ends, so a row at a time wrote a segment a message.
  // Batched, 64 messages of ~10 kB cost ~1.1 ms each to index and
  // ~1.4 ms to remove, against ~2.5 and ~2.6 a row at a time. The keys a
  // batch takes are the first `limit` in range, so [low, last] names them
  // exactly in the queue table.
  // Removals first: their text goes with them.
  auto gone = keys_in(d.cached("SELECT id FROM search_unindex WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3"),
                      low, high, limit);
  if (!gone.empty()) {
    auto last = gone.back();
    d.cached(
         "INSERT INTO search_index(search_index, rowid, headers, body) "
         "SELECT 'delete', id, headers, body FROM search_text "
         "WHERE id IN (SELECT id FROM search_unindex WHERE id >= ?1 AND id <= ?2)")
        .bind(1, low)
        .bind(2, last)
        .run();
    d.cached("DELETE FROM search_text WHERE id IN (SELECT id FROM search_unindex WHERE id >= ?1 AND id <= ?2)")
        .bind(1, low)
        .bind(2, last)
        .run();
    d.cached("DELETE FROM search_unindex WHERE id >= ?1 AND id <= ?2").bind(1, low).bind(2, last).run();
  }
  done += gone.size();
  if (done >= limit || !additions) return done;
  auto added = keys_in(d.cached("SELECT id FROM search_pending WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3"),
                       low, high, limit - done);
  if (!added.empty()) {
    auto last = added.back();
    d.cached(
         "INSERT INTO search_index(rowid, headers, body) SELECT id, headers, body FROM search_text "
         "WHERE id IN (SELECT id FROM search_pending WHERE id >= ?1 AND id <= ?2)")
        .bind(1, low)
        .bind(2, last)
        .run();
    d.cached("DELETE FROM search_pending WHERE id >= ?1 AND id <= ?2").bind(1, low).bind(2, last).run();
  }
  return done + added.size();
}

}  // namespace lemonade::store::sqlite
