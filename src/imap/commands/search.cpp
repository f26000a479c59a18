// RFC 3501 §6.4.4 SEARCH and §6.4.8 UID SEARCH. Flags, sequence numbers
// and UIDs are matched against the session's view; dates and sizes against
// one read of the mailbox's message metadata; text keys are answered by the
// full-text index (store::account_store::search_text), one query per key,
// so no message blob is read.
#include <algorithm>
#include <ctime>
#include <map>

#include "core/dates.hpp"
#include "core/strings.hpp"
#include "imap/commands/commands.hpp"
#include "mime/charset.hpp"
#include "mime/text.hpp"

namespace lemonade::imap::commands {

using namespace response;
using key_kind = parse::search_key::kind;

namespace {

// RFC 5267 §4.3.1: updating searches kept per session.
constexpr std::size_t max_live_searches = 16;

// Text keys and the header field each one searches (RFC 3501 §6.4.4).
std::optional<store::text_query> text_query_of(const parse::search_key& k) {
  store::text_query q;
  q.in = store::text_query::where::field;
  switch (k.what) {
    case key_kind::bcc: q.field = "bcc"; q.in = store::text_query::where::address; break;
    case key_kind::cc: q.field = "cc"; q.in = store::text_query::where::address; break;
    case key_kind::from: q.field = "from"; q.in = store::text_query::where::address; break;
    case key_kind::to: q.field = "to"; q.in = store::text_query::where::address; break;
    case key_kind::subject: q.field = "subject"; break;
    case key_kind::header: q.field = core::to_lower(k.field); break;
    case key_kind::body: q.in = store::text_query::where::body; break;
    case key_kind::text: q.in = store::text_query::where::text; break;
    default: return std::nullopt;
  }
  return q;
}

struct key_needs {
  std::vector<const parse::search_key*> texts;
  bool meta = false;
  bool modseq = false;
};

void collect(const parse::search_key& k, key_needs& needs) {
  switch (k.what) {
    case key_kind::before: case key_kind::on: case key_kind::since:
    case key_kind::sentbefore: case key_kind::senton: case key_kind::sentsince:
    case key_kind::larger: case key_kind::smaller:
    case key_kind::older: case key_kind::younger:
      needs.meta = true;
      break;
    case key_kind::modseq:
      needs.modseq = true;
      break;
    default:
      if (text_query_of(k)) needs.texts.push_back(&k);
  }
  for (auto& c : k.children) collect(c, needs);
}

struct evaluator {
  const lemonade::mailbox::selected_mailbox& view;
  std::map<const parse::search_key*, std::vector<store::uid>> text_hits;
  std::vector<store::message_meta> meta;  // ascending UIDs
  std::uint32_t largest_uid = 0;
  std::int64_t now = 0;  // RFC 5032: OLDER/YOUNGER count back from here
  std::vector<store::uid> saved;  // RFC 5182 "$" as it was before this SEARCH
  // Sequence and UID set keys, resolved once (binary search per message).
  std::map<const parse::search_key*, syntax::interval_set> sets;

  void index_sets(const parse::search_key& k) {
    if (!k.set.saved && (k.what == key_kind::sequence || k.what == key_kind::uid))
      sets.emplace(&k, syntax::interval_set(k.set, k.what == key_kind::sequence ? view.exists() : largest_uid));
    for (auto& c : k.children) index_sets(c);
  }

  const store::message_meta* meta_of(store::uid u) const {
    auto it = std::lower_bound(meta.begin(), meta.end(), u, [](auto& m, store::uid x) { return m.id < x; });
    return it != meta.end() && it->id == u ? &*it : nullptr;
  }

  bool in_saved(store::uid u) const { return std::binary_search(saved.begin(), saved.end(), u); }

  static bool has_keyword(const store::flag_set& f, const std::string& kw) {
    for (auto& k : f.keywords)
      if (core::iequals(k, kw)) return true;
    return false;
  }

