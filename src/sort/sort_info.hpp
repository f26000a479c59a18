#pragma once
// What SORT (RFC 5256 §3, RFC 5957 §3-§4) and THREAD (RFC 5256 §3) need to
// know about one message, computed once at APPEND time from the parsed
// message and stored with it (one BLOB per message), so that sorting or
// threading a mailbox reads these values and does no parsing and no Unicode
// work.
//
// Every string key is stored ready to compare: the RFC 5051 casemap_key
// (collate.hpp) of its text, compared octet by octet.
//
// sort_info owns one buffer holding every string; the accessors return
// views into it, valid while the sort_info lives and is not modified.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.hpp"

namespace lemonade::sort {

// At most this many References ids are kept per message: the last ones,
// nearest the message (RFC 5256 §3 REFERENCES step 1A already expects
// References lines "truncated by a MUA").
inline constexpr std::size_t max_references = 128;

// The plain form of a sort_info, for building one (and for tests).
struct sort_fields {
  // RFC 5256 §2.2 sent date, seconds since 1970-01-01 UTC: the Date:
  // header's moment, else the INTERNALDATE.
  std::int64_t sent_date = 0;
  std::string subject;        // casemap_key of the RFC 5256 §2.1 base subject
  bool reply_or_forward = false;  // RFC 5256 §2.1, for REFERENCES step 5
  std::string from;           // casemap_key of addr-mailbox of the first From address
  std::string to;             // ... first To address
  std::string cc;             // ... first Cc address
  std::string display_from;   // casemap_key of RFC 5957 display name of the first From address
  std::string display_to;     // ... first To address
  std::string message_id;     // msg-id without "<" ">"; empty when none is valid
  // RFC 5256 §3 REFERENCES step 1A: the parent chain, oldest first (the
  // References ids, or the In-Reply-To id). Ids without "<" ">".
  std::vector<std::string> references;
  friend bool operator==(const sort_fields&, const sort_fields&) = default;
};

class sort_info {
 public:
  sort_info() = default;
  // From plain values. Message ids that are empty or hold white space
  // (which no msg-id can) are dropped, as are references beyond the last
  // max_references. Throws std::length_error if the strings together
  // exceed 4 GiB.
  explicit sort_info(const sort_fields& f);

  std::int64_t sent_date() const noexcept { return sent_date_; }
  bool reply_or_forward() const noexcept { return reply_or_forward_; }
  std::string_view subject() const noexcept { return field(subject_f); }
  std::string_view from() const noexcept { return field(from_f); }
  std::string_view to() const noexcept { return field(to_f); }
  std::string_view cc() const noexcept { return field(cc_f); }
  std::string_view display_from() const noexcept { return field(display_from_f); }
  std::string_view display_to() const noexcept { return field(display_to_f); }
  std::string_view message_id() const noexcept { return field(message_id_f); }
  // The references, oldest first, as views into this object (so not
  // callable on a temporary, whose views would dangle).
  std::vector<std::string_view> references() const&;
  std::vector<std::string_view> references() const&& = delete;

  sort_fields fields() const;

  // The storage form (README.md "Stored format"): a version octet, then
  // varints and the strings. Compact: no names, no padding.
  std::string serialize() const;
  // The value serialize() wrote, or nullopt for anything else: another
  // version, truncated or trailing data, lengths that do not add up,
  // malformed ids. Allocates at most one buffer, no larger than data.
  static std::optional<sort_info> deserialize(std::string_view data);

  friend bool operator==(const sort_info&, const sort_info&) = default;

 private:
  enum field_index : std::size_t {
    subject_f, from_f, to_f, cc_f, display_from_f, display_to_f, message_id_f, references_f, field_count
  };
  std::string_view field(field_index i) const noexcept {
    std::uint32_t begin = i == 0 ? 0 : end_[i - 1];
    return std::string_view(text_).substr(begin, end_[i] - begin);
  }

  // Every string, in field_index order; references joined by one space.
  std::string text_;
  std::array<std::uint32_t, field_count> end_{};  // end offset of each field in text_
  std::int64_t sent_date_ = 0;
  bool reply_or_forward_ = false;
};

// Computes a message's sort_info at APPEND time. message is the raw
// message, s its parse_message structure, internal_date its INTERNALDATE
// in seconds since 1970-01-01 UTC (the RFC 5256 §2.2 fallback for a
// missing or unreadable Date:). Reads the message's own header only
// (s.envelopes[0] and the root header's References field). Never throws
// except std::bad_alloc.
sort_info compute_sort_info(std::string_view message, const mime::message_structure& s, std::int64_t internal_date);

// The RFC 5322 §3.6.4 msg-ids in a Message-ID, In-Reply-To or References
// field value, in order, without "<" ">". Lenient about what surrounds
// them (phrases, comments, quoted strings are skipped; In-Reply-To often
// holds "... message of <id>"), strict about an id itself: "<" id ">"
// with an "@", no white space and no "<" inside.
std::vector<std::string> parse_msg_ids(std::string_view value);

// RFC 5957 §3 "DISPLAY sort value" of an address: its addr-name
// RFC 2047-decoded when that is not empty; else addr-mailbox "@" addr-host;
// else addr-mailbox (which is the group name of a group start, and what an
// address without a domain has: our ENVELOPE shows its host as ""); else
// "". UTF-8, not collated.
std::string display_name(const mime::address& a);

// The addr-mailbox of an address as RFC 5256 §3 FROM/TO/CC sort on it: a
// quoted local part unquoted ("\"a b\"" -> "a b"); "" when NIL.
std::string sort_mailbox(const mime::address& a);

// ---- SORT (RFC 5256 §3, RFC 5957 §4) ----

enum class sort_key : std::uint8_t {
  arrival,       // INTERNALDATE, to the second
  cc,            // addr-mailbox of the first Cc address
  date,          // RFC 5256 §2.2 sent date
  from,          // addr-mailbox of the first From address
  size,          // RFC822.SIZE
  subject,       // RFC 5256 §2.1 base subject
  to,            // addr-mailbox of the first To address
  display_from,  // RFC 5957 display value of the first From address
  display_to,    // RFC 5957 display value of the first To address
};

struct sort_criterion {
  sort_key key = sort_key::arrival;
  bool reverse = false;  // RFC 5256 §3 REVERSE: this criterion descending
  friend bool operator==(const sort_criterion&, const sort_criterion&) = default;
};

// One message to sort.
struct sort_message {
  std::uint32_t seq = 0;  // message sequence number: the final tie-breaker
  std::uint32_t uid = 0;  // carried for the caller, never compared
  std::int64_t internal_date = 0;  // seconds since 1970-01-01 UTC
  std::uint64_t size = 0;
  // Borrowed, must outlive the call. nullptr (no stored info) sorts as a
  // message without those header fields, sent at its internal date.
  const sort_info* info = nullptr;
};

// RFC 5256 §3 SORT: the positions in messages (0-based) in the order the
// criteria give, each criterion ascending unless reverse; messages equal
// under every criterion are ordered by seq ascending (REVERSE "does not
// affect the implicit "sequence number" sort criterion if all other
// criteria are identical"). Strings compare as their stored casemap keys,
// octet by octet; a missing field is the empty string. O(n log n) in
// comparisons of small in-place digits, plus one read of each key octet
// that decides; no recursion. Never throws except std::bad_alloc.
std::vector<std::uint32_t> sort_order(std::span<const sort_message> messages,
                                      std::span<const sort_criterion> criteria);

}  // namespace lemonade::sort
