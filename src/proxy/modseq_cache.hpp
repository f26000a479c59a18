#pragma once
// The proxy's CONDSTORE state for backends without it (issue 17,
// docs/proxy.md "CONDSTORE"): per mailbox of a user its UIDVALIDITY and
// HIGHESTMODSEQ, per message its flags as last observed and the MODSEQ
// the proxy gave that observation, per expunged message the MODSEQ of its
// expunge (for QRESYNC's VANISHED). A change the proxy observes (a FETCH
// with FLAGS different from the ones it holds, a message it has not seen,
// an EXPUNGE, a message gone from a whole observation) gets
// ++HIGHESTMODSEQ. One SQLite file in the proxy's data directory, shared
// by all sessions (a mutex): two sessions that see the same change give
// it one MODSEQ.
//
// RFC 7162 §3.1: a MODSEQ never goes down. A mailbox starts at a floor of
// microseconds since the epoch, and every start of the proxy raises every
// mailbox to that floor: changes committed to the log but lost in a power
// failure (synchronous=NORMAL) are never numbered again below what a
// client saw. (Under 2^53, for clients that keep MODSEQs in doubles.)

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemonade::store::sqlite {
class db;
}

namespace lemonade::proxy {

// A FETCH response's FLAGS as the cache compares them: without \Recent
// (RFC 7162 §3.1: not a metadata item with a MODSEQ), upper case (RFC
// 3501 flags compare case-insensitively), sorted, space-separated.
std::string canonical_flags(const std::vector<std::string>& flags);

class modseq_cache {
 public:
  // Opens (creating) the file; throws std::runtime_error when it cannot.
  explicit modseq_cache(const std::filesystem::path& file);
  ~modseq_cache();

  struct mailbox {
    std::int64_t id = 0;
    std::uint64_t highest = 0;
    // The expunge log is complete from this MODSEQ on: the mailbox's
    // first (or since a new UIDVALIDITY) HIGHESTMODSEQ.
    std::uint64_t base = 0;
  };
  // The user's mailbox under `uidvalidity`; a different UIDVALIDITY than
  // the one held drops its messages and expunges (RFC 3501 §2.3.1.1: the
  // UIDs no longer name the same messages).
  mailbox open(std::string_view user, std::string_view name, std::uint32_t uidvalidity);
  // A whole observation (SELECT's FETCH 1:* (UID FLAGS)): each message's
  // canonical flags; when `complete`, held messages not listed were
  // expunged. Returns each message's MODSEQ, in the order given.
  std::vector<std::uint64_t> observe_all(std::int64_t mailbox,
                                         const std::vector<std::pair<std::uint32_t, std::string>>& messages,
                                         bool complete);
  // RFC 7162 §3.2 ("the client doesn't lose any changes"): before a
  // session shows its client MODSEQ `to`, every change numbered in
  // (`from`, `to`] that has not reached it is numbered again above `to`:
  // a message whose state (canonical flags) `delivered(uid, flags)`
  // denies, an expunge of a UID `in_view` still holds. (By state, not by
  // number: a state a session knows stays known when another session
  // numbers it again, so the numbering settles.) They reach the client later with
  // their new MODSEQ (or by CHANGEDSINCE from `to`). The callbacks run
  // under the cache's lock: they may not call the cache.
  void restamp(std::int64_t mailbox, std::uint64_t from, std::uint64_t to,
               const std::function<bool(std::uint32_t, std::string_view)>& delivered,
               const std::function<bool(std::uint32_t)>& in_view);
  // One message's flags (canonical) as a FETCH showed them: its MODSEQ,
  // new (`changed`) when they differ from the held ones.
  struct observed {
    std::uint64_t modseq = 0;
    bool changed = false;
  };
  observed observe(std::int64_t mailbox, std::uint32_t uid, std::string_view flags);
  void expunge(std::int64_t mailbox, std::uint32_t uid);
  std::uint64_t highest(std::int64_t mailbox);
  // From which MODSEQ on the expunge log is complete (mailbox::base, as
  // trim() raises it).
  std::uint64_t base(std::int64_t mailbox);
  // Forgets expunges logged before `before` (seconds since the epoch):
  // each mailbox's base rises above the last MODSEQ forgotten, so a client
  // MODSEQ from before it gets the superset of VANISHED (RFC 7162
  // §3.2.5.1 allows it). Returns the entries forgotten.
  std::size_t trim(std::int64_t before);
  // 0 when the message is not held.
  std::uint64_t modseq(std::int64_t mailbox, std::uint32_t uid);
  // The held messages whose MODSEQ is above `since`, ascending UIDs.
  std::vector<std::uint32_t> changed_since(std::int64_t mailbox, std::uint64_t since);
  // Expunged UIDs whose expunge's MODSEQ is above `since`, ascending.
  std::vector<std::uint32_t> expunged_since(std::int64_t mailbox, std::uint64_t since);
  // The same, when the log covers `since` (at or above its base and
  // `floor`, at most HIGHESTMODSEQ); nullopt when it does not. One step:
  // a trim() between a check and the read could drop expunges above it.
  std::optional<std::vector<std::uint32_t>> logged_expunges(std::int64_t mailbox, std::uint64_t since,
                                                            std::uint64_t floor);
  // STATUS of a mailbox the session has not selected: its HIGHESTMODSEQ,
  // raised when `fingerprint` (its MESSAGES and UIDNEXT) differs from the
  // one last seen (new or expunged mail; flag changes there stay unseen
  // until it is selected).
  std::uint64_t status(std::string_view user, std::string_view name, std::uint32_t uidvalidity,
                       std::string_view fingerprint);
  void set_fingerprint(std::int64_t mailbox, std::string_view fingerprint);

 private:
  std::uint64_t bump(std::int64_t mailbox);
  // A held message gone: out of `message`, into the expunge log with a
  // new MODSEQ; false when it was not held (already logged).
  bool log_expunge(std::int64_t mailbox, std::uint32_t uid);
  std::uint64_t expunged_at(std::int64_t mailbox, std::uint32_t uid);  // 0: not expunged
  // `sql` (a literal: the statement cache's key) lists UIDs of a mailbox
  // (?1) above a MODSEQ (?2).
  std::vector<std::uint32_t> uids_above(const char* sql, std::int64_t mailbox, std::uint64_t since);
  std::vector<std::uint32_t> uids_above_locked(const char* sql, std::int64_t mailbox, std::uint64_t since);
  // `sql` (a literal) selects one number of a mailbox (?1); 0 without one.
  std::uint64_t mailbox_value(const char* sql, std::int64_t mailbox);
  std::mutex mu_;
  std::unique_ptr<store::sqlite::db> db_;
};

}  // namespace lemonade::proxy
