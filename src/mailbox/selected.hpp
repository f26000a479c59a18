#pragma once
// The view of one selected mailbox held by one session (RFC 3501 §5.2):
// sequence numbers, UIDs, flags, which messages are \Recent for it, and the
// changes other sessions made that it has not reported yet.
//
// Events arrive on storage threads (on_event); the session reports them at
// the moments RFC 3501 §5.2/§7 allow by calling sync() on the storage
// executor. Apart from on_event, a view belongs to its session.

#include <atomic>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "mailbox/account.hpp"

namespace lemonade::mailbox {

class selected_mailbox final : public listener, public std::enable_shared_from_this<selected_mailbox> {
 public:
  // Blocking. Reads the mailbox, claims \Recent unless read_only, and
  // starts listening. Throws store::error.
  static std::shared_ptr<selected_mailbox> open(account& acct, store::mailbox_id id, bool read_only);

  const store::mailbox_info& info() const { return info_; }
  bool read_only() const { return read_only_; }
  std::uint32_t exists() const { return static_cast<std::uint32_t>(messages_.size()); }
  std::uint32_t recent() const { return recent_count_; }
  // Sequence number of the first message without \Seen, if any.
  std::optional<std::uint32_t> first_unseen() const;
  // Keywords in use in this mailbox, for the FLAGS response.
  std::vector<std::string> keywords() const;
  // RFC 3501 §7.2.6: the keywords of the last FLAGS response the client
  // got. FETCH FLAGS may show only those: learn() adds the keywords of f
  // it has not been told of and returns true if there were any, and the
  // session then sends FLAGS and PERMANENTFLAGS before the FETCH.
  const std::vector<std::string>& announced_keywords() const { return announced_keywords_; }
  bool learn(const store::flag_set& f);
  const std::vector<store::message_entry>& messages() const { return messages_; }
  bool is_recent(store::uid u) const;
  // Sequence number of a UID, if the view has it.
  std::optional<std::uint32_t> seq_of(store::uid u) const;
  // Applies this session's own flag changes at once (the session reports
  // them itself, or not under .SILENT).
  void apply_own(const std::vector<store::flag_update>& updates);

  // RFC 5182 §2.1: the result of SEARCH RETURN (SAVE) that "$" refers to,
  // as ascending UIDs. It lives as long as this selection; expunged
  // messages drop out when "$" is resolved against the view.
  std::vector<store::uid>& saved_result() { return saved_; }
  const std::vector<store::uid>& saved_result() const { return saved_; }

  // What changed since the last sync, as the untagged responses to send.
  struct changes {
    std::vector<std::uint32_t> expunged;  // sequence numbers, in sending order
    std::vector<store::uid> expunged_uids;  // the same messages, ascending (RFC 7162 VANISHED)
    bool exists_changed = false;
    bool mailbox_gone = false;            // deleted or renamed away
    // Flags changed by other sessions: sequence numbers (after the
    // expunges above) whose FLAGS to report.
    std::vector<std::uint32_t> flags_changed;
    // False when expunges were held back (allow_expunge false): the view
    // is then behind the store by changes the client has not been told of.
    bool complete = true;
    // With expunges held back: a MODSEQ below all of them, to announce
    // after any MODSEQ sent meanwhile (RFC 7162 §3.2: a client that lost
    // the connection then resyncs from before the expunges).
    std::optional<store::modseq> below_held;
  };
  // True when events are waiting to be reported.
  bool pending() const { return pending_.load(); }
  // True when sync(allow_expunge) would report something (pending() stays
  // true while expunges are held back).
  bool has_unreported(bool allow_expunge);
  // Blocking: applies pending events. Expunges are reported only when
  // allow_expunge (RFC 3501 §7.4.1: not during FETCH, STORE, SEARCH).
  changes sync(bool allow_expunge);

  void on_event(const event& e) override;

  // The lowest MODSEQ of the expunges this view has heard of but not
  // applied (0 while it waits to learn that its mailbox was deleted or its
  // messages moved away), or nullopt: messages expunged at or above it
  // may still be named by this session (RFC 3501 §7.4.1). Thread-safe.
  std::optional<store::modseq> held_expunges();
  ~selected_mailbox() override;

  // The HIGHESTMODSEQ the client was last told of (SELECT, or an untagged
  // OK since): the session announces a higher one only once the view has
  // reported every change up to it.
  store::modseq announced_modseq() const { return announced_; }
  void set_announced_modseq(store::modseq m) { announced_ = m; }

  // Called (on the committing thread) after an event made the view
  // pending: the session uses it to wake an IDLE. Must be quick and
  // thread-safe; empty to stop.
  void set_waker(std::function<void()> wake);

 private:
  selected_mailbox(account& acct, store::mailbox_id id, bool read_only)
      : account_(acct), id_(id), read_only_(read_only) {}
  void load_new();

  account& account_;
  const store::mailbox_id id_;
  bool read_only_;
  store::mailbox_info info_;
  std::vector<store::message_entry> messages_;
  std::vector<store::uid> recent_;   // ascending
  std::uint32_t recent_count_ = 0;
  std::vector<store::uid> saved_;
  store::modseq announced_{0};
  std::vector<std::string> announced_keywords_;

  std::atomic<bool> pending_{false};
  std::mutex events_mu_;
  bool new_messages_ = false;
  bool gone_ = false;
  bool resync_all_ = false;
  std::string name_;                  // as events know it; info_.name follows at sync
  std::optional<std::string> renamed_to_;
  std::function<void()> waker_;
  std::vector<store::uid> expunged_;  // reported by events, not yet applied
  store::modseq expunged_min_{0};     // the lowest MODSEQ among them
  std::vector<store::flag_update> flag_updates_;  // from other sessions
  // More flag changes than this waiting (a session that sends no command
  // while another changes a big mailbox) are dropped for a comparison with
  // the store at the next sync: memory per session stays bounded.
  static constexpr std::size_t max_flag_updates = 10000;
  bool flags_resync_ = false;
};

}  // namespace lemonade::mailbox
