#pragma once
// Value types of the storage API (DESIGN.md §4). No backend type appears
// here or in store.hpp: protocol code sees only these.

#include <cstdint>
#include <memory>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lemonade::store {

// Strong integer types: a UID is not a sequence number is not a MODSEQ
// (STYLE.md §3). Convert with to_int().
enum class uid : std::uint32_t {};
enum class modseq : std::uint64_t {};
constexpr std::uint32_t to_int(uid u) noexcept { return static_cast<std::uint32_t>(u); }
constexpr std::uint64_t to_int(modseq m) noexcept { return static_cast<std::uint64_t>(m); }

using mailbox_id = std::int64_t;

// RFC 3501 §2.3.2 system flags, as bits. \Recent is not stored: it is a
// property of a session (see account_store::claim_recent).
enum system_flag : std::uint8_t {
  flag_answered = 1,
  flag_flagged = 2,
  flag_deleted = 4,
  flag_seen = 8,
  flag_draft = 16,
};

struct flag_set {
  std::uint8_t system = 0;
  std::vector<std::string> keywords;  // as given by the client; case-insensitive
  bool operator==(const flag_set&) const = default;
};

struct mailbox_info {
  mailbox_id id = 0;
  std::string name;  // UTF-8, '/' separated; the inbox is "INBOX"
  std::uint32_t uidvalidity = 0;
  uid uidnext{1};
  modseq highestmodseq{1};
  bool selectable = true;   // false: a \Noselect level kept for its children
  std::string special_use;  // RFC 6154 attributes, space separated ("\\Sent")
  std::string object_id;    // RFC 8474 MAILBOXID
};

struct mailbox_status {
  std::uint32_t messages = 0;
  std::uint32_t recent = 0;  // UIDs at or above the first not yet claimed
  std::uint32_t unseen = 0;
  uid uidnext{1};
  std::uint32_t uidvalidity = 0;
  modseq highestmodseq{1};
  std::uint64_t size = 0;  // sum of RFC822.SIZE
};

struct message_entry {
  uid id{0};
  modseq mod{0};
  flag_set flags;
};

// What SELECT needs: the mailbox and every message in UID order.
struct mailbox_snapshot {
  mailbox_info info;
  std::vector<message_entry> messages;
  // RFC 3501 §2.3.2: the first UID no session has claimed as \Recent yet.
  // EXAMINE shows the messages from here on as recent without claiming
  // them (§6.3.2), as STATUS (RECENT) counts them.
  uid first_recent{1};
};

// A message written out as it is assembled (CATENATE, RFC 4469) rather
// than held in memory: account_store::stage_message() makes one, write()
// takes its octets in order, finish() makes it durable and readable whole
// through view() (mapped from the file, not copied into the heap). It
// becomes a message by append() (new_message::staged); dropped unused it
// leaves nothing behind.
class staged_message {
 public:
  virtual ~staged_message() = default;
  virtual void write(std::string_view octets) = 0;
  virtual void finish() = 0;
  virtual std::string_view view() const = 0;
  virtual std::uint64_t size() const = 0;
};

struct new_message {
  std::string data;            // RFC 5322 octets, stored byte-exact
  std::shared_ptr<staged_message> staged;  // or these, finished, instead of data
  std::string_view octets() const { return staged ? staged->view() : std::string_view(data); }
  flag_set flags;
  std::int64_t internal_date;  // seconds since the epoch
  int tz_offset_minutes = 0;   // zone the client gave, to show it back
  std::string structure;       // parsed MIME structure (opaque here), cached so FETCH never re-parses
  std::string search_headers;  // decoded header text for SEARCH (case-folded)
  std::string search_body;     // decoded text parts for SEARCH (case-folded)
  // The Date: header's day as written (days since 1970-01-01) for
  // SENTBEFORE/SENTON/SENTSINCE; the INTERNALDATE's day when absent.
  std::int64_t sent_day = 0;
  std::string sort_info;  // SORT/THREAD keys (opaque here; src/sort)
  std::optional<std::string> preview;  // RFC 8970 PREVIEW text
  // docs/xencrypted.md: the id of the device key whose encrypted literals
  // the message came as (every octet the client sent), "" otherwise. A
  // proxy identity's sealed BURL may only send such a message.
  std::string sealed_by;
};

