#pragma once
// The storage API. Every call blocks on disk: call it from the storage
// executor, never from a network thread. Implementations are thread-safe;
// one account_store is shared by every session of that account.
//
// Durability (DESIGN.md §5): when a mutating call returns, its change is on
// disk (blob fsynced, transaction committed). Concurrent writers of one
// account share commits.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/api/queue.hpp"
#include "store/api/types.hpp"

namespace lemonade::store {

class account_store {
 public:
  virtual ~account_store() = default;

  // All mailboxes, sorted by name (byte order).
  virtual std::vector<mailbox_info> list_mailboxes() = 0;
  // Exact (already normalised) name; nullopt if absent.
  virtual std::optional<mailbox_info> find_mailbox(std::string_view name) = 0;

  // RFC 3501 §6.3.3: creates the name and any missing superiors.
  // Throws error{already_exists, limit, invalid_name}.
  virtual mailbox_info create_mailbox(std::string_view name, std::string_view special_use) = 0;

  // RFC 3501 §6.3.4. A mailbox with inferiors loses its messages and becomes
  // \Noselect; a \Noselect mailbox with inferiors cannot be deleted.
  // Returns the id of the mailbox whose messages were removed.
  // Throws error{nonexistent, not_permitted, has_children}.
  virtual mailbox_id delete_mailbox(std::string_view name) = 0;

  // RFC 3501 §6.3.5, inferiors included; renaming INBOX moves its messages
  // to a new mailbox and leaves INBOX empty. Returns the mailboxes changed
  // (old name -> new info). Throws error{nonexistent, already_exists, limit,
  // invalid_name}.
  struct renamed {
    std::string old_name;
    mailbox_info now;
  };
  virtual std::vector<renamed> rename_mailbox(std::string_view from, std::string_view to) = 0;

  virtual std::vector<std::string> subscriptions() = 0;
  virtual void set_subscribed(std::string_view name, bool subscribed) = 0;

  virtual mailbox_status status(mailbox_id id) = 0;

  // Appends messages atomically (RFC 3502: all or none). Throws
  // error{nonexistent, noselect}.
  virtual append_result append(mailbox_id id, std::vector<new_message> messages) = 0;
  // Throws error{over_quota} when the account's quota (max_account_size)
  // is set and its mail plus `incoming` octets would exceed it: asked
  // before a message is sent (an SMTP RCPT), append checks again.
  virtual void check_quota(std::uint64_t incoming) = 0;

  // The mailbox and its messages with UIDs at or above `from`, read in one
  // transaction (UIDs are assigned in commit order, so what a snapshot
  // shows is always gap-free).
  virtual mailbox_snapshot snapshot(mailbox_id id, uid from) = 0;

  // \Recent (RFC 3501 §2.3.2): the first session to claim a UID sees it as
  // recent. Claims every UID below up_to and returns the first UID this
  // caller now owns as recent (== up_to if none).
  virtual uid claim_recent(mailbox_id id, uid up_to) = 0;

  // Records of the given UIDs (ascending; UIDs that do not exist are left
  // out).
  // with_preview: read message_record::preview too (it sits at the end of
  // the row, past what FETCH usually needs).
  virtual std::vector<message_record> fetch(mailbox_id id, const std::vector<uid>& uids,
                                            bool with_preview = false) = 0;
  // A message to be assembled in pieces and then appended (types.hpp).
  // Throws std::system_error when its file cannot be made.
  virtual std::unique_ptr<staged_message> stage_message() = 0;
  // The whole message. Throws std::system_error if the blob is missing.
  virtual std::string read_message(const std::string& blob) = 0;
  // Octets [offset, offset + length) of the message (fewer if it ends
  // first): FETCH streams large bodies in pieces. Throws like read_message.
  virtual std::string read_message(const std::string& blob, std::uint64_t offset, std::uint64_t length) = 0;

  // SEARCH (RFC 3501 §6.4.4): UIDs (ascending) of the mailbox's messages
  // whose text matches, answered from the full-text index without reading
  // message blobs.
  virtual std::vector<uid> search_text(mailbox_id id, const text_query& q) = 0;
  // Dates and sizes of every message of the mailbox, ascending UIDs.
  virtual std::vector<message_meta> search_meta(mailbox_id id) = 0;
  // SORT/THREAD keys of every message of the mailbox, ascending UIDs.
  virtual std::vector<sort_row> sort_rows(mailbox_id id) = 0;

