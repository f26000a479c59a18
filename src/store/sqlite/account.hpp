#pragma once
// account_store on SQLite: DIR/mail.db (WAL), which also holds the small
// messages (inline_blobs.hpp), plus DIR/blobs/ for the larger ones.
// Writes go through the account's commit queue; reads use a small pool of
// read connections, which WAL lets run beside the writer.

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "store/api/store.hpp"
#include "store/blob/blob_store.hpp"
#include "store/sqlite/commit_queue.hpp"
#include "store/sqlite/db.hpp"
#include "store/sqlite/pool.hpp"
#include "store/sqlite/search_indexer.hpp"

namespace lemonade::store::sqlite {

class sqlite_account final : public account_store, public std::enable_shared_from_this<sqlite_account> {
 public:
  // Opens or creates the account in dir; a new account gets INBOX and the
  // RFC 6154 special-use mailboxes.
  // Connections to its database come from `pool` (shared by every
  // account), which must outlive the account.
  // `indexer`, if given (it must outlive the account), brings the SEARCH
  // index up to date in the background (search_index.hpp).
  sqlite_account(std::filesystem::path dir, store_limits limits, connection_pool& pool,
                 search_indexer* indexer = nullptr);
  ~sqlite_account() override;

  std::vector<mailbox_info> list_mailboxes() override;
  std::optional<mailbox_info> find_mailbox(std::string_view name) override;
  mailbox_info create_mailbox(std::string_view name, std::string_view special_use) override;
  mailbox_id delete_mailbox(std::string_view name) override;
  std::vector<renamed> rename_mailbox(std::string_view from, std::string_view to) override;
  std::vector<std::string> subscriptions() override;
  void set_subscribed(std::string_view name, bool subscribed) override;
  mailbox_status status(mailbox_id id) override;
  append_result append(mailbox_id id, std::vector<new_message> messages) override;
  void check_quota(std::uint64_t incoming) override;
  mailbox_snapshot snapshot(mailbox_id id, uid from) override;
  uid claim_recent(mailbox_id id, uid up_to) override;
  expunge_result expunge_deleted(mailbox_id id, const std::vector<uid>* only) override;
  std::vector<message_record> fetch(mailbox_id id, const std::vector<uid>& uids, bool with_preview = false) override;
  std::string read_message(const std::string& blob) override;
  std::unique_ptr<staged_message> stage_message() override;
  std::vector<uid> search_text(mailbox_id id, const text_query& q) override;
  std::vector<message_meta> search_meta(mailbox_id id) override;
  std::vector<sort_row> sort_rows(mailbox_id id) override;
  std::vector<uid> expunged_since(mailbox_id id, modseq since) override;
  std::string read_message(const std::string& blob, std::uint64_t offset, std::uint64_t length) override;
  store_flags_result store_flags(mailbox_id id, const std::vector<uid>& uids, flag_op op, const flag_set& flags,
                                 std::optional<modseq> unchanged_since) override;
  copy_result copy(mailbox_id from, const std::vector<uid>& uids, mailbox_id to, bool move) override;
  void release_expunged(mailbox_id id, modseq below) override;
  std::string urlauth_key(mailbox_id id) override;
  std::optional<std::string> find_urlauth_key(mailbox_id id) override;
  void reset_urlauth_keys(std::optional<mailbox_id> id) override;
  std::vector<std::pair<std::string, std::string>> metadata(std::optional<mailbox_id> mailbox,
                                                            const std::vector<std::string>& names,
                                                            unsigned depth) override;
  std::optional<converted_part> find_conversion(const std::string& key) override;
  std::optional<std::string> sealed_by(mailbox_id mailbox, uid id) override;
  void put_conversion(const std::string& blob, const std::string& key, const converted_part& part,
                      std::uint64_t max_octets) override;
  void set_metadata(std::optional<mailbox_id> mailbox,
                    const std::vector<std::pair<std::string, std::optional<std::string>>>& changes,
                    unsigned max_entries) override;

  std::uint64_t commits() const { return queue_->commits(); }

  // For search_indexer: one batch of SEARCH index work in a transaction of
  // its own; true if more waits. Then search_index_done() once none does.
  bool index_search_batch();
  void search_index_done();
  // SEARCH index rows waiting (tests, metrics).
  std::int64_t search_backlog();
  // Asks the indexer to run if a batch's worth waits (a store opening the
  // account: mail stored before the index was kept apart waits for it).
  void request_indexing_if_behind();
  // Deletes the blob files no message or ghost refers to that are at least
  // store_limits::blob_sweep_age old (a crash between writing a blob and
  // committing its message leaves one). Run in the background once per
  // account and server start; returns how many files went.
  std::size_t sweep_unreferenced_blobs();

