// RFC 3501 §6.3.8 LIST, §6.3.9 LSUB; RFC 5258 LIST-EXTENDED; RFC 6154
// SPECIAL-USE; RFC 5819 LIST-STATUS; RFC 3348 CHILDREN; RFC 2342 NAMESPACE.
//
// Every superior of a mailbox exists in the store (CREATE and RENAME make
// them, DELETE keeps a \Noselect level while it has inferiors), so "%"
// needs no invented levels except for subscriptions.
#include <algorithm>
#include <map>

#include "core/strings.hpp"
#include "imap/commands/commands.hpp"
#include "store/api/mailbox_name.hpp"

namespace lemonade::imap::commands {

using namespace response;
using wire_list = response::list;

namespace {

constexpr char sep = store::hierarchy_separator;

// RFC 3501 §6.3.8: "*" matches zero or more characters, "%" the same but
// not the hierarchy separator.
bool wildcard_match(std::string_view pat, std::string_view name) {
  // prev[j]: pat[0,i) matches name[0,j)
  std::vector<char> prev(name.size() + 1, 0), cur(name.size() + 1, 0);
  prev[0] = 1;
  for (std::size_t i = 1; i <= pat.size(); ++i) {
    char p = pat[i - 1];
    cur[0] = (p == '*' || p == '%') && prev[0];
    for (std::size_t j = 1; j <= name.size(); ++j) {
      char n = name[j - 1];
      if (p == '*') cur[j] = prev[j] || cur[j - 1];
      else if (p == '%') cur[j] = prev[j] || (cur[j - 1] && n != sep);
      else cur[j] = prev[j - 1] && p == n;
    }
    std::swap(prev, cur);
  }
  return prev[name.size()];
}

// The INBOX part of a name matches case-insensitively (RFC 3501 §5.1).
bool matches(const std::string& pattern, const std::string& name) {
  if (wildcard_match(pattern, name)) return true;
  if (core::istarts_with(pattern, "INBOX") && (name == "INBOX" || name.starts_with("INBOX/")))
    return wildcard_match("INBOX" + pattern.substr(5), name);
  return false;
}

struct entry {
  std::string name;
  bool exists = false;
  bool selectable = false;
  bool subscribed = false;
  bool has_children = false;
  bool child_subscribed = false;  // RFC 5258 §4 CHILDINFO
  std::string special_use;
  store::mailbox_id id = 0;
};

std::map<std::string, entry> collect(const std::vector<store::mailbox_info>& mailboxes,
                                     const std::vector<std::string>& subscriptions) {
  std::map<std::string, entry> all;
  for (auto& m : mailboxes) {
    auto& e = all[m.name];
    e.name = m.name;
    e.exists = true;
    e.selectable = m.selectable;
    e.special_use = m.special_use;
    e.id = m.id;
  }
  for (auto& s : subscriptions) {
    auto& e = all[s];
    e.name = s;
    e.subscribed = true;
  }
  for (auto& [name, e] : all) {
    for (auto& sup : store::superior_names(name)) {
      auto it = all.find(sup);
      if (it == all.end()) continue;
      if (e.exists) it->second.has_children = true;
      if (e.subscribed) it->second.child_subscribed = true;
    }
  }
  return all;
}

wire_list attributes(const entry& e, const parse::list_cmd& cmd, bool want_subscribed) {
  wire_list attrs;
  if (!e.exists) {
    // RFC 5258 §3.4: \NonExistent implies \Noselect.
    attrs.push_back(atom{cmd.extended ? "\\NonExistent" : "\\Noselect"});
  } else if (!e.selectable) {
    attrs.push_back(atom{"\\Noselect"});
  }
  if (e.exists) attrs.push_back(atom{e.has_children ? "\\HasChildren" : "\\HasNoChildren"});
  if (want_subscribed && e.subscribed) attrs.push_back(atom{"\\Subscribed"});
  // RFC 6154 §2: special-use attributes, in every LIST (the RFC allows
  // them without the SPECIAL-USE return option).
  if (!e.special_use.empty()) {
    std::size_t start = 0;
    while (start < e.special_use.size()) {
      auto end = e.special_use.find(' ', start);
      if (end == std::string::npos) end = e.special_use.size();
      attrs.push_back(atom{e.special_use.substr(start, end - start)});
      start = end + 1;
    }
  }
  return attrs;
}

// RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the root of
// the reference.
void list_root(command_context& ctx, const parse::list_cmd& cmd) {
  auto cut = cmd.reference.find(sep);
  std::string root = cut == std::string::npos ? std::string() : cmd.reference.substr(0, cut + 1);
  ctx.untagged(untagged{{atom{"LIST"}, wire_list{atom{"\\Noselect"}}, string{"/"}, mailbox{root}}});
}

// LSUB (RFC 3501 §6.3.9): subscribed names; a pattern ending in "%" also
// shows the levels above subscribed names, as \Noselect when not
// subscribed themselves.
void lsub(command_context& ctx, const parse::list_cmd& cmd, std::map<std::string, entry>& all) {
  auto pat = cmd.reference + cmd.patterns.front();
  std::map<std::string, bool> out;  // name -> implied only
  for (auto& [name, e] : all) {
    if (!e.subscribed) continue;
    if (matches(pat, name)) out[name] = false;
    if (pat.empty() || pat.back() != '%') continue;
    for (auto& sup : store::superior_names(name))
      if (matches(pat, sup) && !out.contains(sup)) out[sup] = true;
  }
  for (auto& [name, implied] : out) {
    auto it = all.find(name);
    bool noselect = implied ? !(it != all.end() && it->second.subscribed)
                            : (it != all.end() && it->second.exists && !it->second.selectable);
    wire_list attrs;
    if (noselect) attrs.push_back(atom{"\\Noselect"});
    ctx.untagged(untagged{{atom{"LSUB"}, attrs, string{"/"}, mailbox{name}}});
  }
}

}  // namespace

asio::awaitable<void> list(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::list_cmd>(a);
  if (!cmd.lsub && !cmd.extended && cmd.patterns.size() == 1 && cmd.patterns[0].empty()) {
    list_root(ctx, cmd);
    co_return;
  }
  auto& store = ctx.session.account->store();
  auto [mailboxes, subs] = co_await ctx.blocking([&] { return std::pair(store.list_mailboxes(), store.subscriptions()); },
                                                 command_context::work::quick);
  auto all = collect(mailboxes, subs);
  if (cmd.lsub) {
    lsub(ctx, cmd, all);
    co_return;
  }

  bool want_subscribed = cmd.return_subscribed || cmd.select_subscribed;
  struct hit {
    const entry* e;
    bool selected;  // matches the selection criteria, not only listed for CHILDINFO
  };
  std::vector<hit> hits;
  for (auto& [name, e] : all) {
    bool matched = false;
    for (auto& p : cmd.patterns)
      if (!p.empty() && matches(cmd.reference + p, name)) matched = true;
    if (!matched) continue;
    bool selected = true;
    if (cmd.select_subscribed) selected = e.subscribed;
    else if (!e.exists) selected = false;  // a bare subscription is not a mailbox
    if (cmd.select_special_use && e.special_use.empty()) selected = false;
    // RFC 5258 §3.5: RECURSIVEMATCH also returns names whose inferiors
    // match the selection, with CHILDINFO.
    bool childinfo = cmd.select_recursivematch && cmd.select_subscribed && e.child_subscribed;
    if (!selected && !childinfo) continue;
    hits.push_back({&e, selected});
  }
  // INBOX first, then by name.
  std::stable_partition(hits.begin(), hits.end(), [](const hit& h) { return h.e->name == "INBOX"; });

  std::vector<store::mailbox_id> status_ids;
  for (auto [e, selected] : hits) {
    untagged line{{atom{"LIST"}, attributes(*e, cmd, want_subscribed), string{"/"}, mailbox{e->name}}};
    if (cmd.select_recursivematch && cmd.select_subscribed && e->child_subscribed)
      line.items.push_back(wire_list{string{"CHILDINFO"}, wire_list{string{"SUBSCRIBED"}}});
    ctx.untagged(std::move(line));
    if (cmd.return_status && selected && e->exists && e->selectable) {
      // RFC 5819 §2: a STATUS response follows the LIST of each
      // selectable mailbox that matches the selection criteria; one
      // listed only for its CHILDINFO gets none (the second example of
      // RFC 5819 §5: Fruit, with subscribed children, has no STATUS).
      auto st = co_await ctx.blocking([&] { return store.status(e->id); }, command_context::work::quick);
      ctx.untagged(untagged{{atom{"STATUS"}, mailbox{e->name}, status_values(*cmd.return_status, st)}});
    }
  }
}

asio::awaitable<void> namespace_(command_context& ctx, args&) {
  // RFC 2342 §5: one personal namespace, no others.
  ctx.untagged(untagged{{atom{"NAMESPACE"}, wire_list{wire_list{string{""}, string{"/"}}}, nil{}, nil{}}});
  co_return;
}

}  // namespace lemonade::imap::commands
