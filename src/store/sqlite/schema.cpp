#include "store/sqlite/schema.hpp"

#include <string>

namespace lemonade::store::sqlite {
namespace {

int user_version(db& d) {
  auto& s = d.cached("PRAGMA user_version");
  s.step();
  auto v = static_cast<int>(s.int64(0));
  // A statement left on its row keeps its read snapshot: the connection
  // would go on seeing the database as it was now (new users unseen).
  s.reset();
  return v;
}

void run_steps(db& d, const char* const* steps, int count) {
  int have = user_version(d);
  for (int v = have; v < count; ++v) {
    d.exec("BEGIN IMMEDIATE");
    try {
      d.exec(steps[v]);
      d.exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
      d.exec("COMMIT");
    } catch (...) {
      d.exec("ROLLBACK");
      throw;
    }
  }
}

// DESIGN.md §4. MODSEQ and the expunge log exist from the first step so
// CONDSTORE/QRESYNC need no schema change.
const char* const account_steps[] = {
    R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE mailboxes(
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE,
  uidvalidity      INTEGER NOT NULL,
  uidnext          INTEGER NOT NULL DEFAULT 1,
  highestmodseq    INTEGER NOT NULL DEFAULT 1,
  first_recent_uid INTEGER NOT NULL DEFAULT 1,
  selectable       INTEGER NOT NULL DEFAULT 1,
  special_use      TEXT NOT NULL DEFAULT '',
  object_id        TEXT NOT NULL,
  messages         INTEGER NOT NULL DEFAULT 0,
  unseen           INTEGER NOT NULL DEFAULT 0,
  total_size       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messages(
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id),
  uid           INTEGER NOT NULL,
  modseq        INTEGER NOT NULL,
  flags         INTEGER NOT NULL DEFAULT 0,
  keywords      TEXT NOT NULL DEFAULT '',
  internal_date INTEGER NOT NULL,
  tz_offset     INTEGER NOT NULL DEFAULT 0,
  save_date     INTEGER NOT NULL,
  size          INTEGER NOT NULL,
  blob          TEXT NOT NULL,
  PRIMARY KEY(mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX messages_by_blob ON messages(blob);
CREATE TABLE expunged(
  mailbox_id INTEGER NOT NULL,
  uid        INTEGER NOT NULL,
  modseq     INTEGER NOT NULL,
  PRIMARY KEY(mailbox_id, uid)
) WITHOUT ROWID;
CREATE TABLE subscriptions(name TEXT PRIMARY KEY) WITHOUT ROWID;

-- Counters for a STATUS that never scans messages.
CREATE TRIGGER messages_added AFTER INSERT ON messages BEGIN
  UPDATE mailboxes SET messages = messages + 1,
    unseen = unseen + ((NEW.flags & 8) = 0), total_size = total_size + NEW.size
  WHERE id = NEW.mailbox_id;
END;
CREATE TRIGGER messages_removed AFTER DELETE ON messages BEGIN
  UPDATE mailboxes SET messages = messages - 1,
    unseen = unseen - ((OLD.flags & 8) = 0), total_size = total_size - OLD.size
  WHERE id = OLD.mailbox_id;
END;
CREATE TRIGGER messages_flagged AFTER UPDATE OF flags ON messages BEGIN
  UPDATE mailboxes SET unseen = unseen - ((OLD.flags & 8) = 0) + ((NEW.flags & 8) = 0)
  WHERE id = NEW.mailbox_id;
END;
)sql",
    // Message access: the MIME structure parsed at append time, and the
    // full-text index for SEARCH. rowid = mailbox_id << 32 | uid. The
    // trigram tokenizer answers substring queries (RFC 3501 §6.4.4 SEARCH
    // matches substrings) from the index.
    R"sql(
ALTER TABLE messages ADD COLUMN structure BLOB NOT NULL DEFAULT x'';
CREATE VIRTUAL TABLE search USING fts5(headers, body, tokenize = 'trigram');
)sql",
    // SENTBEFORE/SENTON/SENTSINCE: the Date: header's day, parsed at append.
    R"sql(
ALTER TABLE messages ADD COLUMN sent_day INTEGER NOT NULL DEFAULT 0;
)sql",
    // QRESYNC (RFC 7162 §3.2.5.1): expunges since a MODSEQ without a scan
    // of the mailbox's whole expunge log.
    R"sql(
CREATE INDEX expunged_by_modseq ON expunged(mailbox_id, modseq);
)sql",
    // SORT and THREAD (RFC 5256): the keys of each message, computed at
    // append (src/sort/README.md has the format).
    R"sql(
ALTER TABLE messages ADD COLUMN sort_info BLOB NOT NULL DEFAULT x'';
)sql",
    // The messages changed since a MODSEQ without a scan of the mailbox:
    // a cached SELECT snapshot brought up to date (sqlite_account::snapshot).
    R"sql(
