#pragma once
// Typed IMAP commands: what the parsers produce and the executors take.
// Mailbox names here are UTF-8 with INBOX normalised (the parser decodes
// modified UTF-7); patterns keep their wildcards.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "imap/syntax/sequence_set.hpp"

namespace lemonade::imap::parse {

using syntax::sequence_set;

struct capability_cmd {};
struct noop_cmd {};
struct logout_cmd {};
struct starttls_cmd {};
struct check_cmd {};
struct close_cmd {};
struct unselect_cmd {};    // RFC 3691
struct namespace_cmd {};   // RFC 2342
struct idle_cmd {};        // RFC 2177

struct authenticate_cmd {
  std::string mechanism;                         // upper-cased
  std::optional<std::string> initial_response;   // RFC 4959: base64, or "=" for empty
};

struct login_cmd {
  std::string user;
  std::string password;
};

// RFC 7162 §3.2.5: SELECT/EXAMINE (QRESYNC (uidvalidity modseq
// [known-uids] [(known-sequence-set known-uid-set)]))
struct qresync_params {
  std::uint32_t uidvalidity = 0;
  std::uint64_t modseq = 0;
  std::optional<sequence_set> known_uids;
  std::optional<std::pair<sequence_set, sequence_set>> seq_match;
};

struct select_cmd {
  std::string mailbox;
  bool read_only = false;  // EXAMINE
  bool condstore = false;  // RFC 7162 §3.1.8 (CONDSTORE)
  std::optional<qresync_params> qresync;
};

struct create_cmd {
  std::string mailbox;
  std::vector<std::string> special_use;  // RFC 6154 §3: CREATE ... (USE (...))
};

struct delete_cmd {
  std::string mailbox;
};

struct rename_cmd {
  std::string from;
  std::string to;
};

struct subscribe_cmd {
  std::string mailbox;
  bool subscribe = true;  // false: UNSUBSCRIBE
};

enum class status_item { messages, recent, uidnext, uidvalidity, unseen, highestmodseq };

struct list_cmd {
  bool lsub = false;
  bool extended = false;  // RFC 5258 syntax was used
  std::string reference;
  std::vector<std::string> patterns;
  // RFC 5258 §3.1 selection options
  bool select_subscribed = false;
  bool select_remote = false;
  bool select_recursivematch = false;
  bool select_special_use = false;  // RFC 6154 §5.1
  // RFC 5258 §3.2 return options
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;  // RFC 6154 §5.2
  std::optional<std::vector<status_item>> return_status;  // RFC 5819
};

struct status_cmd {
  std::string mailbox;
  std::vector<status_item> items;
};

struct date_time {
  std::int64_t seconds = 0;
  int zone_minutes = 0;
};

// RFC 4469 §5 cat-part = text-literal / url
struct cat_part {
  bool is_url = false;
  std::string_view text;  // TEXT: the literal's octets, in the framed command
  std::string url;        // URL: the astring as given
  bool encrypted = false; // TEXT as "~{X<n>}" (docs/xencrypted.md)
};

struct append_message {
  std::vector<std::string> flags;  // as written, "\Seen" or keywords
  std::optional<date_time> date;
  std::string_view data;           // points into the framed command
  bool literal8 = false;           // RFC 3516 §4.4: sent as "~{n}"
  bool encrypted = false;          // sent as "~{X<n>}" (docs/xencrypted.md)
  // RFC 4469: "CATENATE" SP "(" cat-part *(SP cat-part) ")" instead of
  // data; the parts in order.
  std::vector<cat_part> catenate;
};

struct append_cmd {
  std::string mailbox;
  std::vector<append_message> messages;  // RFC 3502 MULTIAPPEND: one or more
};

// docs/xencrypted.md: xkey = "XKEY" SP key-id SP client-nonce, each hex
// digits (16 and 32); here as octets.
struct xkey_cmd {
  std::string key_id;        // 8 octets
  std::string client_nonce;  // 16 octets
};

// docs/xencrypted.md: xsealed = "XSEALED" SP literal-x; the object holds a
// command (without its tag) the client sealed under its device key.
struct xsealed_cmd {
  std::string object;
};

// RFC 4467 §9: resetkey = "RESETKEY" [SP mailbox *(SP mechanism)]
struct resetkey_cmd {
  std::optional<std::string> mailbox;
  std::vector<std::string> mechanisms;  // upper-cased
};

// genurlauth = "GENURLAUTH" 1*(SP url-rump SP mechanism)
struct genurlauth_cmd {
  struct item {
    std::string rump;
    std::string mechanism;  // upper-cased
  };
  std::vector<item> items;
};

// urlfetch = "URLFETCH" 1*(SP url-fetch-arg) (RFC 5524 §5): a URL, or
// "(" url *(SP param) ")" asking for metadata items.
struct urlfetch_cmd {
  struct item {
    std::string url;
    bool extended = false;  // the parenthesized form
    bool body = false;
    bool binary = false;
    bool structure = false;  // BODYPARTSTRUCTURE
  };
  std::vector<item> items;
};

// RFC 5464 §5 GETMETADATA [options] mailbox entries; mailbox "" is the
// server. Entry names are lower-cased (§3.2: "case-insensitive").
struct getmetadata_cmd {
  std::optional<std::uint32_t> max_size;  // MAXSIZE
  unsigned depth = 0;                     // DEPTH 0 / 1 / infinity (~0u)
  std::string mailbox;
  std::vector<std::string> entries;
};

// RFC 5464 §5 SETMETADATA mailbox (entry value ...); value nullopt: NIL.
struct setmetadata_cmd {
  std::string mailbox;
  std::vector<std::pair<std::string, std::optional<std::string>>> values;
};

// RFC 4978 §5: compress = "COMPRESS" SP algorithm
struct compress_cmd {
  std::string algorithm;  // upper-cased
};

struct enable_cmd {
  std::vector<std::string> capabilities;  // upper-cased
};

struct id_cmd {
  // RFC 2971: NIL, or field/value pairs.
  std::vector<std::pair<std::string, std::optional<std::string>>> params;
};

// RFC 3501 §6.4.6 STORE
struct store_cmd {
  bool uid = false;
  sequence_set set;
  enum class op { replace, add, remove } operation = op::replace;
  bool silent = false;
  std::vector<std::string> flags;
  std::optional<std::uint64_t> unchanged_since;  // RFC 7162 §3.1.3
};

// RFC 3501 §6.4.7 COPY, RFC 6851 MOVE
struct copy_cmd {
  bool uid = false;
  bool move = false;
  sequence_set set;
  std::string mailbox;
};

// RFC 3501 §6.4.3 EXPUNGE; RFC 4315 §2.1 UID EXPUNGE
struct expunge_cmd {
  std::optional<sequence_set> uids;
};

// RFC 3501 §6.4.5 section
struct section_spec {
  std::vector<std::uint32_t> part;  // "1.2.3"; empty for the whole message
  enum class kind { all, header, header_fields, header_fields_not, text, mime } what = kind::all;
  std::vector<std::string> fields;  // HEADER.FIELDS (...), as written
  std::string text;                 // the section as written, echoed in the response
};

struct fetch_att {
  enum class kind {
    envelope, flags, internaldate, rfc822, rfc822_header, rfc822_size, rfc822_text,
    body, bodystructure, uid, body_section,
    modseq,       // RFC 7162 §3.1.4.2
    binary,       // RFC 3516 BINARY[part]<partial> and BINARY.PEEK (peek)
    binary_size,  // RFC 3516 BINARY.SIZE[part]
    preview,      // RFC 8970 PREVIEW [(LAZY)]
  } what = kind::flags;
  section_spec section;
  bool peek = false;
  bool lazy = false;  // PREVIEW (LAZY)
  std::optional<std::pair<std::uint32_t, std::uint32_t>> partial;  // <origin.length>
};

// RFC 5259 §10 convert-att.
struct convert_att {
  enum class kind {
    uid,
    bodypartstructure,     // BODYPARTSTRUCTURE[part]
    binary,                // BINARY[part]<partial>
    binary_size,           // BINARY.SIZE[part]
    header,                // BODY[HEADER], BODY[part.HEADER]
    mime,                  // BODY[part.MIME]
    availableconversions,  // AVAILABLECONVERSIONS[part]
  } what = kind::uid;
  section_spec section;  // part numbers; text as written
  std::optional<std::pair<std::uint32_t, std::uint32_t>> partial;
};

// RFC 5259 §6 CONVERT / UID CONVERT sequence-set convert-params atts.
struct convert_cmd {
  bool uid = false;
  sequence_set set;
  std::optional<std::string> to;  // quoted-to-mime-type, lower-case; NIL: the default conversion
  std::vector<std::pair<std::string, std::string>> params;  // names lower-case (§7)
  std::vector<convert_att> atts;
};

// RFC 5259 §5.1 CONVERSIONS from to: "*", "type/*" or "type/subtype",
// lower-case.
struct conversions_cmd {
  std::string from;
  std::string to;
};

// RFC 9394 §4 partial-range: "a:b" counts results from the first (1),
// "-a:-b" from the last (-1); "500:400" is "400:500".
struct partial_range {
  std::uint32_t first = 1;  // as written, without the minus
  std::uint32_t second = 1;
  bool from_end = false;
  // As the client wrote it: RFC 9394 §3.1 returns "the original range".
  std::string text() const;
  // The positions it names in a result of n items, 0-based [begin, end).
  std::pair<std::size_t, std::size_t> window(std::size_t n) const;
};

struct fetch_cmd {
  bool uid = false;
  sequence_set set;
  std::vector<fetch_att> atts;
  std::optional<std::uint64_t> changed_since;  // RFC 7162 §3.1.4.1
  bool vanished = false;                       // RFC 7162 §3.2.6
  std::optional<partial_range> partial;        // RFC 9394 §3.3
};

// RFC 3501 §6.4.4 search-key, as a tree. The top level and parenthesised
// lists are `all_of` nodes.
struct search_key {
  enum class kind {
    all_of,      // children: every one matches (implicit AND)
    not_,        // children[0]
    or_,         // children[0] or children[1]
    sequence,    // set (message sequence numbers)
    uid,         // set (UIDs)
    all, answered, deleted, draft, flagged, new_, old, recent, seen,
    unanswered, undeleted, undraft, unflagged, unseen,
    keyword, unkeyword,                 // text: the keyword
    before, on, since,                  // day: INTERNALDATE's date
    sentbefore, senton, sentsince,      // day: the Date: header's date
    larger, smaller,                    // number: RFC822.SIZE
    bcc, body, cc, from, subject, text, to,  // text (in the command's CHARSET)
    header,                             // field and text
    modseq,                             // number: RFC 7162 §3.1.5
    older, younger,                     // number: seconds, RFC 5032
  } what = kind::all_of;
  std::vector<search_key> children;
  sequence_set set;
  std::string field;
  std::string text;
  std::int64_t day = 0;  // days since 1970-01-01
  std::uint64_t number = 0;
};

// RFC 4731 §3.1 search-return-opts; RFC 5182 §2.4 SAVE.
struct search_return {
  bool min = false;
  bool max = false;
  bool all = false;
  bool count = false;
  bool save = false;
  // RFC 5267 §4: CONTEXT (a hint), UPDATE; PARTIAL as RFC 9394 §3.1
  // extends it (ranges from the end).
  bool context = false;
  bool update = false;
  std::optional<partial_range> partial;
};

struct search_cmd {
  bool uid = false;
  std::optional<search_return> ret;  // RETURN (...): ESEARCH responses
  std::optional<std::string> charset;
  search_key key;
};

// RFC 5256 §3 SORT (RFC 5957 DISPLAYFROM/DISPLAYTO), with RFC 5267 ESORT
// return options.
struct sort_criterion {
  enum class key { arrival, cc, date, from, size, subject, to, display_from, display_to } what = key::arrival;
  bool reverse = false;
};

struct sort_cmd {
  bool uid = false;
  std::optional<search_return> ret;
  std::vector<sort_criterion> criteria;
  std::string charset;
  search_key key;
};

// RFC 5256 §3 THREAD
struct thread_cmd {
  bool uid = false;
  std::string algorithm;  // upper-cased: ORDEREDSUBJECT, REFERENCES
  std::string charset;
  search_key key;
};

// RFC 5267 §4.3.5 CANCELUPDATE
struct cancelupdate_cmd {
  std::vector<std::string> tags;
};

// RFC 5465 NOTIFY
struct notify_group {
  // RFC 5465 §6 filter-mailboxes
  enum class filter { selected, selected_delayed, inboxes, personal, subscribed, subtree, mailboxes } which =
      filter::selected;
  std::vector<std::string> mailboxes;  // SUBTREE / MAILBOXES
  bool none = false;                   // events = "NONE"
  bool message_new = false;
  bool message_expunge = false;
  bool flag_change = false;
  bool mailbox_name = false;
  bool subscription_change = false;
  bool mailbox_metadata = false;  // RFC 5465 §5.6 MailboxMetadataChange
  bool server_metadata = false;   // §5.7 ServerMetadataChange
  std::vector<fetch_att> new_atts;       // MessageNew (fetch-att ...)
  std::vector<std::string> unsupported;  // event names we do not offer
  bool is_selected() const { return which == filter::selected || which == filter::selected_delayed; }
};

struct notify_cmd {
  bool none = false;    // NOTIFY NONE
  bool status = false;  // NOTIFY SET STATUS
  std::vector<notify_group> groups;
};

using command_args =
    std::variant<capability_cmd, noop_cmd, logout_cmd, starttls_cmd, check_cmd, close_cmd,
                 unselect_cmd, namespace_cmd, idle_cmd, authenticate_cmd, login_cmd, select_cmd, create_cmd,
                 delete_cmd, rename_cmd, subscribe_cmd, list_cmd, status_cmd, append_cmd,
                 enable_cmd, id_cmd, store_cmd, copy_cmd, expunge_cmd, fetch_cmd, search_cmd, notify_cmd,
                 cancelupdate_cmd, sort_cmd, thread_cmd, resetkey_cmd, genurlauth_cmd, urlfetch_cmd,
                 compress_cmd, getmetadata_cmd, setmetadata_cmd, convert_cmd, conversions_cmd, xkey_cmd, xsealed_cmd>;

// What the parser needs from the session.
struct parse_options {
  unsigned max_nesting_depth = 16;
  unsigned max_append_messages = 1000;
  bool utf8_names = false;  // RFC 6855 UTF8=ACCEPT enabled
};

}  // namespace lemonade::imap::parse
