// RFC 5465 NOTIFY: which events of which mailboxes a session hears about
// without asking. Events of the selected mailbox reach the session through
// its view (session.cpp reports them, between commands too); those of other
// mailboxes come from the account's event bus through a bounded queue and
// are reported here as STATUS and LIST responses.
#include <algorithm>
#include <map>
#include <set>

#include "imap/commands/commands.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;
using filter = parse::notify_group::filter;

namespace {

// RFC 5465 §3.1: what BADEVENT lists.
const char* const supported_events[] = {"MessageNew", "MessageExpunge", "FlagChange", "MailboxName",
                                        "SubscriptionChange", "MailboxMetadataChange", "ServerMetadataChange"};

// RFC 5465 §6.2-6.6 for a mailbox other than the selected one. Every
// mailbox of ours is personal; mail is delivered to INBOX only (§6.3).
bool covers(const parse::notify_group& g, std::string_view name, const std::vector<std::string>& subscribed) {
  switch (g.which) {
    case filter::selected:
    case filter::selected_delayed: return false;
    case filter::inboxes: return name == "INBOX";
    case filter::personal: return true;
    case filter::subscribed: return std::find(subscribed.begin(), subscribed.end(), name) != subscribed.end();
    case filter::subtree:
      for (auto& m : g.mailboxes)
        if (name == m || (name.size() > m.size() && name.starts_with(m) && name[m.size()] == '/')) return true;
      return false;
    case filter::mailboxes: return std::find(g.mailboxes.begin(), g.mailboxes.end(), name) != g.mailboxes.end();
  }
  return false;
}

// RFC 5465 §6: "multiple <event-group>s can apply to the same mailbox"
// (its example: MessageNew and MessageExpunge for INBOX from one group,
// SubscriptionChange from a later one): the events of every group naming
// the mailbox, together. A NONE group naming it before any other keeps it
// out.
std::optional<parse::notify_group> group_for(const parse::notify_cmd& spec, std::string_view name,
                                             const std::vector<std::string>& subscribed) {
  std::optional<parse::notify_group> out;
  for (auto& g : spec.groups) {
    if (!covers(g, name, subscribed)) continue;
    if (g.none) {
      if (!out) return std::nullopt;
      continue;
    }
    if (!out) out.emplace();
    out->message_new = out->message_new || g.message_new;
    out->message_expunge = out->message_expunge || g.message_expunge;
    out->flag_change = out->flag_change || g.flag_change;
    out->mailbox_name = out->mailbox_name || g.mailbox_name;
    out->subscription_change = out->subscription_change || g.subscription_change;
    out->mailbox_metadata = out->mailbox_metadata || g.mailbox_metadata;
  }
  return out;
}

// RFC 5465 §5.2/§5.3 (STATUS (UIDNEXT MESSAGES)), §5.1 (UIDVALIDITY and
// HIGHESTMODSEQ) and §3.1 (MESSAGES, UIDNEXT, UIDVALIDITY): one STATUS that
// answers all of them. with_modseq: HIGHESTMODSEQ even while CONDSTORE is
// not enabled (see notify()).
asio::awaitable<void> send_status(command_context& ctx, const std::vector<store::mailbox_info>& boxes,
                                  bool with_modseq = false) {
  if (boxes.empty()) co_return;
  std::vector<parse::status_item> items{parse::status_item::messages, parse::status_item::uidnext,
                                        parse::status_item::uidvalidity, parse::status_item::unseen};
  if (ctx.session.condstore || with_modseq) items.push_back(parse::status_item::highestmodseq);
  auto& store = ctx.session.account->store();
  auto states = co_await ctx.blocking(
      [&] {
        std::vector<store::mailbox_status> out;
        for (auto& mb : boxes) out.push_back(store.status(mb.id));
        return out;
      },
      command_context::work::read);
  for (std::size_t i = 0; i < boxes.size(); ++i)
    ctx.untagged(untagged{{atom{"STATUS"}, mailbox{boxes[i].name}, status_values(items, states[i])}});
}

bool message_events(const parse::notify_group& g) { return g.message_new || g.flag_change; }

}  // namespace