 private:
  // Throws error{no_space} unless `incoming` octets fit above
  // limits_.min_free_space (and logs what is full).
  void check_space(std::uint64_t incoming) const;
  // The same on a connection already in a transaction (a COPY, once the
  // sizes it copies are known).
  void quota_allows(db& d, std::uint64_t incoming);
  // The free space if it is short of min_free_space + incoming (no log).
  std::optional<std::uint64_t> space_short(std::uint64_t incoming) const;
  // Whether the disk has room, above min_free_space, for the SEARCH index
  // to take in the next `limit` rows waiting (for the mailbox, or the
  // account).
  bool room_for_index(std::optional<mailbox_id> id, std::size_t limit);
  // Rows a SEARCH's catch-up takes in per transaction (~0.3 s of work).
  static constexpr std::size_t catch_up_chunk = 1000;
  // Runs f (a write that adds mail); a disk that fills up meanwhile
  // becomes error{no_space}.
  template <class F>
  auto adding_mail(F f) -> decltype(f());
  append_result append_checked(mailbox_id id, std::vector<new_message>& messages);
  copy_result copy_checked(mailbox_id from, const std::vector<uid>& uids, mailbox_id to, bool move);
  // \Recent claims (claim_recent): the first UID no session has claimed,
  // from the stored value and the claims not yet saved.
  std::uint32_t first_recent(mailbox_id id, std::uint32_t uidvalidity, std::uint32_t stored);
  // Inside a batch: writes the claims made since the last save.
  void save_recent_claims(db& d);
  connection_pool::lease reader();
  // Through the commit queue; `durable`: see commit_queue::run.
  void write(const commit_queue::job_fn& fn, bool durable = true);
  void collect_garbage(db& d, const after_commit& after);
  // Deletes the ghosts release_expunged() let go (inside a batch).
  void purge_ghosts(db& d, after_commit& after);
  void purge_all_ghosts();
  // Inside a batch: asks the indexer once a batch's worth of index work
  // waits.
  void note_search_backlog(db& d);
  // Queues the account with the indexer unless it already is.
  void ask_indexer(std::weak_ptr<sqlite_account> self);

  std::filesystem::path dir_;
  std::filesystem::path file_;  // DIR/mail.db
  store_limits limits_;
  connection_pool& pool_;
  blob_store blobs_;
  std::unique_ptr<commit_queue> queue_;
  search_indexer* indexer_;
  std::atomic<bool> index_requested_{false};
  struct recent_claim {
    std::uint32_t uidvalidity = 0;  // of the mailbox the claim is for (ids are reused)
    std::uint32_t up_to = 0;        // every UID below is claimed
    bool saved = true;
  };
  std::mutex recent_mu_;
  std::map<mailbox_id, recent_claim> recent_claims_;
  std::mutex releases_mu_;
  std::map<mailbox_id, std::uint64_t> releases_;  // ghosts below these MODSEQs may go

  // Recent whole-mailbox snapshots (see snapshot()) of all but the
  // smallest mailboxes, at most snapshot_cache_size, least recently used
  // replaced first.
  struct snapshot_key {
    std::uint32_t uidvalidity;
    std::uint32_t uidnext;
    std::uint64_t highestmodseq;
    std::int64_t messages;
    bool operator==(const snapshot_key&) const = default;
  };
  struct cached_snapshot {
    mailbox_id id = 0;
    snapshot_key key{};
    std::shared_ptr<const std::vector<message_entry>> messages;
    std::uint64_t used = 0;
  };
  // The cached copy `base` (at MODSEQ base_modseq) brought up to date
  // inside the read transaction of r; false when a full read is cheaper or
  // the result does not agree with the mailbox's message count.
  static bool update_snapshot(db& r, mailbox_id id, const std::vector<message_entry>& base,
                              std::uint64_t base_modseq, std::int64_t count, std::vector<message_entry>& out);
  void remember_snapshot(mailbox_id id, const snapshot_key& key, const std::vector<message_entry>& messages);
  static constexpr std::size_t snapshot_cache_size = 4;
  // Reading every row of even a 200-message INBOX at each SELECT was 10% of
  // the server's CPU under the population benchmark (rows are wide: the
  // MIME structure lives in them); below this, reading is cheap.
  static constexpr std::size_t snapshot_cache_min = 64;
  std::mutex snapshots_mu_;
  std::vector<cached_snapshot> snapshots_;
  std::uint64_t snapshot_clock_ = 0;
};

}  // namespace lemonade::store::sqlite
