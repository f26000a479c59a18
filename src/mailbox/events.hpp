#pragma once
// Change events. Every change to an account passes through
// mailbox::account, which commits it in the store and then publishes one
// of these to every listener of that account, in commit order (STYLE.md §6).

#include <string>
#include <variant>
#include <vector>

#include "store/api/types.hpp"

namespace lemonade::mailbox {

// A hint: events of concurrent appends may arrive out of UID order.
struct messages_added {
  store::mailbox_id mailbox;
  std::vector<store::uid> uids;
};

struct messages_expunged {
  store::mailbox_id mailbox;
  std::vector<store::uid> uids;  // ascending
  store::modseq highestmodseq;
};

// Flags (and MODSEQs) changed; `origin` is the view of the session that
// made the change, which reports it itself (or not: STORE .SILENT).
struct flags_changed {
  store::mailbox_id mailbox;
  std::vector<store::flag_update> updates;
  const void* origin = nullptr;
};

struct mailbox_created {
  std::string name;
};

struct mailbox_deleted {
  store::mailbox_id mailbox;
  std::string name;
};

struct mailbox_renamed {
  std::string old_name;
  std::string new_name;
};

struct subscription_changed {
  std::string name;
  bool subscribed;
};

// RFC 5464 METADATA entries set or removed (RFC 5465 §5.6, §5.7):
// `mailbox` "" for the server's. `origin`: the session that made it.
struct metadata_changed {
  std::string mailbox;
  std::vector<std::string> entries;
  const void* origin = nullptr;
};

using event = std::variant<messages_added, messages_expunged, flags_changed, mailbox_created, mailbox_deleted,
                           mailbox_renamed, subscription_changed, metadata_changed>;

// Receives events on the thread that committed the change: must be quick
// and thread-safe (queue and wake, never block).
class listener {
 public:
  virtual ~listener() = default;
  virtual void on_event(const event& e) = 0;
};

}  // namespace lemonade::mailbox