asio::awaitable<void> notify(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::notify_cmd>(a);
  for (auto& g : cmd.groups)
    if (!g.unsupported.empty()) {
      // RFC 5465 §3.1: NO (not BAD), listing the events we offer.
      wire_list names;
      for (auto* n : supported_events) names.push_back(atom{n});
      command_error e(status::no, "Unsupported event " + g.unsupported.front().substr(0, 32));
      e.resp_code = code{"BADEVENT", {names}};
      throw e;
    }
  if (cmd.none) {
    ctx.session.notify.reset();  // the account holds the queue weakly
    co_return;
  }
  auto state = std::make_shared<session_data::notify_state>();
  state->spec = std::move(cmd);
  state->queue = std::make_shared<lemonade::mailbox::event_queue>(ctx.server.cfg.notify_queue_limit);
  ctx.session.account->subscribe(state->queue);
  ctx.session.notify = state;
  if (state->spec.status) {
    // RFC 5465 §3.1: STATUS for every other mailbox whose message events
    // are now reported.
    auto& store = ctx.session.account->store();
    auto [boxes, subscribed] = co_await ctx.blocking(
        [&] { return std::pair{store.list_mailboxes(), store.subscriptions()}; }, command_context::work::read);
    std::vector<store::mailbox_info> watched;
    auto selected_id = ctx.session.selected ? ctx.session.selected->info().id : -1;
    bool flag_changes = false;
    for (auto& mb : boxes) {
      if (!mb.selectable || mb.id == selected_id) continue;
      auto g = group_for(state->spec, mb.name, subscribed);
      if (g && message_events(*g)) {
        watched.push_back(mb);
        flag_changes = flag_changes || g->flag_change;
      }
    }
    // RFC 5465 §3.1: "If either AnnotationChange or FlagChange are
    // included and the server also supports the CONDSTORE [RFC4551] and/or
    // QRESYNC [RFC5162] extensions, the STATUS response MUST contain
    // UIDVALIDITY and HIGHESTMODSEQ" (support, not enabling; NOTIFY does
    // not enable CONDSTORE). One STATUS form for all keeps it simple.
    co_await send_status(ctx, watched, flag_changes);
  }
  // RFC 5465 §3.1: NOTIFY SET is also an implicit NOOP; the session
  // reports the selected mailbox's changes after every command.
}

