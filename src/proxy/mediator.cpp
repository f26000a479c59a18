#include "proxy/mediator.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/strings.hpp"
#include "imap/client/client.hpp"
#include "imap/parse/parse.hpp"
#include "imap/syntax/framer.hpp"
#include "imap/syntax/lexer.hpp"
#include "imap/syntax/sequence_set.hpp"
#include "net/deflate.hpp"
#include "net/stream.hpp"
#include "proxy/condstore.hpp"
#include "proxy/modseq_cache.hpp"
#include "store/sqlite/db.hpp"

namespace lemonade::proxy {

namespace {

using namespace std::chrono_literals;
namespace syntax = imap::syntax;
namespace client = imap::client;
using clock = std::chrono::steady_clock;

bool has(const std::vector<std::string>& caps, std::string_view name) {
  return std::any_of(caps.begin(), caps.end(), [&](auto& c) { return core::iequals(c, name); });
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto sp = s.find(' ');
    if (sp != 0) out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

template <class T>
std::optional<T> number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// What the proxy reads from a FETCH response ("n FETCH (...)", after
// "* "): its UID (none for 0, RFC 3501 §9: nz-number), its FLAGS as the
// cache compares them, and whether it carries MODSEQ; nullopt when it
// does not parse.
struct fetch_data {
  std::optional<std::uint32_t> uid;
  std::optional<std::string> flags;  // canonical_flags()
  bool modseq = false;
};
std::optional<fetch_data> read_fetch(std::string_view text) {
  client::untagged u;
  try {
    u = client::parse_untagged(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (u.items.size() != 1 || u.items[0].what != client::value::kind::list) return std::nullopt;
  auto& items = u.items[0].items;
  fetch_data out;
  for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
    if (items[i].is_atom("UID")) out.uid = number<std::uint32_t>(items[i + 1].text);
    if (items[i].is_atom("MODSEQ")) out.modseq = true;
    if (items[i].is_atom("FLAGS") && items[i + 1].what == client::value::kind::list) {
      std::vector<std::string> names;
      for (auto& f : items[i + 1].items) names.push_back(f.text);
      out.flags = canonical_flags(names);
    }
  }
  if (out.uid == 0u) out.uid.reset();
  return out;
}

// The client went away (its read or write failed).
struct client_gone : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The session ends here (LOGOUT, the backend's BYE, an autologout).
struct session_over {};

}  // namespace

additions additions_for(const std::vector<std::string>& caps, bool condstore, bool special_use) {
  additions a;
  // Names are a guess: added only to a session mediated for the rest, never
  // where the backend has them (IMAP4rev2 has them in its base, RFC 9051
  // §7.3.1) or LIST-EXTENDED (RETURN (SPECIAL-USE) would reach it).
  a.special_use = special_use && !has(caps, "SPECIAL-USE") && !has(caps, "IMAP4rev2") &&
                  !has(caps, "LIST-EXTENDED");
  a.idle = !has(caps, "IDLE");
  a.esearch = !has(caps, "ESEARCH");
  a.condstore = condstore && !has(caps, "CONDSTORE");
  a.enable = a.condstore && !has(caps, "ENABLE");
  if (!a.any()) a.special_use = false;
  return a;
}

std::string client_capabilities(const std::vector<std::string>& backend_caps, const additions& add, bool compress) {
  std::string out;
  auto put = [&](std::string_view c) {
    if (!out.empty()) out += ' ';
    out += c;
  };
  for (auto& c : backend_caps) {
    auto u = core::to_upper(c);
    if (u == "STARTTLS" || u == "LOGINDISABLED" || u == "SASL-IR" || u.starts_with("AUTH=")) continue;
    // Mediated: the proxy compresses itself, and a backend back in
    // not-authenticated state (RFC 8437) would need logins it refuses.
    if (add.any() && (u.starts_with("COMPRESS=") || u == "UNAUTHENTICATE")) continue;
    put(c);
  }
  if (add.idle) put("IDLE");
  if (add.esearch) put("ESEARCH");
  if (add.condstore) put("CONDSTORE");
  if (add.condstore) put("QRESYNC");
  if (add.enable) put("ENABLE");
  if (add.special_use) put("SPECIAL-USE");
  if (add.any() && compress) put("COMPRESS=DEFLATE");
  return out;
}

special_use_map parse_special_use(const std::vector<std::string>& entries) {
  special_use_map out;
  for (auto& e : entries) {
    auto eq = e.find('=');
    auto use = e.substr(0, eq);
    // RFC 6154 §2.
    static const std::vector<std::string> uses{"All", "Archive", "Drafts", "Flagged", "Junk", "Sent", "Trash"};
    auto it = std::find_if(uses.begin(), uses.end(), [&](auto& u) { return core::iequals(u, use); });
    if (eq == std::string::npos || it == uses.end())
      throw std::invalid_argument("\"" + e + "\" is not Use=Name,... with Use one of All, Archive, Drafts, Flagged, "
                                  "Junk, Sent, Trash");
    std::string_view names = std::string_view(e).substr(eq + 1);
    while (!names.empty()) {
      auto comma = names.find(',');
      auto name = names.substr(0, comma);
      while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
      while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
      if (name.empty() || !out.emplace(core::to_upper(name), "\\" + *it).second)
        throw std::invalid_argument("\"" + e + "\": an empty name, or one named twice");
      if (comma == std::string_view::npos) break;
      names.remove_prefix(comma + 1);
    }
  }
  return out;
}

std::optional<std::string> mark_special_use(std::string_view resp, const special_use_map& map) {
  client::untagged u;
  try {
    u = client::parse_untagged(resp);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  // RFC 3501 §7.2.2: "LIST" SP mailbox-list, mailbox-list = "(" [mbx-list-flags] ")" SP
  // (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox.
  if (u.name != "LIST" || u.items.size() != 3 || u.items[0].what != client::value::kind::list) return std::nullopt;
  auto name = core::to_upper(u.items[2].text);
  auto it = map.find(name);
  if (it == map.end() && u.items[1].is_string() && u.items[1].text.size() == 1 &&
      name.starts_with("INBOX" + u.items[1].text))
    it = map.find(name.substr(6));
  if (it == map.end()) return std::nullopt;
  for (auto& a : u.items[0].items)
    if (core::iequals(a.text, it->second)) return std::nullopt;
  auto open = resp.find('(');
  auto close = resp.find(')', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return std::nullopt;
  std::string out(resp.substr(0, close));
  if (close > open + 1) out += ' ';
  out += it->second;
  out += resp.substr(close);
  return out;
}

std::optional<stripped_search> strip_search_return(std::string_view command, std::size_t args_at) {
  auto rest = command.substr(std::min(args_at, command.size()));
  // RFC 4731 §4: "SEARCH" [search-return-opts] SP search-criteria, with
  // search-return-opts = SP "RETURN" SP "(" [search-return-opt
  // *(SP search-return-opt)] ")".
  if (!core::istarts_with(rest, " RETURN ")) return std::nullopt;
  auto open = rest.substr(8);
  if (!open.starts_with("(")) throw std::invalid_argument("RETURN needs a parenthesised list");
  auto close = open.find(')');
  if (close == std::string_view::npos || open.substr(0, close).find_first_of("\r\n") != std::string_view::npos)
    throw std::invalid_argument("RETURN list not closed");
  stripped_search out;
  auto list = open.substr(1, close - 1);
  auto opts = words(list);
  if (opts.empty() && !list.empty()) throw std::invalid_argument("Malformed RETURN list");
  for (auto o : opts) {
    auto u = core::to_upper(o);
    if (u == "MIN") out.options.min = true;
    else if (u == "MAX") out.options.max = true;
    else if (u == "ALL") out.options.all = true;
    else if (u == "COUNT") out.options.count = true;
    else throw std::invalid_argument("Unknown or unsupported RETURN option " + u.substr(0, 32));
  }
  // §3.1: "RETURN ()" is the same as "RETURN (ALL)".
  if (opts.empty()) out.options.all = true;
  out.command = std::string(command.substr(0, args_at));
  out.command += open.substr(close + 1);
  return out;
}

std::optional<search_result> parse_search_response(std::string_view text) {
  if (!core::istarts_with(text, "SEARCH") || (text.size() > 6 && text[6] != ' ')) return std::nullopt;
  search_result r;
  auto rest = text.substr(std::min<std::size_t>(7, text.size()));
  // RFC 7162 §3.1.5: mailbox-data =/ "SEARCH" [1*(SP nz-number) SP
  // search-sort-mod-seq], search-sort-mod-seq = "(" "MODSEQ" SP mod-sequence-value ")".
  if (auto p = rest.find('('); p != std::string_view::npos) {
    auto tail = rest.substr(p);
    if (!core::istarts_with(tail, "(MODSEQ ") || !tail.ends_with(")")) return std::nullopt;
    r.modseq = number<std::uint64_t>(tail.substr(8, tail.size() - 9));
    if (!r.modseq) return std::nullopt;
    rest = rest.substr(0, p);
  }
  for (auto w : words(rest)) {
    auto n = number<std::uint32_t>(w);
    if (!n || *n == 0) return std::nullopt;
    r.numbers.push_back(*n);
  }
  return r;
}

std::string esearch_response(std::string_view tag, bool uid, const search_return& r,
                             std::vector<std::uint32_t> numbers, std::optional<std::uint64_t> modseq) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  // RFC 4731 §3.1: ESEARCH (TAG "t") [UID], then each requested item; MIN,
  // MAX and ALL are left out when nothing matched, COUNT is 0 then.
  // A tag holds no '"' or '\' (RFC 3501 §9: ASTRING-CHAR less quoted-specials).
  std::string out = "* ESEARCH (TAG \"" + std::string(tag) + "\")";
  if (uid) out += " UID";
  if (!numbers.empty()) {
    if (r.min) out += " MIN " + std::to_string(numbers.front());
    if (r.max) out += " MAX " + std::to_string(numbers.back());
  }
  if (r.count) out += " COUNT " + std::to_string(numbers.size());
  if (!numbers.empty() && r.all) out += " ALL " + syntax::format_sequence_set(numbers);
  // RFC 7162 §3.1.10 (via the backend's §3.1.5 SEARCH): the highest MODSEQ.
  if (modseq && !numbers.empty()) out += " MODSEQ " + std::to_string(*modseq);
  out += "\r\n";
  return out;
}

namespace {

// mediator::wait_either's watchers: one reads the client's next octets
// (into the session's input) or the backend's (into its client's buffer),
// notes it and wakes the session. A wait for readability alone may wake
// spuriously (an edge-triggered event already served); a read does not.
struct watch {
  bool client = false, backend = false;  // octets (or the end) there
  bool client_gone = false, backend_gone = false;
  bool stop = false;  // the session is done waiting: start nothing more
  int out = 0;        // watchers not yet done
};

// One side's watcher: `wait` for readability, then (unless the session
// is done waiting) `read` what came; `got` and `gone` are that side's flags.
template <class Wait, class Read>
asio::awaitable<void> watch_side(std::shared_ptr<watch> w, asio::steady_timer* wake, bool watch::*got,
                                 bool watch::*gone, Wait wait, Read read) {
  try {
    co_await wait();
    if (!w->stop) {
      co_await read();
      (*w).*got = true;
    }
  } catch (const boost::system::system_error& e) {
    // Aborted by the session's cancel, or by a close: the latter is an end.
    if (e.code() != asio::error::operation_aborted || !w->stop) (*w).*got = (*w).*gone = true;
  } catch (const std::exception&) {
    (*w).*got = (*w).*gone = true;
  }
  --w->out;
  wake->cancel();
}

class mediator {
 public:
  explicit mediator(mediation m)
      : m_(std::move(m)),
        framer_(limits(m_.cfg)),
        in_(std::move(m_.client_in)) {
    m_.backend->set_timeout(std::chrono::duration_cast<std::chrono::milliseconds>(m_.cfg.proxy_backend_timeout));
  }

  asio::awaitable<void> run();
  asio::awaitable<void> flush_now() { return flush(); }
  // A session that ends while the backend idles for its client (a stop,
  // the client gone): DONE first (RFC 2177 §3), so that the LOGOUT that
  // follows is taken as one.
  asio::awaitable<void> leave_backend_idle() {
    if (backend_idle_tag_.empty()) co_return;
    auto tag = std::move(backend_idle_tag_);
    backend_idle_tag_.clear();
    co_await m_.backend->send_raw("DONE\r\n");
    while (!(co_await m_.backend->next_response()).starts_with(tag + " ")) {
    }
  }
  struct stopped {};

 private:
  static syntax::framer_limits limits(const core::config& cfg) {
    syntax::framer_limits l;
    l.max_line = cfg.max_line_length;
    l.max_literal = cfg.max_literal_size;
    return l;
  }
  asio::awaitable<void> flush();
  // Waits for the client's input (appended to in_), or the backend's
  // (buffered in its connection), or `until` (or a stop): 0 client,
  // 1 backend, 2 time. Throws when either side has gone.
  asio::awaitable<int> wait_either(clock::time_point until, bool watch_backend);
  asio::awaitable<void> command(std::string cmd);
  // Sends a client's command, its literals as the backend takes them
  // (LITERAL+ when it has it, else waiting for each continuation); false
  // when the backend refused it before a literal (its answer forwarded).
  asio::awaitable<bool> send(std::string_view cmd, const std::string& tag);
  // Forwards the backend's responses until `tag`'s, which it returns
  // (CRLF off); `take` sees each untagged one first and may keep it.
  template <class Take>
  asio::awaitable<std::string> answer(const std::string& tag, Take take);
  asio::awaitable<std::string> answer(const std::string& tag) {
    return answer(tag, [](std::string_view) { return false; });
  }
  void untagged(std::string_view resp);
  asio::awaitable<void> idle_here(const std::string& tag);
  asio::awaitable<void> idle_there(const std::string& cmd, const std::string& tag);
  asio::awaitable<void> search(const std::string& cmd, const std::string& tag, const std::string& name);
  asio::awaitable<void> poll();
  // The client's next line (an IDLE's DONE), already read or waited for.
  std::optional<std::string> take_line();
  // On a stop (SIGTERM): the client hears why, and the session ends.
  void check_stop() {
    if (!m_.control->stopping) return;
    untagged("* BYE Lemonade proxy shutting down");
    throw stopped{};
  }

  // CONDSTORE (condstore.hpp, modseq_cache.hpp). The selected mailbox as
  // the backend numbers it: each sequence number's UID, learnt from the
  // SELECT's full FETCH and, for new messages, from a FETCH after the
  // command that announced them; EXISTS and EXPUNGE keep it in step.
  struct selected_view {
    std::int64_t mailbox = 0;  // the cache's; 0: none selected (or not kept)
    std::uint64_t base = 0;    // modseq_cache::mailbox::base
    std::uint32_t uidnext = 0;
    std::string name;
    std::vector<std::uint32_t> uids;  // [seq - 1]; 0: not learnt yet
    // [seq - 1]: the message's state (a hash of its canonical flags) as
    // this session last knew it (and told its client, where CONDSTORE is
    // on); 0: none.
    std::vector<std::uint64_t> states;
    // Every change numbered up to here reached this session (guard()).
    std::uint64_t checked = 0;
    std::uint32_t exists = 0;
    std::uint32_t max_uid() const {
      std::uint32_t m = 0;
      for (auto u : uids) m = std::max(m, u);
      return m;
    }
  };
  // The FETCH response observe() saw last.
  struct fetch_seen {
    std::uint32_t seq = 0, uid = 0;
    std::uint64_t modseq = 0;
    bool changed = false;
  };
  // Notes what a backend response (CRLF off, "* " on) tells of the
  // selected mailbox, and returns it as the client gets it: a FETCH with
  // UID and MODSEQ once CONDSTORE is on for the session.
  std::string observe(std::string resp);
  // FETCH (UID FLAGS) for the messages the view has no UID for.
  asio::awaitable<void> learn_new();
  // Whether the expunge log and the MODSEQs answer exactly for a
  // client's MODSEQ: one from before the log began, or above anything
  // given out (another cache's), is answered as if it were 0.
  bool covered(std::uint64_t since) {
    // The base as it is now: trim() raises it.
    return since >= std::max(view_.base, m_.cache->base(view_.mailbox)) && since <= m_.cache->highest(view_.mailbox);
  }
  // RFC 7162 §3.2.5.1, §3.2.6: * VANISHED (EARLIER) with the UIDs (in
  // `known`, when given) expunged since `since` and not in the view;
  // where the log does not cover `since`, every UID up to UIDNEXT that is
  // not in the view (a superset, which §3.2.10 allows: the client ignores
  // UIDs it never had).
  void report_vanished(std::uint64_t since, const syntax::sequence_set* known);
  asio::awaitable<void> select(const std::string& cmd, const std::string& tag, const std::string& name);
  asio::awaitable<void> fetch(const std::string& cmd, const std::string& tag, const std::string& name);
  asio::awaitable<void> store(const std::string& cmd, const std::string& tag, const std::string& name);
  asio::awaitable<void> status(const std::string& cmd, const std::string& tag, const std::string& name);
  asio::awaitable<void> enable(const std::string& cmd, const std::string& tag, const std::string& name);
  // `before` + set + `after` for `numbers`, in parts of a few hundred (a
  // backend's line limit), all but the last under tags of the proxy's;
  // the last tagged response, or the first that is not OK, under `tag`.
  template <class Take>
  asio::awaitable<std::string> in_parts(const std::string& tag, const std::string& before,
                                        const std::vector<std::uint32_t>& numbers, const std::string& after, Take take);
  // The UIDs of a SEARCH's "MODSEQ n" (RFC 7162 §3.1.5: MODSEQ >= n).
  std::string modseq_criterion(std::uint64_t value);
  // Before the client is shown MODSEQ `m` (RFC 7162 §3.2): changes other
  // sessions numbered at or below it that this one has not passed on are
  // numbered again above it (modseq_cache::restamp).
  void guard(std::uint64_t m) {
    if (!view_.mailbox || m <= view_.checked) return;
    auto index = [&](std::uint32_t uid) -> std::optional<std::size_t> {
      auto it = std::find(view_.uids.begin(), view_.uids.end(), uid);
      if (uid == 0 || it == view_.uids.end()) return std::nullopt;
      return static_cast<std::size_t>(it - view_.uids.begin());
    };
    m_.cache->restamp(
        view_.mailbox, view_.checked, m,
        [&](std::uint32_t uid, std::string_view flags) {
          auto i = index(uid);
          return i && view_.states[*i] == state_of(flags);
        },
        [&](std::uint32_t uid) { return index(uid).has_value(); });
    view_.checked = m;
  }
  // The selected mailbox's HIGHESTMODSEQ as this session may show it:
  // what others numbered above and this session has not passed on is
  // numbered again above it (guard()).
  std::uint64_t revealed_highest() {
    auto h = m_.cache->highest(view_.mailbox);
    guard(h);
    return h;
  }
  static std::uint64_t state_of(std::string_view canonical) {
    return std::hash<std::string_view>{}(canonical) | 1;
  }
  std::uint64_t modseq_of_seq(std::uint32_t seq) {
    if (seq == 0 || seq > view_.uids.size() || view_.uids[seq - 1] == 0) return 0;
    return m_.cache->modseq(view_.mailbox, view_.uids[seq - 1]);
  }

  mediation m_;
  asio::any_io_executor ex_;
  syntax::framer framer_;
  std::string in_;
  std::string out_;
  bool compressed_ = false;
  std::uint64_t next_tag_ = 1;
  clock::time_point last_sent_ = clock::now();
  std::string backend_idle_tag_;  // the client's IDLE the backend is in, before DONE
  selected_view view_;
  bool condstore_ = false;  // RFC 7162 §3.1: a CONDSTORE-enabling command came
  bool qresync_ = false;    // RFC 7162 §3.2.3: ENABLE QRESYNC came
  std::uint32_t expunged_ = 0;  // EXPUNGEs observed (for EXPUNGE's tagged OK)
  std::pair<std::uint32_t, std::uint32_t> learn_tried_{};  // learn_new()'s last (first, EXISTS)
  bool backend_selected_ = false;  // a mailbox is selected at the backend (for [CLOSED])
  fetch_seen last_;
};

asio::awaitable<void> mediator::flush() {
  if (out_.empty()) co_return;
  std::string data;
  data.swap(out_);
  // A client that stops reading holds the session until the autologout.
  asio::steady_timer t(ex_, m_.cfg.timeout_authenticated);
  auto late = std::make_shared<bool>(false);
  t.async_wait([late, c = m_.client](boost::system::error_code ec) {
    if (ec) return;
    *late = true;
    c->close();
  });
  try {
    co_await m_.client->write(asio::buffer(data));
  } catch (const std::exception& e) {
    t.cancel();
    throw client_gone(*late ? "the client stopped reading" : e.what());
  }
  t.cancel();
  last_sent_ = clock::now();
}

asio::awaitable<int> mediator::wait_either(clock::time_point until, bool watch_backend) {
  if (m_.backend->response_buffered() && watch_backend) co_return 1;
  if (m_.control->stopping) co_return 2;
  // A watcher coroutine per side reads the next input and wakes the session
  // (the IMAP session's IDLE does the same, idle.cpp); the session's
  // wake timer ends the wait at `until`, or at once on a stop. Watchers
  // still out are then cancelled at the socket, and waited for: none
  // outlives this wait. (asio's per-operation cancellation, through
  // experimental::awaitable_operators, lost wake-ups under load here.)
  auto w = std::make_shared<watch>();
  auto& wake = m_.control->wake;
  wake.expires_at(until);
  ++w->out;
  auto client = m_.client;
  auto* in = &in_;
  asio::co_spawn(ex_,
                 watch_side(
                     w, &wake, &watch::client, &watch::client_gone, [client] { return client->wait_readable(); },
                     [client, in]() -> asio::awaitable<void> {
                       std::string buf(16 * 1024, '\0');
                       auto n = co_await client->read_some(asio::buffer(buf));
                       in->append(buf.data(), n);
                     }),
                 asio::detached);
  if (watch_backend) {
    ++w->out;
    auto* backend = m_.backend.get();
    asio::co_spawn(ex_,
                   watch_side(
                       w, &wake, &watch::backend, &watch::backend_gone, [backend] { return backend->wait_readable(); },
                       [backend] { return backend->read_available(); }),
                   asio::detached);
  }
  boost::system::error_code ec;
  // (A watcher that is done already cancelled nothing we wait on.)
  if (!w->client && !w->backend) co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  // A watcher whose wait ended but that has not run yet is not reached by
  // a cancel: `stop` keeps it from starting its read.
  w->stop = true;
  bool cancelled_client = false, cancelled_backend = false;
  while (w->out > 0) {
    if (!w->client && !cancelled_client) {
      m_.client->cancel();
      cancelled_client = true;
    }
    if (watch_backend && !w->backend && !cancelled_backend) {
      m_.backend->cancel();
      cancelled_backend = true;
    }
    wake.expires_at(clock::time_point::max());
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (w->client_gone) throw client_gone("the client closed the connection");
  if (w->backend_gone) throw client::error("the backend closed the connection");
  if (w->client) co_return 0;
  if (w->backend) co_return 1;
  co_return 2;
}

void mediator::untagged(std::string_view resp) {
  out_ += resp;
  out_ += "\r\n";
}

template <class Take>
asio::awaitable<std::string> mediator::answer(const std::string& tag, Take take) {
  for (;;) {
    if (out_.size() >= 16 * 1024) co_await flush();
    auto resp = co_await m_.backend->next_response();
    if (resp.starts_with("* ")) {
      resp = observe(std::move(resp));
      if (m_.add.special_use && core::istarts_with(resp, "* LIST "))
        if (auto marked = mark_special_use(std::string_view(resp).substr(2), *m_.special_use)) resp = "* " + *marked;
      if (!take(std::string_view(resp).substr(2))) untagged(resp);
      continue;
    }
    if (resp.starts_with("+")) {
      // A continuation we did not ask for a literal (an extension's
      // exchange): the client answers it with one line.
      untagged(resp);
      co_await flush();
      std::optional<std::string> line;
      while (!(line = take_line())) {
        if (in_.size() > m_.cfg.max_line_length) throw client_gone("continuation line too long");
        auto r = co_await wait_either(clock::now() + m_.cfg.timeout_authenticated, false);
        check_stop();
        if (r == 2) throw client_gone("no answer to a continuation request");
      }
      co_await m_.backend->send_raw(*line);
      continue;
    }
    if (resp.size() > tag.size() && resp.starts_with(tag) && resp[tag.size()] == ' ') co_return resp;
    throw client::error("response with an unknown tag: " + resp.substr(0, 40));
  }
}

std::optional<std::string> mediator::take_line() {
  auto nl = in_.find("\r\n");
  if (nl == std::string::npos) return std::nullopt;
  auto line = in_.substr(0, nl + 2);
  in_.erase(0, nl + 2);
  return line;
}

asio::awaitable<bool> mediator::send(std::string_view cmd, const std::string& tag) {
  bool plus = m_.backend->has_capability("LITERAL+");
  std::string chunk;
  std::size_t pos = 0;
  while (pos < cmd.size()) {
    auto nl = cmd.find("\r\n", pos);
    if (nl == std::string_view::npos) nl = cmd.size();
    auto line = cmd.substr(pos, nl - pos);
    auto n = client::literal_size_at_end(line);
    if (!n) {
      chunk += cmd.substr(pos);
      break;
    }
    // RFC 7888: {n+} where the backend has LITERAL+, else {n} and its
    // continuation (RFC 3501 §7.5). "~{n}" (RFC 3516) keeps its "~".
    chunk += line.substr(0, line.rfind('{'));
    chunk += "{" + std::to_string(*n) + (plus ? "+}\r\n" : "}\r\n");
    if (!plus) {
      co_await m_.backend->send_raw(chunk);
      chunk.clear();
      for (;;) {
        auto resp = co_await m_.backend->next_response();
        if (resp.starts_with("+")) break;
        if (resp.starts_with("* ")) {
          untagged(observe(std::move(resp)));
          continue;
        }
        // RFC 3501 §7.5: a NO or BAD instead of the continuation.
        if (!resp.starts_with(tag + " ")) throw client::error("response with an unknown tag");
        untagged(resp);
        co_return false;
      }
    }
    chunk += cmd.substr(nl + 2, *n);
    pos = nl + 2 + *n;
  }
  co_await m_.backend->send_raw(chunk);
  co_return true;
}

asio::awaitable<void> mediator::poll() {
  auto tag = "P" + std::to_string(next_tag_++);
  co_await m_.backend->send_raw(tag + " NOOP\r\n");
  bool bye = false;
  auto done = co_await answer(tag, [&](std::string_view resp) {
    bye = bye || core::istarts_with(resp, "BYE");
    return false;
  });
  if (bye) {
    // The backend is going (a shutdown): its BYE is the client's.
    co_await flush();
    throw session_over{};
  }
  if (!core::istarts_with(std::string_view(done).substr(tag.size() + 1), "OK"))
    spdlog::warn("conn={} event=backend_poll_failed user=\"{}\" response=\"{}\"", m_.id, m_.user,
                 done.substr(0, 120));
}

// RFC 2177 §3: "+ idling", untagged responses as the mailbox changes,
// then the client's DONE ends it with the tagged OK.
asio::awaitable<void> mediator::idle_here(const std::string& tag) {
  untagged("+ idling");
  co_await flush();
  auto interval = std::max<std::chrono::seconds>(m_.cfg.proxy_poll_interval, 1s);
  auto keepalive = std::max<std::chrono::seconds>(m_.cfg.idle_keepalive, 1s);
  auto started = clock::now();
  auto next_poll = started + interval;
  std::optional<std::string> line;
  while (!(line = take_line())) {
    if (in_.size() > m_.cfg.max_line_length) break;
    auto r = co_await wait_either(next_poll, false);
    check_stop();
    if (r == 0) continue;  // the client's octets are in in_
    if (clock::now() < next_poll) continue;
    co_await poll();
    co_await learn_new();
    next_poll = clock::now() + interval;
    // DESIGN.md §3: a phone's NAT binding hears from us this often.
    if (out_.empty() && clock::now() - last_sent_ >= keepalive) untagged("* OK Still here");
    // RFC 3501 §5.4, RFC 2177 §3: an IDLE is re-issued within 29 minutes.
    if (clock::now() - started > m_.cfg.timeout_authenticated) {
      untagged("* BYE Autologout; idle for too long");
      co_await flush();
      throw session_over{};
    }
    co_await flush();
  }
  if (line && core::iequals(*line, "DONE\r\n")) {
    untagged(tag + " OK IDLE terminated");
  } else {
    if (!line) in_.clear();
    untagged(tag + " BAD Expected DONE");
  }
  co_await flush();
}

// The backend's own IDLE: the client's DONE goes to it, its responses
// come as they are sent.
asio::awaitable<void> mediator::idle_there(const std::string& cmd, const std::string& tag) {
  co_await m_.backend->send_raw(cmd);
  for (;;) {
    auto resp = co_await m_.backend->next_response();
    if (resp.starts_with("* ")) resp = observe(std::move(resp));
    untagged(resp);
    if (resp.starts_with("+")) break;
    if (resp.starts_with(tag + " ")) co_return;
  }
  backend_idle_tag_ = tag;
  co_await flush();
  bool done_sent = false;
  for (;;) {
    if (!done_sent) {
      if (auto line = take_line()) {
        backend_idle_tag_.clear();
        co_await m_.backend->send_raw(*line);
        done_sent = true;
        continue;
      }
    }
    int r = done_sent ? 1 : co_await wait_either(clock::time_point::max(), true);
    if (!done_sent) check_stop();
    if (r == 0 || (!done_sent && !m_.backend->response_buffered())) continue;
    auto resp = co_await m_.backend->next_response();
    if (resp.starts_with("* ")) resp = observe(std::move(resp));
    untagged(resp);
    co_await flush();
    if (resp.starts_with(tag + " ")) co_return;
  }
}

asio::awaitable<void> mediator::search(const std::string& cmd, const std::string& tag, const std::string& name) {
  bool uid = name == "UID SEARCH";
  auto at = tag.size() + 1 + name.size();
  // RFC 7162 §3.1.5: MODSEQ criteria, the proxy's to answer.
  std::vector<condstore::modseq_criterion> criteria;
  if (m_.add.condstore && view_.mailbox) {
    try {
      criteria = condstore::find_modseq_criteria(std::string_view(cmd).substr(at));
    } catch (const std::invalid_argument& e) {
      untagged(tag + " BAD " + e.what());
      co_return;
    }
  }
  std::optional<stripped_search> s;
  if (m_.add.esearch || !criteria.empty()) {
    try {
      s = strip_search_return(cmd, at);
    } catch (const std::invalid_argument& e) {
      untagged(tag + " BAD " + e.what());
      co_return;
    }
  }
  if (!s && criteria.empty()) {
    if (co_await send(cmd, tag)) untagged(co_await answer(tag));
    co_return;
  }
  auto text = s ? s->command : cmd;
  if (!criteria.empty()) {
    condstore_ = true;  // RFC 7162 §3.1
    // Where they are once RETURN (...) is gone; replaced from the last.
    criteria = condstore::find_modseq_criteria(std::string_view(text).substr(at));
    for (auto c = criteria.rbegin(); c != criteria.rend(); ++c) {
      auto uids = modseq_criterion(c->value);
      // The backend's line limit (Dovecot's is 64 KiB by default).
      if (uids.size() > m_.cfg.max_line_length / 2) {
        untagged(tag + " NO [LIMIT] Too many messages changed since that MODSEQ for one search here");
        co_return;
      }
      text.replace(at + c->at, c->size, uids);
    }
  }
  if (!co_await send(text, tag)) co_return;
  search_result found;
  auto done = co_await answer(tag, [&](std::string_view resp) {
    auto r = parse_search_response(resp);
    if (!r) return false;
    found.numbers.insert(found.numbers.end(), r->numbers.begin(), r->numbers.end());
    if (r->modseq) found.modseq = std::max(found.modseq.value_or(0), *r->modseq);
    return true;
  });
  if (!criteria.empty()) {
    // RFC 7162 §3.1.6: the highest MODSEQ of the messages found.
    for (auto n : found.numbers)
      found.modseq = std::max(found.modseq.value_or(0),
                              uid ? m_.cache->modseq(view_.mailbox, n) : modseq_of_seq(n));
    if (found.modseq) guard(*found.modseq);
  }
  if (core::istarts_with(std::string_view(done).substr(tag.size() + 1), "OK")) {
    if (s) {
      out_ += esearch_response(tag, uid, s->options, std::move(found.numbers), found.modseq);
    } else {
      std::string line = "* SEARCH";
      for (auto n : found.numbers) line += " " + std::to_string(n);
      if (found.modseq && !found.numbers.empty()) line += " (MODSEQ " + std::to_string(*found.modseq) + ")";
      untagged(line);
    }
  }
  untagged(done);
}

std::string mediator::observe(std::string resp) {
  if (!view_.mailbox) return resp;
  last_ = {};
  std::string_view text(resp);
  text.remove_prefix(2);
  auto sp = text.find(' ');
  if (sp == std::string_view::npos) return resp;
  auto n = number<std::uint32_t>(text.substr(0, sp));
  if (!n || *n == 0) return resp;
  auto what = text.substr(sp + 1);
  if (core::iequals(what, "EXISTS")) {
    view_.exists = *n;
    if (view_.uids.size() > *n) {
      view_.uids.resize(*n);
      view_.states.resize(*n);
    }
    return resp;
  }
  if (core::iequals(what, "EXPUNGE")) {
    // RFC 3501 §7.4.1: the message at that number goes, the ones after it
    // move down.
    std::uint32_t uid = 0;
    if (*n <= view_.uids.size()) {
      uid = view_.uids[*n - 1];
      view_.uids.erase(view_.uids.begin() + (*n - 1));
      view_.states.erase(view_.states.begin() + (*n - 1));
      if (uid) m_.cache->expunge(view_.mailbox, uid);
    }
    if (view_.exists > 0) --view_.exists;
    ++expunged_;
    // RFC 7162 §3.2.7: under QRESYNC, VANISHED instead of EXPUNGE.
    if (qresync_ && uid) return "* VANISHED " + std::to_string(uid);
    if (qresync_)
      spdlog::warn("conn={} event=expunge_without_uid user=\"{}\" seq={}", m_.id, m_.user, *n);
    return resp;
  }
  if (!core::istarts_with(what, "FETCH (")) return resp;
  auto f = read_fetch(text);
  if (!f) return resp;
  auto uid = f->uid;
  bool uid_sent = uid.has_value();
  auto seq = *n;
  if (!uid && seq <= view_.uids.size() && view_.uids[seq - 1]) uid = view_.uids[seq - 1];
  if (!uid) return resp;  // a message not learnt yet: learn_new() follows
  if (seq <= view_.exists) {
    if (view_.uids.size() < seq) {
      view_.uids.resize(seq, 0);
      view_.states.resize(seq, 0);
    }
    view_.uids[seq - 1] = *uid;
  }
  modseq_cache::observed o;
  bool here = seq <= view_.uids.size() && view_.uids[seq - 1] == *uid;
  if (f->flags) {
    o = m_.cache->observe(view_.mailbox, *uid, *f->flags);
    if (here) view_.states[seq - 1] = state_of(*f->flags);
  } else {
    o.modseq = m_.cache->modseq(view_.mailbox, *uid);
  }
  last_ = {seq, *uid, o.modseq, o.changed};
  // RFC 7162 §3.2.4: "Once a CONDSTORE enabling command is issued by the
  // client, the server MUST automatically include both UID and
  // mod-sequence data in all subsequent untagged FETCH responses".
  if (!condstore_ || f->modseq || o.modseq == 0) return resp;
  guard(o.modseq);
  return "* " + condstore::add_to_fetch(text, uid_sent ? std::nullopt : uid, o.modseq);
}

asio::awaitable<void> mediator::learn_new() {
  if (!view_.mailbox) co_return;
  std::uint32_t first = 0;
  for (std::uint32_t i = 0; i < view_.exists; ++i) {
    if (i >= view_.uids.size() || view_.uids[i] == 0) {
      first = i + 1;
      break;
    }
  }
  if (first == 0) co_return;
  // A message whose FETCH never reads is asked for once per EXISTS, not
  // after every command.
  if (std::pair(first, view_.exists) == learn_tried_) co_return;
  learn_tried_ = {first, view_.exists};
  auto tag = "P" + std::to_string(next_tag_++);
  co_await m_.backend->send_raw(tag + " FETCH " + std::to_string(first) + ":* (UID FLAGS)\r\n");
  auto done = co_await answer(tag, [&](std::string_view) {
    // Ours (the client did not ask); others' changes before `first` go on.
    return last_.uid != 0 && last_.seq >= first;
  });
  if (!core::istarts_with(std::string_view(done).substr(tag.size() + 1), "OK"))
    spdlog::warn("conn={} event=backend_fetch_failed user=\"{}\" response=\"{}\"", m_.id, m_.user,
                 done.substr(0, 120));
}

void mediator::report_vanished(std::uint64_t since, const syntax::sequence_set* known) {
  std::vector<std::uint32_t> present;
  for (auto u : view_.uids)
    if (u) present.push_back(u);
  std::sort(present.begin(), present.end());
  using span = std::pair<std::uint32_t, std::uint32_t>;
  std::vector<span> gone;
  if (auto logged = m_.cache->logged_expunges(view_.mailbox, since, view_.base)) {
    for (auto u : *logged)
      if (!std::binary_search(present.begin(), present.end(), u)) gone.emplace_back(u, u);
  } else {
    std::uint32_t top = std::max(view_.uidnext > 0 ? view_.uidnext - 1 : 0, present.empty() ? 0 : present.back());
    std::uint32_t next = 1;
    for (auto u : present) {
      if (u > next) gone.emplace_back(next, u - 1);
      next = u + 1;
    }
    if (next <= top && next != 0) gone.emplace_back(next, top);
  }
  if (known) {
    // "*" in a UID set: every UID above (an expunged UID may exceed the
    // largest in use, and "n:*" still covers it).
    std::vector<span> want;
    for (auto& r : known->ranges) {
      auto a = r.first == 0 ? UINT32_MAX : r.first, b = r.last == 0 ? UINT32_MAX : r.last;
      want.emplace_back(std::min(a, b), std::max(a, b));
    }
    std::sort(want.begin(), want.end());
    std::vector<span> merged;
    for (auto& w : want) {
      if (!merged.empty() && w.first <= merged.back().second) merged.back().second = std::max(merged.back().second, w.second);
      else merged.push_back(w);
    }
    want = std::move(merged);
    std::vector<span> both;
    std::size_t i = 0, j = 0;
    while (i < gone.size() && j < want.size()) {
      auto lo = std::max(gone[i].first, want[j].first), hi = std::min(gone[i].second, want[j].second);
      if (lo <= hi) both.emplace_back(lo, hi);
      (gone[i].second < want[j].second) ? ++i : ++j;
    }
    gone = std::move(both);
  }
  if (gone.empty()) return;
  // Adjacent spans as one ("1,2" is "1:2").
  std::vector<span> runs;
  for (auto& g : gone) {
    if (!runs.empty() && runs.back().second != UINT32_MAX && g.first <= runs.back().second + 1)
      runs.back().second = std::max(runs.back().second, g.second);
    else
      runs.push_back(g);
  }
  std::string set;
  for (auto& [a, b] : runs) {
    if (!set.empty()) set += ',';
    set += std::to_string(a);
    if (b != a) set += ":" + std::to_string(b);
  }
  untagged("* VANISHED (EARLIER) " + set);
}

template <class Take>
asio::awaitable<std::string> mediator::in_parts(const std::string& tag, const std::string& before,
                                                const std::vector<std::uint32_t>& numbers, const std::string& after,
                                                Take take) {
  constexpr std::size_t per = 500;
  for (std::size_t i = 0; i < numbers.size(); i += per) {
    std::vector<std::uint32_t> part(numbers.begin() + static_cast<std::ptrdiff_t>(i),
                                    numbers.begin() + static_cast<std::ptrdiff_t>(std::min(i + per, numbers.size())));
    bool last = i + per >= numbers.size();
    auto t = last ? tag : "P" + std::to_string(next_tag_++);
    co_await m_.backend->send_raw(t + " " + before + syntax::format_sequence_set(part) + after);
    auto done = co_await answer(t, take);
    if (last) co_return done;
    auto rest = std::string_view(done).substr(t.size() + 1);
    if (!core::istarts_with(rest, "OK")) co_return tag + " " + std::string(rest);
  }
  co_return tag + " OK Nothing to do";
}

std::string mediator::modseq_criterion(std::uint64_t value) {
  auto uids = m_.cache->changed_since(view_.mailbox, value == 0 ? 0 : value - 1);
  // Messages not learnt yet have no MODSEQ here: none after learn_new().
  if (uids.empty()) return "NOT ALL";
  return "UID " + syntax::format_sequence_set(uids);
}

// RFC 3501 §6.3.1, RFC 7162 §3.1.2.1: the backend's SELECT, then a FETCH of
// every message's UID and flags (the observation the MODSEQs come from),
// then OK [HIGHESTMODSEQ] before the tagged OK.
asio::awaitable<void> mediator::select(const std::string& cmd, const std::string& tag, const std::string& name) {
  condstore::select_args a;
  try {
    a = condstore::parse_select(std::string_view(cmd).substr(tag.size() + 1 + name.size()));
  } catch (const std::invalid_argument& e) {
    untagged(tag + " BAD " + e.what());
    co_return;
  }
  std::optional<syntax::sequence_set> known;
  if (a.qresync) {
    // RFC 7162 §3.2.5: QRESYNC only after ENABLE QRESYNC.
    if (!qresync_) {
      untagged(tag + " BAD QRESYNC parameter without ENABLE QRESYNC");
      co_return;
    }
    if (!a.qresync->known_uids.empty() && !(known = syntax::parse_sequence_set(a.qresync->known_uids))) {
      untagged(tag + " BAD Invalid known-uids");
      co_return;
    }
  }
  // A SELECT closes the mailbox selected before, even when it fails;
  // RFC 7162 §3.2.11: [CLOSED] marks where its responses end.
  if (backend_selected_) untagged("* OK [CLOSED] Previous mailbox closed");
  view_ = {};
  learn_tried_ = {};
  backend_selected_ = false;
  // RFC 7162 §3.1.8: SELECT (CONDSTORE) is a CONDSTORE-enabling command.
  if (a.condstore) condstore_ = true;
  std::string text = tag + " " + name + " " + std::string(a.mailbox) + "\r\n";
  if (!co_await send(text, tag)) co_return;
  std::optional<std::uint32_t> uidvalidity, uidnext, exists;
  auto code_value = [](std::string_view resp, std::string_view code) -> std::optional<std::uint32_t> {
    auto p = std::string("OK [") + std::string(code) + " ";
    if (!core::istarts_with(resp, p)) return std::nullopt;
    auto rest = resp.substr(p.size());
    return number<std::uint32_t>(rest.substr(0, rest.find(']')));
  };
  auto done = co_await answer(tag, [&](std::string_view resp) {
    // A backend's own [CLOSED] (Dovecot sends it whatever it offers): the
    // proxy's came first.
    if (core::istarts_with(resp, "OK [CLOSED]")) return true;
    if (auto v = code_value(resp, "UIDVALIDITY")) uidvalidity = v;
    else if (auto v = code_value(resp, "UIDNEXT")) uidnext = v;
    else if (auto sp = resp.find(' '); sp != std::string_view::npos && core::iequals(resp.substr(sp + 1), "EXISTS"))
      exists = number<std::uint32_t>(resp.substr(0, sp));
    return false;
  });
  bool ok = core::istarts_with(std::string_view(done).substr(tag.size() + 1), "OK");
  backend_selected_ = ok;
  if (!ok || !uidvalidity || !exists) {
    // RFC 7162 §3.1.2.2: a mailbox without persistent MODSEQs.
    if (ok) untagged("* OK [NOMODSEQ] No UIDVALIDITY or EXISTS from the mail server");
    untagged(done);
    co_return;
  }
  auto mb = m_.cache->open(m_.account, condstore::mailbox_name(a.mailbox), *uidvalidity);
  std::vector<std::pair<std::uint32_t, std::string>> seen;
  std::vector<std::uint32_t> seqs;
  // Whether the listing names every message: only then is a held message
  // it lacks an expunge (an unreadable response, or an EXPUNGE during it,
  // and nothing is inferred).
  bool complete = true;
  if (*exists > 0) {
    auto t = "P" + std::to_string(next_tag_++);
    co_await m_.backend->send_raw(t + " FETCH 1:* (UID FLAGS)\r\n");
    auto r = co_await answer(t, [&](std::string_view resp) {
      auto sp = resp.find(' ');
      auto seq = number<std::uint32_t>(resp.substr(0, sp));
      if (!seq || sp == std::string_view::npos) return false;
      auto what = resp.substr(sp + 1);
      // New mail meanwhile: its EXISTS reaches the client, and
      // learn_new() its UID after the command.
      if (core::iequals(what, "EXISTS")) exists = *seq;
      if (core::iequals(what, "EXPUNGE")) complete = false;
      if (!core::istarts_with(what, "FETCH (")) return false;
      auto f = read_fetch(resp);
      if (!f || !f->uid) {
        complete = false;
        return false;
      }
      seen.emplace_back(*f->uid, f->flags.value_or(""));
      seqs.push_back(*seq);
      return true;
    });
    if (!core::istarts_with(std::string_view(r).substr(t.size() + 1), "OK")) {
      spdlog::warn("conn={} event=backend_fetch_failed user=\"{}\" response=\"{}\"", m_.id, m_.user, r.substr(0, 120));
      untagged("* OK [NOMODSEQ] The mail server did not list the messages");
      untagged(done);
      co_return;
    }
  }
  m_.cache->observe_all(mb.id, seen, complete && seen.size() == *exists);
  view_.mailbox = mb.id;
  view_.base = mb.base;
  view_.uidnext = uidnext.value_or(0);
  view_.name = condstore::mailbox_name(a.mailbox);
  view_.exists = *exists;
  view_.uids.assign(*exists, 0);
  view_.states.assign(*exists, 0);
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    if (seqs[i] >= 1 && seqs[i] <= *exists) {
      view_.uids[seqs[i] - 1] = seen[i].first;
      view_.states[seqs[i] - 1] = state_of(seen[i].second);
    }
  }
  // STATUS's view of the mailbox (MESSAGES UIDNEXT UNSEEN), for a later
  // STATUS HIGHESTMODSEQ from a session that has not selected it.
  auto unseen = std::count_if(seen.begin(), seen.end(), [](auto& m) {
    return (" " + m.second + " ").find(" \\SEEN ") == std::string::npos;
  });
  m_.cache->set_fingerprint(mb.id, std::to_string(*exists) + " " + std::to_string(uidnext.value_or(0)) + " " +
                                       std::to_string(unseen));
  // Everything up to here is this session's knowledge (guard()).
  view_.checked = m_.cache->highest(mb.id);
  untagged("* OK [HIGHESTMODSEQ " + std::to_string(view_.checked) + "] Highest");
  // RFC 7162 §3.2.5.1: with the UIDVALIDITY the client knew, what changed
  // since its MODSEQ (VANISHED (EARLIER), then FETCH (UID FLAGS MODSEQ)
  // from the backend); with another UIDVALIDITY, nothing more.
  if (a.qresync && a.qresync->uidvalidity == *uidvalidity) {
    report_vanished(a.qresync->modseq, known ? &*known : nullptr);
    auto since = covered(a.qresync->modseq) ? a.qresync->modseq : 0;
    std::vector<std::uint32_t> changed;
    std::optional<syntax::interval_set> in;
    if (known) in.emplace(*known, view_.max_uid());
    for (auto u : m_.cache->changed_since(mb.id, since))
      if (!in || in->contains(u)) changed.push_back(u);
    if (!changed.empty()) {
      auto t = "P" + std::to_string(next_tag_++);
      std::string before = "UID FETCH ", after = " (UID FLAGS)\r\n";
      auto keep = [](std::string_view) { return false; };
      auto r = co_await in_parts(t, before, changed, after, keep);
      if (!core::istarts_with(std::string_view(r).substr(t.size() + 1), "OK"))
        spdlog::warn("conn={} event=backend_fetch_failed user=\"{}\" response=\"{}\"", m_.id, m_.user,
                     r.substr(0, 120));
    }
  }
  untagged(done);
}

// RFC 7162 §3.1.4: FETCH MODSEQ and (CHANGEDSINCE n). The backend is asked
// for UID and FLAGS too, so each response carries a MODSEQ that is
// current; CHANGEDSINCE becomes the set of messages whose MODSEQ is above.
asio::awaitable<void> mediator::fetch(const std::string& cmd, const std::string& tag, const std::string& name) {
  bool uid = name == "UID FETCH";
  auto args = std::string_view(cmd).substr(tag.size() + 1 + name.size());
  condstore::fetch_args a;
  bool parsed = view_.mailbox && args.find("\r\n") + 2 == args.size();
  if (parsed) {
    try {
      a = condstore::parse_fetch(args);
    } catch (const std::invalid_argument& e) {
      untagged(tag + " BAD " + e.what());
      co_return;
    }
  }
  // RFC 7162 §3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE, after
  // ENABLE QRESYNC.
  if (parsed && a.vanished && (!uid || !a.changedsince || !qresync_)) {
    untagged(tag + " BAD VANISHED needs UID FETCH, CHANGEDSINCE and ENABLE QRESYNC");
    co_return;
  }
  if (parsed && (a.modseq || a.changedsince)) condstore_ = true;  // RFC 7162 §3.1
  auto set = parsed ? syntax::parse_sequence_set(a.set) : std::nullopt;
  // "$" (RFC 5182) is the backend's to resolve.
  if (!parsed || !condstore_ || !set || set->saved) {
    if (co_await send(cmd, tag)) untagged(co_await answer(tag));
    co_return;
  }
  std::vector<std::string> items;
  if (a.items.size() == 1 && (core::iequals(a.items[0], "ALL") || core::iequals(a.items[0], "FAST") ||
                              core::iequals(a.items[0], "FULL"))) {
    // RFC 3501 §6.4.5: the macros, which stand alone.
    items = {"FLAGS", "INTERNALDATE", "RFC822.SIZE"};
    if (!core::iequals(a.items[0], "FAST")) items.push_back("ENVELOPE");
    if (core::iequals(a.items[0], "FULL")) items.push_back("BODY");
  } else {
    for (auto i : a.items) items.emplace_back(i);
  }
  for (auto want : {"UID", "FLAGS"})
    if (std::none_of(items.begin(), items.end(), [&](auto& i) { return core::iequals(i, want); }))
      items.emplace_back(want);
  std::string list = " (";
  for (std::size_t i = 0; i < items.size(); ++i) list += (i ? " " : "") + items[i];
  list += ")\r\n";
  if (!a.changedsince) {
    co_await m_.backend->send_raw(tag + " " + name + " " + std::string(a.set) + list);
    untagged(co_await answer(tag));
    co_return;
  }
  // RFC 7162 §3.2.6: VANISHED (EARLIER) before any FETCH.
  if (a.vanished) report_vanished(*a.changedsince, &*set);
  auto changed = m_.cache->changed_since(view_.mailbox, covered(*a.changedsince) ? *a.changedsince : 0);
  std::vector<std::uint32_t> numbers;
  if (uid) {
    syntax::interval_set in(*set, view_.max_uid());
    for (auto u : changed)
      if (in.contains(u)) numbers.push_back(u);
  } else {
    syntax::interval_set in(*set, view_.exists);
    // A message without a UID yet counts as changed.
    for (std::uint32_t seq = 1; seq <= view_.exists; ++seq) {
      auto u = seq <= view_.uids.size() ? view_.uids[seq - 1] : 0;
      if (in.contains(seq) && (u == 0 || std::binary_search(changed.begin(), changed.end(), u)))
        numbers.push_back(seq);
    }
  }
  if (numbers.empty()) {
    untagged(tag + " OK FETCH completed");
    co_return;
  }
  std::string before = name + " ";
  auto keep = [](std::string_view) { return false; };
  untagged(co_await in_parts(tag, before, numbers, list, keep));
}

// RFC 7162 §3.1.3: STORE (UNCHANGEDSINCE n) stores only where the MODSEQ,
// just refreshed, is not above n (not atomic against other writers to the
// backend: the check is the proxy's) and lists the rest in [MODIFIED];
// under .SILENT a client with CONDSTORE on still hears the MODSEQs (of
// every message stored under UNCHANGEDSINCE, else of each one changed).
// Plain .SILENT STOREs come here too: the backend's STORE is loud.
asio::awaitable<void> mediator::store(const std::string& cmd, const std::string& tag, const std::string& name) {
  bool uid = name == "UID STORE";
  auto args = std::string_view(cmd).substr(tag.size() + 1 + name.size());
  condstore::store_args a;
  bool parsed = view_.mailbox && args.find("\r\n") + 2 == args.size();
  if (parsed) {
    try {
      a = condstore::parse_store(args);
    } catch (const std::invalid_argument& e) {
      untagged(tag + " BAD " + e.what());
      co_return;
    }
  }
  auto set = parsed ? syntax::parse_sequence_set(a.set) : std::nullopt;
  // "$" (RFC 5182) is the backend's to resolve.
  if (!set || set->saved || (!a.unchangedsince && !a.silent())) {
    if (co_await send(cmd, tag)) untagged(co_await answer(tag));
    co_return;
  }
  if (a.unchangedsince) condstore_ = true;  // RFC 7162 §3.1
  bool silent = a.silent();
  if (!a.unchangedsince) {
    // A plain .SILENT STORE: the client's set as it sent it, to a loud
    // STORE. With CONDSTORE on its FETCHes go out whole (RFC 7162 §3.1.3
    // wants the MODSEQ, and the resulting FLAGS may hold another session's
    // change this client has not seen); without, those of the set are
    // dropped, as .SILENT asks.
    syntax::interval_set in(*set, uid ? UINT32_MAX : view_.exists);
    auto quiet = [&](std::string_view) {
      if (condstore_ || last_.uid == 0) return false;
      return in.contains(uid ? last_.uid : last_.seq);
    };
    std::string text = tag + " " + name + " " + std::string(a.set) + " " + a.item_loud() + " " +
                       std::string(a.value) + "\r\n";
    if (co_await send(text, tag)) untagged(co_await answer(tag, quiet));
    co_return;
  }
  // UNCHANGEDSINCE needs every message's UID and MODSEQ: those announced
  // by now are learnt (again, if an earlier try failed); a message that
  // still has none makes the STORE NO, never skipped.
  learn_tried_ = {};
  co_await learn_new();
  struct target {
    std::uint32_t seq, uid;
  };
  bool unknown = false;
  auto targets = [&] {
    std::vector<target> out;
    unknown = false;
    syntax::interval_set in(*set, uid ? view_.max_uid() : view_.exists);
    for (std::uint32_t seq = 1; seq <= view_.exists; ++seq) {
      auto u = seq <= view_.uids.size() ? view_.uids[seq - 1] : 0;
      if (u == 0) {
        unknown = unknown || uid || in.contains(seq);  // a UID set cannot tell
        continue;
      }
      if (in.contains(uid ? u : seq)) out.push_back({seq, u});
    }
    return out;
  };
  auto numbers = [&](const std::vector<target>& ts, bool uids) {
    std::vector<std::uint32_t> out;
    for (auto& t : ts) out.push_back(uids ? t.uid : t.seq);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto chosen = targets();
  if (!unknown && !chosen.empty()) {
    // RFC 7162 §3.1.3 is checked against MODSEQs as fresh as a FETCH of
    // the set makes them (a change made elsewhere since the last look
    // gets its MODSEQ first). FETCH, not UID FETCH, for a STORE: no
    // EXPUNGE may come during either (RFC 3501 §7.4.1). Changes are news
    // for the client; the rest is the proxy's.
    auto t = "P" + std::to_string(next_tag_++);
    std::string before = uid ? "UID FETCH " : "FETCH ", after = " (FLAGS)\r\n";
    auto quiet = [&](std::string_view) { return last_.uid != 0 && !last_.changed; };
    auto refresh = numbers(chosen, uid);
    co_await in_parts(t, before, refresh, after, quiet);
    chosen = targets();
  }
  if (unknown) {
    untagged(tag + " NO Some messages are not known to the proxy yet; try again");
    co_return;
  }
  std::vector<target> pass;
  std::vector<std::uint32_t> failed;
  for (auto& t : chosen) {
    // "Use of UNCHANGEDSINCE with a modification sequence of 0 always
    // fails if the metadata item exists": so does a message the proxy
    // holds no MODSEQ for.
    auto m = m_.cache->modseq(view_.mailbox, t.uid);
    if (m == 0 || m > *a.unchangedsince) failed.push_back(uid ? t.uid : t.seq);
    else pass.push_back(t);
  }
  auto pass_uids = numbers(pass, true);
  std::vector<std::uint32_t> told;
  // RFC 7162 §3.1.3: "An untagged FETCH response MUST be sent, even if the
  // .SILENT suffix is specified, and the response MUST include the MODSEQ
  // message data item": the backend's (with the resulting FLAGS), and for
  // a message it did not report, one of the proxy's below.
  auto take = [&](std::string_view) {
    if (last_.uid != 0 && std::binary_search(pass_uids.begin(), pass_uids.end(), last_.uid)) told.push_back(last_.uid);
    return false;
  };
  // The backend's own STORE is never silent: its FETCH responses are how
  // the proxy sees the new flags. A STORE stays a STORE (no EXPUNGE during
  // it). (Arguments named first: GCC 12 destroys temporaries in a
  // coroutine call's full expression twice.)
  std::string done = tag + " OK STORE completed";
  if (!pass.empty()) {
    std::string before = uid ? "UID STORE " : "STORE ";
    std::string after = " " + a.item_loud() + " " + std::string(a.value) + "\r\n";
    auto stored = numbers(pass, uid);
    done = co_await in_parts(tag, before, stored, after, take);
  }
  bool ok = core::istarts_with(std::string_view(done).substr(tag.size() + 1), "OK");
  if (ok && silent) {
    std::sort(told.begin(), told.end());
    for (auto& t : pass) {
      if (std::binary_search(told.begin(), told.end(), t.uid) || t.seq > view_.uids.size() ||
          view_.uids[t.seq - 1] != t.uid)
        continue;
      auto m = m_.cache->modseq(view_.mailbox, t.uid);
      guard(m);
      untagged("* " + std::to_string(t.seq) + " FETCH (UID " + std::to_string(t.uid) + " MODSEQ (" +
               std::to_string(m) + "))");
    }
  }
  if (!failed.empty() && ok) {
    std::sort(failed.begin(), failed.end());
    done = tag + " OK [MODIFIED " + syntax::format_sequence_set(failed) + "] Conditional STORE failed";
  }
  untagged(done);
}

// RFC 7162 §3.1.7: STATUS (HIGHESTMODSEQ). The backend is asked for what
// tells a change (MESSAGES, UIDNEXT, UIDVALIDITY); the client gets what
// it asked for, with the proxy's HIGHESTMODSEQ.
asio::awaitable<void> mediator::status(const std::string& cmd, const std::string& tag, const std::string& name) {
  condstore::status_args a;
  try {
    a = condstore::parse_status(std::string_view(cmd).substr(tag.size() + 1 + name.size()));
  } catch (const std::invalid_argument&) {
    a = {};
  }
  if (!a.highestmodseq) {
    if (co_await send(cmd, tag)) untagged(co_await answer(tag));
    co_return;
  }
  condstore_ = true;  // RFC 7162 §3.1
  auto asked = a.items;
  for (auto want : {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"})
    if (std::find(a.items.begin(), a.items.end(), want) == a.items.end()) a.items.emplace_back(want);
  std::string text = tag + " STATUS " + std::string(a.mailbox) + " (";
  for (std::size_t i = 0; i < a.items.size(); ++i) text += (i ? " " : "") + a.items[i];
  text += ")\r\n";
  if (!co_await send(text, tag)) co_return;
  auto done = co_await answer(tag, [&](std::string_view resp) {
    if (!core::istarts_with(resp, "STATUS ")) return false;
    auto open = resp.rfind('(');
    if (open == std::string_view::npos || open < 8) return false;
    std::vector<client::value> values;
    try {
      values = client::parse_values(resp.substr(open));
    } catch (const std::exception&) {
      return false;
    }
    if (values.size() != 1) return false;
    auto& pairs = values[0].items;
    std::string kept;
    std::string messages, uidnext, unseen;
    std::optional<std::uint32_t> uidvalidity;
    for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
      auto item = core::to_upper(pairs[i].text);
      if (item == "MESSAGES") messages = pairs[i + 1].text;
      if (item == "UIDNEXT") uidnext = pairs[i + 1].text;
      if (item == "UNSEEN") unseen = pairs[i + 1].text;
      if (item == "UIDVALIDITY") uidvalidity = number<std::uint32_t>(pairs[i + 1].text);
      if (std::find(asked.begin(), asked.end(), item) == asked.end()) continue;
      kept += pairs[i].text + " " + pairs[i + 1].text + " ";
    }
    if (!uidvalidity) return false;
    auto raw = resp.substr(7, open - 8);
    auto mailbox = condstore::mailbox_name(raw);
    std::uint64_t highest = view_.mailbox && mailbox == view_.name
                                ? revealed_highest()
                                : m_.cache->status(m_.account, mailbox, *uidvalidity,
                                                   messages + " " + uidnext + " " + unseen);
    untagged("* STATUS " + std::string(raw) + " (" + kept + "HIGHESTMODSEQ " + std::to_string(highest) + ")");
    return true;
  });
  untagged(done);
}

// RFC 5161 §3.1: ENABLE CONDSTORE and QRESYNC are the proxy's; other names go to a
// backend that has ENABLE (and are ignored where it has none, as unknown
// names are).
asio::awaitable<void> mediator::enable(const std::string& cmd, const std::string& tag, const std::string& name) {
  std::vector<std::string_view> names;
  try {
    names = condstore::tokens(std::string_view(cmd).substr(tag.size() + 1 + name.size(),
                                                           cmd.size() - tag.size() - 1 - name.size() - 2));
  } catch (const std::invalid_argument&) {
  }
  if (names.empty()) {
    untagged(tag + " BAD ENABLE takes capability names");
    co_return;
  }
  std::string enabled, rest;
  for (auto n : names) {
    if (core::iequals(n, "CONDSTORE")) {
      if (!condstore_) enabled += " CONDSTORE";
      condstore_ = true;
    } else if (core::iequals(n, "QRESYNC")) {
      // RFC 7162 §3.2.3: enabling QRESYNC enables CONDSTORE too.
      if (!qresync_) enabled += " QRESYNC";
      qresync_ = condstore_ = true;
    } else {
      rest += " " + std::string(n);
    }
  }
  std::string done = tag + " OK ENABLE completed";
  if (!rest.empty() && !m_.add.enable) {
    co_await m_.backend->send_raw(tag + " ENABLE" + rest + "\r\n");
    done = co_await answer(tag, [&](std::string_view resp) {
      if (!core::istarts_with(resp, "ENABLED")) return false;
      enabled += resp.substr(7);
      return true;
    });
  }
  untagged("* ENABLED" + enabled);
  untagged(done);
}

asio::awaitable<void> mediator::command(std::string cmd) {
  syntax::lexer in(cmd, m_.cfg.max_nesting_depth);
  auto head = imap::parse::parse_head(in);
  if (!in.ok()) {
    untagged((head.tag.empty() ? std::string("*") : head.tag) + " BAD Missing or invalid tag or command");
    co_return;
  }
  auto& tag = head.tag;
  auto& name = head.name;
  // The rest of the line after the name: nothing, for the commands below
  // that take no arguments.
  auto args = std::string_view(cmd).substr(tag.size() + 1 + name.size());
  bool bare = args == "\r\n";
  if (name == "CAPABILITY") {
    if (!bare) {
      untagged(tag + " BAD CAPABILITY takes no arguments");
    } else {
      untagged("* CAPABILITY " + m_.capabilities);
      untagged(tag + " OK CAPABILITY completed");
    }
  } else if (name == "STARTTLS" || name == "LOGIN" || name == "AUTHENTICATE" || name == "UNAUTHENTICATE") {
    // RFC 3501 §6.2: not-authenticated state only.
    untagged(tag + " BAD Already logged in");
  } else if (name == "COMPRESS") {
    // RFC 4978 §3, toward the client only: the backend's octets are read
    // here, whatever it offers.
    if (!m_.cfg.compress || !core::iequals(args, " DEFLATE\r\n")) {
      untagged(tag + " BAD COMPRESS DEFLATE is what is offered");
    } else if (compressed_) {
      untagged(tag + " NO [COMPRESSIONACTIVE] DEFLATE is already active");
    } else {
      untagged(tag + " OK DEFLATE active");
      co_await flush();
      net::deflate_options o;
      o.level = static_cast<int>(m_.cfg.compress_level);
      o.window_bits = static_cast<int>(m_.cfg.compress_window_bits);
      o.mem_level = static_cast<int>(m_.cfg.compress_mem_level);
      // "starting immediately after the CRLF which ends the tagged OK";
      // what the client sent after the command is compressed already.
      m_.client->start_compress(o, m_.cfg.compress_release, in_);
      in_.clear();
      compressed_ = true;
    }
  } else if (name == "IDLE" && bare) {
    if (m_.add.idle) co_await idle_here(tag);
    else co_await idle_there(cmd, tag);
  } else if ((name == "SEARCH" || name == "UID SEARCH") && (m_.add.esearch || m_.add.condstore)) {
    co_await search(cmd, tag, name);
  } else if ((name == "SELECT" || name == "EXAMINE") && m_.add.condstore) {
    co_await select(cmd, tag, name);
  } else if ((name == "FETCH" || name == "UID FETCH") && m_.add.condstore) {
    co_await fetch(cmd, tag, name);
  } else if ((name == "STORE" || name == "UID STORE") && m_.add.condstore) {
    co_await store(cmd, tag, name);
  } else if (name == "STATUS" && m_.add.condstore) {
    co_await status(cmd, tag, name);
  } else if (name == "ENABLE" && m_.add.condstore) {
    co_await enable(cmd, tag, name);
  } else {
    expunged_ = 0;
    if (co_await send(cmd, tag)) {
      auto done = co_await answer(tag);
      bool ok = core::istarts_with(std::string_view(done).substr(tag.size() + 1), "OK ");
      // RFC 3501 §6.4.2, RFC 3691: no mailbox is selected after these.
      if ((name == "CLOSE" || name == "UNSELECT") && ok) {
        view_ = {};
        backend_selected_ = false;
      }
      // RFC 7162 §3.2.7: under QRESYNC, the new HIGHESTMODSEQ when
      // anything was expunged.
      if ((name == "EXPUNGE" || name == "UID EXPUNGE") && ok && qresync_ && expunged_ > 0 && view_.mailbox) {
        auto h = "HIGHESTMODSEQ " + std::to_string(revealed_highest());
        if (done[tag.size() + 4] != '[') done.insert(tag.size() + 4, "[" + h + "] ");
        else untagged("* OK [" + h + "] Highest");  // the backend's OK has a code of its own
      }
      untagged(done);
    }
    if (name == "LOGOUT") {
      co_await flush();
      throw session_over{};
    }
  }
  // New messages announced during the command get their UIDs (and the
  // MODSEQs the proxy gives them) now.
  co_await learn_new();
}

asio::awaitable<void> mediator::run() {
  ex_ = co_await asio::this_coro::executor;
  for (;;) {
    auto ev = framer_.next(in_);
    using kind = syntax::framer::kind;
    if (ev.what == kind::need_more) {
      check_stop();
      co_await flush();
      auto r = co_await wait_either(clock::now() + m_.cfg.timeout_authenticated, true);
      check_stop();
      if (r == 0) continue;  // the client's octets are in in_
      if (r == 1 && !m_.backend->response_buffered()) continue;  // part of one
      if (r == 1) {
        // Unsolicited (RFC 3501 §7: a BYE when the backend shuts down).
        auto resp = co_await m_.backend->next_response();
        if (!resp.starts_with("* ")) throw client::error("unexpected response: " + resp.substr(0, 40));
        bool bye = core::istarts_with(resp, "* BYE");
        untagged(observe(std::move(resp)));
        if (bye) {
          co_await flush();
          throw session_over{};
        }
        co_await learn_new();
      } else {
        // RFC 3501 §5.4: the autologout timer of an authenticated session.
        untagged("* BYE Autologout; idle for too long");
        co_await flush();
        throw session_over{};
      }
      continue;
    }
    if (ev.what == kind::need_continuation) {
      untagged("+ Ready for literal data");
      co_await flush();
      continue;
    }
    if (ev.what != kind::command) {
      in_.erase(0, ev.size);
      if (ev.what == kind::discard) continue;
      auto t = ev.tag.empty() ? std::string("*") : ev.tag;
      bool no = ev.why == syntax::framer::reason::literal_too_big || ev.why == syntax::framer::reason::command_too_big;
      untagged(t + (no ? " NO [TOOBIG] " : " BAD [TOOBIG] ") + "Command too long");
      if (ev.what == kind::reject_and_close) {
        co_await flush();
        throw session_over{};
      }
      continue;
    }
    std::string cmd = in_.substr(0, ev.size);
    in_.erase(0, ev.size);
    co_await command(std::move(cmd));
  }
}

}  // namespace

asio::awaitable<void> mediate(mediation m) {
  auto id = m.id;
  auto user = m.user;
  auto client_stream = m.client;
  auto* backend = m.backend.get();
  mediator md(std::move(m));
  bool backend_failed = false, cache_failed = false;
  std::string why;
  try {
    try {
      co_await md.run();
    } catch (const mediator::stopped&) {
    }
    co_await md.flush_now();
  } catch (const session_over&) {
  } catch (const client_gone& e) {
    why = e.what();
  } catch (const store::sqlite::db_error& e) {
    // The proxy's own CONDSTORE cache (a full disk, say), not the backend.
    backend_failed = cache_failed = true;
    why = e.what();
  } catch (const std::exception& e) {
    backend_failed = true;
    why = e.what();
  }
  if (backend_failed) {
    spdlog::warn("conn={} event={} user=\"{}\" error=\"{}\"", id, cache_failed ? "cache_failed" : "backend_failed",
                 user, why);
    std::string bye = cache_failed ? "* BYE [UNAVAILABLE] The proxy failed; try again later\r\n"
                                   : "* BYE [UNAVAILABLE] The mail server failed; try again later\r\n";
    // A client that does not read gets no longer than this.
    asio::steady_timer t(co_await asio::this_coro::executor, 10s);
    t.async_wait([client_stream](boost::system::error_code ec) {
      if (!ec) client_stream->close();
    });
    try {
      co_await client_stream->write(asio::buffer(bye));
    } catch (const std::exception&) {
    }
    t.cancel();
    backend->close();
  } else {
    backend->set_timeout(5s);
    bool left = true;
    try {
      co_await md.leave_backend_idle();
    } catch (const std::exception&) {
      left = false;
    }
    if (left) co_await backend->logout();
    else backend->close();
  }
  client_stream->close();
  spdlog::info("conn={} event=disconnect protocol=imap-proxy user=\"{}\" mediated=true", id, user);
}

}  // namespace lemonade::proxy
