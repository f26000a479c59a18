#pragma once
// One account as the sessions share it: the store plus the event bus.
// Mutations go through here so that none can bypass the bus; reads may use
// store() directly. All calls block on disk: storage executor only.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailbox/events.hpp"
#include "store/api/store.hpp"

namespace lemonade::mailbox {

class selected_mailbox;

class account {
 public:
  explicit account(std::shared_ptr<store::account_store> store);

  store::account_store& store() { return *store_; }

  // Listeners are held weakly: a session that goes away just stops
  // receiving. subscribe() returns after which events will be delivered.
  void subscribe(std::weak_ptr<listener> l);
  // A selected view: subscribed, and counted by release_expunged().
  void add_view(const std::shared_ptr<selected_mailbox>& v);

  // RFC 3501 §7.4.1: lets the store reclaim the messages of mailbox `id`
  // whose expunge every open view of it has applied (a view that has not
  // may still FETCH them). Called after an expunge is published, after a
  // view applies expunges, and when a view closes. Quick; no I/O.
  void release_expunged(store::mailbox_id id);

  store::mailbox_info create_mailbox(std::string_view name, std::string_view special_use);
  void delete_mailbox(std::string_view name);
  void rename_mailbox(std::string_view from, std::string_view to);
  void set_subscribed(std::string_view name, bool subscribed);
  // RFC 5464 SETMETADATA on the mailbox named (or the server: ""), all or
  // nothing (store::account_store::set_metadata); publishes the names.
  void set_metadata(std::string_view mailbox,
                    const std::vector<std::pair<std::string, std::optional<std::string>>>& changes,
                    unsigned max_entries, const void* origin);
  store::append_result append(const store::mailbox_info& mb, std::vector<store::new_message> messages);
  store::expunge_result expunge_deleted(store::mailbox_id id, const std::vector<store::uid>* only);
  store::store_flags_result store_flags(store::mailbox_id id, const std::vector<store::uid>& uids,
                                        store::flag_op op, const store::flag_set& flags,
                                        std::optional<store::modseq> unchanged_since, const void* origin);
  store::copy_result copy(store::mailbox_id from, const std::vector<store::uid>& uids, store::mailbox_id to,
                          bool move);

  // The mailbox's HIGHESTMODSEQ read at a moment when every change
  // committed so far had also been published, or nullopt if writes were
  // in flight. A listener that applies its queued events after this call
  // has then seen every change up to the value, so a session may announce
  // it (RFC 7162 §3.1.2.1) without a client skipping a change it was never
  // told of. Blocking.
  std::optional<store::modseq> settled_highestmodseq(store::mailbox_id id);

 private:
  // Counts one mutation from before its commit until after its publish.
  class write_scope {
   public:
    explicit write_scope(account& a) : a_(a) { a_.writes_started_.fetch_add(1); }
    ~write_scope() { a_.writes_finished_.fetch_add(1); }
    write_scope(const write_scope&) = delete;
    write_scope& operator=(const write_scope&) = delete;

   private:
    account& a_;
  };

  void publish(const event& e);

  std::shared_ptr<store::account_store> store_;
  // Held while committing and publishing, so listeners see events in
  // commit order.
  std::mutex publish_mu_;
  std::atomic<std::uint64_t> writes_started_{0};
  std::atomic<std::uint64_t> writes_finished_{0};
  std::mutex listeners_mu_;
  std::vector<std::weak_ptr<listener>> listeners_;
  std::vector<std::weak_ptr<selected_mailbox>> views_;
  // Per mailbox, the MODSEQ of the last expunge every listener has heard
  // of: ghosts of later (still unpublished) expunges are never released.
  std::map<store::mailbox_id, std::uint64_t> published_expunges_;
};

// Open accounts, one per user while any session holds it. The keep_open
// most recently opened stay open after their last session ends: a phone
// that lost its connection and comes back finds its account's store, and
// the snapshots it caches, still there (a cold SELECT of a big mailbox
// reads every row; a warm one reads only what changed).
class account_registry {
 public:
  explicit account_registry(store::mail_store& store, std::size_t keep_open = 0)
      : store_(store), keep_open_(keep_open) {}
  std::shared_ptr<account> open(const store::user_record& user);
  // The open accounts whose user no longer exists (`lemonade user del`
  // while the server runs, seen by polling users().version()): forgotten
  // here, so no later login gets them, and their user ids returned so the
  // server can end their sessions. Blocking (reads the user directory).
  std::vector<std::int64_t> drop_deleted_users();

 private:
  struct open_account {
    std::int64_t id;
    std::string name;
    std::weak_ptr<account> acct;
  };
  store::mail_store& store_;
  const std::size_t keep_open_;
  std::mutex mu_;
  std::vector<open_account> open_;
  std::vector<std::shared_ptr<account>> kept_;  // least recently opened first
};

}  // namespace lemonade::mailbox