asio::awaitable<void> report_notify_events(command_context& ctx) {
  auto state = ctx.session.notify;
  if (!state || !state->queue->pending()) co_return;
  auto taken = state->queue->take();
  if (taken.overflowed) {
    // RFC 5465 §5.8: say so, then behave as after NOTIFY NONE.
    ctx.untagged_ok(code{"NOTIFICATIONOVERFLOW", {}}, "Too many events; notifications are off");
    ctx.session.notify.reset();
    co_return;
  }
  auto selected_id = ctx.session.selected ? ctx.session.selected->info().id : -1;
  bool need_names = false;
  for (auto& e : taken.events)
    if (std::holds_alternative<lemonade::mailbox::messages_added>(e) ||
        std::holds_alternative<lemonade::mailbox::messages_expunged>(e) ||
        std::holds_alternative<lemonade::mailbox::flags_changed>(e))
      need_names = true;
  auto& store = ctx.session.account->store();
  std::vector<store::mailbox_info> boxes;
  std::vector<std::string> subscribed;
  bool subscriptions_matter = std::any_of(state->spec.groups.begin(), state->spec.groups.end(),
                                          [](auto& g) { return g.which == filter::subscribed; });
  if (need_names || subscriptions_matter) {
    std::tie(boxes, subscribed) = co_await ctx.blocking(
        [&] {
          return std::pair{need_names ? store.list_mailboxes() : std::vector<store::mailbox_info>{},
                           subscriptions_matter ? store.subscriptions() : std::vector<std::string>{}};
        },
        command_context::work::read);
  }
  auto name_of = [&](store::mailbox_id id) -> const store::mailbox_info* {
    for (auto& mb : boxes)
      if (mb.id == id) return &mb;
    return nullptr;
  };
  // Message events become one STATUS per mailbox, sent where the first of
  // them happened; mailbox and subscription events become LIST responses
  // in order.
  std::vector<store::mailbox_info> status_due;
  auto flush_status = [&]() -> asio::awaitable<void> {
    co_await send_status(ctx, status_due);
    status_due.clear();
  };
  auto due = [&](store::mailbox_id id, bool flags) {
    if (id == selected_id) return;  // the view reports these
    auto* mb = name_of(id);
    if (!mb) return;
    auto g = group_for(state->spec, mb->name, subscribed);
    if (!g || !(flags ? g->flag_change : g->message_new)) return;
    for (auto& d : status_due)
      if (d.id == id) return;
    status_due.push_back(*mb);
  };
  auto list_line = [&](const std::string& name, wire_list attrs) {
    return untagged{{atom{"LIST"}, std::move(attrs), string{"/"}, mailbox{name}}};
  };
  for (auto& e : taken.events) {
    using namespace lemonade::mailbox;
    if (auto* x = std::get_if<messages_added>(&e)) {
      due(x->mailbox, false);
    } else if (auto* x = std::get_if<messages_expunged>(&e)) {
      due(x->mailbox, false);
    } else if (auto* x = std::get_if<flags_changed>(&e)) {
      due(x->mailbox, true);
    } else {
      co_await flush_status();
      // RFC 5465 §5.4 MailboxName, §5.5 SubscriptionChange.
      if (auto* c = std::get_if<mailbox_created>(&e)) {
        auto g = group_for(state->spec, c->name, subscribed);
        if (g && g->mailbox_name) ctx.untagged(list_line(c->name, {}));
      } else if (auto* d = std::get_if<mailbox_deleted>(&e)) {
        auto g = group_for(state->spec, d->name, subscribed);
        if (g && g->mailbox_name) ctx.untagged(list_line(d->name, {atom{"\\NonExistent"}}));
      } else if (auto* r = std::get_if<mailbox_renamed>(&e)) {
        auto g = group_for(state->spec, r->new_name, subscribed);
        if (!g) g = group_for(state->spec, r->old_name, subscribed);
        if (g && g->mailbox_name) {
          // RFC 5465 §5.4: the new name with OLDNAME (RFC 5258 extended data).
          auto line = list_line(r->new_name, {});
          line.items.push_back(wire_list{string{"OLDNAME"}, wire_list{mailbox{r->old_name}}});
          ctx.untagged(std::move(line));
        }
      } else if (auto* s = std::get_if<subscription_changed>(&e)) {
        auto g = group_for(state->spec, s->name, subscribed);
        if (g && g->subscription_change)
          ctx.untagged(list_line(s->name, s->subscribed ? wire_list{atom{"\\Subscribed"}} : wire_list{}));
      } else if (auto* m = std::get_if<metadata_changed>(&e)) {
        // RFC 5465 §5.6, §5.7: an unsolicited METADATA response with the
        // names only (RFC 5464 §4.4.2), removed entries included; not for
        // the session that made the change (§5: "SHOULD omit").
        bool wanted = false;
        if (m->origin == &ctx.session) {
        } else if (m->mailbox.empty()) {
          wanted = std::any_of(state->spec.groups.begin(), state->spec.groups.end(),
                               [](auto& g) { return !g.none && g.server_metadata; });
        } else {
          auto g = group_for(state->spec, m->mailbox, subscribed);
          wanted = g && g->mailbox_metadata;
        }
        if (wanted) {
          untagged line{{atom{"METADATA"}, mailbox{m->mailbox}}};
          for (auto& name : m->entries) line.items.push_back(astring{name});
          ctx.untagged(std::move(line));
        }
      }
    }
  }
  co_await flush_status();
}

}  // namespace lemonade::imap::commands