  // RFC 7162 §3.2.5.1, §3.2.6 (VANISHED (EARLIER)): UIDs, ascending, that
  // left the mailbox by an expunge (or MOVE) whose MODSEQ is above `since`.
  // The log is complete: nothing is ever pruned from it.
  virtual std::vector<uid> expunged_since(mailbox_id id, modseq since) = 0;

  // RFC 3501 §6.4.6 STORE: changes flags and gives every changed message a
  // new MODSEQ (RFC 7162 §3.1.3). With unchanged_since, messages whose
  // MODSEQ is higher are left alone and reported in `modified`.
  virtual store_flags_result store_flags(mailbox_id id, const std::vector<uid>& uids, flag_op op,
                                         const flag_set& flags, std::optional<modseq> unchanged_since) = 0;

  // RFC 3501 §6.4.7 COPY / RFC 6851 MOVE: copies share blobs; a move also
  // expunges the source messages, in the same transaction. Throws
  // error{nonexistent, noselect}.
  virtual copy_result copy(mailbox_id from, const std::vector<uid>& uids, mailbox_id to, bool move) = 0;

  // Removes messages flagged \Deleted (all of them, or only those with UIDs
  // in `only` when given) and logs them for QRESYNC.
  virtual expunge_result expunge_deleted(mailbox_id id, const std::vector<uid>* only) = 0;

  // RFC 3501 §7.4.1, RFC 2180 §4.1.1: a message expunged (EXPUNGE, MOVE,
  // DELETE of its mailbox) stays readable by fetch(), with its blob, for
  // the sessions not yet told of the expunge. The mailbox layer calls this
  // once no open view can name the messages of `id` expunged with a
  // MODSEQ below `below`; their space is reclaimed with a later write (at
  // the latest when the account closes or opens again). No I/O.
  virtual void release_expunged(mailbox_id id, modseq below) = 0;

  // RFC 4467 §3 URLAUTH: the mailbox's access key (at least 128 random
  // bits), made durably on first use; it never leaves the server.
  virtual std::string urlauth_key(mailbox_id id) = 0;
  // The key if the mailbox has one; no write (URLFETCH: a URL for a
  // mailbox without a key is invalid).
  virtual std::optional<std::string> find_urlauth_key(mailbox_id id) = 0;
  // RFC 4467 §7.1 RESETKEY: a new key for the mailbox, or every key
  // dropped (new ones are made on next use); URLs made with the old keys
  // stop working.
  virtual void reset_urlauth_keys(std::optional<mailbox_id> id) = 0;

  // RFC 5464 METADATA of the server (nullopt) or of a mailbox, for this
  // account. Entry names are lower-case ("/private/comment").
  // The entries named and, down to `depth` levels below each (0, 1, or
  // metadata_infinity), their descendants that have values; by name.
  virtual std::vector<std::pair<std::string, std::string>> metadata(std::optional<mailbox_id> mailbox,
                                                                    const std::vector<std::string>& names,
                                                                    unsigned depth) = 0;
  // Sets (a value) or removes (nullopt) entries, all or none: an error
  // with code::limit when the mailbox (or the server) would then hold more
  // than max_entries entries; code::nonexistent if the mailbox is gone. A
  // mailbox's "/private/specialuse" sets its special-use attribute (RFC
  // 6154 §4; "" or nullopt: none), given in canonical form.
  virtual void set_metadata(std::optional<mailbox_id> mailbox,
                            const std::vector<std::pair<std::string, std::optional<std::string>>>& changes,
                            unsigned max_entries) = 0;

