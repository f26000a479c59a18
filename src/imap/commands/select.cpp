// RFC 3501 §6.3.1 SELECT, §6.3.2 EXAMINE, §6.4.1 CHECK, §6.4.2 CLOSE;
// RFC 3691 UNSELECT.
#include "imap/commands/commands.hpp"
#include "imap/commands/flags.hpp"
#include "imap/syntax/sequence_set.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;

void deselect(session_data& s) {
  s.selected.reset();
  s.live_searches.clear();  // RFC 5267 §4.3: contexts end with the selection
  s.state = session_state::authenticated;
}

// RFC 7162 §3.2.5.1 / §3.2.6: the messages of `set` (UIDs; all when absent)
// changed since `since`, as FETCH (UID FLAGS MODSEQ), after one VANISHED
// (EARLIER) for those of them expunged since then. Both come from the
// session's view and the expunge log; UIDs the view still holds are not
// reported as vanished (their expunge reaches the session as VANISHED
// later).
asio::awaitable<void> report_since(command_context& ctx, store::modseq since, const syntax::sequence_set* set,
                                   bool changes) {
  auto& view = *ctx.session.selected;
  auto& acct = *ctx.session.account;
  auto gone = co_await ctx.blocking([&] { return acct.store().expunged_since(view.info().id, since); },
                                    command_context::work::read);
  // "*" in a UID set stands for the largest UID in use, which an expunged
  // UID may exceed: every vanished UID at or above the set's largest
  // number then counts as inside "n:*".
  auto& msgs = view.messages();
  std::uint32_t largest = msgs.empty() ? 0 : store::to_int(msgs.back().id);
  std::optional<syntax::interval_set> known;
  if (set) known.emplace(*set, largest);
  std::vector<std::uint32_t> vanished;
  for (auto u : gone) {
    if (view.seq_of(u)) continue;
    auto n = store::to_int(u);
    // An expunged UID above the largest in use: "*" stands for it (rare,
    // so the plain walk over the ranges).
    if (set && !(n > largest ? set->contains(n, n) : known->contains(n))) continue;
    vanished.push_back(n);
  }
  if (!vanished.empty())
    ctx.untagged(untagged{{atom{"VANISHED"}, wire_list{atom{"EARLIER"}}, atom{syntax::format_sequence_set(vanished)}}});
  if (!changes) co_return;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    auto& m = msgs[i];
    if (store::to_int(m.mod) <= store::to_int(since)) continue;
    if (set && !known->contains(store::to_int(m.id))) continue;
    write_flags_fetch(ctx, static_cast<std::uint32_t>(i + 1), view, m, /*uid_first=*/true, /*with_modseq=*/true);
    if (ctx.session.out.size() > 256 * 1024) co_await ctx.io.flush();
  }
}

asio::awaitable<void> select(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::select_cmd>(a);
  // RFC 7162 §3.2.5: QRESYNC only after ENABLE QRESYNC.
  if (cmd.qresync && !ctx.session.qresync) reject_syntax("QRESYNC parameter without ENABLE QRESYNC");
  // RFC 7162 §3.1.8: SELECT (CONDSTORE) is a CONDSTORE-enabling command.
  if (cmd.condstore) ctx.session.condstore = true;
  // RFC 3501 §6.3.1: a SELECT first deselects; if it fails, the session
  // stays authenticated. RFC 7162 §3.2.11 / RFC 9051 §7.1: [CLOSED] marks
  // where the old mailbox's responses end.
  if (ctx.session.selected) ctx.untagged_ok(code{"CLOSED", {}}, "Previous mailbox closed");
  deselect(ctx.session);
  auto& acct = *ctx.session.account;
  auto mb = co_await ctx.blocking([&] { return acct.store().find_mailbox(cmd.mailbox); }, command_context::work::quick);
  if (!mb) refuse("Mailbox does not exist", "NONEXISTENT");
  if (!mb->selectable) refuse("Mailbox is not selectable", "CANNOT");
  auto view = co_await ctx.blocking(
      [&] { return lemonade::mailbox::selected_mailbox::open(acct, mb->id, cmd.read_only); });

  // The order of RFC 3501 §6.3.1's example.
  ctx.untagged(untagged{{number{view->exists()}, atom{"EXISTS"}}});
  ctx.untagged(untagged{{number{view->recent()}, atom{"RECENT"}}});
  if (auto seq = view->first_unseen())
    ctx.untagged_ok(code{"UNSEEN", {number{*seq}}}, "Message " + std::to_string(*seq) + " is first unseen");
  ctx.untagged_ok(code{"UIDVALIDITY", {number{view->info().uidvalidity}}}, "UIDs valid");
  ctx.untagged_ok(code{"UIDNEXT", {number{store::to_int(view->info().uidnext)}}}, "Predicted next UID");
  // RFC 7162 §3.1.2.1: every mailbox keeps MODSEQs, so HIGHESTMODSEQ is
  // always sent.
  ctx.untagged_ok(code{"HIGHESTMODSEQ", {number{store::to_int(view->info().highestmodseq)}}}, "Highest");

  send_flags(ctx, *view);

  ctx.session.selected = std::move(view);
  ctx.session.state = session_state::selected;
  // RFC 7162 §3.2.5.1: with the UIDVALIDITY the client knew, what changed
  // since its MODSEQ; with another UIDVALIDITY, nothing more (the client
  // starts over).
  if (cmd.qresync && cmd.qresync->uidvalidity == ctx.session.selected->info().uidvalidity) {
    auto* known = cmd.qresync->known_uids ? &*cmd.qresync->known_uids : nullptr;
    co_await report_since(ctx, store::modseq{cmd.qresync->modseq}, known, true);
  }
  ctx.result.resp_code = code{cmd.read_only ? "READ-ONLY" : "READ-WRITE", {}};
  ctx.result.text = cmd.read_only ? "EXAMINE completed" : "SELECT completed";
}

void send_flags(command_context& ctx, const lemonade::mailbox::selected_mailbox& view) {
  store::flag_set all{0x1f, view.announced_keywords()};
  ctx.untagged(untagged{{atom{"FLAGS"}, flags_to_wire(all)}});
  // "\*": new keywords may be created.
  auto permanent = view.read_only() ? response::raw{"()"} : flags_to_wire(all, "\\*");
  ctx.untagged_ok(code{"PERMANENTFLAGS", {std::move(permanent)}},
                  view.read_only() ? "No permanent flags permitted" : "Flags permitted");
}

asio::awaitable<void> check(command_context&, args&) {
  // RFC 3501 §6.4.1: every acknowledged change is already durable, so
  // there is no checkpoint to take.
  co_return;
}

asio::awaitable<void> close(command_context& ctx, args&) {
  // RFC 3501 §6.4.2: remove \Deleted messages without EXPUNGE responses,
  // unless the mailbox was opened read-only.
  auto view = ctx.session.selected;
  deselect(ctx.session);
  if (view && !view->read_only()) {
    co_await ctx.blocking([&] { ctx.session.account->expunge_deleted(view->info().id, nullptr); });
  }
}

asio::awaitable<void> unselect(command_context& ctx, args&) {
  // RFC 3691 §2: like CLOSE, without expunging.
  deselect(ctx.session);
  co_return;
}

}  // namespace lemonade::imap::commands
