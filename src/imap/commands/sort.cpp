// RFC 5256 SORT and THREAD (with RFC 5957 DISPLAYFROM/DISPLAYTO and the
// RFC 5267 ESORT return options): the messages SEARCH finds, ordered or
// threaded by the keys stored with each message at APPEND (src/sort), so
// no message is read or parsed here.
#include <algorithm>

#include "imap/commands/commands.hpp"
#include "sort/sort_info.hpp"
#include "sort/thread.hpp"

namespace lemonade::imap::commands {

using namespace response;

namespace {

// Built outside the coroutines (and not inlined into them): GCC 12 warned
// of uninitialised variant storage for these response values made in a
// coroutine frame, and at -O3 it did miscompile such a list elsewhere
// (see write_flags_fetch in commands.hpp).
[[gnu::noinline]] untagged esearch_response(const std::string& tag, bool uid, const parse::search_return& ret,
                          const std::vector<std::uint32_t>& nums) {
  // RFC 5256 §3 with RFC 4731 §3.1: * ESEARCH (TAG "t") [UID] and the data.
  untagged out{{atom{"ESEARCH"}, response::list{atom{"TAG"}, string{tag}}}};
  if (uid) out.items.push_back(atom{"UID"});
  add_esearch_data(out, ret, nums);
  return out;
}

// RFC 5256 §4: "* THREAD" thread-list...; the lists are written as they
// are (parentheses and numbers only).
[[gnu::noinline]] untagged thread_response(std::string text) {
  untagged out{{atom{"THREAD"}}};
  if (!text.empty()) out.items.push_back(atom{std::move(text)});
  return out;
}

// The found messages with their stored keys, in mailbox order.
struct sort_input {
  std::vector<std::uint32_t> found;               // indexes into the view
  std::vector<std::optional<sort::sort_info>> info;  // per found message
  std::vector<store::sort_row> rows;              // per found message
};

asio::awaitable<sort_input> load(command_context& ctx, const parse::search_key& key, const std::string& charset,
                                 std::vector<store::uid> saved) {
  auto& view = *ctx.session.selected;
  sort_input in;
  in.found = co_await evaluate_search(ctx, key, charset, std::move(saved));
  auto all = co_await ctx.blocking([&] { return ctx.session.account->store().sort_rows(view.info().id); },
                                   command_context::work::read);
  auto& msgs = view.messages();
  in.rows.reserve(in.found.size());
  in.info.reserve(in.found.size());
  std::size_t k = 0;
  for (auto i : in.found) {
    // Both ascending by UID: one pass. A message the store no longer has
    // (expunged, not yet reported) sorts with no keys.
    while (k < all.size() && all[k].id < msgs[i].id) ++k;
    store::sort_row row;
    row.id = msgs[i].id;
    if (k < all.size() && all[k].id == msgs[i].id) row = std::move(all[k]);
    // Rows stored before SORT existed have no keys (sorted as having none).
    in.info.push_back(row.sort_info.empty() ? std::nullopt : sort::sort_info::deserialize(row.sort_info));
    in.rows.push_back(std::move(row));
  }
  co_return in;
}

sort::sort_key key_of(parse::sort_criterion::key k) {
  using p = parse::sort_criterion::key;
  switch (k) {
    case p::arrival: return sort::sort_key::arrival;
    case p::cc: return sort::sort_key::cc;
    case p::date: return sort::sort_key::date;
    case p::from: return sort::sort_key::from;
    case p::size: return sort::sort_key::size;
    case p::subject: return sort::sort_key::subject;
    case p::to: return sort::sort_key::to;
    case p::display_from: return sort::sort_key::display_from;
    case p::display_to: return sort::sort_key::display_to;
  }
  return sort::sort_key::arrival;
}

}  // namespace

asio::awaitable<std::vector<std::uint32_t>> sort_found(command_context& ctx, const parse::search_key& key,
                                                       const std::string& charset,
                                                       const std::vector<parse::sort_criterion>& by,
                                                       std::vector<store::uid> saved) {
  auto& view = *ctx.session.selected;
  auto in = co_await load(ctx, key, charset, std::move(saved));
  auto& msgs = view.messages();
  std::vector<sort::sort_message> messages;
  messages.reserve(in.found.size());
  for (std::size_t n = 0; n < in.found.size(); ++n) {
    auto i = in.found[n];
    messages.push_back({i + 1, store::to_int(msgs[i].id), in.rows[n].internal_date, in.rows[n].size,
                        in.info[n] ? &*in.info[n] : nullptr});
  }
  std::vector<sort::sort_criterion> criteria;
  for (auto& c : by) criteria.push_back({key_of(c.what), c.reverse});
  auto order = sort::sort_order(messages, criteria);
  std::vector<std::uint32_t> out;
  out.reserve(order.size());
  for (auto pos : order) out.push_back(in.found[pos]);
  co_return out;
}

asio::awaitable<void> sort(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::sort_cmd>(a);
  auto& view = *ctx.session.selected;
  check_update_tag(ctx, cmd.ret);
  check_charset(cmd.charset);  // RFC 5256 §3: BADCHARSET as SEARCH
  // RFC 5182 §2.4: "$" in the keys is the result saved before; a failing
  // SORT with SAVE leaves it empty.
  auto previous = view.saved_result();
  if (cmd.ret && cmd.ret->save) view.saved_result().clear();
  auto sorted = co_await sort_found(ctx, cmd.key, cmd.charset, cmd.criteria, std::move(previous));
  auto& msgs = view.messages();
  struct entry {
    std::uint32_t seq, uid;
  };
  std::vector<entry> messages;
  for (auto i : sorted) messages.push_back({i + 1, store::to_int(msgs[i].id)});
  std::vector<std::uint32_t> nums;
  nums.reserve(messages.size());
  for (auto& m : messages) nums.push_back(cmd.uid ? m.uid : m.seq);
  if (!cmd.ret) {
    // RFC 5256 §4: "* SORT" and the numbers in sorted order.
    untagged out{{atom{"SORT"}}};
    for (auto n : nums) out.items.push_back(number{n});
    ctx.untagged(std::move(out));
    co_return;
  }
  // RFC 5267 §3.1 ESORT: MIN and MAX are the first and last in sorted
  // order, ALL is in sorted order.
  auto& ret = *cmd.ret;
  if (ret.save) {
    // RFC 5182 §2.4: MIN/MAX alone save only those; "$" is a set (UIDs).
    std::vector<store::uid> saved;
    bool only_ends = (ret.min || ret.max) && !ret.all && !ret.count;
    for (std::size_t p = 0; p < messages.size(); ++p)
      if (!only_ends || (ret.min && p == 0) || (ret.max && p + 1 == messages.size()))
        saved.push_back(store::uid{messages[p].uid});
    std::sort(saved.begin(), saved.end());
    saved.erase(std::unique(saved.begin(), saved.end()), saved.end());
    view.saved_result() = std::move(saved);
  }
  if (ret.update) {
    // RFC 5267 §4.3 (CONTEXT=SORT): keep the sorted result current.
    session_data::live_search live;
    live.tag = ctx.tag();
    live.uid = cmd.uid;
    live.key = cmd.key;
    live.charset = cmd.charset;
    live.sorted_by = cmd.criteria;
    for (auto& m : messages) live.result.push_back(store::uid{m.uid});
    keep_live_search(ctx, std::move(live));
  }
  if (!ret.min && !ret.max && !ret.all && !ret.count && !ret.partial) co_return;
  ctx.untagged(esearch_response(ctx.tag(), cmd.uid, ret, nums));
}

asio::awaitable<void> thread(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::thread_cmd>(a);
  auto& view = *ctx.session.selected;
  sort::thread_algorithm alg;
  if (cmd.algorithm == "ORDEREDSUBJECT") alg = sort::thread_algorithm::orderedsubject;
  else if (cmd.algorithm == "REFERENCES") alg = sort::thread_algorithm::references;
  else reject_syntax("Unsupported thread algorithm " + cmd.algorithm.substr(0, 32));  // RFC 5256 §3
  check_charset(cmd.charset);
  auto in = co_await load(ctx, cmd.key, cmd.charset, view.saved_result());
  auto& msgs = view.messages();
  std::vector<sort::thread_message> messages;
  messages.reserve(in.found.size());
  for (std::size_t n = 0; n < in.found.size(); ++n) {
    auto i = in.found[n];
    messages.push_back({cmd.uid ? store::to_int(msgs[i].id) : i + 1, in.rows[n].internal_date,
                        in.info[n] ? &*in.info[n] : nullptr});
  }
  auto forest = sort::thread_messages(alg, messages);
  ctx.untagged(thread_response(sort::format_thread_list(forest)));
}

}  // namespace lemonade::imap::commands
