#pragma once
// The SEARCH text of an account's messages and its full-text index,
// brought up to date in batches rather than at every APPEND and EXPUNGE.
//
// Every message's decoded text (headers and body, case-folded) is a row of
// search_text, written with the message. The FTS5 trigram index over it
// (search_index, an external-content table) is what costs: indexing a
// message of 2 kB of text alone takes ~0.8 ms of CPU and writes ~7 kB of
// index pages, and removing it as much again. FTS5 writes a segment each
// time a statement that changed it ends, so a batch is one statement over
// many rows: one segment, fewer merges (in the population benchmark the
// index took 4 % of the server's CPU batched so, 10 % with a statement a
// row). So an APPEND only queues its row (search_pending) and
// an EXPUNGE of an indexed message queues its removal (search_unindex);
// catch_up() does that work, in its own transaction:
//   - for a mailbox, before a SEARCH answers from the index there (so a
//     SEARCH never misses a message its session knows of);
//   - in the background (search_indexer.hpp) once an account has
//     `search.index_batch` rows waiting.
// Keys are mailbox_id << 32 | uid; UIDs are never reused in a mailbox, and
// a deleted mailbox's rows go at once (drop_mailbox), so a key names one
// message for good.

#include <cstdint>
#include <optional>
#include <string>

#include "store/api/types.hpp"
#include "store/sqlite/db.hpp"

namespace lemonade::store::sqlite {

std::int64_t search_key(mailbox_id mb, std::uint32_t u);

// Inside a write transaction: the message's text, queued for the index.
void add_search_text(db& d, std::int64_t key, const std::string& headers, const std::string& body);
// Inside a write transaction: the message is gone. Text never indexed goes
// at once; an indexed message's removal from the index is queued.
void drop_search_text(db& d, std::int64_t key);
// Inside a write transaction: every message of the mailbox is gone, from
// the index too (at once: the mailbox id may be given to a new mailbox).
void drop_mailbox_search_text(db& d, mailbox_id mb);

struct search_text_row {
  std::string headers;
  std::string body;
};
// The stored text of a message (COPY gives the copy the same text).
std::optional<search_text_row> read_search_text(db& d, std::int64_t key);

// Whether rows of the mailbox wait for the index.
bool search_index_behind(db& d, mailbox_id mb);
// Rows waiting over the whole account.
std::int64_t search_backlog(db& d);
// Whether removals from the index wait (they can be done on a short disk).
bool search_removals_waiting(db& d);

// Octets of text the next `limit` rows to index hold (what the index will
// grow by is a few times this: each character starts a trigram).
std::uint64_t pending_search_text(db& d, std::optional<mailbox_id> mb, std::size_t limit);

// Inside a write transaction: brings the index up to date for the mailbox
// (or the whole account), at most `limit` rows; returns the rows done.
// Without `additions`, only the removals (they free space; what is added
// needs it).
std::size_t catch_up_search_index(db& d, std::optional<mailbox_id> mb, std::size_t limit, bool additions = true);

}  // namespace lemonade::store::sqlite