  bool match(const parse::search_key& k, std::uint32_t seq, const store::message_entry& m) const {
    auto sys = [&](std::uint8_t flag) { return (m.flags.system & flag) != 0; };
    auto date_cmp = [&](std::int64_t day) {
      // -1, 0, 1: the message's day before, on, after the key's.
      return day < k.day ? -1 : day == k.day ? 0 : 1;
    };
    switch (k.what) {
      case key_kind::all_of:
        for (auto& c : k.children)
          if (!match(c, seq, m)) return false;
        return true;
      case key_kind::not_: return !match(k.children[0], seq, m);
      case key_kind::or_: return match(k.children[0], seq, m) || match(k.children[1], seq, m);
      // RFC 5182 §2.1: "$" as a sequence set or UID set is the saved result.
      case key_kind::sequence:
        if (k.set.saved) return in_saved(m.id);
        return sets.at(&k).contains(seq);
      case key_kind::uid:
        if (k.set.saved) return in_saved(m.id);
        return sets.at(&k).contains(store::to_int(m.id));
      case key_kind::all: return true;
      case key_kind::answered: return sys(store::flag_answered);
      case key_kind::deleted: return sys(store::flag_deleted);
      case key_kind::draft: return sys(store::flag_draft);
      case key_kind::flagged: return sys(store::flag_flagged);
      case key_kind::seen: return sys(store::flag_seen);
      case key_kind::unanswered: return !sys(store::flag_answered);
      case key_kind::undeleted: return !sys(store::flag_deleted);
      case key_kind::undraft: return !sys(store::flag_draft);
      case key_kind::unflagged: return !sys(store::flag_flagged);
      case key_kind::unseen: return !sys(store::flag_seen);
      case key_kind::recent: return view.is_recent(m.id);
      // RFC 3501 §6.4.4: NEW is (RECENT UNSEEN), OLD is NOT RECENT.
      case key_kind::new_: return view.is_recent(m.id) && !sys(store::flag_seen);
      case key_kind::old: return !view.is_recent(m.id);
      case key_kind::keyword: return has_keyword(m.flags, k.text);
      case key_kind::unkeyword: return !has_keyword(m.flags, k.text);
      case key_kind::before: case key_kind::on: case key_kind::since:
      case key_kind::sentbefore: case key_kind::senton: case key_kind::sentsince: {
        auto* md = meta_of(m.id);
        if (!md) return false;
        bool sent = k.what == key_kind::sentbefore || k.what == key_kind::senton || k.what == key_kind::sentsince;
        // "disregarding time and timezone": the day as the message shows it.
        auto c = date_cmp(sent ? md->sent_day : core::day_of(md->internal_date, md->tz_offset_minutes));
        if (k.what == key_kind::before || k.what == key_kind::sentbefore) return c < 0;
        if (k.what == key_kind::on || k.what == key_kind::senton) return c == 0;
        return c >= 0;
      }
      case key_kind::larger: {
        auto* md = meta_of(m.id);
        return md && md->size > k.number;
      }
      case key_kind::smaller: {
        auto* md = meta_of(m.id);
        return md && md->size < k.number;
      }
      // RFC 5032 §3: the INTERNALDATE older than, or within, the interval
      // (each is the other's negation).
      case key_kind::older: {
        auto* md = meta_of(m.id);
        return md && md->internal_date < now - static_cast<std::int64_t>(k.number);
      }
      case key_kind::younger: {
        auto* md = meta_of(m.id);
        return md && md->internal_date >= now - static_cast<std::int64_t>(k.number);
      }
      // RFC 7162 §3.1.5: MODSEQ at or above the given one.
      case key_kind::modseq: return store::to_int(m.mod) >= k.number;
      default: {
        auto it = text_hits.find(&k);
        return it != text_hits.end() && std::binary_search(it->second.begin(), it->second.end(), m.id);
      }
    }
  }
};

// A text argument in the command's charset, as UTF-8 (RFC 3501 §6.4.4).
std::string to_utf8(const std::string& text, const std::optional<std::string>& charset) {
  if (!charset) return mime::repair_utf8(text, true);
  auto converted = mime::convert_to_utf8(text, *charset);
  // Unknown charset: [BADCHARSET] with the ones we are sure of.
  if (!converted) {
    command_error e(status::no, "Unsupported charset " + charset->substr(0, 64));
    e.resp_code = response::code{"BADCHARSET", {response::list{atom{"US-ASCII"}, atom{"UTF-8"}}}};
    throw e;
  }
  return *converted;
}

}  // namespace

void check_charset(const std::optional<std::string>& charset) {
  if (charset) to_utf8("", charset);
}

asio::awaitable<std::vector<std::uint32_t>> evaluate_search(command_context& ctx, const parse::search_key& key,
                                                            const std::optional<std::string>& charset,
                                                            std::vector<store::uid> saved) {
  auto& view = *ctx.session.selected;
  key_needs needs;
  collect(key, needs);
  auto& texts = needs.texts;
  bool needs_meta = needs.meta;
  std::vector<store::text_query> queries;
  for (auto* k : texts) {
    auto q = *text_query_of(*k);
    q.needle = mime::fold_case(to_utf8(k->text, charset));
    queries.push_back(std::move(q));
  }
  evaluator ev{view, {}, {}, 0, static_cast<std::int64_t>(std::time(nullptr)), std::move(saved)};
  auto& acct = *ctx.session.account;
  auto id = view.info().id;
  struct store_answers {
    std::vector<std::vector<store::uid>> hits;
    std::vector<store::message_meta> meta;
  };
  auto answers = co_await ctx.blocking(
      [&] {
        store_answers r;
        for (auto& q : queries) r.hits.push_back(acct.store().search_text(id, q));
        if (needs_meta) r.meta = acct.store().search_meta(id);
        return r;
      },
      command_context::work::read);
  for (std::size_t i = 0; i < texts.size(); ++i) ev.text_hits[texts[i]] = std::move(answers.hits[i]);
  ev.meta = std::move(answers.meta);
  auto& msgs = view.messages();
  ev.largest_uid = msgs.empty() ? 0 : store::to_int(msgs.back().id);
  ev.index_sets(key);
  std::vector<std::uint32_t> found;  // indexes into the view, ascending
  for (std::uint32_t i = 0; i < msgs.size(); ++i)
    if (ev.match(key, i + 1, msgs[i])) found.push_back(i);
  co_return found;
}

asio::awaitable<void> search(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::search_cmd>(a);
  auto& view = *ctx.session.selected;
  check_update_tag(ctx, cmd.ret);
  // RFC 5182 §2.4: a SEARCH with SAVE that fails leaves "$" empty; "$" in
  // its own keys is the result saved before.
  auto previous = view.saved_result();
  if (cmd.ret && cmd.ret->save) view.saved_result().clear();
  if (cmd.charset) to_utf8("", cmd.charset);  // BADCHARSET even when no key has text
  key_needs needs;
  collect(cmd.key, needs);
  // RFC 7162 §3.1: SEARCH MODSEQ enables CONDSTORE.
  if (needs.modseq) ctx.session.condstore = true;
  auto found = co_await evaluate_search(ctx, cmd.key, cmd.charset, std::move(previous));
  auto& msgs = view.messages();
  auto number_of = [&](std::uint32_t i) { return cmd.uid ? store::to_int(msgs[i].id) : i + 1; };
  auto highest_of = [&](const std::vector<std::uint32_t>& which) {
    std::uint64_t h = 0;
    for (auto i : which) h = std::max(h, store::to_int(msgs[i].mod));
    return h;
  };
  if (!cmd.ret) {
    untagged out{{atom{"SEARCH"}}};
    for (auto i : found) out.items.push_back(number{number_of(i)});
    // RFC 7162 §3.1.6: with a MODSEQ key, the highest MODSEQ of the
    // messages found (nothing when none is).
    if (needs.modseq && !found.empty()) out.items.push_back(response::list{atom{"MODSEQ"}, number{highest_of(found)}});
    ctx.untagged(std::move(out));
    co_return;
  }
  auto& ret = *cmd.ret;
  // RFC 5182 §2.4: SAVE keeps what MIN/MAX name when only they are asked
  // for, else every message found. RFC 9394 §3.2 (Table 1): with PARTIAL
  // and no COUNT, the PARTIAL results and the MIN/MAX messages asked for.
  std::vector<std::uint32_t> named;  // the messages the response is about
  bool only_ends = (ret.min || ret.max) && !ret.all && !ret.count;
  if (ret.partial && !ret.count) {
    auto [begin, end] = ret.partial->window(found.size());
    named.assign(found.begin() + static_cast<std::ptrdiff_t>(begin), found.begin() + static_cast<std::ptrdiff_t>(end));
    if (!found.empty() && ret.min) named.push_back(found.front());
    if (!found.empty() && ret.max) named.push_back(found.back());
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
  } else if (only_ends && !found.empty()) {
    if (ret.min) named.push_back(found.front());
    if (ret.max && (!ret.min || found.size() > 1)) named.push_back(found.back());
  } else {
    named = found;
  }
  if (ret.save) {
    auto& saved = view.saved_result();
    for (auto i : named) saved.push_back(msgs[i].id);
  }
  if (ret.update) {
    // RFC 5267 §4.3: keep the result and report how it changes.
    session_data::live_search live;
    live.tag = ctx.tag();
    live.uid = cmd.uid;
    live.key = cmd.key;
    live.charset = cmd.charset;
    for (auto i : found) live.result.push_back(msgs[i].id);
    keep_live_search(ctx, std::move(live));
  }
  // RFC 5182 §2.4: SAVE alone returns no ESEARCH (nor does UPDATE alone).
  if (!ret.min && !ret.max && !ret.all && !ret.count && !ret.partial) co_return;
  // RFC 4731 §3.1: * ESEARCH (TAG "t") [UID] then the requested data;
  // MIN, MAX and ALL are left out when nothing matched.
  untagged out{{atom{"ESEARCH"}, response::list{atom{"TAG"}, string{ctx.tag()}}}};
  if (cmd.uid) out.items.push_back(atom{"UID"});
  std::vector<std::uint32_t> nums;
  nums.reserve(found.size());
  for (auto i : found) nums.push_back(number_of(i));
  add_esearch_data(out, ret, nums);
  // RFC 7162 §3.1.10: the highest MODSEQ of the messages returned.
  if (needs.modseq && !named.empty()) {
    out.items.push_back(atom{"MODSEQ"});
    out.items.push_back(number{highest_of(named)});
  }
  ctx.untagged(std::move(out));
}

void check_update_tag(command_context& ctx, const std::optional<parse::search_return>& ret) {
  // RFC 5267 §4.3: a tag already naming an updating search is BAD.
  if (ret && ret->update)
    for (auto& live : ctx.session.live_searches)
      if (live.tag == ctx.tag()) reject_syntax("Tag already in use by an updating search");
}

void keep_live_search(command_context& ctx, session_data::live_search live) {
  // At least one per session (§4.3.1); past the limit, NOUPDATE and the
  // rest of the answer all the same.
  if (ctx.session.live_searches.size() >= max_live_searches) {
    response::write(ctx.session.out,
                    status_line{"*", status::no, code{"NOUPDATE", {string{ctx.tag()}}}, "Too many updating searches"},
                    ctx.session.wopts);
    return;
  }
  ctx.session.live_searches.push_back(std::move(live));
}

void add_esearch_data(untagged& out, const parse::search_return& ret, const std::vector<std::uint32_t>& nums) {
  if (!nums.empty()) {
    if (ret.min) {
      out.items.push_back(atom{"MIN"});
      out.items.push_back(number{nums.front()});
    }
    if (ret.max) {
      out.items.push_back(atom{"MAX"});
      out.items.push_back(number{nums.back()});
    }
    if (ret.all) {
      out.items.push_back(atom{"ALL"});
      out.items.push_back(atom{syntax::format_sequence_set(nums)});
    }
  }
  if (ret.count) {
    out.items.push_back(atom{"COUNT"});
    out.items.push_back(number{nums.size()});
  }
  if (ret.partial) {
    // RFC 9394 §3.1: the results at the range's positions (from the last
    // one for "-a:-b") with "the original range", or NIL when there are
    // none.
    auto [begin, end] = ret.partial->window(nums.size());
    std::vector<std::uint32_t> part(nums.begin() + static_cast<std::ptrdiff_t>(begin),
                                    nums.begin() + static_cast<std::ptrdiff_t>(end));
    // (A SORT's results keep their sorted order here.)
    response::list p{atom{ret.partial->text()}};
    if (part.empty()) p.push_back(nil{});
    else p.push_back(atom{syntax::format_sequence_set(part)});
    out.items.push_back(atom{"PARTIAL"});
    out.items.push_back(std::move(p));
  }
}

namespace {

// "* ESEARCH (TAG "t") [UID] ADDTO (0 set)": position 0, as SEARCH results
// are in mailbox order (RFC 5267 §4.3.2).
void send_update(command_context& ctx, const session_data::live_search& live, const char* what,
                 std::vector<std::uint32_t> numbers) {
  if (numbers.empty()) return;
  std::sort(numbers.begin(), numbers.end());
  untagged out{{atom{"ESEARCH"}, response::list{atom{"TAG"}, string{live.tag}}}};
  if (live.uid) out.items.push_back(atom{"UID"});
  out.items.push_back(atom{what});
  out.items.push_back(response::list{number{0}, atom{syntax::format_sequence_set(numbers)}});
  ctx.untagged(std::move(out));
}

// A SORT context (RFC 5267 §4.3.3, §4.3.4): (position, numbers) pairs,
// applied in the order given.
void send_pairs(command_context& ctx, const session_data::live_search& live, const char* what,
                const std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>>& pairs) {
  if (pairs.empty()) return;
  // One atom for the pairs ("5 17 2 9"): a list built element by element
  // trips GCC 12's -Wmaybe-uninitialized here.
  std::string text;
  for (auto& [pos, nums] : pairs) {
    if (!text.empty()) text += ' ';
    text += std::to_string(pos) + ' ' + syntax::format_sequence_set(nums);
  }
  untagged out{{atom{"ESEARCH"}, response::list{atom{"TAG"}, string{live.tag}}}};
  if (live.uid) out.items.push_back(atom{"UID"});
  out.items.push_back(atom{what});
  out.items.push_back(atom{"(" + text + ")"});
  ctx.untagged(std::move(out));
}

}  // namespace

asio::awaitable<void> update_live_searches(command_context& ctx,
                                          const std::vector<std::pair<store::uid, std::uint32_t>>* expunged) {
  auto& lives = ctx.session.live_searches;
  if (lives.empty() || !ctx.session.selected) co_return;
  auto& view = *ctx.session.selected;
  for (auto& live : lives) {
    if (!live.sorted_by.empty()) {
      // A sorted result keeps its order (sort keys never change), so the
      // update is removals, highest position first, then insertions at
      // their final positions, lowest first.
      auto number_of = [&](store::uid u, std::uint32_t seq_hint) -> std::uint32_t {
        if (live.uid) return store::to_int(u);
        if (seq_hint) return seq_hint;
        auto seq = view.seq_of(u);
        return seq ? *seq : 0;
      };
      std::vector<store::uid> now;
      std::vector<std::pair<store::uid, std::uint32_t>> gone;  // with the number to show
      if (expunged) {
        for (auto& [u, seq] : *expunged)
          if (std::find(live.result.begin(), live.result.end(), u) != live.result.end()) gone.emplace_back(u, seq);
        now = live.result;
        std::erase_if(now, [&](store::uid u) {
          return std::any_of(gone.begin(), gone.end(), [&](auto& g) { return g.first == u; });
        });
      } else {
        auto sorted = co_await sort_found(ctx, live.key, live.charset.value_or("UTF-8"), live.sorted_by,
                                          view.saved_result());
        for (auto i : sorted) now.push_back(view.messages()[i].id);
        std::vector<store::uid> in_now(now);
        std::sort(in_now.begin(), in_now.end());
        for (auto u : live.result)
          if (!std::binary_search(in_now.begin(), in_now.end(), u)) gone.emplace_back(u, 0);
      }
      std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> removals;
      for (std::size_t p = live.result.size(); p-- > 0;) {
        auto it = std::find_if(gone.begin(), gone.end(), [&](auto& g) { return g.first == live.result[p]; });
        if (it == gone.end()) continue;
        removals.push_back({static_cast<std::uint32_t>(p + 1), {number_of(it->first, it->second)}});
      }
      send_pairs(ctx, live, "REMOVEFROM", removals);
      std::vector<store::uid> before(live.result);
      std::sort(before.begin(), before.end());
      std::vector<std::pair<std::uint32_t, std::vector<std::uint32_t>>> additions;
      for (std::size_t p = 0; p < now.size(); ++p) {
        if (std::binary_search(before.begin(), before.end(), now[p])) continue;
        auto pos = static_cast<std::uint32_t>(p + 1);
        auto n = number_of(now[p], 0);
        if (!additions.empty() && additions.back().first + additions.back().second.size() == pos)
          additions.back().second.push_back(n);
        else
          additions.push_back({pos, {n}});
      }
      send_pairs(ctx, live, "ADDTO", additions);
      live.result = std::move(now);
      continue;
    }
    if (expunged) {
      // RFC 5267 §4.3.4: REMOVEFROM before the expunge is reported, with
      // the numbers the messages had.
      std::vector<std::uint32_t> numbers;
      for (auto& [u, seq] : *expunged) {
        auto it = std::lower_bound(live.result.begin(), live.result.end(), u);
        if (it == live.result.end() || *it != u) continue;
        live.result.erase(it);
        numbers.push_back(live.uid ? store::to_int(u) : seq);
      }
      send_update(ctx, live, "REMOVEFROM", std::move(numbers));
      continue;
    }
    auto found = co_await evaluate_search(ctx, live.key, live.charset, view.saved_result());
    auto& msgs = view.messages();
    std::vector<store::uid> now;
    now.reserve(found.size());
    for (auto i : found) now.push_back(msgs[i].id);
    std::vector<store::uid> gone, added;
    std::set_difference(live.result.begin(), live.result.end(), now.begin(), now.end(), std::back_inserter(gone));
    std::set_difference(now.begin(), now.end(), live.result.begin(), live.result.end(), std::back_inserter(added));
    auto numbers = [&](const std::vector<store::uid>& uids) {
      std::vector<std::uint32_t> out;
      for (auto u : uids)
        if (live.uid) out.push_back(store::to_int(u));
        else if (auto seq = view.seq_of(u)) out.push_back(*seq);
      return out;
    };
    // RFC 5267 §4.3.3/§4.3.4: messages that stopped or started matching
    // (ADDTO after the EXISTS that announced new ones).
    send_update(ctx, live, "REMOVEFROM", numbers(gone));
    send_update(ctx, live, "ADDTO", numbers(added));
    live.result = std::move(now);
  }
}

asio::awaitable<void> cancel_update(command_context& ctx, args& a) {
  auto& cmd = std::get<parse::cancelupdate_cmd>(a);
  // RFC 5267 §4.3.5: stop updating the searches these tags started.
  auto& lives = ctx.session.live_searches;
  for (auto& tag : cmd.tags) {
    auto it = std::find_if(lives.begin(), lives.end(), [&](auto& l) { return l.tag == tag; });
    if (it == lives.end()) refuse("No updating search with tag " + tag.substr(0, 32));
    lives.erase(it);
  }
  co_return;
}

}  // namespace lemonade::imap::commands