  // RFC 5259 §8.5 "implementations SHOULD cache converted body parts":
  // results of CONVERT kept per account under a key that starts with the
  // blob's content hash and a ':' (the rest names the part and the
  // conversion), so they go with the blob. Not durable: a crash may lose
  // the last ones.
  virtual std::optional<converted_part> find_conversion(const std::string& key) = 0;
  // A message's new_message::sealed_by ("" if it came in the clear);
  // nullopt if there is no such message.
  virtual std::optional<std::string> sealed_by(mailbox_id mailbox, uid id) = 0;
  // Stores one, made from the content `blob` (unless that is gone; its
  // key begins with "blob:", so the blob's conversions go with it), then
  // drops the least recently used until the account's conversions hold
  // at most max_octets (each counted with its key and some overhead; 0
  // keeps none).
  virtual void put_conversion(const std::string& blob, const std::string& key, const converted_part& part,
                              std::uint64_t max_octets) = 0;
};

// RFC 5464 §4.2.2 DEPTH infinity.
inline constexpr unsigned metadata_infinity = ~0u;

class user_directory {
 public:
  virtual ~user_directory() = default;
  // Throws error{already_exists, invalid_name}.
  virtual user_record add_user(const user_record& r) = 0;
  // Throws error{nonexistent}.
  virtual void update_credentials(const user_record& r) = 0;
  // Removes the user and all their mail. Throws error{nonexistent}.
  virtual void delete_user(std::string_view name) = 0;
  virtual std::vector<user_record> list_users() = 0;
  virtual std::optional<user_record> find_user(std::string_view name) = 0;
  // Proxy identities of a user (types.hpp proxy_grant). add_proxy takes
  // the user's name in r.name, the identity's label and allowances in
  // r.proxy and its own credentials; throws error{nonexistent} (no such
  // user), error{already_exists}, error{invalid_name} (a label is 1-32
  // letters, digits, '.', '_' or '-').
  virtual void add_proxy(const user_record& r) = 0;
  // Throws error{nonexistent}.
  virtual void remove_proxy(std::string_view user, std::string_view label) = 0;
  virtual void set_proxy_allowances(std::string_view user, std::string_view label, unsigned allow) = 0;
  virtual std::vector<user_record> list_proxies(std::string_view user) = 0;
  // Every user's proxy identities (the server's check of open sessions).
  virtual std::vector<user_record> list_all_proxies() = 0;
  // The user's record with the identity's credentials and grant.
  virtual std::optional<user_record> find_proxy(std::string_view user, std::string_view label) = 0;
  // Device keys (types.hpp device_key). add_device_key makes a key for a
  // device of the user and returns it with its secret; rotate_device_key
  // makes the device a new key and revokes the old one (both throw
  // error{nonexistent} for an unknown user or key, error{invalid_name}
  // for a bad device name). Listings carry no secrets; find_device_key
  // finds only keys in use. The secrets are wrapped under the master key
  // (store_limits::master_key_file), made on the first key.
  virtual device_key add_device_key(std::string_view user, std::string_view device) = 0;
  virtual device_key rotate_device_key(std::string_view user, std::string_view id) = 0;
  virtual void revoke_device_key(std::string_view user, std::string_view id) = 0;
  virtual std::vector<device_key> list_device_keys(std::string_view user) = 0;
  virtual std::optional<device_key> find_device_key(std::string_view user, std::string_view id) = 0;
  // The ids of every user's keys in use (the server's check of open sessions).
  virtual std::vector<std::string> device_keys_in_use() = 0;
  // One-time pairing codes (docs/xencrypted.md): made for a device of the
  // user; whoever presents the code once before `expires` (Unix time) gets
  // a new key for that device: the phone, over HTTPS, never through a
  // proxy. Only a hash of the code is kept. add throws error{nonexistent},
  // error{invalid_name}; redeem returns the user's name and the new key,
  // nullopt for an unknown or expired code (either way it is gone).
  // add drops the codes expired at `now` first, and throws error{limit}
  // when the user has `max` unexpired ones.
  virtual void add_pairing_code(std::string_view user, std::string_view device, std::string_view code_hash,
                                std::int64_t now, std::int64_t expires, unsigned max) = 0;
  virtual std::optional<std::pair<std::string, device_key>> redeem_pairing_code(std::string_view code_hash,
                                                                                std::int64_t now) = 0;
  // The user's server_smime, nullopt if none was made; make_server_smime
  // makes it (auth::smime::make_identity) unless it exists, and returns
  // it. Both throw error{nonexistent} for an unknown user.
  virtual std::optional<server_smime> find_server_smime(std::string_view user) = 0;
  virtual server_smime make_server_smime(std::string_view user) = 0;
  // App passwords (types.hpp app_password), by the hash of each. add
  // throws error{nonexistent}, error{already_exists}, error{invalid_name}
  // (a label as a proxy identity's); remove throws error{nonexistent};
  // find gives the label of the user's app password with that hash.
  virtual void add_app_password(std::string_view user, std::string_view label, std::string_view hash) = 0;
  virtual void remove_app_password(std::string_view user, std::string_view label) = 0;
  virtual std::vector<app_password> list_app_passwords(std::string_view user) = 0;
  virtual std::optional<std::string> find_app_password(std::string_view user, std::string_view hash) = 0;
  // S/MIME certificates (types.hpp smime_certificate). add throws
  // error{nonexistent}, error{already_exists}, error{limit} beyond `max`;
  // remove throws error{nonexistent}.
  virtual void add_smime_certificate(std::string_view user, const smime_certificate& c, unsigned max) = 0;
  virtual void remove_smime_certificate(std::string_view user, std::string_view fingerprint) = 0;
  virtual std::vector<smime_certificate> list_smime_certificates(std::string_view user) = 0;
  // Changes whenever another process (`lemonade user ...`) has changed
  // the users since the last call; cheap enough to poll every second.
  virtual std::uint64_t version() = 0;
};

// The record a login name stands for: a user, or "user<separator>label"
// (auth.proxy_separator, which user names cannot hold) one of the user's
// proxy identities, whose record is the user's account with the
// identity's own credentials and grant. Every protocol that logs in uses it.
inline std::optional<user_record> find_login(user_directory& users, std::string_view login,
                                             std::string_view separator) {
  if (auto u = users.find_user(login)) return u;
  if (separator.empty()) return std::nullopt;
  auto at = login.rfind(separator);
  if (at == std::string_view::npos || at == 0 || at + separator.size() == login.size()) return std::nullopt;
  return users.find_proxy(login.substr(0, at), login.substr(at + separator.size()));
}

// The name a record logs in with (the credential cache's key).
inline std::string login_name(const user_record& u, std::string_view separator) {
  return u.proxy ? u.name + std::string(separator) + u.proxy->label : u.name;
}

struct store_limits {
  unsigned max_mailboxes = 10000;
  std::size_t max_mailbox_name_length = 1024;
  unsigned max_mailbox_depth = 32;
  // Free space kept on the store's disk (like Postfix's queue_minfree):
  // writes that add mail are refused below it with error{no_space}, so
  // that flag changes and deletions, which need a little room for their
  // journal, can still commit and free space.
  std::uint64_t min_free_space = 0;
  // Database connections kept open for reuse, over all accounts; an
  // account whose sessions are idle holds none (DESIGN.md §3).
  std::size_t idle_connections = 16;
  // ... and closed once unused this long.
  std::chrono::milliseconds idle_connection_time{5000};
  // SEARCH index work done in the background once this many messages wait
  // (0: only when a SEARCH needs it).
  std::size_t search_index_batch = 64;
  // A blob file no message refers to is deleted by the sweep once it is
  // this old (younger ones may be an APPEND's, not yet committed).
  std::chrono::seconds blob_sweep_age{600};
  // Octets of mail an account may hold (all its mailboxes); 0: no limit.
  // A write that would go over is refused with error{over_quota}.
  std::uint64_t max_account_size = 0;
  // Messages up to this many octets are kept in the account's database
  // (one commit, one fsync, no file of their own); larger ones in blob
  // files. 0: every message in a file.
  std::size_t inline_message_size = 64 * 1024;
  // The 32-octet key device keys are wrapped under (read when first
  // needed; made, mode 0600, with the first device key). Empty: DATA_DIR/master.key.
  std::filesystem::path master_key_file;
};

class mail_store {
 public:
  virtual ~mail_store() = default;
  virtual user_directory& users() = 0;
  // The account of a user, created on first use (with the default
  // mailboxes). Shared: every caller for one user gets the same object
  // while any holds it.
  virtual std::shared_ptr<account_store> open_account(const user_record& user) = 0;
  // The outbound queue (queue.hpp), opened on first use.
  virtual mail_queue& queue() = 0;
};

}  // namespace lemonade::store
