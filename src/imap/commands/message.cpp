// RFC 3501 §6.4.3 EXPUNGE, §6.4.6 STORE, §6.4.7 COPY, §6.4.8 UID;
// RFC 4315 UID EXPUNGE and COPYUID; RFC 6851 MOVE; RFC 7162 §3.1.3
// UNCHANGEDSINCE. Untagged EXPUNGE and FETCH for other sessions' changes
// come from the session's report (session.cpp), not from here.
#include <algorithm>

#include "imap/commands/commands.hpp"
#include "imap/commands/flags.hpp"
#include "imap/syntax/sequence_set.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;

std::vector<store::uid> resolve(const lemonade::mailbox::selected_mailbox& view, const syntax::sequence_set& set, bool uid) {
  auto& msgs = view.messages();
  std::vector<store::uid> out;
  if (set.saved) {
    // RFC 5182 §2.1: "$" is the saved result, less what was expunged since.
    for (auto u : view.saved_result())
      if (view.seq_of(u)) out.push_back(u);
    return out;
  }
  // Ranges are walked directly (binary search for UIDs), so a small set
  // costs little in a mailbox of 100,000 messages; the result is in
  // ascending order without repeats, however the set was written.
  std::vector<std::size_t> index;
  if (uid) {
    // RFC 3501 §6.4.8: "*" is the highest UID; UIDs not in the mailbox are
    // ignored.
    std::uint32_t largest = msgs.empty() ? 0 : store::to_int(msgs.back().id);
    for (auto& r : set.ranges) {
      auto a = r.first == 0 ? largest : r.first, b = r.last == 0 ? largest : r.last;
      if (a > b) std::swap(a, b);  // "x:y" is "y:x" (RFC 3501 §9)
      auto it = std::lower_bound(msgs.begin(), msgs.end(), a,
                                 [](const store::message_entry& m, std::uint32_t v) { return store::to_int(m.id) < v; });
      for (; it != msgs.end() && store::to_int(it->id) <= b; ++it)
        index.push_back(static_cast<std::size_t>(it - msgs.begin()));
    }
  } else {
    auto exists = view.exists();
    for (auto& r : set.ranges)
      for (auto n : {r.first, r.last})
        if (n > exists) reject_syntax("Invalid message sequence number " + std::to_string(n));
    for (auto& r : set.ranges) {
      auto a = r.first == 0 ? exists : r.first, b = r.last == 0 ? exists : r.last;
      if (a > b) std::swap(a, b);
      for (auto n = a; n >= 1 && n <= b; ++n) index.push_back(n - 1);
    }
  }
  std::sort(index.begin(), index.end());
  index.erase(std::unique(index.begin(), index.end()), index.end());
  out.reserve(index.size());
  for (auto i : index) out.push_back(msgs[i].id);
  return out;
}

response::raw flags_of(const lemonade::mailbox::selected_mailbox& view, const store::message_entry& m) {
  return flags_to_wire(m.flags, view.is_recent(m.id) ? "\\Recent" : "");
}

void write_flags_fetch(command_context& ctx, std::uint32_t seq, const lemonade::mailbox::selected_mailbox& view,
                       const store::message_entry& m, bool uid_first, bool with_modseq) {
  response::emitter e(ctx.session.out, ctx.session.wopts);
  e.atom("*").number(seq).atom("FETCH").open();
  if (uid_first) e.atom("UID").number(store::to_int(m.id));
  e.atom("FLAGS").raw(flags_of(view, m).octets);
  if (!uid_first) e.atom("UID").number(store::to_int(m.id));
  if (with_modseq) e.atom("MODSEQ").open().number(store::to_int(m.mod)).close();
  e.close();
  ctx.session.out += "\r\n";
}

namespace {

lemonade::mailbox::selected_mailbox& selected(command_context& ctx) { return *ctx.session.selected; }

void require_writable(command_context& ctx) {
  if (selected(ctx).read_only()) refuse("Mailbox is read-only", "READ-ONLY");
}

}  // namespace

