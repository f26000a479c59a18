#pragma once
// Executors, one file per command group (STYLE.md §2 step 4).

#include "imap/context.hpp"
#include "imap/parse/command.hpp"
#include "imap/syntax/sequence_set.hpp"
#include "mime/structure.hpp"

namespace lemonade::imap::commands {

using args = parse::command_args;

// any.cpp: RFC 3501 §6.1, RFC 2971, RFC 5161
asio::awaitable<void> capability(command_context& ctx, args& a);
asio::awaitable<void> noop(command_context& ctx, args& a);
asio::awaitable<void> logout(command_context& ctx, args& a);
asio::awaitable<void> id(command_context& ctx, args& a);
asio::awaitable<void> enable(command_context& ctx, args& a);

// auth.cpp: RFC 3501 §6.2
asio::awaitable<void> starttls(command_context& ctx, args& a);
asio::awaitable<void> compress(command_context& ctx, args& a);
asio::awaitable<void> getmetadata(command_context& ctx, args& a);
// RFC 6154 §3 (CREATE (USE ...)) and §4 (/private/specialuse): the
// attributes in canonical form, space-separated, each once; NO [USEATTR]
// for one we do not offer.
std::string special_use_attrs(const std::vector<std::string>& uses);
asio::awaitable<void> setmetadata(command_context& ctx, args& a);
asio::awaitable<void> login(command_context& ctx, args& a);
asio::awaitable<void> authenticate(command_context& ctx, args& a);

// proxy_policy.cpp: refuses (NO [NOPERM]) what the session's proxy
// identity may not do (store::proxy_grant); nothing for a user's own login.
// sealed: the command came inside XSEALED (docs/xencrypted.md).
void check_proxy_policy(command_context& ctx, args& a, bool sealed = false);

// select.cpp: RFC 3501 §6.3.1-2, §6.4.1-2, RFC 3691
asio::awaitable<void> select(command_context& ctx, args& a);
asio::awaitable<void> check(command_context& ctx, args& a);
asio::awaitable<void> close(command_context& ctx, args& a);
asio::awaitable<void> unselect(command_context& ctx, args& a);
// Ends the selection: no mailbox, no updating searches, authenticated.
void deselect(session_data& s);
// RFC 7162 §3.2.5.1 / §3.2.6: VANISHED (EARLIER) for the UIDs of `set` (all
// when null) expunged since `since`, then, if `changes`, FETCH (UID FLAGS
// MODSEQ) for its messages changed since then.
asio::awaitable<void> report_since(command_context& ctx, store::modseq since, const syntax::sequence_set* set,
                                   bool changes);

// mailbox.cpp: RFC 3501 §6.3.3-7, §6.3.10
asio::awaitable<void> create(command_context& ctx, args& a);
asio::awaitable<void> delete_(command_context& ctx, args& a);
asio::awaitable<void> rename(command_context& ctx, args& a);
asio::awaitable<void> subscribe(command_context& ctx, args& a);
asio::awaitable<void> status(command_context& ctx, args& a);
// "(MESSAGES 3 UNSEEN 1)" for STATUS and LIST-STATUS.
response::list status_values(const std::vector<parse::status_item>& items, const store::mailbox_status& st);

// list.cpp: RFC 3501 §6.3.8-9, RFC 5258, RFC 5819, RFC 6154, RFC 2342
asio::awaitable<void> list(command_context& ctx, args& a);
asio::awaitable<void> namespace_(command_context& ctx, args& a);

// message.cpp: RFC 3501 §6.4.3, §6.4.6-8, RFC 4315, RFC 6851
asio::awaitable<void> store(command_context& ctx, args& a);
asio::awaitable<void> copy(command_context& ctx, args& a);  // and MOVE
asio::awaitable<void> expunge(command_context& ctx, args& a);
// Message UIDs of a sequence set (MSNs or UIDs); BAD for MSNs past EXISTS.
std::vector<store::uid> resolve(const lemonade::mailbox::selected_mailbox& view, const syntax::sequence_set& set,
                                bool uid);
response::raw flags_of(const lemonade::mailbox::selected_mailbox& view, const store::message_entry& m);

// "* seq FETCH (FLAGS (...) UID u [MODSEQ (m)])" (UID first with
// uid_first), written straight into the session's output. A plain
// function, not inlined: GCC 12 miscompiles initializer lists of response
// values in a coroutine frame (a double free in report_changes, -O3).
[[gnu::noinline]] void write_flags_fetch(command_context& ctx, std::uint32_t seq,
                                         const lemonade::mailbox::selected_mailbox& view,
                                         const store::message_entry& m, bool uid_first, bool with_modseq);
// RFC 3501 §7.2.6 FLAGS and §7.1 PERMANENTFLAGS for the view's announced
// keywords (SELECT, and again whenever a message shows a keyword the
// client has not been told of: see selected_mailbox::learn).
void send_flags(command_context& ctx, const lemonade::mailbox::selected_mailbox& view);

// fetch.cpp: RFC 3501 §6.4.5
// The octets FETCH BODY.PEEK[section] gives for rec (RFC 4469 §5: what a
// CATENATE URL stands for), read whole; nullopt when the message has no
// such section. Runs on a storage thread.
std::optional<std::string> section_octets(store::account_store& store, const store::message_record& rec,
                                          const parse::section_spec& section);
// The same octets from `offset` on (`length` of them when given; RFC 5092
// ";PARTIAL="),
// handed to `sink` in pieces of at most 256 KiB read one after another,
// so a large section is never read whole. False when the message has no
// such section. Runs on a storage thread.
bool section_pieces(store::account_store& store, const store::message_record& rec,
                    const parse::section_spec& section, std::uint64_t offset, std::optional<std::uint64_t> length,
                    const std::function<void(std::string_view)>& sink);
// The MIME structure of rec (as stored at APPEND, or parsed again).
mime::message_structure structure_of(store::account_store& store, const store::message_record& rec);
asio::awaitable<void> fetch(command_context& ctx, args& a);
// convert.cpp: RFC 5259 CONVERSIONS, CONVERT and UID CONVERT.
asio::awaitable<void> conversions(command_context& ctx, args& a);
asio::awaitable<void> convert(command_context& ctx, args& a);

// search.cpp: RFC 3501 §6.4.4, RFC 4731, RFC 5182, RFC 5267
asio::awaitable<void> search(command_context& ctx, args& a);
// The messages of the selected mailbox that match (indexes into its view,
// ascending). Throws command_error for an unknown charset.
asio::awaitable<std::vector<std::uint32_t>> evaluate_search(command_context& ctx, const parse::search_key& key,
                                                            const std::optional<std::string>& charset,
                                                            std::vector<store::uid> saved);
// RFC 5267 §4.3: ADDTO/REMOVEFROM for the updating searches. With
// `expunged` (UID and sequence number of each message about to be reported
// expunged, ascending): REMOVEFROM
// for those only, sent before the expunges; without: re-evaluated after
// the view changed.
asio::awaitable<void> update_live_searches(command_context& ctx,
                                          const std::vector<std::pair<store::uid, std::uint32_t>>* expunged);
asio::awaitable<void> cancel_update(command_context& ctx, args& a);
// RFC 5267 §4.3: BAD when RETURN (UPDATE) reuses the tag of an updating
// search; checked before the search runs.
void check_update_tag(command_context& ctx, const std::optional<parse::search_return>& ret);
// RFC 5267 §4.3: keeps an updating search (SEARCH or SORT RETURN (UPDATE)),
// or answers * NO [NOUPDATE] past the per-session limit (§4.3.1).
void keep_live_search(command_context& ctx, session_data::live_search live);
// RFC 4731 §3.1 / RFC 5267 §3.1, §4.4: the MIN MAX ALL COUNT PARTIAL data
// of an ESEARCH response, for a result given as message numbers in its
// order (ascending for SEARCH, sorted for SORT). MIN, MAX and ALL are left
// out when nothing matched.
void add_esearch_data(response::untagged& out, const parse::search_return& ret,
                      const std::vector<std::uint32_t>& nums);
// NO [BADCHARSET] unless iconv knows the charset (RFC 3501 §6.4.4).
void check_charset(const std::optional<std::string>& charset);

// urlauth.cpp: RFC 4467 §7
asio::awaitable<void> resetkey(command_context& ctx, args& a);
asio::awaitable<void> genurlauth(command_context& ctx, args& a);
asio::awaitable<void> urlfetch(command_context& ctx, args& a);
// xkey.cpp (docs/xencrypted.md)
asio::awaitable<void> xkey(command_context& ctx, args& a);
// The session runs XSEALED itself (session.cpp); this is never called.
asio::awaitable<void> xsealed(command_context& ctx, args& a);

// sort.cpp: RFC 5256, RFC 5957, RFC 5267 §3 ESORT and §4 CONTEXT=SORT
asio::awaitable<void> sort(command_context& ctx, args& a);
// The matching messages (indexes into the view) in the criteria's order.
asio::awaitable<std::vector<std::uint32_t>> sort_found(command_context& ctx, const parse::search_key& key,
                                                       const std::string& charset,
                                                       const std::vector<parse::sort_criterion>& by,
                                                       std::vector<store::uid> saved);
// RFC 5267 §3.2: numbers in the given order, ranges only where they run up.
std::string ordered_number_set(const std::vector<std::uint32_t>& nums);
asio::awaitable<void> thread(command_context& ctx, args& a);

// notify.cpp: RFC 5465
asio::awaitable<void> notify(command_context& ctx, args& a);
// Reports the queued events of mailboxes other than the selected one
// (STATUS, LIST), or [NOTIFICATIONOVERFLOW].
asio::awaitable<void> report_notify_events(command_context& ctx);

// idle.cpp: RFC 2177
asio::awaitable<void> idle(command_context& ctx, args& a);

// append.cpp: RFC 3501 §6.3.11, RFC 3502, RFC 4315 §3
asio::awaitable<void> append(command_context& ctx, args& a);

}  // namespace lemonade::imap::commands
