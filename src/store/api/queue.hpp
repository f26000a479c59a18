#pragma once
// The outbound queue (issue 14, DESIGN.md §5): what the submission server
// accepted and has not delivered yet. A message is durable once enqueue()
// returns (its file synced, its rows committed in a group commit), so the
// 250 after DATA/BDAT LAST may be sent. Each recipient is delivered (or
// fails) on its own; a message goes when none is pending.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/api/types.hpp"

namespace lemonade::store {

// RFC 3461 §4.1 NOTIFY as bits; 0: not given.
enum notify_bits : unsigned {
  notify_never = 1,
  notify_success = 2,
  notify_failure = 4,
  notify_delay = 8,
  // Not RFC 3461's: how the queue treats a row of a list alias, set when
  // it is queued (smtp::session::queue_recipients), never read from the config
  // again. A member is an account's own address (delivered without
  // aliases); the list's own row is there only for its "expanded" report.
  list_member = 16,
  list_expanded = 32,
};
// The RFC 3461 NOTIFY bits of notify_bits.
inline constexpr unsigned notify_dsn_bits = notify_never | notify_success | notify_failure | notify_delay;

enum class recipient_state { pending = 0, delivered = 1, failed = 2 };

struct queued_recipient {
  std::int64_t id = 0;
  std::string address;   // the forward path, as RCPT TO named it
  unsigned notify = 0;   // notify_bits
  std::string orcpt;     // RFC 3461 ORCPT "type;address" (decoded), or ""
  recipient_state state = recipient_state::pending;
  int attempts = 0;
  std::int64_t next_attempt = 0;  // seconds since the epoch
  std::string last_reply;         // the last attempt's outcome, for DSNs and logs
  bool delay_reported = false;    // a "delayed" report went to the sender
};

struct queued_message {
  std::int64_t id = 0;
  std::string sender;     // the reverse path, "" for <>
  std::string envid;      // RFC 3461 ENVID (decoded), or ""
  int ret = 0;            // RFC 3461 RET: 0 not given, 1 FULL, 2 HDRS
  int body = 0;           // BODY=: 0 not given, 1 7BIT, 2 8BITMIME, 3 BINARYMIME
  bool smtputf8 = false;
  std::string submitter;  // the authenticated user who sent it
  std::int64_t created = 0;
  std::string blob;       // content, read with mail_queue::read
  std::uint64_t size = 0;
  std::vector<queued_recipient> recipients;
};

// What the queue holds, for the log and `lemonade queue list`.
struct queue_stats {
  std::uint64_t messages = 0;
  std::uint64_t octets = 0;
  std::int64_t oldest = 0;  // created, seconds since the epoch; 0 when empty
};

class mail_queue {
 public:
  virtual ~mail_queue() = default;
  // Content to be written in pieces before enqueue() (types.hpp).
  virtual std::unique_ptr<staged_message> stage() = 0;
  // Makes `m` (its content `staged`, finished or not) durable; returns its
  // id. m.id, blob, size, created and the recipients' ids and states are
  // set here. Throws std::system_error / store::error.
  virtual std::int64_t enqueue(queued_message m, staged_message& content) = 0;
  // Messages with a pending recipient due at `now` or earlier, oldest
  // first, at most `limit`.
  virtual std::vector<queued_message> due(std::int64_t now, std::size_t limit) = 0;
  virtual std::optional<queued_message> find(std::int64_t id) = 0;
  virtual std::vector<queued_message> list() = 0;
  virtual queue_stats stats() = 0;
  // The content, octets [offset, offset + length) (fewer at the end).
  virtual std::string read(const queued_message& m, std::uint64_t offset, std::uint64_t length) = 0;
  // An attempt's outcome for one recipient.
  virtual void record(std::int64_t recipient, recipient_state state, const std::string& reply,
                      std::int64_t next_attempt) = 0;
  // The sender was told this recipient is delayed (RFC 3464 "delayed"):
  // once per recipient.
  virtual void mark_delay_reported(std::int64_t recipient) = 0;
  // Drops the message and its content (delivered, failed and reported, or
  // deleted by the operator). Unknown ids are ignored.
  virtual void remove(std::int64_t id) = 0;
  // Makes every pending recipient of `id` due now; false if no such message.
  virtual bool retry_now(std::int64_t id) = 0;
};

}  // namespace lemonade::store
