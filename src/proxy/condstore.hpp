#pragma once
// Command and response text for the proxy's CONDSTORE (RFC 7162 §3.1) in
// front of a backend without it (mediator.hpp, modseq_cache.hpp): what a
// client's SELECT, FETCH, STORE, SEARCH and STATUS carry for CONDSTORE,
// split from what the backend is sent, and the backend's FETCH and STATUS
// responses with the MODSEQs the proxy keeps put in. No I/O: the tests
// use it alone. Parsers throw std::invalid_argument, with the text of the
// client's BAD, for arguments they cannot take apart.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemonade::proxy::condstore {

// The end of the token at `at` in a command's arguments: an atom (with
// any "[...]" section and "<...>" partial of a FETCH item), a quoted
// string, a literal ("{n}", "{n+}", "~{n}", its CRLF and octets) or a
// parenthesised list of those.
std::size_t token_end(std::string_view s, std::size_t at);
// The top-level tokens of `s` (arguments without their final CRLF).
std::vector<std::string_view> tokens(std::string_view s);

// An astring as a mailbox name (quoted and literal decoded; RFC 3501
// §5.1: INBOX in any case is INBOX).
std::string mailbox_name(std::string_view token);

// RFC 7162 §3.2.5: "QRESYNC" SP "(" uidvalidity SP mod-sequence-value
// [SP known-uids] [SP seq-match-data] ")"; seq-match-data is checked for
// syntax and not used (the proxy's expunge log answers without it).
struct qresync_param {
  std::uint32_t uidvalidity = 0;
  std::uint64_t modseq = 0;
  std::string_view known_uids;  // empty: absent
};
struct select_args {
  std::string_view mailbox;  // the token as sent
  bool condstore = false;    // "(CONDSTORE)", RFC 7162 §3.1.8
  std::optional<qresync_param> qresync;
};
// After "SELECT"/"EXAMINE": SP mailbox [SP "(" select-param ... ")"].
select_args parse_select(std::string_view args);

struct fetch_args {
  std::string_view set;
  std::vector<std::string_view> items;  // a macro (ALL, FAST, FULL) alone
  bool modseq = false;                  // MODSEQ was asked for (and is not in items)
  std::optional<std::uint64_t> changedsince;
  bool vanished = false;  // RFC 7162 §3.2.6 (its conditions are the caller's)
};
fetch_args parse_fetch(std::string_view args);

struct store_args {
  std::string_view set;
  std::optional<std::uint64_t> unchangedsince;
  std::string_view item;   // "+FLAGS", "FLAGS.SILENT", ...
  std::string_view value;  // the rest, as sent
  bool silent() const;
  std::string item_loud() const;  // item without ".SILENT"
};
store_args parse_store(std::string_view args);

// A SEARCH's MODSEQ criteria (RFC 7162 §3.1.5: "MODSEQ" [SP entry-name SP
// entry-type-req] SP mod-sequence-valzer), in order: where each is in the
// arguments and its value.
struct modseq_criterion {
  std::size_t at = 0, size = 0;
  std::uint64_t value = 0;
};
std::vector<modseq_criterion> find_modseq_criteria(std::string_view args);

struct status_args {
  std::string_view mailbox;
  std::vector<std::string> items;  // upper case, HIGHESTMODSEQ left out
  bool highestmodseq = false;
};
status_args parse_status(std::string_view args);

// A FETCH response ("12 FETCH (...)", after "* ") with "UID u" and
// "MODSEQ (m)" first in its list where it lacks them.
std::string add_to_fetch(std::string_view response, std::optional<std::uint32_t> uid, std::uint64_t modseq);

}  // namespace lemonade::proxy::condstore