asio::awaitable<void> store(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::store_cmd>(a);
  auto& view = selected(ctx);
  require_writable(ctx);
  auto uids = resolve(view, cmd.set, cmd.uid);
  auto flags = flags_from_wire(cmd.flags);
  store::flag_op op = cmd.operation == parse::store_cmd::op::add      ? store::flag_op::add
                      : cmd.operation == parse::store_cmd::op::remove ? store::flag_op::remove
                                                                      : store::flag_op::replace;
  std::optional<store::modseq> since;
  if (cmd.unchanged_since) {
    since = store::modseq{*cmd.unchanged_since};
    ctx.session.condstore = true;  // RFC 7162 §3.1: a CONDSTORE-enabling command
  }
  bool condstore = ctx.session.condstore;
  // RFC 3501 §6.4.8: UID commands report the UID; RFC 7162 §3.2.4: so does
  // every FETCH response under QRESYNC.
  // RFC 7162 §3.2.4: "Once a CONDSTORE enabling command is issued by the
  // client, the server MUST automatically include both UID and
  // mod-sequence data in all subsequent untagged FETCH responses ...
  // whether they were caused by a regular STORE/UID STORE ..." (a MUST
  // for QRESYNC servers, which we are).
  bool with_uid = cmd.uid || condstore;
  auto res = co_await ctx.blocking([&] {
    return ctx.session.account->store_flags(view.info().id, uids, op, flags, since, &view);
  });
  view.apply_own(res.updated);
  // RFC 3501 §7.2.6: a keyword new to the mailbox is announced before a
  // FETCH shows it.
  bool learned = false;
  for (auto& up : res.updated) learned = view.learn(up.flags) || learned;
  if (learned) send_flags(ctx, view);
  auto report = [&](store::uid u, bool flags) {
    auto seq = view.seq_of(u);
    if (!seq) return;
    auto& m = view.messages()[*seq - 1];
    wire_list items;
    if (flags) {
      items.push_back(atom{"FLAGS"});
      items.push_back(flags_of(view, m));
    }
    if (with_uid) {
      items.push_back(atom{"UID"});
      items.push_back(number{store::to_int(u)});
    }
    if (condstore) {
      items.push_back(atom{"MODSEQ"});
      items.push_back(wire_list{number{store::to_int(m.mod)}});
    }
    ctx.untagged(untagged{{number{*seq}, atom{"FETCH"}, std::move(items)}});
  };
  if (!cmd.silent) {
    // RFC 3501 §6.4.6: the new flags of every message in the set.
    std::vector<std::uint32_t> failed;
    for (auto u : res.modified) failed.push_back(store::to_int(u));
    for (auto u : uids)
      if (std::find(failed.begin(), failed.end(), store::to_int(u)) == failed.end()) report(u, true);
  } else if (condstore) {
    // RFC 7162 §3.1.3: even under .SILENT, a FETCH with the new MODSEQ of
    // every message changed, so the client's cache stays right.
    for (auto& up : res.updated) report(up.id, false);
  }
  // RFC 5267 §4.3: this session's own changes move messages in and out of
  // its updating searches too.
  if (!res.updated.empty()) co_await update_live_searches(ctx, nullptr);
  if (!res.modified.empty()) {
    // RFC 7162 §3.1.3: [MODIFIED] lists what UNCHANGEDSINCE kept.
    std::vector<std::uint32_t> nums;
    for (auto u : res.modified) nums.push_back(cmd.uid ? store::to_int(u) : view.seq_of(u).value_or(0));
    std::sort(nums.begin(), nums.end());
    ctx.result.resp_code = code{"MODIFIED", {atom{syntax::format_sequence_set(nums)}}};
    ctx.result.text = "Conditional STORE failed";
  }
}

asio::awaitable<void> copy(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::copy_cmd>(a);
  auto& view = selected(ctx);
  if (cmd.move) require_writable(ctx);
  auto uids = resolve(view, cmd.set, cmd.uid);
  auto& acct = *ctx.session.account;
  auto res = co_await ctx.blocking([&] {
    auto target = acct.store().find_mailbox(cmd.mailbox);
    // RFC 3501 §6.4.7: [TRYCREATE] when the target does not exist.
    if (!target) throw command_error(status::no, "Mailbox does not exist", "TRYCREATE");
    if (!target->selectable) throw command_error(status::no, "Mailbox is not selectable", "CANNOT");
    return acct.copy(view.info().id, uids, target->id, cmd.move);
  });
  if (res.source.empty()) {
    ctx.result.text = cmd.move ? "No messages moved" : "No messages copied";
    co_return;
  }
  std::vector<std::uint32_t> src, dst;
  for (auto u : res.source) src.push_back(store::to_int(u));
  for (auto u : res.target) dst.push_back(store::to_int(u));
  // RFC 4315 §3 COPYUID (the target UIDs in the order of the source UIDs).
  code copyuid{"COPYUID", {number{res.uidvalidity}, atom{syntax::format_sequence_set(src)},
                           atom{syntax::format_sequence_set(dst)}}};
  if (cmd.move) {
    // RFC 6851 §4.3: COPYUID in an untagged OK before the expunges, which
    // the session reports from the event before the tagged OK (as
    // VANISHED under QRESYNC, RFC 6851 §4.4), with the new HIGHESTMODSEQ
    // as for EXPUNGE (RFC 7162 §3.2.7).
    ctx.untagged_ok(copyuid, "Moved");
    ctx.result.text = "MOVE completed";
    if (ctx.session.qresync)
      ctx.result.resp_code = code{"HIGHESTMODSEQ", {number{store::to_int(res.source_highestmodseq)}}};
  } else {
    ctx.result.resp_code = copyuid;
    ctx.result.text = "COPY completed";
  }
}

asio::awaitable<void> expunge(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::expunge_cmd>(a);
  auto& view = selected(ctx);
  require_writable(ctx);
  std::vector<store::uid> only;
  if (cmd.uids) only = resolve(view, *cmd.uids, true);  // RFC 4315 §2.1
  if (cmd.uids && only.empty()) co_return;
  auto res = co_await ctx.blocking(
      [&] { return ctx.session.account->expunge_deleted(view.info().id, cmd.uids ? &only : nullptr); });
  // RFC 7162 §3.2.7, §3.2.9: under QRESYNC, the new HIGHESTMODSEQ when
  // anything was expunged.
  if (ctx.session.qresync && !res.uids.empty())
    ctx.result.resp_code = code{"HIGHESTMODSEQ", {number{store::to_int(res.highestmodseq)}}};
}

}  // namespace lemonade::imap::commands