CREATE INDEX messages_by_modseq ON messages(mailbox_id, modseq);
)sql",
    // Expunged messages a session may still FETCH (RFC 3501 §7.4.1: it
    // has not been told yet; RFC 2180 §4.1.1): the row moves here with the
    // MODSEQ of its expunge, and its blob stays, until no open view can
    // name it (account_store::release_expunged); every one is gone after
    // a restart.
    R"sql(
CREATE TABLE ghosts(
  mailbox_id     INTEGER NOT NULL,
  uid            INTEGER NOT NULL,
  expunge_modseq INTEGER NOT NULL,
  modseq         INTEGER NOT NULL,
  flags          INTEGER NOT NULL,
  keywords       TEXT NOT NULL,
  internal_date  INTEGER NOT NULL,
  tz_offset      INTEGER NOT NULL,
  save_date      INTEGER NOT NULL,
  size           INTEGER NOT NULL,
  blob           TEXT NOT NULL,
  structure      BLOB NOT NULL,
  sent_day       INTEGER NOT NULL,
  PRIMARY KEY(mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX ghosts_by_blob ON ghosts(blob);
)sql",
    // SEARCH text apart from its index, and the index brought up to date
    // in batches (search_index.hpp): an APPEND queues its text in
    // search_pending, an EXPUNGE of an indexed message its removal in
    // search_unindex. Mail stored before this step is queued for the index.
    R"sql(
CREATE TABLE search_text(id INTEGER PRIMARY KEY, headers TEXT NOT NULL, body TEXT NOT NULL);
INSERT INTO search_text(id, headers, body) SELECT rowid, headers, body FROM search;
DROP TABLE search;
CREATE VIRTUAL TABLE search_index USING fts5(headers, body, content = 'search_text', content_rowid = 'id',
                                             tokenize = 'trigram');
CREATE TABLE search_pending(id INTEGER PRIMARY KEY);
INSERT INTO search_pending(id) SELECT id FROM search_text;
CREATE TABLE search_unindex(id INTEGER PRIMARY KEY);
)sql",
    // RFC 4467 URLAUTH: each mailbox's access key (access_keys.hpp).
    R"sql(
CREATE TABLE urlauth_keys(mailbox_id INTEGER PRIMARY KEY, key BLOB NOT NULL);
)sql",
    // Small messages kept in the database (store_limits::inline_message_size):
    // written in the commit that stores their message, with no file of
    // their own. Addressed by the same content hash as blob files; the
    // rowid is the hash's first 63 bits (inline_blobs.hpp), so a lookup
    // needs no second index.
    R"sql(
CREATE TABLE message_data(id INTEGER PRIMARY KEY, hash TEXT NOT NULL, data BLOB NOT NULL);
)sql",
    // The SEARCH index keeps which messages hold each trigram, not where
    // (detail=none): a fifth of the size, and a third less CPU a message
    // to build; its tokenizer hands each distinct trigram of a text to
    // FTS5 once (trigram_tokenizer.hpp). A search takes the messages
    // holding every trigram of its needle and checks the needle in their
    // stored text (sqlite_account::search_text). The index is built again
    // in the background from the stored text; removals that waited went
    // with it.
    R"sql(
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(headers, body, content = 'search_text', content_rowid = 'id',
                                             tokenize = 'lemonade_trigram', detail = none);
DELETE FROM search_text WHERE id IN (SELECT id FROM search_unindex);
DELETE FROM search_unindex;
INSERT OR IGNORE INTO search_pending(id) SELECT id FROM search_text;
)sql",
    // COPY and MOVE left the copy's sort keys behind until 2026-12 (SORT
    // and THREAD took copies for messages without keys): a copy shares its
    // original's blob, and takes its keys from any message with that blob
    // that has them.
    R"sql(
UPDATE messages SET sort_info = (SELECT o.sort_info FROM messages o
                                 WHERE o.blob = messages.blob AND o.sort_info != x'' LIMIT 1)
WHERE sort_info = x'' AND EXISTS (SELECT 1 FROM messages o WHERE o.blob = messages.blob AND o.sort_info != x'');
)sql",
    // RFC 5464 METADATA: entries of the server (mailbox_id 0) and of each
    // mailbox, names lower-case.
    R"sql(
CREATE TABLE IF NOT EXISTS metadata(
  mailbox_id INTEGER NOT NULL,
  name       TEXT NOT NULL,
  value      BLOB NOT NULL,
  PRIMARY KEY(mailbox_id, name)
) WITHOUT ROWID;
)sql",
    // RFC 8970 PREVIEW text, made at append; NULL for mail stored before
    // (FETCH PREVIEW makes one then, PREVIEW (LAZY) answers NIL).
    R"sql(
ALTER TABLE messages ADD COLUMN preview TEXT;
ALTER TABLE ghosts ADD COLUMN preview TEXT;
)sql",
    // The preview is a function of the message's content: kept once per
    // blob, apart from the message rows. In the rows it made each one
    // several hundred octets longer, and every FETCH, SELECT snapshot and
    // flag update read and wrote fewer rows a page (population bench: 3 %
    // of the commands per CPU second). A copy shares its original's
    // preview; the row goes when its blob does (drop_unreferenced).
    R"sql(