// One stored message, as FETCH and SEARCH need it.
struct message_record {
  uid id{0};
  modseq mod{0};
  flag_set flags;
  std::int64_t internal_date = 0;
  int tz_offset_minutes = 0;
  std::int64_t save_date = 0;
  std::uint64_t size = 0;
  std::string blob;       // content hash
  std::string structure;  // as given at append
  std::int64_t sent_day = 0;
  std::optional<std::string> preview;  // RFC 8970; none for mail stored before previews
  // Already expunged, read from what stays for the sessions not yet told
  // (RFC 3501 §7.4.1): FETCH serves it; URLs (CATENATE, URLFETCH) do not.
  bool expunged = false;
};

// What SEARCH reads of every message besides flags (RFC 3501 §6.4.4 dates
// and sizes).
struct message_meta {
  uid id{0};
  std::int64_t internal_date = 0;
  int tz_offset_minutes = 0;
  std::int64_t sent_day = 0;
  std::uint64_t size = 0;
};

// What SORT and THREAD read of every message (RFC 5256).
struct sort_row {
  uid id{0};
  std::int64_t internal_date = 0;
  std::uint64_t size = 0;
  std::string sort_info;  // as given at append; empty for older rows
};

// One text criterion of SEARCH (RFC 3501 §6.4.4) for the full-text index:
// case-insensitive substring match on decoded text. The needle is already
// case-folded the way the index text was (mime::fold_case).
struct text_query {
  // field: the text of the header field named field (HEADER, SUBJECT);
  // address: the addresses of the envelope field named field, after RFC
  // 5322 parsing (RFC 3501 §6.4.4 FROM/TO/CC/BCC: "the envelope
  // structure's ... field"), display names decoded, comments gone.
  enum class where { field, address, headers, body, text } in = where::text;
  std::string field;   // where::field and where::address: the header field name, lower-case
  std::string needle;
};

enum class flag_op { replace, add, remove };

// A converted body part (RFC 5259 CONVERT), as cached: its media type,
// the type's parameters ("charset=utf-8;format=flowed"), the octets.
struct converted_part {
  std::string type;
  std::string params;
  std::string data;
};

struct flag_update {
  uid id{0};
  modseq mod{0};
  flag_set flags;  // after the change
};

struct store_flags_result {
  std::vector<flag_update> updated;  // messages whose flags changed
  std::vector<uid> modified;         // RFC 7162 §3.1.3: failed UNCHANGEDSINCE
  modseq highestmodseq{0};
};

struct copy_result {
  std::uint32_t uidvalidity = 0;  // of the target
  std::vector<uid> source;        // ascending
  std::vector<uid> target;        // in the same order
  std::vector<uid> expunged;      // MOVE: removed from the source
  modseq source_highestmodseq{0};
};

struct append_result {
  std::uint32_t uidvalidity = 0;
  std::vector<uid> uids;       // in the order of the messages given
  modseq highestmodseq{0};
};

struct expunge_result {
  std::vector<uid> uids;       // ascending
  modseq highestmodseq{0};
};

// SCRAM-SHA-256 (RFC 5802 §3, RFC 7677) verifier, derived when the password
// is set; the password itself is never stored.
struct scram_credentials {
  std::string salt;        // raw octets
  unsigned iterations = 0;
  std::string stored_key;  // raw octets
  std::string server_key;  // raw octets
};

