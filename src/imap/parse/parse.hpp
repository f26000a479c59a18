#pragma once
// Command parsers: framed bytes -> typed command (STYLE.md §2 step 2).
// Each reads the arguments after the command name and ends with the
// end-of-arguments check; errors stay in the lexer (lexer::ok()).

#include "imap/parse/command.hpp"
#include "imap/syntax/lexer.hpp"

namespace lemonade::imap::parse {

using syntax::lexer;
using parser_fn = command_args (*)(lexer&, const parse_options&);

// "tag SP command-name": the tag and the upper-cased name ("UID FETCH"
// style two-word names are joined with a space).
struct command_head {
  std::string tag;
  std::string name;
};
command_head parse_head(lexer& in);

// mailbox = "INBOX" / astring (RFC 3501 §9), decoded from modified UTF-7
// unless UTF-8 names are on, with INBOX normalised. A name that is not
// valid modified UTF-7 is a refusal (lexer::refuse) with refusal_code:
// NONEXISTENT for a name to find, CANNOT for one to create.
std::string mailbox(lexer& in, const parse_options& opts, const char* refusal_code = "NONEXISTENT");
// RFC 9394 §4: partial-range-first / partial-range-last.
partial_range partial_range_of(lexer& in);
// RFC 3501 §5.1: INBOX is case-insensitive; we read that for the first
// level too, so "inbox/Work" names "INBOX/Work".
std::string normalize_inbox(std::string_view utf8);

// A section-spec given as text (RFC 5092 enc-section, decoded: "1.MIME",
// "HEADER.FIELDS (From)"), as FETCH BODY[...] reads it; nullopt if it is
// not one.
std::optional<section_spec> section_from_text(std::string_view text);

// Commands without arguments.
template <class T>
command_args parse_bare(lexer& in, const parse_options&) {
  in.end();
  return T{};
}

command_args parse_authenticate(lexer& in, const parse_options& opts);
// urlauth.cpp: RFC 4467 §7
command_args parse_resetkey(lexer& in, const parse_options& opts);
command_args parse_xkey(lexer& in, const parse_options& opts);
command_args parse_xsealed(lexer& in, const parse_options& opts);
command_args parse_genurlauth(lexer& in, const parse_options& opts);
command_args parse_urlfetch(lexer& in, const parse_options& opts);
command_args parse_login(lexer& in, const parse_options& opts);
command_args parse_select(lexer& in, const parse_options& opts);
command_args parse_examine(lexer& in, const parse_options& opts);
command_args parse_create(lexer& in, const parse_options& opts);
command_args parse_delete(lexer& in, const parse_options& opts);
command_args parse_rename(lexer& in, const parse_options& opts);
command_args parse_subscribe(lexer& in, const parse_options& opts);
command_args parse_unsubscribe(lexer& in, const parse_options& opts);
command_args parse_status(lexer& in, const parse_options& opts);
command_args parse_list(lexer& in, const parse_options& opts);
command_args parse_lsub(lexer& in, const parse_options& opts);
command_args parse_append(lexer& in, const parse_options& opts);
command_args parse_enable(lexer& in, const parse_options& opts);
command_args parse_compress(lexer& in, const parse_options& opts);
command_args parse_getmetadata(lexer& in, const parse_options& opts);
command_args parse_setmetadata(lexer& in, const parse_options& opts);
// RFC 5464 §3.2: why an entry name is invalid, or nullopt.
// A GETMETADATA `specifier` may be a scope alone ("/private").
std::optional<std::string> invalid_entry(std::string_view name, bool specifier);
// convert.cpp: RFC 5259
command_args parse_convert(lexer& in, const parse_options& opts);
command_args parse_uid_convert(lexer& in, const parse_options& opts);
command_args parse_conversions(lexer& in, const parse_options& opts);
command_args parse_id(lexer& in, const parse_options& opts);
command_args parse_fetch(lexer& in, const parse_options& opts);
command_args parse_uid_fetch(lexer& in, const parse_options& opts);
command_args parse_store(lexer& in, const parse_options& opts);
command_args parse_uid_store(lexer& in, const parse_options& opts);
command_args parse_copy(lexer& in, const parse_options& opts);
command_args parse_uid_copy(lexer& in, const parse_options& opts);
command_args parse_move(lexer& in, const parse_options& opts);
command_args parse_uid_move(lexer& in, const parse_options& opts);
command_args parse_expunge(lexer& in, const parse_options& opts);
command_args parse_notify(lexer& in, const parse_options& opts);
command_args parse_cancelupdate(lexer& in, const parse_options& opts);
command_args parse_sort(lexer& in, const parse_options& opts);
command_args parse_uid_sort(lexer& in, const parse_options& opts);
command_args parse_thread(lexer& in, const parse_options& opts);
command_args parse_uid_thread(lexer& in, const parse_options& opts);
// RFC 3501 §9 fetch-att (one item; macros are not items).
fetch_att parse_fetch_att(lexer& in);
command_args parse_uid_expunge(lexer& in, const parse_options& opts);
command_args parse_search(lexer& in, const parse_options& opts);
command_args parse_uid_search(lexer& in, const parse_options& opts);

// status-att list "(" status-att *(SP status-att) ")" (RFC 3501 §6.3.10).
std::vector<status_item> status_items(lexer& in);

}  // namespace lemonade::imap::parse
