#include "store/sqlite/account.hpp"
#include "store/sqlite/staged.hpp"
#include "store/sqlite/access_keys.hpp"

#include <chrono>
#include <algorithm>
#include <climits>
#include <limits>
#include <map>
#include <random>

#include <sqlite3.h>
#include <sys/statvfs.h>

#include <spdlog/spdlog.h>

#include "core/strings.hpp"
#include "store/api/mailbox_name.hpp"
#include "store/sqlite/inline_blobs.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/search_index.hpp"

namespace lemonade::store::sqlite {
namespace {

mailbox_info read_mailbox(const statement& s) {
  mailbox_info m;
  m.id = s.int64(0);
  m.name = s.text(1);
  m.uidvalidity = static_cast<std::uint32_t>(s.int64(2));
  m.uidnext = uid{static_cast<std::uint32_t>(s.int64(3))};
  m.highestmodseq = modseq{static_cast<std::uint64_t>(s.int64(4))};
  m.selectable = s.int64(5) != 0;
  m.special_use = s.text(6);
  m.object_id = s.text(7);
  return m;
}

std::optional<mailbox_info> find_in(db& d, std::string_view name) {
  auto& s = d.cached(
      "SELECT id, name, uidvalidity, uidnext, highestmodseq, selectable, special_use, object_id "
      "FROM mailboxes WHERE name = ?1");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_mailbox(s);
}

mailbox_info get_by_id(db& d, mailbox_id id) {
  auto& s = d.cached(
      "SELECT id, name, uidvalidity, uidnext, highestmodseq, selectable, special_use, object_id "
      "FROM mailboxes WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) throw error(error::code::nonexistent, "mailbox does not exist");
  return read_mailbox(s);
}

std::string join_keywords(const std::vector<std::string>& kws) {
  std::string out;
  for (auto& k : kws) {
    if (!out.empty()) out += ' ';
    out += k;
  }
  return out;
}

std::vector<std::string> split_keywords(std::string_view s) {
  // Called for every row a SELECT reads: no stream, and nothing at all
  // for the common message without keywords.
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    auto start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

// A snapshot row: SELECT uid, modseq, flags, keywords.
message_entry read_entry(const statement& s) {
  message_entry e;
  e.id = uid{static_cast<std::uint32_t>(s.int64(0))};
  e.mod = modseq{static_cast<std::uint64_t>(s.int64(1))};
  e.flags.system = static_cast<std::uint8_t>(s.int64(2));
  e.flags.keywords = split_keywords(s.text(3));
  return e;
}

// Keywords compare case-insensitively (RFC 3501 §2.3.2); keep the first
// spelling of each.
std::vector<std::string> dedupe_keywords(const std::vector<std::string>& kws) {
  std::vector<std::string> out;
  for (auto& k : kws) {
    bool seen = false;
    for (auto& o : out) seen = seen || core::iequals(o, k);
    if (!seen) out.push_back(k);
  }
  return out;
}

std::string new_object_id() {
  // RFC 8474 §4: objectid = 1*255(ALPHA / DIGIT / "_" / "-").
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::uint64_t> dist;
  std::string raw;
  for (int i = 0; i < 2; ++i) {
    auto v = dist(rng);
    raw.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return "M" + core::hex_encode(raw).substr(0, 24);
}

// UIDVALIDITY: never reused within the account, so a mailbox deleted and
// created again under the same name gets a new one (RFC 3501 §2.3.1.1).
// Seeded from the clock so a re-created account does not repeat old values.
std::uint32_t next_uidvalidity(db& d) {
  std::uint64_t last = 0;
  if (auto v = d.meta("last_uidvalidity")) last = core::parse_uint(*v).value_or(0);
  auto now = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
  std::uint64_t next = std::max(now, last + 1);
  if (next > UINT32_MAX) next = last + 1;  // past 2106: keep counting
  if (next > UINT32_MAX || next == 0) throw error(error::code::limit, "UIDVALIDITY space exhausted");
  d.set_meta("last_uidvalidity", std::to_string(next));
  return static_cast<std::uint32_t>(next);
}

std::int64_t count_mailboxes(db& d) {
  auto& s = d.cached("SELECT count(*) FROM mailboxes");
  s.step();
  return s.int64(0);
}

mailbox_info insert_mailbox(db& d, std::string_view name, std::string_view special_use,
                            const store_limits& limits) {
  if (count_mailboxes(d) >= static_cast<std::int64_t>(limits.max_mailboxes))
    throw error(error::code::limit, "too many mailboxes");
  auto& s = d.cached(
      "INSERT INTO mailboxes(name, uidvalidity, special_use, object_id) VALUES(?1, ?2, ?3, ?4)");
  s.bind(1, name)
      .bind(2, static_cast<std::int64_t>(next_uidvalidity(d)))
      .bind(3, special_use)
      .bind(4, new_object_id())
      .run();
  return get_by_id(d, d.last_insert_rowid());
}

void create_superiors(db& d, std::string_view name, const store_limits& limits) {
  for (auto& sup : superior_names(name))
    if (!find_in(d, sup)) insert_mailbox(d, sup, "", limits);
}

bool has_inferiors(db& d, std::string_view name) {
  // Names below "a" sort between "a/" and "a0" ('0' follows '/').
  auto& s = d.cached("SELECT 1 FROM mailboxes WHERE name > ?1 AND name < ?2 LIMIT 1");
  std::string lo = std::string(name) + "/";
  std::string hi = std::string(name) + "0";
  s.bind(1, lo).bind(2, hi);
  return s.step();
}

// Removes every message of a mailbox (DELETE): they become ghosts, as
// expunged ones do, until no session can still FETCH them.
void remove_messages(db& d, const mailbox_info& mb) {
  auto id = mb.id;
  d.cached("INSERT OR REPLACE INTO ghosts(mailbox_id, uid, expunge_modseq, modseq, flags, keywords, internal_date, "
           "tz_offset, save_date, size, blob, structure, sent_day) "
           "SELECT mailbox_id, uid, ?2, modseq, flags, keywords, internal_date, tz_offset, save_date, size, blob, "
           "structure, sent_day FROM messages WHERE mailbox_id = ?1")
      .bind(1, id)
      .bind(2, static_cast<std::int64_t>(to_int(mb.highestmodseq) + 1))
      .run();
  drop_mailbox_search_text(d, id);
  d.cached("DELETE FROM messages WHERE mailbox_id = ?1").bind(1, id).run();
  d.cached("DELETE FROM expunged WHERE mailbox_id = ?1").bind(1, id).run();
}

// A \Noselect level with no inferiors left has no reason to exist.
void prune_noselect_superiors(db& d, std::string_view name) {
  auto sups = superior_names(name);
  for (auto it = sups.rbegin(); it != sups.rend(); ++it) {
    auto m = find_in(d, *it);
    if (!m || m->selectable || has_inferiors(d, *it)) return;
    d.cached("DELETE FROM mailboxes WHERE id = ?1").bind(1, m->id).run();
    // RFC 5464 §4.1: its annotations "SHOULD be removed" with it.
    d.cached("DELETE FROM metadata WHERE mailbox_id = ?1").bind(1, m->id).run();
  }
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct inserted {
  uid id;
  modseq mod;
};

// Inserts one message at the mailbox's UIDNEXT with the next MODSEQ.
inserted insert_message(db& d, mailbox_info& mb, const new_message& m, std::int64_t size,
                        const std::string& blob) {
  auto id = mb.uidnext;
  if (to_int(id) == UINT32_MAX) throw error(error::code::limit, "UID space exhausted");
  auto mod = modseq{to_int(mb.highestmodseq) + 1};
  auto& s = d.cached(
      "INSERT INTO messages(mailbox_id, uid, modseq, flags, keywords, internal_date, tz_offset, "
      "save_date, size, blob, structure, sent_day, sort_info, sealed_by) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  s.bind(1, mb.id)
      .bind(2, static_cast<std::int64_t>(to_int(id)))
      .bind(3, static_cast<std::int64_t>(to_int(mod)))
      .bind(4, static_cast<std::int64_t>(m.flags.system))
      .bind(5, join_keywords(dedupe_keywords(m.flags.keywords)))
      .bind(6, m.internal_date)
      .bind(7, static_cast<std::int64_t>(m.tz_offset_minutes))
      .bind(8, now_seconds())
      .bind(9, size)
      .bind(10, blob)
      .bind_blob(11, m.structure)
      .bind(12, m.sent_day)
      .bind_blob(13, m.sort_info)
      .bind_blob(14, m.sealed_by);
  s.run();
  // One per content (schema: previews); a COPY brings none and shares
  // its original's.
  if (m.preview)
    d.cached("INSERT INTO previews(blob, text) VALUES(?1, ?2) ON CONFLICT(blob) DO NOTHING")
        .bind(1, blob)
        .bind(2, *m.preview)
        .run();
  add_search_text(d, search_key(mb.id, to_int(id)), m.search_headers, m.search_body);
  mb.uidnext = uid{to_int(id) + 1};
  mb.highestmodseq = mod;
  return {id, mod};
}

void save_counters(db& d, const mailbox_info& mb) {
  d.cached("UPDATE mailboxes SET uidnext = ?2, highestmodseq = ?3 WHERE id = ?1")
      .bind(1, mb.id)
      .bind(2, static_cast<std::int64_t>(to_int(mb.uidnext)))
      .bind(3, static_cast<std::int64_t>(to_int(mb.highestmodseq)))
      .run();
}

void create_default_mailboxes(db& d, const store_limits& limits) {
  // RFC 6154 §2 special-use mailboxes every new account starts with.
  static constexpr std::pair<const char*, const char*> defaults[] = {
      {"INBOX", ""},         {"Drafts", "\\Drafts"}, {"Sent", "\\Sent"},
      {"Trash", "\\Trash"},  {"Junk", "\\Junk"},     {"Archive", "\\Archive"},
  };
  for (auto& [name, use] : defaults) {
    insert_mailbox(d, name, use, limits);
    d.cached("INSERT OR IGNORE INTO subscriptions(name) VALUES(?1)").bind(1, name).run();
  }
}

// Expunges one message under the MODSEQ of its expunge: logged for
// QRESYNC (RFC 7162 §3.2.5.1), dropped from the index, and its row kept as
// a ghost so that a session not yet told of the expunge can still FETCH
// it (RFC 3501 §7.4.1; RFC 2180 §4.1.1) until release_expunged().
void expunge_message(db& d, mailbox_id id, std::uint32_t u, modseq expunge_mod) {
  d.cached("INSERT OR REPLACE INTO ghosts(mailbox_id, uid, expunge_modseq, modseq, flags, keywords, internal_date, "
           "tz_offset, save_date, size, blob, structure, sent_day) "
           "SELECT mailbox_id, uid, ?3, modseq, flags, keywords, internal_date, tz_offset, save_date, size, blob, "
           "structure, sent_day FROM messages WHERE mailbox_id = ?1 AND uid = ?2")
      .bind(1, id)
      .bind(2, static_cast<std::int64_t>(u))
      .bind(3, static_cast<std::int64_t>(to_int(expunge_mod)))
      .run();
  d.cached("DELETE FROM messages WHERE mailbox_id = ?1 AND uid = ?2")
      .bind(1, id)
      .bind(2, static_cast<std::int64_t>(u))
      .run();
  d.cached("INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) VALUES(?1, ?2, ?3)")
      .bind(1, id)
      .bind(2, static_cast<std::int64_t>(u))
      .bind(3, static_cast<std::int64_t>(to_int(expunge_mod)))
      .run();
  drop_search_text(d, search_key(id, u));
}

// Copies messages (ascending UIDs) to `to`, sharing blobs, index entries
// and structure; with `move` also removes them from `from` and logs the
// expunge under one new MODSEQ (RFC 7162 §3.2.7). Updates both infos.
copy_result transfer(db& d, mailbox_info& from, const std::vector<uid>& uids, mailbox_info& to, bool move) {
  copy_result out;
  auto& sel = d.cached(
      "SELECT uid, flags, keywords, internal_date, tz_offset, size, blob, structure, sent_day, sort_info, "
      "sealed_by FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
  for (auto u : uids) {
    sel.bind(1, from.id).bind(2, static_cast<std::int64_t>(to_int(u)));
    if (!sel.step()) {
      sel.reset();
      continue;
    }
    new_message m;
    m.flags.system = static_cast<std::uint8_t>(sel.int64(1));
    m.flags.keywords = split_keywords(sel.text(2));
    m.internal_date = sel.int64(3);
    m.tz_offset_minutes = static_cast<int>(sel.int64(4));
    auto size = sel.int64(5);
    auto blob = sel.text(6);
    m.structure = sel.blob(7);
    m.sent_day = sel.int64(8);
    m.sort_info = sel.blob(9);
    m.sealed_by = sel.blob(10);  // the same octets, wherever they go
    sel.reset();
    if (auto text = read_search_text(d, search_key(from.id, to_int(u)))) {
      m.search_headers = std::move(text->headers);
      m.search_body = std::move(text->body);
    }
    auto ins = insert_message(d, to, m, size, blob);
    out.source.push_back(u);
    out.target.push_back(ins.id);
  }
  save_counters(d, to);
  if (move && !out.source.empty()) {
    // After the inserts: `from` and `to` may be the same mailbox.
    auto expunge_mod = modseq{to_int(from.highestmodseq) + 1};
    for (auto u : out.source) {
      expunge_message(d, from.id, to_int(u), expunge_mod);
      out.expunged.push_back(u);
    }
    from.highestmodseq = expunge_mod;
    save_counters(d, from);
  }
  out.uidvalidity = to.uidvalidity;
  out.source_highestmodseq = from.highestmodseq;
  return out;
}

}  // namespace

sqlite_account::sqlite_account(std::filesystem::path dir, store_limits limits, connection_pool& pool,
                               search_indexer* indexer)
    : dir_(std::move(dir)),
      file_(dir_ / "mail.db"),
      limits_(limits),
      pool_(pool),
      blobs_(dir_ / "blobs"),
      indexer_(limits.search_index_batch ? indexer : nullptr) {
  std::filesystem::create_directories(dir_);
  bool initialized = false;
  {
    auto d = pool_.acquire(file_);
    migrate_account(*d);
    initialized = d->meta("initialized").has_value();
  }
  queue_ = std::make_unique<commit_queue>(
      [this] { return pool_.acquire(file_); }, [this](db& d, const after_commit& a) { collect_garbage(d, a); },
      [this](db& d, after_commit& a) {
        purge_ghosts(d, a);
        save_recent_claims(d);
        note_search_backlog(d);
      });
  if (!initialized)
    write([&](db& d, after_commit&) {
      if (!d.meta("initialized")) {
        create_default_mailboxes(d, limits_);
        d.set_meta("initialized", "1");
      }
    });
  // Ghosts left by a crash or a stop: no session can name them now. (Not
  // fatal: on a full disk the account must still open.)
  try {
    purge_all_ghosts();
  } catch (const db_error& e) {
    spdlog::warn("event=purge_failed dir={} error=\"{}\"", dir_.string(), e.what());
  }
}

sqlite_account::~sqlite_account() {
  try {
    purge_all_ghosts();
  } catch (...) {
    // Left for the next open.
  }
  try {
    bool unsaved = false;
    {
      std::lock_guard lock(recent_mu_);
      for (auto& [id, c] : recent_claims_) unsaved = unsaved || !c.saved;
    }
    if (unsaved) write([this](db& d, after_commit&) { save_recent_claims(d); }, /*durable=*/false);
  } catch (...) {
    // Lost: those messages are \Recent again in the next session.
  }
  // Its connections stay in the pool (store.idle_connections, closed after
  // store.idle_connection_time unused, by the pool's own thread): an
  // account opened again soon (an MTA delivering to more accounts than
  // server.keep_accounts_open, a phone reconnecting) finds them warm, where
  // closing them here checkpointed the database, deleted its log, and on a
  // network thread. A deleted user's files are unlinked under them (ids are
  // never reused, so the path never names another account).
}

connection_pool::lease sqlite_account::reader() { return pool_.acquire(file_); }

void sqlite_account::write(const commit_queue::job_fn& fn, bool durable) { queue_->run(fn, durable); }

void sqlite_account::collect_garbage(db& d, const after_commit& after) {
  // Runs while this thread leads the queue, so no append can add a
  // reference between the check and the unlink; an append that finds its
  // blob gone writes it again (see append()).
  for (auto& hash : after.maybe_orphaned_blobs)
    if (!blob_referenced(d, hash)) blobs_.remove(hash);
}

std::size_t sqlite_account::sweep_unreferenced_blobs() {
  // References are looked up one by one (indexed) rather than read into a
  // set: an account of a million messages must not cost 100 MB here.
  // The deletion itself is collect_garbage(), which checks again while
  // leading the commit queue: an APPEND that found the blob present and
  // did not write it commits under that same lead, and rewrites it if it
  // is gone (append_checked()).
  std::vector<std::string> unreferenced;
  std::size_t removed = 0;
  auto flush = [&] {
    if (unreferenced.empty()) return;
    removed += unreferenced.size();
    write([&](db&, after_commit& after) { after.maybe_orphaned_blobs = unreferenced; });
    unreferenced.clear();
  };
  std::size_t temporaries = 0;
  {
    auto r = reader();
    temporaries = blobs_.walk_older_than(limits_.blob_sweep_age, [&](const std::string& hash) {
      if (!blob_referenced(*r, hash)) unreferenced.push_back(hash);
      if (unreferenced.size() >= 256) flush();
    });
  }
  flush();
  if (removed || temporaries)
    spdlog::info("event=blob_sweep dir={} unreferenced={} temporaries={}", dir_.string(), removed, temporaries);
  return removed + temporaries;
}

std::optional<std::string> sqlite_account::find_urlauth_key(mailbox_id id) {
  auto r = reader();
  return read_access_key(*r, id);
}

std::string sqlite_account::urlauth_key(mailbox_id id) {
  if (auto key = find_urlauth_key(id)) return *key;
  std::string key;
  write([&](db& d, after_commit&) { key = make_access_key(d, id); });
  return key;
}

void sqlite_account::reset_urlauth_keys(std::optional<mailbox_id> id) {
  write([&](db& d, after_commit&) { reset_access_keys(d, id); });
}

// RFC 5464: the server's entries are kept under mailbox id 0 (mailbox
// ids start at 1).
std::vector<std::pair<std::string, std::string>> sqlite_account::metadata(std::optional<mailbox_id> mailbox,
                                                                          const std::vector<std::string>& names,
                                                                          unsigned depth) {
  auto r = reader();
  r->run("BEGIN");
  std::map<std::string, std::string> found;
  try {
    // The entry, and the names below it ("/a" < "/a/..." < "/a0": '0'
    // follows '/').
    auto& s = r->cached(
        "SELECT name, value FROM metadata WHERE mailbox_id = ?1 AND (name = ?2 OR (name > ?3 AND name < ?4))");
    for (auto& name : names) {
      s.bind(1, mailbox.value_or(0)).bind(2, name).bind(3, name + "/").bind(4, name + "0");
      while (s.step()) {
        auto entry = s.text(0);
        if (entry.size() > name.size() && depth != metadata_infinity) {
          // Levels below the one named: slashes after its own.
          auto below = std::count(entry.begin() + static_cast<std::ptrdiff_t>(name.size()), entry.end(), '/');
          if (static_cast<unsigned>(below) > depth) continue;
        }
        found.emplace(std::move(entry), s.blob(1));
      }
      s.reset();
    }
  } catch (...) {
    r->run("ROLLBACK");
    throw;
  }
  r->run("COMMIT");
  return {found.begin(), found.end()};
}

std::optional<std::string> sqlite_account::sealed_by(mailbox_id mailbox, uid id) {
  auto r = reader();
  auto& s = r->cached("SELECT sealed_by FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
  s.bind(1, mailbox).bind(2, static_cast<std::int64_t>(to_int(id)));
  std::optional<std::string> out;
  if (s.step()) out = s.blob(0);
  s.reset();
  return out;
}

std::optional<converted_part> sqlite_account::find_conversion(const std::string& key) {
  std::optional<converted_part> out;
  {
    auto r = reader();
    auto& s = r->cached("SELECT type, params, data FROM conversions WHERE key = ?1");
    s.bind(1, key);
    if (s.step()) out = converted_part{s.text(0), s.text(1), s.blob(2)};
    s.reset();
  }
  if (out) {
    // Recently used: the last to go. Not durable, and worth no wait; a
    // failure here (a full disk) still answers from the cache.
    try {
      write([&](db& d, after_commit&) {
        d.cached("UPDATE conversions SET used = ?2 WHERE key = ?1").bind(1, key).bind(2, now_seconds()).run();
      }, /*durable=*/false);
    } catch (const std::exception&) {
    }
  }
  return out;
}

void sqlite_account::put_conversion(const std::string& blob, const std::string& key, const converted_part& part,
                                    std::uint64_t max_octets) {
  // Each row counts its key and a row's overhead too: empty results are
  // not free, and 0 keeps nothing at all.
  auto size = part.data.size() + key.size() + part.type.size() + part.params.size() + 64;
  if (max_octets == 0 || size > max_octets) return;
  write([&](db& d, after_commit&) {
    // Not for a blob already gone (its conversions were dropped with it,
    // drop_unreferenced, while this one was being made).
    if (!blob_referenced(d, blob)) return;
    d.cached("INSERT OR REPLACE INTO conversions(key, type, params, size, used, data) VALUES(?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(1, key)
        .bind(2, part.type)
        .bind(3, part.params)
        .bind(4, static_cast<std::int64_t>(size))
        .bind(5, now_seconds())
        .bind_blob(6, part.data)
        .run();
    auto& total = d.cached("SELECT CAST(total(size) AS INTEGER) FROM conversions");
    total.step();
    auto held = static_cast<std::uint64_t>(total.int64(0));
    total.reset();
    if (held <= max_octets) return;
    // The oldest first, until the rest fits.
    auto& old = d.cached("SELECT key, size FROM conversions WHERE key != ?1 ORDER BY used, key");
    old.bind(1, key);
    std::vector<std::string> drop;
    while (held > max_octets && old.step()) {
      drop.push_back(old.text(0));
      held -= static_cast<std::uint64_t>(old.int64(1));
    }
    old.reset();
    for (auto& k : drop) d.cached("DELETE FROM conversions WHERE key = ?1").bind(1, k).run();
  }, /*durable=*/false);
}

void sqlite_account::set_metadata(std::optional<mailbox_id> mailbox,
                                  const std::vector<std::pair<std::string, std::optional<std::string>>>& changes,
                                  unsigned max_entries) {
  write([&](db& d, after_commit&) {
    if (mailbox) get_by_id(d, *mailbox);  // throws nonexistent for a mailbox gone since
    auto id = static_cast<std::int64_t>(mailbox.value_or(0));
    for (auto& [name, value] : changes) {
      if (mailbox && name == "/private/specialuse") {
        // RFC 6154 §4: the entry is the mailbox's special-use attribute
        // (checked by the caller as CREATE (USE) checks it).
        d.cached("UPDATE mailboxes SET special_use = ?2 WHERE id = ?1").bind(1, *mailbox).bind(2, value.value_or(""))
            .run();
        continue;
      }
      if (value)
        d.cached("INSERT OR REPLACE INTO metadata(mailbox_id, name, value) VALUES(?1, ?2, ?3)")
            .bind(1, id)
            .bind(2, name)
            .bind_blob(3, *value)
            .run();
      else
        d.cached("DELETE FROM metadata WHERE mailbox_id = ?1 AND name = ?2").bind(1, id).bind(2, name).run();
    }
    // RFC 5464 §4.3: all or nothing; the write throws, the batch rolls
    // this job back.
    auto& count = d.cached("SELECT count(*) FROM metadata WHERE mailbox_id = ?1");
    count.bind(1, id);
    count.step();
    auto n = count.int64(0);
    count.reset();
    if (static_cast<std::uint64_t>(n) > max_entries) throw error(error::code::limit, "too many metadata entries");
  });
}

void sqlite_account::release_expunged(mailbox_id id, modseq below) {
  std::lock_guard lock(releases_mu_);
  auto& r = releases_[id];
  r = std::max(r, to_int(below));
}

void sqlite_account::purge_ghosts(db& d, after_commit& after) {
  // Inside a batch's transaction (commit_queue's housekeeping step): no
  // fsync of its own; if the batch fails, the ghosts wait for the next.
  std::map<mailbox_id, std::uint64_t> due;
  {
    std::lock_guard lock(releases_mu_);
    due.swap(releases_);
  }
  for (auto& [id, below] : due) {
    auto& s = d.cached("DELETE FROM ghosts WHERE mailbox_id = ?1 AND expunge_modseq < ?2 RETURNING blob");
    // MODSEQs are 63-bit in SQLite; "every one" is the largest.
    s.bind(1, id).bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(below, INT64_MAX)));
    std::vector<std::string> gone;
    while (s.step()) gone.push_back(s.text(0));
    s.reset();
    // Kept inline: deleted in this transaction; files: after the commit.
    drop_unreferenced(d, std::move(gone), after.maybe_orphaned_blobs);
  }
}

void sqlite_account::note_search_backlog(db& d) {
  if (!indexer_ || index_requested_.load()) return;
  if (sqlite::search_backlog(d) < static_cast<std::int64_t>(limits_.search_index_batch)) return;
  // Not yet owned by a shared_ptr (a write from the constructor): the
  // store asks once it is.
  auto self = weak_from_this();
  if (!self.expired()) ask_indexer(std::move(self));
}

std::int64_t sqlite_account::search_backlog() {
  auto r = reader();
  return sqlite::search_backlog(*r);
}

void sqlite_account::request_indexing_if_behind() {
  if (!indexer_ || index_requested_.load()) return;
  auto backlog = search_backlog();
  if (backlog >= static_cast<std::int64_t>(limits_.search_index_batch) &&
      !room_for_index(std::nullopt, limits_.search_index_batch)) {
    // Short of disk: only removals can be done; the next commit asks
    // again (not a loop here while the disk stays full).
    auto r = reader();
    if (!search_removals_waiting(*r)) return;
  }
  if (backlog >= static_cast<std::int64_t>(limits_.search_index_batch)) ask_indexer(weak_from_this());
}

void sqlite_account::ask_indexer(std::weak_ptr<sqlite_account> self) {
  if (!index_requested_.exchange(true)) indexer_->request(std::move(self));
}

bool sqlite_account::index_search_batch() {
  // Index pages are new data: they must not take the margin kept for
  // deletions (store_limits::min_free_space). Left for later.
  bool additions = room_for_index(std::nullopt, limits_.search_index_batch);
  std::size_t done = 0;
  // Not durable: a crash loses the index work and its queue rows together.
  write([&](db& d, after_commit&) {
    done = catch_up_search_index(d, std::nullopt, limits_.search_index_batch, additions);
  }, /*durable=*/false);
  return done == limits_.search_index_batch;
}

void sqlite_account::search_index_done() { index_requested_ = false; }

bool sqlite_account::room_for_index(std::optional<mailbox_id> id, std::size_t limit) {
  if (limits_.min_free_space == 0) return true;  // no margin to keep: no query
  auto r = reader();
  // Measured with the trigram tokenizer and detail=none: the index grows
  // by about 0.55 times the text it takes in; the rest is room for FTS5's
  // merges and the write-ahead log.
  return !space_short(2 * pending_search_text(*r, id, limit) + 256 * 1024);
}

void sqlite_account::purge_all_ghosts() {
  // No view is open (start, or the account closing): every ghost goes.
  {
    auto r = reader();
    auto& any = r->cached("SELECT 1 FROM ghosts LIMIT 1");
    if (!any.step()) return;  // the common case: no write at all
  }
  write([](db& d, after_commit& after) {
    auto& s = d.cached("DELETE FROM ghosts RETURNING blob");
    std::vector<std::string> gone;
    while (s.step()) gone.push_back(s.text(0));
    s.reset();
    drop_unreferenced(d, std::move(gone), after.maybe_orphaned_blobs);
  });
}

std::vector<mailbox_info> sqlite_account::list_mailboxes() {
  auto r = reader();
  auto& s = r->cached(
      "SELECT id, name, uidvalidity, uidnext, highestmodseq, selectable, special_use, object_id "
      "FROM mailboxes ORDER BY name");
  std::vector<mailbox_info> out;
  while (s.step()) out.push_back(read_mailbox(s));
  s.reset();
  return out;
}

std::optional<mailbox_info> sqlite_account::find_mailbox(std::string_view name) {
  auto r = reader();
  return find_in(*r, name);
}

mailbox_info sqlite_account::create_mailbox(std::string_view name, std::string_view special_use) {
  if (auto why = invalid_mailbox_name(name, limits_))
    throw error(why->over_limit ? error::code::limit : error::code::invalid_name, why->reason);
  mailbox_info out;
  write([&](db& d, after_commit&) {
    if (auto m = find_in(d, name)) {
      // RFC 3501 §6.3.3: CREATE of an existing name fails, but a \Noselect
      // level left by DELETE may be made a mailbox again.
      if (m->selectable) throw error(error::code::already_exists, "mailbox already exists");
      d.cached("UPDATE mailboxes SET selectable = 1, special_use = ?2, uidvalidity = ?3 WHERE id = ?1")
          .bind(1, m->id)
          .bind(2, special_use)
          .bind(3, static_cast<std::int64_t>(next_uidvalidity(d)))
          .run();
      out = get_by_id(d, m->id);
      return;
    }
    create_superiors(d, name, limits_);
    out = insert_mailbox(d, name, special_use, limits_);
  });
  return out;
}

mailbox_id sqlite_account::delete_mailbox(std::string_view name) {
  if (name == "INBOX") throw error(error::code::not_permitted, "INBOX cannot be deleted");
  mailbox_id removed = 0;
  write([&](db& d, after_commit&) {
    auto m = find_in(d, name);
    if (!m) throw error(error::code::nonexistent, "mailbox does not exist");
    removed = m->id;
    remove_messages(d, *m);
    if (has_inferiors(d, name)) {
      // RFC 3501 §6.3.4: messages go, the name stays as \Noselect; a
      // \Noselect name with inferiors cannot be deleted.
      if (!m->selectable) throw error(error::code::has_children, "mailbox has inferior hierarchical names");
      d.cached("UPDATE mailboxes SET selectable = 0, special_use = '' WHERE id = ?1").bind(1, m->id).run();
      // RFC 5464 §4.1: a deleted mailbox's annotations go, so that one
      // made again with its name does not inherit them.
      d.cached("DELETE FROM metadata WHERE mailbox_id = ?1").bind(1, m->id).run();
      return;
    }
    d.cached("DELETE FROM mailboxes WHERE id = ?1").bind(1, m->id).run();
    // A mailbox made later may get this id again: not this key, nor these
    // annotations (RFC 5464 §3.1: they go with the mailbox).
    d.cached("DELETE FROM urlauth_keys WHERE mailbox_id = ?1").bind(1, m->id).run();
    d.cached("DELETE FROM metadata WHERE mailbox_id = ?1").bind(1, m->id).run();
    prune_noselect_superiors(d, name);
  });
  return removed;
}

std::vector<account_store::renamed> sqlite_account::rename_mailbox(std::string_view from,
                                                                   std::string_view to) {
  if (auto why = invalid_mailbox_name(to, limits_))
    throw error(why->over_limit ? error::code::limit : error::code::invalid_name, why->reason);
  std::vector<renamed> out;
  write([&](db& d, after_commit&) {
    auto src = find_in(d, from);
    if (!src) throw error(error::code::nonexistent, "mailbox does not exist");
    if (auto dst = find_in(d, to)) throw error(error::code::already_exists, "target mailbox already exists");
    if (is_inferior(to, from)) throw error(error::code::invalid_name, "cannot rename a mailbox below itself");
    create_superiors(d, to, limits_);

    if (from == "INBOX") {
      // RFC 3501 §6.3.5: renaming INBOX moves its messages to a new
      // mailbox and leaves INBOX empty; its inferiors stay where they are.
      auto dst = insert_mailbox(d, to, "", limits_);
      auto inbox = *src;
      std::vector<uid> all;
      auto& sel = d.cached("SELECT uid FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
      sel.bind(1, inbox.id);
      while (sel.step()) all.push_back(uid{static_cast<std::uint32_t>(sel.int64(0))});
      sel.reset();
      transfer(d, inbox, all, dst, true);
      // RFC 5464 §4.1: "the annotations are copied from the original INBOX
      // to the renamed mailbox, i.e., mailbox annotations are preserved on
      // the INBOX".
      d.cached("INSERT INTO metadata(mailbox_id, name, value) SELECT ?2, name, value FROM metadata WHERE mailbox_id = ?1")
          .bind(1, inbox.id)
          .bind(2, dst.id)
          .run();
      out.push_back({"INBOX", get_by_id(d, dst.id)});
      return;
    }

    // Every inferior moves with it (RFC 3501 §6.3.5).
    std::vector<mailbox_info> moving{*src};
    {
      auto& s = d.cached(
          "SELECT id, name, uidvalidity, uidnext, highestmodseq, selectable, special_use, object_id "
          "FROM mailboxes WHERE name > ?1 AND name < ?2 ORDER BY name");
      s.bind(1, std::string(from) + "/").bind(2, std::string(from) + "0");
      while (s.step()) moving.push_back(read_mailbox(s));
      s.reset();
    }
    for (auto& m : moving) {
      std::string new_name = std::string(to) + m.name.substr(from.size());
      if (auto why = invalid_mailbox_name(new_name, limits_)) throw error(error::code::limit, why->reason);
      d.cached("UPDATE mailboxes SET name = ?2 WHERE id = ?1").bind(1, m.id).bind(2, new_name).run();
      // Subscriptions follow the mailbox, as users expect (docs/protocol-
      // notes/mailbox-names.md); RFC 3501 leaves this open.
      auto& sub = d.cached("UPDATE OR IGNORE subscriptions SET name = ?2 WHERE name = ?1");
      sub.bind(1, m.name).bind(2, new_name).run();
      out.push_back({m.name, get_by_id(d, m.id)});
    }
    prune_noselect_superiors(d, from);
  });
  return out;
}

std::vector<std::string> sqlite_account::subscriptions() {
  auto r = reader();
  auto& s = r->cached("SELECT name FROM subscriptions ORDER BY name");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  s.reset();
  return out;
}

void sqlite_account::set_subscribed(std::string_view name, bool subscribed) {
  write([&](db& d, after_commit&) {
    if (subscribed)
      d.cached("INSERT OR IGNORE INTO subscriptions(name) VALUES(?1)").bind(1, name).run();
    else
      d.cached("DELETE FROM subscriptions WHERE name = ?1").bind(1, name).run();
  });
}

mailbox_status sqlite_account::status(mailbox_id id) {
  auto r = reader();
  // One read transaction, so the counters and the recent count agree.
  r->run("BEGIN");
  mailbox_status st;
  try {
    auto& s = r->cached(
        "SELECT messages, unseen, total_size, uidnext, uidvalidity, highestmodseq, first_recent_uid, "
        "selectable FROM mailboxes WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw error(error::code::nonexistent, "mailbox does not exist");
    if (s.int64(7) == 0) throw error(error::code::noselect, "mailbox is not selectable");
    st.messages = static_cast<std::uint32_t>(s.int64(0));
    st.unseen = static_cast<std::uint32_t>(s.int64(1));
    st.size = static_cast<std::uint64_t>(s.int64(2));
    st.uidnext = uid{static_cast<std::uint32_t>(s.int64(3))};
    st.uidvalidity = static_cast<std::uint32_t>(s.int64(4));
    st.highestmodseq = modseq{static_cast<std::uint64_t>(s.int64(5))};
    auto first = first_recent(id, st.uidvalidity, static_cast<std::uint32_t>(s.int64(6)));
    s.reset();
    auto& rc = r->cached("SELECT count(*) FROM messages WHERE mailbox_id = ?1 AND uid >= ?2");
    rc.bind(1, id).bind(2, static_cast<std::int64_t>(first));
    rc.step();
    st.recent = static_cast<std::uint32_t>(rc.int64(0));
    rc.reset();
  } catch (...) {
    r->run("ROLLBACK");
    throw;
  }
  r->run("COMMIT");
  return st;
}

std::optional<std::uint64_t> sqlite_account::space_short(std::uint64_t incoming) const {
  if (limits_.min_free_space == 0) return std::nullopt;
  struct statvfs fs {};
  if (statvfs(dir_.c_str(), &fs) != 0) return std::nullopt;  // unknown: let the write try
  auto avail = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (avail >= limits_.min_free_space + incoming) return std::nullopt;
  return avail;
}

void sqlite_account::check_space(std::uint64_t incoming) const {
  auto short_of = space_short(incoming);
  if (!short_of) return;
  auto avail = *short_of;
  spdlog::warn("event=disk_full dir={} free_bytes={} min_free_space={} incoming_bytes={}", dir_.string(), avail,
               limits_.min_free_space, incoming);
  throw error(error::code::no_space, "Not enough disk space on the server; delete mail or try again later");
}

template <class F>
auto sqlite_account::adding_mail(F f) -> decltype(f()) {
  // The disk filled up under us (another process, or the margin was too
  // small): the client hears it as such, the log says what is full, and
  // nothing half-written stays acknowledged.
  try {
    return f();
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::no_space_on_device) throw;
    spdlog::warn("event=disk_full dir={} error=\"{}\"", dir_.string(), e.what());
  } catch (const db_error& e) {
    if ((e.code & 0xff) != SQLITE_FULL) throw;
    spdlog::warn("event=disk_full dir={} error=\"{}\"", dir_.string(), e.what());
  }
  throw error(error::code::no_space, "Not enough disk space on the server; delete mail or try again later");
}


void sqlite_account::check_quota(std::uint64_t incoming) {
  if (limits_.max_account_size == 0) return;
  auto r = reader();
  quota_allows(*r, incoming);
}

void sqlite_account::quota_allows(db& d, std::uint64_t incoming) {
  auto& s = d.cached("SELECT coalesce(sum(total_size), 0) FROM mailboxes");
  std::uint64_t used = s.step() ? static_cast<std::uint64_t>(s.int64(0)) : 0;
  s.reset();
  if (used + incoming <= limits_.max_account_size) return;
  throw error(error::code::over_quota, "Quota exceeded: the account holds " + std::to_string(used) + " of " +
                                           std::to_string(limits_.max_account_size) + " octets, and " +
                                           std::to_string(incoming) + " more do not fit");
}

append_result sqlite_account::append(mailbox_id id, std::vector<new_message> messages) {
  std::uint64_t incoming = 0, total = 0;
  for (auto& m : messages) {
    incoming += m.staged ? 0 : m.data.size();  // staged ones are on disk already
    total += m.staged ? m.staged->size() : m.data.size();
  }
  check_space(incoming);
  check_quota(total);
  return adding_mail([&] { return append_checked(id, messages); });
}

append_result sqlite_account::append_checked(mailbox_id id, std::vector<new_message>& messages) {
  // A message up to inline_message_size goes into the database with its
  // row (inline_blobs.hpp): only the commit's fsync, no file. A larger one
  // is a blob file, written and fsynced here, in parallel with other
  // appenders (only the database commit is shared); a staged one is made
  // a blob by renaming its file.
  auto is_inline = [&](const new_message& m) {
    return limits_.inline_message_size > 0 && m.octets().size() <= limits_.inline_message_size;
  };
  std::vector<std::string_view> contents;
  contents.reserve(messages.size());
  for (auto& m : messages) {
    if (m.staged) m.staged->finish();
    if (!m.staged && !is_inline(m)) contents.push_back(m.data);
  }
  auto written = blobs_.put_many(contents);
  std::vector<std::string> hashes, files;
  hashes.reserve(messages.size());
  for (std::size_t i = 0, next = 0; i < messages.size(); ++i) {
    auto& m = messages[i];
    auto* staged = m.staged ? dynamic_cast<staged_blob*>(m.staged.get()) : nullptr;
    if (m.staged && !staged) throw std::logic_error("append: a message staged by another store");
    if (is_inline(m)) {
      hashes.push_back(staged ? staged->hash() : blob_store::content_hash(m.data));
    } else if (!staged) {
      hashes.push_back(std::move(written[next++]));
      files.push_back(hashes.back());
    } else if (staged->file) {
      hashes.push_back(blobs_.adopt(*staged->file));
      files.push_back(hashes.back());
    } else {
      // Nothing was written (an empty message) and messages are not kept
      // inline (store.inline_message_size = 0): no staged file was made.
      hashes.push_back(staged->hash());
      blobs_.put(staged->view(), hashes.back());
      files.push_back(hashes.back());
    }
  }

  append_result out;
  try {
    write([&](db& d, after_commit&) {
      auto mb = get_by_id(d, id);
      if (!mb.selectable) throw error(error::code::noselect, "mailbox is not selectable");
      out.uids.clear();
      for (std::size_t i = 0; i < messages.size(); ++i) {
        auto octets = messages[i].octets();
        // A hash whose rowid another content holds: this one takes a file.
        bool in_db = is_inline(messages[i]) && put_inline(d, hashes[i], octets);
        // A concurrent expunge may have collected an identical blob after we
        // wrote it; we lead the queue now, so rewriting it is race-free.
        if (!in_db && !blobs_.exists(hashes[i])) blobs_.put(octets, hashes[i]);
        auto ins = insert_message(d, mb, messages[i], static_cast<std::int64_t>(octets.size()), hashes[i]);
        out.uids.push_back(ins.id);
      }
      save_counters(d, mb);
      out.uidvalidity = mb.uidvalidity;
      out.highestmodseq = mb.highestmodseq;
    });
  } catch (...) {
    // Nothing refers to the files written above unless they were there
    // already: collect_garbage() (checking while it leads the queue) takes
    // the rest (inline ones went with the rolled-back transaction). Best
    // effort: the sweep at the next start finds what this misses.
    if (!files.empty()) try {
        write([&](db&, after_commit& after) { after.maybe_orphaned_blobs = files; });
      } catch (const std::exception& e) {
        spdlog::warn("event=blob_cleanup_failed dir={} error=\"{}\"", dir_.string(), e.what());
      }
    throw;
  }
  return out;
}

mailbox_snapshot sqlite_account::snapshot(mailbox_id id, uid from) {
  auto r = reader();
  r->run("BEGIN");
  mailbox_snapshot snap;
  try {
    snap.info = get_by_id(*r, id);
    // A whole-mailbox snapshot is what SELECT reads: for a big mailbox,
    // reading and decoding every row costs tens of milliseconds. Every
    // change to a mailbox's messages raises HIGHESTMODSEQ or UIDNEXT or
    // changes the message count (RFC 7162 §3.1: one MODSEQ per change), so
    // a cached copy with the same four values, checked inside this read
    // transaction, is exactly what the rows would give.
    auto& c = r->cached("SELECT messages, first_recent_uid FROM mailboxes WHERE id = ?1");
    c.bind(1, id);
    std::int64_t count = -1;
    if (c.step()) {
      count = c.int64(0);
      snap.first_recent =
          uid{first_recent(id, snap.info.uidvalidity, static_cast<std::uint32_t>(c.int64(1)))};
    }
    c.reset();
    auto key = snapshot_key{snap.info.uidvalidity, to_int(snap.info.uidnext), to_int(snap.info.highestmodseq), count};
    std::shared_ptr<const std::vector<message_entry>> base;
    snapshot_key base_key{};
    if (to_int(from) <= 1) {
      std::lock_guard lock(snapshots_mu_);
      for (auto& e : snapshots_)
        if (e.id == id && e.key == key) {
          snap.messages = *e.messages;
          e.used = ++snapshot_clock_;
          r->run("COMMIT");
          return snap;
        } else if (e.id == id && e.key.uidvalidity == key.uidvalidity && e.key.highestmodseq <= key.highestmodseq) {
          base = e.messages;
          base_key = e.key;
        }
    }
    if (base && update_snapshot(*r, id, *base, base_key.highestmodseq, count, snap.messages)) {
      remember_snapshot(id, key, snap.messages);
      r->run("COMMIT");
      return snap;
    }
    auto& s = r->cached(
        "SELECT uid, modseq, flags, keywords FROM messages WHERE mailbox_id = ?1 AND uid >= ?2 "
        "ORDER BY uid");
    s.bind(1, id).bind(2, static_cast<std::int64_t>(to_int(from)));
    while (s.step()) snap.messages.push_back(read_entry(s));
    s.reset();
    if (to_int(from) <= 1) remember_snapshot(id, key, snap.messages);
  } catch (...) {
    r->run("ROLLBACK");
    throw;
  }
  r->run("COMMIT");
  return snap;
}

bool sqlite_account::update_snapshot(db& r, mailbox_id id, const std::vector<message_entry>& base,
                                     std::uint64_t base_modseq, std::int64_t count,
                                     std::vector<message_entry>& out) {
  // RFC 7162 §3.1: every change to a message gives it a new MODSEQ above
  // all earlier ones, and every expunge is logged with its MODSEQ. So the
  // rows with a MODSEQ above the cached copy's, and the expunges logged
  // above it, are all that changed: the cached copy brought up to date is
  // what reading every row would give, at the cost of the changes alone.
  std::vector<message_entry> changed;
  auto& c = r.cached(
      "SELECT uid, modseq, flags, keywords FROM messages WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
  c.bind(1, id).bind(2, static_cast<std::int64_t>(base_modseq));
  while (c.step()) changed.push_back(read_entry(c));
  c.reset();
  // A mailbox changed more than this is read whole: cheaper than merging.
  if (changed.size() > base.size() / 4 + 16) return false;
  std::vector<std::uint32_t> gone;
  auto& g = r.cached("SELECT uid FROM expunged WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
  g.bind(1, id).bind(2, static_cast<std::int64_t>(base_modseq));
  while (g.step()) gone.push_back(static_cast<std::uint32_t>(g.int64(0)));
  g.reset();

  out.clear();
  out.reserve(base.size() + changed.size());
  auto next = changed.begin();
  for (auto& m : base) {
    while (next != changed.end() && to_int(next->id) < to_int(m.id)) out.push_back(std::move(*next++));
    if (next != changed.end() && next->id == m.id) {
      out.push_back(std::move(*next++));
    } else if (!std::binary_search(gone.begin(), gone.end(), to_int(m.id))) {
      out.push_back(m);
    }
  }
  while (next != changed.end()) out.push_back(std::move(*next++));
  // The mailbox's own count must agree; if anything ever moved rows
  // without a MODSEQ, the merge is refused and the rows are read.
  if (static_cast<std::int64_t>(out.size()) != count) {
    out.clear();
    return false;
  }
  return true;
}

void sqlite_account::remember_snapshot(mailbox_id id, const snapshot_key& key,
                                       const std::vector<message_entry>& messages) {
  if (messages.size() < snapshot_cache_min) return;
  auto copy = std::make_shared<const std::vector<message_entry>>(messages);
  std::lock_guard lock(snapshots_mu_);
  auto it = std::find_if(snapshots_.begin(), snapshots_.end(), [&](auto& e) { return e.id == id; });
  if (it == snapshots_.end() && snapshots_.size() < snapshot_cache_size) it = snapshots_.emplace(snapshots_.end());
  if (it == snapshots_.end())
    it = std::min_element(snapshots_.begin(), snapshots_.end(), [](auto& a, auto& b) { return a.used < b.used; });
  // A slower reader must not replace a newer copy with an older one.
  if (it->id == id && it->key.uidvalidity == key.uidvalidity && it->key.highestmodseq > key.highestmodseq) return;
  *it = {id, key, std::move(copy), ++snapshot_clock_};
}

uid sqlite_account::claim_recent(mailbox_id id, uid up_to) {
  // Claims live here and reach the database with the account's next
  // durable commit (save_recent_claims) or when it closes: a claim is a
  // read and a lock, never a wait for the writer, so a session can learn
  // of new mail on its network thread. A crash may lose the claims not
  // yet saved: those messages are \Recent again in the next session (the
  // claim was already a commit without fsync before).
  std::uint32_t uidvalidity = 0, stored = 0;
  {
    auto r = reader();
    auto& s = r->cached("SELECT uidvalidity, first_recent_uid FROM mailboxes WHERE id = ?1");
    s.bind(1, id);
    if (!s.step()) throw error(error::code::nonexistent, "mailbox does not exist");
    uidvalidity = static_cast<std::uint32_t>(s.int64(0));
    stored = static_cast<std::uint32_t>(s.int64(1));
    s.reset();
  }
  std::lock_guard lock(recent_mu_);
  auto& c = recent_claims_[id];
  if (c.uidvalidity != uidvalidity) c = {uidvalidity, stored, true};  // a new mailbox under a reused id
  auto have = std::max(c.up_to, stored);
  if (have >= to_int(up_to)) return up_to;
  c.up_to = to_int(up_to);
  c.saved = false;
  return uid{have};
}

std::uint32_t sqlite_account::first_recent(mailbox_id id, std::uint32_t uidvalidity, std::uint32_t stored) {
  std::lock_guard lock(recent_mu_);
  auto it = recent_claims_.find(id);
  if (it == recent_claims_.end() || it->second.uidvalidity != uidvalidity) return stored;
  return std::max(stored, it->second.up_to);
}

void sqlite_account::save_recent_claims(db& d) {
  std::vector<std::pair<mailbox_id, recent_claim>> due;
  {
    std::lock_guard lock(recent_mu_);
    for (auto& [id, c] : recent_claims_)
      if (!c.saved) {
        due.emplace_back(id, c);
        c.saved = true;
      }
  }
  for (auto& [id, c] : due)
    d.cached("UPDATE mailboxes SET first_recent_uid = ?2 WHERE id = ?1 AND uidvalidity = ?3 AND first_recent_uid < ?2")
        .bind(1, id)
        .bind(2, static_cast<std::int64_t>(c.up_to))
        .bind(3, static_cast<std::int64_t>(c.uidvalidity))
        .run();
}

expunge_result sqlite_account::expunge_deleted(mailbox_id id, const std::vector<uid>* only) {
  expunge_result out;
  write([&](db& d, after_commit&) {
    auto mb = get_by_id(d, id);
    out.uids.clear();
    auto& s = d.cached("SELECT uid FROM messages WHERE mailbox_id = ?1 AND (flags & 4) != 0 ORDER BY uid");
    s.bind(1, id);
    std::vector<std::uint32_t> hits;
    while (s.step()) hits.push_back(static_cast<std::uint32_t>(s.int64(0)));
    s.reset();
    if (only) {
      std::vector<std::uint32_t> wanted;
      for (auto u : *only) wanted.push_back(to_int(u));
      std::sort(wanted.begin(), wanted.end());
      std::erase_if(hits, [&](auto h) { return !std::binary_search(wanted.begin(), wanted.end(), h); });
    }
    if (hits.empty()) {
      out.highestmodseq = mb.highestmodseq;
      return;
    }
    // RFC 7162 §3.2.7: one expunge operation gets one new MODSEQ.
    mb.highestmodseq = modseq{to_int(mb.highestmodseq) + 1};
    for (auto u : hits) {
      expunge_message(d, id, u, mb.highestmodseq);
      out.uids.push_back(uid{u});
    }
    save_counters(d, mb);
    out.highestmodseq = mb.highestmodseq;
  });
  return out;
}

std::vector<message_record> sqlite_account::fetch(mailbox_id id, const std::vector<uid>& uids, bool with_preview) {
  auto r = reader();
  r->run("BEGIN");
  std::vector<message_record> out;
  out.reserve(uids.size());
  try {
    // The preview is kept per blob (schema: previews): looked up only
    // when asked for (a NULL stands in otherwise).
    auto& s = with_preview
                  ? r->cached("SELECT m.uid, m.modseq, m.flags, m.keywords, m.internal_date, m.tz_offset, m.save_date, "
                              "m.size, m.blob, m.structure, m.sent_day, p.text FROM messages m "
                              "LEFT JOIN previews p ON p.blob = m.blob WHERE m.mailbox_id = ?1 AND m.uid = ?2")
                  : r->cached("SELECT uid, modseq, flags, keywords, internal_date, tz_offset, save_date, size, blob, "
                              "structure, sent_day, NULL FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
    // RFC 3501 §7.4.1: a message expunged since the session was told of
    // it is read from its ghost (same columns) until it is released.
    auto& g = with_preview
                  ? r->cached("SELECT g.uid, g.modseq, g.flags, g.keywords, g.internal_date, g.tz_offset, g.save_date, "
                              "g.size, g.blob, g.structure, g.sent_day, p.text FROM ghosts g "
                              "LEFT JOIN previews p ON p.blob = g.blob WHERE g.mailbox_id = ?1 AND g.uid = ?2")
                  : r->cached("SELECT uid, modseq, flags, keywords, internal_date, tz_offset, save_date, size, blob, "
                              "structure, sent_day, NULL FROM ghosts WHERE mailbox_id = ?1 AND uid = ?2");
    for (auto u : uids) {
      s.bind(1, id).bind(2, static_cast<std::int64_t>(to_int(u)));
      bool found = s.step();
      auto* row = &s;
      if (!found) {
        g.bind(1, id).bind(2, static_cast<std::int64_t>(to_int(u)));
        found = g.step();
        row = &g;
      }
      if (found) {
        auto& s = *row;
        message_record m;
        m.id = u;
        m.mod = modseq{static_cast<std::uint64_t>(s.int64(1))};
        m.flags.system = static_cast<std::uint8_t>(s.int64(2));
        m.flags.keywords = split_keywords(s.text(3));
        m.internal_date = s.int64(4);
        m.tz_offset_minutes = static_cast<int>(s.int64(5));
        m.save_date = s.int64(6);
        m.size = static_cast<std::uint64_t>(s.int64(7));
        m.blob = s.text(8);
        m.structure = s.blob(9);
        m.sent_day = s.int64(10);
        if (!s.is_null(11)) m.preview = s.text(11);
        m.expunged = row == &g;
        out.push_back(std::move(m));
      }
      s.reset();
      g.reset();
    }
  } catch (...) {
    r->run("ROLLBACK");
    throw;
  }
  r->run("COMMIT");
  return out;
}


std::unique_ptr<staged_message> sqlite_account::stage_message() {
  // What is staged is bounded by the literal size limit; start it only
  // while the disk has its reserve (append() counts it as written).
  check_space(0);
  return std::make_unique<staged_blob>(blobs_, limits_.inline_message_size);
}

std::string sqlite_account::read_message(const std::string& blob) {
  {
    // Kept inline, or else a file (also when store.inline_message_size
    // was lowered since it was stored).
    auto r = reader();
    if (auto data = read_inline(*r, blob)) return std::move(*data);
  }
  return blobs_.read(blob);
}

namespace {

// An FTS5 string: double quotes doubled inside.
void append_fts_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// The index query for a needle of three or more characters: every
// trigram (three UTF-8 characters, as FTS5's trigram tokenizer cuts the
// text) ANDed; at most max_terms of them, spread over the needle (the
// stored text decides anyway).
std::string trigram_query(std::string_view needle) {
  std::vector<std::size_t> starts;  // where each character begins
  for (std::size_t i = 0; i < needle.size(); ++i)
    if ((static_cast<unsigned char>(needle[i]) & 0xC0) != 0x80) starts.push_back(i);
  starts.push_back(needle.size());
  std::size_t grams = starts.size() >= 4 ? starts.size() - 3 : 0;
  constexpr std::size_t max_terms = 16;
  std::vector<std::string_view> terms;
  for (std::size_t k = 0; k < std::min(grams, max_terms); ++k) {
    // Evenly spaced, first and last included.
    std::size_t i = grams <= max_terms ? k : k * (grams - 1) / (max_terms - 1);
    terms.push_back(needle.substr(starts[i], starts[i + 3] - starts[i]));
  }
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  std::string out;
  for (auto t : terms) {
    if (!out.empty()) out += " AND ";
    append_fts_string(out, t);
  }
  return out;
}

bool field_contains(std::string_view headers, std::string_view field, std::string_view needle) {
  // The index text has one "name: value" line per field (mime/text.hpp).
  std::size_t pos = 0;
  while (pos < headers.size()) {
    auto nl = headers.find('\n', pos);
    auto line = headers.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? headers.size() : nl + 1;
    if (line.size() > field.size() && line.substr(0, field.size()) == field && line[field.size()] == ':') {
      auto value = line.substr(std::min(line.size(), field.size() + 2));
      if (value.find(needle) != std::string_view::npos) return true;
    }
  }
  return false;
}

// The envelope addresses of field (mime/text.hpp writes them on lines
// " field: ..."; a field name never starts with a space). Rows indexed
// before those lines existed have none at all: their raw field is used.
bool address_contains(std::string_view headers, std::string_view field, std::string_view needle) {
  bool has_envelope_lines = headers.starts_with(' ') || headers.find("\n ") != std::string_view::npos;
  if (!has_envelope_lines) return field_contains(headers, field, needle);
  return field_contains(headers, " " + std::string(field), needle);
}

}  // namespace

std::vector<uid> sqlite_account::search_text(mailbox_id id, const text_query& q) {
  // The trigram tokenizer answers substring phrases of three or more
  // characters from the index; shorter needles scan the stored text
  // (still no blob is read).
  std::size_t chars = 0;
  for (char c : q.needle)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  bool indexed = chars >= 3;
  if (indexed) {
    // The index first takes in what this mailbox's sessions may know of
    // (search_index.hpp): every message in a view was committed before.
    bool behind = false;
    {
      auto r = reader();
      behind = search_index_behind(*r, id);
    }
    if (behind && room_for_index(id, std::numeric_limits<std::size_t>::max())) {
      try {
        // In transactions of catch_up_chunk rows, so that the account's
        // other writes are not held back for the whole of a big backlog
        // (a mailbox stored before the index was kept apart).
        std::size_t done = 0;
        do {
          write([&](db& d, after_commit&) { done = catch_up_search_index(d, id, catch_up_chunk); },
                /*durable=*/false);
        } while (done == catch_up_chunk);
        behind = false;
      } catch (const db_error& e) {
        if ((e.code & 0xff) != SQLITE_FULL) throw;
        spdlog::warn("event=disk_full dir={} error=\"{}\"", dir_.string(), e.what());
      }
    }
    // On a full disk the index stays behind: the stored text answers
    // instead, without the index (same substring match, slower).
    if (behind) indexed = false;
  }
  auto r = reader();
  std::vector<uid> out;
  using w = text_query::where;
  bool verify = q.in == w::field || q.in == w::address;
  // Statements are cached by their literal, so each shape has its own.
  // search_text may still hold expunged messages whose removal from the
  // index waits; the caller keeps only UIDs of its view.
  // The index gives the messages holding every trigram of the needle
  // (detail=none: not where); the stored text, read through the index's
  // content table, decides.
  const char* sql = nullptr;
  if (verify) {
    sql = indexed ? "SELECT rowid, headers FROM search_index WHERE rowid >= ?1 AND rowid < ?2 "
                    "AND search_index MATCH ?3 ORDER BY rowid"
                  : "SELECT id, headers FROM search_text WHERE id >= ?1 AND id < ?2 ORDER BY id";
  } else if (indexed && q.in == w::headers) {
    sql = "SELECT rowid FROM search_index WHERE rowid >= ?1 AND rowid < ?2 AND search_index MATCH ?3 "
          "AND instr(headers, ?4) > 0 ORDER BY rowid";
  } else if (indexed && q.in == w::body) {
    sql = "SELECT rowid FROM search_index WHERE rowid >= ?1 AND rowid < ?2 AND search_index MATCH ?3 "
          "AND instr(body, ?4) > 0 ORDER BY rowid";
  } else if (indexed) {
    sql = "SELECT rowid FROM search_index WHERE rowid >= ?1 AND rowid < ?2 AND search_index MATCH ?3 "
          "AND (instr(headers, ?4) > 0 OR instr(body, ?4) > 0) ORDER BY rowid";
  } else if (q.in == w::headers) {
    sql = "SELECT id FROM search_text WHERE id >= ?1 AND id < ?2 AND instr(headers, ?3) > 0 ORDER BY id";
  } else if (q.in == w::body) {
    sql = "SELECT id FROM search_text WHERE id >= ?1 AND id < ?2 AND instr(body, ?3) > 0 ORDER BY id";
  } else {
    sql = "SELECT id FROM search_text WHERE id >= ?1 AND id < ?2 "
          "AND (instr(headers, ?3) > 0 OR instr(body, ?3) > 0) ORDER BY id";
  }
  auto& st = r->cached(sql);
  st.bind(1, search_key(id, 0)).bind(2, search_key(id + 1, 0));
  if (indexed) {
    // RFC 3501 §6.4.4: HEADER/SUBJECT/FROM/... search the header, BODY the
    // body, TEXT both; the column is checked with the needle.
    st.bind(3, trigram_query(q.needle));
    if (!verify) st.bind(4, std::string_view(q.needle));
  } else if (!verify) {
    st.bind(3, std::string_view(q.needle));
  }
  while (st.step()) {
    auto key = st.int64(0);
    if (q.in == w::field && !field_contains(st.text(1), q.field, q.needle)) continue;
    if (q.in == w::address && !address_contains(st.text(1), q.field, q.needle)) continue;
    out.push_back(uid{static_cast<std::uint32_t>(key & 0xffffffff)});
  }
  st.reset();
  return out;
}

std::vector<message_meta> sqlite_account::search_meta(mailbox_id id) {
  auto r = reader();
  std::vector<message_meta> out;
  auto& st = r->cached(
      "SELECT uid, internal_date, tz_offset, sent_day, size FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
  st.bind(1, id);
  while (st.step()) {
    message_meta m;
    m.id = uid{static_cast<std::uint32_t>(st.int64(0))};
    m.internal_date = st.int64(1);
    m.tz_offset_minutes = static_cast<int>(st.int64(2));
    m.sent_day = st.int64(3);
    m.size = static_cast<std::uint64_t>(st.int64(4));
    out.push_back(m);
  }
  st.reset();
  return out;
}

std::vector<sort_row> sqlite_account::sort_rows(mailbox_id id) {
  auto r = reader();
  std::vector<sort_row> out;
  auto& st = r->cached("SELECT uid, internal_date, size, sort_info FROM messages WHERE mailbox_id = ?1 ORDER BY uid");
  st.bind(1, id);
  while (st.step()) {
    sort_row row;
    row.id = uid{static_cast<std::uint32_t>(st.int64(0))};
    row.internal_date = st.int64(1);
    row.size = static_cast<std::uint64_t>(st.int64(2));
    row.sort_info = st.blob(3);
    out.push_back(std::move(row));
  }
  st.reset();
  return out;
}

std::vector<uid> sqlite_account::expunged_since(mailbox_id id, modseq since) {
  auto r = reader();
  std::vector<uid> out;
  auto& st = r->cached("SELECT uid FROM expunged WHERE mailbox_id = ?1 AND modseq > ?2 ORDER BY uid");
  st.bind(1, id).bind(2, static_cast<std::int64_t>(to_int(since)));
  while (st.step()) out.push_back(uid{static_cast<std::uint32_t>(st.int64(0))});
  st.reset();
  return out;
}

std::string sqlite_account::read_message(const std::string& blob, std::uint64_t offset, std::uint64_t length) {
  {
    auto r = reader();
    if (auto data = read_inline(*r, blob, offset, length)) return std::move(*data);
  }
  return blobs_.read(blob, offset, length);
}

namespace {

bool has_keyword(const std::vector<std::string>& kws, const std::string& k) {
  for (auto& o : kws)
    if (core::iequals(o, k)) return true;
  return false;
}

flag_set apply_flags(const flag_set& have, flag_op op, const flag_set& given) {
  flag_set out = have;
  switch (op) {
    case flag_op::replace:
      out = {given.system, dedupe_keywords(given.keywords)};
      break;
    case flag_op::add:
      out.system |= given.system;
      for (auto& k : given.keywords)
        if (!has_keyword(out.keywords, k)) out.keywords.push_back(k);
      break;
    case flag_op::remove:
      out.system &= static_cast<std::uint8_t>(~given.system);
      std::erase_if(out.keywords, [&](auto& k) { return has_keyword(given.keywords, k); });
      break;
  }
  return out;
}

bool same_flags(const flag_set& a, const flag_set& b) {
  if (a.system != b.system || a.keywords.size() != b.keywords.size()) return false;
  for (auto& k : a.keywords)
    if (!has_keyword(b.keywords, k)) return false;
  return true;
}

}  // namespace

store_flags_result sqlite_account::store_flags(mailbox_id id, const std::vector<uid>& uids, flag_op op,
                                               const flag_set& flags, std::optional<modseq> unchanged_since) {
  store_flags_result out;
  write([&](db& d, after_commit&) {
    auto mb = get_by_id(d, id);
    out = {};
    // RFC 7162 §3.1.3: every message changed by one STORE gets a MODSEQ
    // above all before; one new value serves the whole command.
    auto mod = modseq{to_int(mb.highestmodseq) + 1};
    auto& sel = d.cached("SELECT modseq, flags, keywords FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
    for (auto u : uids) {
      sel.bind(1, id).bind(2, static_cast<std::int64_t>(to_int(u)));
      if (!sel.step()) {
        sel.reset();
        continue;
      }
      auto have_mod = static_cast<std::uint64_t>(sel.int64(0));
      flag_set have{static_cast<std::uint8_t>(sel.int64(1)), split_keywords(sel.text(2))};
      sel.reset();
      if (unchanged_since && have_mod > to_int(*unchanged_since)) {
        out.modified.push_back(u);
        continue;
      }
      auto now = apply_flags(have, op, flags);
      if (same_flags(now, have)) continue;
      d.cached("UPDATE messages SET flags = ?3, keywords = ?4, modseq = ?5 WHERE mailbox_id = ?1 AND uid = ?2")
          .bind(1, id)
          .bind(2, static_cast<std::int64_t>(to_int(u)))
          .bind(3, static_cast<std::int64_t>(now.system))
          .bind(4, join_keywords(now.keywords))
          .bind(5, static_cast<std::int64_t>(to_int(mod)))
          .run();
      out.updated.push_back({u, mod, std::move(now)});
    }
    if (!out.updated.empty()) {
      mb.highestmodseq = mod;
      save_counters(d, mb);
    }
    out.highestmodseq = mb.highestmodseq;
  });
  return out;
}

copy_result sqlite_account::copy(mailbox_id from, const std::vector<uid>& uids, mailbox_id to, bool move) {
  // A copy shares blobs, but its rows and index entries take room too.
  // Against the quota it counts in full, checked inside the transaction
  // (copy_checked) where the sizes of what it copies are known.
  if (!move) check_space(0);
  return adding_mail([&] { return copy_checked(from, uids, to, move); });
}

copy_result sqlite_account::copy_checked(mailbox_id from, const std::vector<uid>& uids, mailbox_id to, bool move) {
  copy_result out;
  write([&](db& d, after_commit&) {
    auto src = get_by_id(d, from);
    if (!move && limits_.max_account_size > 0) {
      std::uint64_t adding = 0;
      auto& size = d.cached("SELECT size FROM messages WHERE mailbox_id = ?1 AND uid = ?2");
      for (auto u : uids) {
        size.bind(1, from).bind(2, static_cast<std::int64_t>(to_int(u)));
        if (size.step()) adding += static_cast<std::uint64_t>(size.int64(0));
        size.reset();
      }
      quota_allows(d, adding);
    }
    if (from == to) {
      out = transfer(d, src, uids, src, move);
      return;
    }
    auto dst = get_by_id(d, to);
    if (!dst.selectable) throw error(error::code::noselect, "target mailbox is not selectable");
    out = transfer(d, src, uids, dst, move);
  });
  return out;
}

}  // namespace lemonade::store::sqlite