// What a proxy identity may do beyond reading and relaying (draft-maes-
// lemonade-xencrypted-02 §2.2: a compromised proxy must not be able to
// destroy mail or mint URLs to send it out). Each is off by default.
enum proxy_allowance : unsigned {
  allow_expunge = 1,          // EXPUNGE, UID EXPUNGE, CLOSE's expunge, MOVE
  allow_deleted_flag = 2,     // setting \Deleted (STORE, APPEND, COPY keeps it)
  allow_mailbox_delete = 4,   // DELETE and RENAME of mailboxes
  allow_urlauth = 8,          // GENURLAUTH, URLFETCH, RESETKEY
  allow_shared_metadata = 16, // SETMETADATA of /shared entries
  // Without these, a proxy identity gets message content only encrypted
  // (XKEY, docs/xencrypted.md):
  allow_clear_envelope = 32,  // ENVELOPE, BODY, BODYSTRUCTURE in the clear
                              // (routing; -02 §3.1 admits their traffic analysis)
  allow_clear_content = 64,   // bodies, headers, PREVIEW, CONVERT in the clear
                              // (a proxy the user trusts, e.g. the operator's webmail)
};
// The allowance names of the CLI and the log, in bit order.
inline constexpr const char* proxy_allowance_names[] = {"expunge", "deleted-flag", "mailbox-delete", "urlauth",
                                                        "shared-metadata", "clear-envelope", "clear-content"};
static_assert(1u << (std::size(proxy_allowance_names) - 1) == allow_clear_content, "a name for every allowance");

// Set on the record of a login as a proxy identity: the account is the
// user's (id, name), the credentials the identity's own.
struct proxy_grant {
  std::string label;  // "proxy" of "alice+proxy"
  unsigned allow = 0; // proxy_allowance bits
  // Tells the identity's credentials apart from later ones (a new
  // password, or the identity removed and added again under its label):
  // a session logged in with the old ones is then ended.
  std::uint64_t credentials_tag = 0;
  bool same_as(const proxy_grant& o) const {
    return label == o.label && allow == o.allow && credentials_tag == o.credentials_tag;
  }
};

struct user_record {
  std::int64_t id = 0;
  std::string name;
  std::string password_hash;  // argon2id, libsodium string format
  scram_credentials scram;
  std::optional<proxy_grant> proxy;
};

// A device key of proxy deployments (docs/xencrypted.md): AES-256-GCM,
// shared by one of the user's devices and the store, never by the proxy
// between them. Kept wrapped under the server's master key.
struct device_key {
  std::string id;      // 8 random octets, shown as 16 hex digits
  std::string device;  // the user's name for the device ("phone")
  std::int64_t created = 0;                // Unix time
  std::optional<std::int64_t> revoked;     // Unix time; unset while in use
  std::string secret;  // 32 octets; empty in listings
};

// The server's own S/MIME identity for a user (docs/xencrypted.md): a
// key pair and a self-signed certificate made for the user on first use
// (DER), so that a message a device envelopes for it opens in that user's
// account only. The key is kept wrapped under the master key.
struct server_smime {
  std::string certificate;
  std::string private_key;
};

// An app password (docs/xencrypted.md): a random password of its own a
// user makes for one client of the key API, so that client never holds
// the account's password; revocable alone. Only a hash is kept.
struct app_password {
  std::string label;
  std::int64_t created = 0;
};

// An S/MIME certificate the user provisioned (draft-maes-lemonade-
// xencrypted-02 §3.2): CONVERT to application/pkcs7-mime envelopes body
// parts for it, so a proxy relays content only the user's device reads.
struct smime_certificate {
  std::string fingerprint;  // SHA-256 of the DER, 32 octets
  std::string subject;      // one line, RFC 2253
  std::int64_t not_after = 0;  // Unix time
  std::int64_t added = 0;
  std::string der;
};

// Errors the store reports to protocol code. Anything else a backend
// throws is a server error (logged, answered [SERVERBUG]).
struct error : std::runtime_error {
  enum class code {
    nonexistent,     // no such mailbox or user
    already_exists,
    noselect,        // the mailbox is a \Noselect level
    has_children,    // DELETE of a \Noselect mailbox with inferiors
    not_permitted,   // e.g. DELETE INBOX
    invalid_name,
    limit,           // a configured limit would be exceeded
    no_space,        // the disk is (nearly) full: nothing was written
    over_quota,      // the account would hold more than its quota: nothing was written
  };
  code what_code;
  error(code c, const std::string& msg) : std::runtime_error(msg), what_code(c) {}
};

}  // namespace lemonade::store