CREATE TABLE previews(blob TEXT PRIMARY KEY, text TEXT NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO previews(blob, text) SELECT blob, preview FROM messages WHERE preview IS NOT NULL;
INSERT OR IGNORE INTO previews(blob, text) SELECT blob, preview FROM ghosts WHERE preview IS NOT NULL;
ALTER TABLE messages DROP COLUMN preview;
ALTER TABLE ghosts DROP COLUMN preview;
)sql",
    // RFC 5259 §8.5: converted body parts (account_store::put_conversion),
    // the least recently used dropped first; keys start with the blob's
    // hash, so a blob's go with it (drop_unreferenced).
    R"sql(
CREATE TABLE conversions(
  key    TEXT PRIMARY KEY,
  type   TEXT NOT NULL,
  params TEXT NOT NULL,
  size   INTEGER NOT NULL,
  used   INTEGER NOT NULL,
  data   BLOB NOT NULL
);
CREATE INDEX conversions_by_use ON conversions(used);
)sql",
    // docs/xencrypted.md: the device key a message came encrypted under
    // (new_message::sealed_by), empty for the rest.
    R"sql(
ALTER TABLE messages ADD COLUMN sealed_by BLOB NOT NULL DEFAULT x'';
)sql",
};

const char* const user_steps[] = {
    R"sql(
CREATE TABLE users(
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash    TEXT NOT NULL,
  scram_salt       BLOB NOT NULL,
  scram_iterations INTEGER NOT NULL,
  scram_stored_key BLOB NOT NULL,
  scram_server_key BLOB NOT NULL,
  created          INTEGER NOT NULL
);
)sql",
    // 2: ids are never reused (AUTOINCREMENT). A running server may still
    // hold a deleted user's account under its id; a new user given the
    // same id would be handed the deleted one's store.
    R"sql(
CREATE TABLE users_v2(
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash    TEXT NOT NULL,
  scram_salt       BLOB NOT NULL,
  scram_iterations INTEGER NOT NULL,
  scram_stored_key BLOB NOT NULL,
  scram_server_key BLOB NOT NULL,
  created          INTEGER NOT NULL
);
INSERT INTO users_v2 SELECT * FROM users;
DROP TABLE users;
ALTER TABLE users_v2 RENAME TO users;
)sql",
    // 3: proxy identities (types.hpp proxy_grant): credentials of their
    // own for a user's account, each with its allowances.
    R"sql(
CREATE TABLE proxy_identities(
  user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  label            TEXT NOT NULL COLLATE NOCASE,
  password_hash    TEXT NOT NULL,
  scram_salt       BLOB NOT NULL,
  scram_iterations INTEGER NOT NULL,
  scram_stored_key BLOB NOT NULL,
  scram_server_key BLOB NOT NULL,
  allow            INTEGER NOT NULL DEFAULT 0,
  created          INTEGER NOT NULL,
  PRIMARY KEY(user_id, label)
) WITHOUT ROWID;
)sql",
    // 4: device keys of proxy deployments (types.hpp device_key), each
    // wrapped under the master key: nonce (12) ‖ AES-256-GCM ciphertext ‖
    // tag, bound to the user's id and the key id.
    R"sql(
CREATE TABLE device_keys(
  key_id   BLOB PRIMARY KEY,
  user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device   TEXT NOT NULL,
  wrapped  BLOB NOT NULL,
  created  INTEGER NOT NULL,
  revoked  INTEGER
);
CREATE INDEX device_keys_user ON device_keys(user_id);
)sql",
    // 5: one-time pairing codes (a hash of each) for a device key, the
    // users' S/MIME certificates (types.hpp smime_certificate) and their
    // app passwords for the key API (a hash of each).
    R"sql(
CREATE TABLE app_passwords(
  user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  label    TEXT NOT NULL COLLATE NOCASE,
  hash     BLOB NOT NULL UNIQUE,
  created  INTEGER NOT NULL,
  PRIMARY KEY(user_id, label)
) WITHOUT ROWID;
CREATE TABLE pairing_codes(
  code_hash BLOB PRIMARY KEY,
  user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device    TEXT NOT NULL,
  expires   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE smime_certificates(
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  fingerprint BLOB NOT NULL,
  subject     TEXT NOT NULL,
  not_after   INTEGER NOT NULL,
  der         BLOB NOT NULL,
  added       INTEGER NOT NULL,
  PRIMARY KEY(user_id, fingerprint)
) WITHOUT ROWID;
)sql",
    // 6: the server's own S/MIME identity per user (types.hpp
    // server_smime), the key wrapped under the master key as device keys
    // are, bound to the user's id.
    R"sql(
CREATE TABLE server_smime(
  user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  certificate BLOB NOT NULL,
  wrapped_key BLOB NOT NULL,
  created     INTEGER NOT NULL
);
)sql",
};

}  // namespace

void migrate_account(db& d) {
  run_steps(d, account_steps, static_cast<int>(std::size(account_steps)));
}

void migrate_users(db& d) {
  run_steps(d, user_steps, static_cast<int>(std::size(user_steps)));
}

}  // namespace lemonade::store::sqlite
