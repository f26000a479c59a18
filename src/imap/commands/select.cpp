// RFC 3501 §6.3.1 SELECT, §6.3.2 EXAMINE, §6.4.1 CHECK, §6.4.2 CLOSE;
// RFC 3691 UNSELECT.
#include "imap/commands/commands.hpp"
#include "imap/commands/flags.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;

namespace {

void deselect(command_context& ctx) {
  ctx.session.selected.reset();
  ctx.session.state = session_state::authenticated;
}

}  // namespace

asio::awaitable<void> select(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::select_cmd>(a);
  // RFC 3501 §6.3.1: a SELECT first deselects; if it fails, the session
  // stays authenticated.
  deselect(ctx);
  auto& acct = *ctx.session.account;
  auto mb = co_await ctx.blocking([&] { return acct.store().find_mailbox(cmd.mailbox); }, command_context::work::read);
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

  store::flag_set all{0x1f, view->keywords()};
  ctx.untagged(untagged{{atom{"FLAGS"}, flags_to_wire(all)}});
  wire_list permanent;
  if (!cmd.read_only) {
    permanent = flags_to_wire(all);
    permanent.push_back(atom{"\\*"});  // new keywords may be created
  }
  ctx.untagged_ok(code{"PERMANENTFLAGS", {permanent}},
                  cmd.read_only ? "No permanent flags permitted" : "Flags permitted");

  ctx.session.selected = std::move(view);
  ctx.session.state = session_state::selected;
  ctx.result.resp_code = code{cmd.read_only ? "READ-ONLY" : "READ-WRITE", {}};
  ctx.result.text = cmd.read_only ? "EXAMINE completed" : "SELECT completed";
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
  deselect(ctx);
  if (view && !view->read_only()) {
    co_await ctx.blocking([&] { ctx.session.account->expunge_deleted(view->info().id, nullptr); });
  }
}

asio::awaitable<void> unselect(command_context& ctx, args&) {
  // RFC 3691 §2: like CLOSE, without expunging.
  deselect(ctx);
  co_return;
}

}  // namespace lemonade::imap::commands
