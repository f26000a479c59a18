// RFC 3501 §6.3.3 CREATE, §6.3.4 DELETE, §6.3.5 RENAME, §6.3.6 SUBSCRIBE,
// §6.3.7 UNSUBSCRIBE, §6.3.10 STATUS; RFC 6154 §3 CREATE-SPECIAL-USE.
// Store refusals (store::error) are mapped to NO codes by the session.
#include <algorithm>

#include "imap/commands/commands.hpp"
#include "store/api/mailbox_name.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;

namespace {

// RFC 3501 §6.3.3: "If the mailbox name is suffixed with the server's
// hierarchy separator character ... the name created is without the
// trailing hierarchy delimiter." We read RENAME's target the same way.
std::string strip_trailing_separator(std::string name) {
  while (name.size() > 1 && name.back() == store::hierarchy_separator) name.pop_back();
  return name;
}

}  // namespace

std::string special_use_attrs(const std::vector<std::string>& uses) {
  std::string out;
  for (auto& u : uses) {
    auto canon = store::canonical_special_use(u);
    // RFC 6154 §3: an unknown or unsupported use attribute is [USEATTR].
    if (!canon || *canon == "\\All" || *canon == "\\Flagged")
      refuse("Unsupported special-use attribute " + u, "USEATTR");
    if (out.find(*canon) != std::string::npos) continue;
    if (!out.empty()) out += ' ';
    out += *canon;
  }
  return out;
}

asio::awaitable<void> create(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::create_cmd>(a);
  auto name = strip_trailing_separator(cmd.mailbox);
  // RFC 3501 §6.3.3: "It is an error to attempt to create INBOX".
  if (name == "INBOX") refuse("INBOX always exists", "ALREADYEXISTS");
  auto uses = special_use_attrs(cmd.special_use);
  co_await ctx.blocking([&] { ctx.session.account->create_mailbox(name, uses); });
}

asio::awaitable<void> delete_(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::delete_cmd>(a);
  // Deleting the mailbox this session has selected ends the selection
  // first; other sessions that have it selected are told at their next
  // command (the session answers BYE).
  if (ctx.session.selected && ctx.session.selected->info().name == cmd.mailbox) {
    ctx.session.selected.reset();
    ctx.session.state = session_state::authenticated;
  }
  co_await ctx.blocking([&] { ctx.session.account->delete_mailbox(cmd.mailbox); });
}

asio::awaitable<void> rename(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::rename_cmd>(a);
  auto to = strip_trailing_separator(cmd.to);
  if (to == "INBOX") refuse("INBOX always exists", "ALREADYEXISTS");
  co_await ctx.blocking([&] { ctx.session.account->rename_mailbox(cmd.from, to); });
}

asio::awaitable<void> subscribe(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::subscribe_cmd>(a);
  // RFC 3501 §6.3.6 lets a server accept names that do not exist (yet);
  // we do, as long as the name could exist.
  store::store_limits limits{ctx.server.cfg.max_mailboxes, ctx.server.cfg.max_mailbox_name_length,
                             ctx.server.cfg.max_mailbox_depth};
  if (auto why = store::invalid_mailbox_name(cmd.mailbox, limits))
    refuse("Invalid mailbox name: " + why->reason, why->over_limit ? "LIMIT" : "CANNOT");
  co_await ctx.blocking([&] { ctx.session.account->set_subscribed(cmd.mailbox, cmd.subscribe); });
}

response::list status_values(const std::vector<parse::status_item>& items, const store::mailbox_status& st) {
  response::list out;
  for (auto item : items) {
    switch (item) {
      case parse::status_item::messages:
        out.push_back(atom{"MESSAGES"});
        out.push_back(number{st.messages});
        break;
      case parse::status_item::recent:
        out.push_back(atom{"RECENT"});
        out.push_back(number{st.recent});
        break;
      case parse::status_item::uidnext:
        out.push_back(atom{"UIDNEXT"});
        out.push_back(number{to_int(st.uidnext)});
        break;
      case parse::status_item::uidvalidity:
        out.push_back(atom{"UIDVALIDITY"});
        out.push_back(number{st.uidvalidity});
        break;
      case parse::status_item::unseen:
        out.push_back(atom{"UNSEEN"});
        out.push_back(number{st.unseen});
        break;
      case parse::status_item::highestmodseq:
        // RFC 7162 §3.1.7
        out.push_back(atom{"HIGHESTMODSEQ"});
        out.push_back(number{to_int(st.highestmodseq)});
        break;
    }
  }
  return out;
}

asio::awaitable<void> status(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::status_cmd>(a);
  // RFC 7162 §3.1: STATUS (HIGHESTMODSEQ) enables CONDSTORE.
  if (std::find(cmd.items.begin(), cmd.items.end(), parse::status_item::highestmodseq) != cmd.items.end())
    ctx.session.condstore = true;
  auto& store = ctx.session.account->store();
  store::mailbox_id id = 0;
  auto st = co_await ctx.blocking([&] {
    auto mb = store.find_mailbox(cmd.mailbox);
    if (!mb) throw store::error(store::error::code::nonexistent, "Mailbox does not exist");
    id = mb->id;
    return store.status(mb->id);
  }, command_context::work::quick);
  // RFC 3501 §6.3.10 RECENT: "The number of messages with the \Recent
  // flag set". For the selected mailbox that is this session's count:
  // the messages it claimed are recent to it alone (§2.3.2), and those
  // arrived since its last report are not claimed yet (the store counts).
  // EXAMINE claims nothing: the store's count is already the session's.
  if (auto& v = ctx.session.selected; v && v->info().id == id && !v->read_only()) st.recent += v->recent();
  ctx.untagged(untagged{{atom{"STATUS"}, mailbox{cmd.mailbox}, status_values(cmd.items, st)}});
}

}  // namespace lemonade::imap::commands
