#pragma once
// RFC 5092 IMAP URLs, with the URLAUTH components of RFC 4467 §2: parsed
// into their parts (every %-encoding undone, mailbox names as UTF-8) and
// written back. Used by CATENATE (RFC 4469), GENURLAUTH and URLFETCH, and
// by the submission server's BURL. No I/O, no store: whether a URL names
// something that exists is the caller's question.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemonade::imap::syntax {

struct imap_url {
  // RFC 5092 §3 iserver: absent in a relative URL ("/INBOX;UIDVALIDITY=…").
  struct server_part {
    std::optional<std::string> user;       // enc-user, decoded
    std::optional<std::string> auth_type;  // ";AUTH=": "*" or enc-auth-type, decoded
    std::string host;                      // as written (reg-name, IPv4 or "[IPv6]"), lower-cased
    std::optional<std::uint16_t> port;
    bool operator==(const server_part&) const = default;
  };
  std::optional<server_part> server;
  // enc-mailbox decoded: a UTF-8 name with '/' between levels (§5). Empty
  // only when the URL names just a server ("imap://host/").
  std::string mailbox;
  std::optional<std::uint32_t> uidvalidity;
  // imessagelist: ";?" enc-search decoded (a search program in IMAP syntax).
  std::optional<std::string> search;
  std::optional<std::uint32_t> uid;
  std::optional<std::string> section;  // enc-section decoded, e.g. "1.2.MIME"
  // ";PARTIAL=" offset ["." length] (RFC 5092 ipartial; RFC 5550 §5.4).
  struct partial_range {
    std::uint64_t offset = 0;
    std::optional<std::uint64_t> length;  // nz-number when present
    bool operator==(const partial_range&) const = default;
  };
  std::optional<partial_range> partial;
  // RFC 4467 §2.1: [";EXPIRE=" date-time] ";URLAUTH=" access [":" mech ":" token].
  std::optional<std::string> expire;     // RFC 3339 date-time, as written
  std::optional<std::int64_t> expire_at; // the same, seconds since the epoch
  std::optional<std::string> access;     // "anonymous", "authuser", "user+NAME", "submit+NAME" (NAME decoded)
  std::optional<std::string> mechanism;  // e.g. "INTERNAL", upper-cased
  std::optional<std::string> token;      // enc-urlauth: 32 or more hex digits, lower-cased
  // The text of the URL up to and including the access identifier: what
  // RFC 4467 §2.1's "URL rump" is, over which the token is computed. Empty
  // when there is no ";URLAUTH=".
  std::string rump;

  bool is_message_part() const { return uid.has_value(); }
  bool operator==(const imap_url&) const = default;
};

struct url_error {
  std::string message;
};

// An absolute IMAP URL ("imap://…", RFC 5092 §2) or, when relative is
// true, also an absolute-path reference resolved against this server
// ("/INBOX;UIDVALIDITY=1/;UID=20", RFC 5092 §7.2). Keywords (";UID=", …)
// are case-insensitive; every other rule is the RFC 5092 §11 / RFC 4467 §9
// ABNF, strictly: anything it does not allow is an error, never guessed.
std::optional<imap_url> parse_url(std::string_view text, bool relative, url_error* error = nullptr);

// The URL as RFC 5092 writes it: "imap://" when it has a server part,
// every component %-encoded where the ABNF requires, keywords upper-case.
// parse_url(format_url(u)) == u for any u parse_url returned (rump aside).
std::string format_url(const imap_url& url);

// The RFC 4467 rump of a URL without one: format_url() of url with its
// mechanism and token dropped (EXPIRE and URLAUTH kept).
std::string url_rump(const imap_url& url);

// %-decoding of one component (RFC 3986 §2.1): nullopt for a '%' not
// followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace lemonade::imap::syntax
