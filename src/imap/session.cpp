#include "imap/session.hpp"

#include "core/strings.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include "imap/parse/parse.hpp"
#include "imap/commands/commands.hpp"
#include "imap/registry.hpp"
#include "net/deflate.hpp"
#include "imap/syntax/sequence_set.hpp"

namespace lemonade::imap {

using namespace response;

namespace {

constexpr std::size_t read_chunk = 4096;
constexpr std::size_t max_read_chunk = 1 << 20;
constexpr std::size_t flush_threshold = 64 * 1024;
constexpr auto write_timeout = std::chrono::seconds(60);
constexpr auto handshake_timeout = std::chrono::seconds(30);

syntax::framer_limits limits_of(const core::config& cfg) {
  syntax::framer_limits l;
  l.max_line = cfg.max_line_length;
  l.max_literal = cfg.max_literal_size;
  l.max_command = cfg.max_command_size;
  // RFC 7888 §4: with LITERAL- a non-synchronizing literal is at most 4096.
  l.max_nonsync_literal = cfg.literal == core::literal_mode::minus ? 4096 : SIZE_MAX;
  return l;
}

// One place maps store refusals to IMAP codes (STYLE.md §5).
status_line map_store_error(const std::string& tag, const store::error& e) {
  using c = store::error::code;
  std::string code;
  switch (e.what_code) {
    case c::nonexistent: code = "NONEXISTENT"; break;
    case c::already_exists: code = "ALREADYEXISTS"; break;
    case c::limit: code = "LIMIT"; break;
    // RFC 5530 §3: OVERQUOTA, "The user would be over quota after the
    // operation": what a user can act on (delete mail), as for a quota.
    case c::no_space:
    case c::over_quota: code = "OVERQUOTA"; break;
    case c::noselect:
    case c::has_children:
    case c::not_permitted:
    case c::invalid_name: code = "CANNOT"; break;
  }
  std::string text = e.what();
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return {tag, status::no, response::code{code, {}}, text};
}

}  // namespace

session::session(server_context& srv, net::stream s, connection_info info)
    : srv_(srv),
      stream_(std::move(s)),
      framer_(limits_of(srv.cfg)),
      timer_(stream_.socket().get_executor()),
      wake_(stream_.socket().get_executor()) {
  data_.conn = std::move(info);
}

session::~session() = default;

std::chrono::seconds session::idle_timeout() const {
  return data_.state == session_state::not_authenticated ? srv_.cfg.timeout_unauthenticated
                                                         : srv_.cfg.timeout_authenticated;
}

void session::arm_deadline(std::chrono::steady_clock::duration d, bool hard) {
  timer_.expires_after(d);
  timer_.async_wait([weak = weak_from_this(), hard](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->timed_out_ = true;
    // A read is cancelled so we can still say BYE; a stuck write or
    // handshake gets the socket closed under it.
    if (hard) self->stream_.close();
    else self->stream_.cancel();
  });
}

void session::request_shutdown(std::string why) {
  if (!shutdown_requested_) shutdown_text_ = std::move(why);
  shutdown_requested_ = true;
  spdlog::debug("conn={} event=shutdown_requested waiting={} mid_command={}", data_.conn.id, waiting_for_client_,
                framer_.mid_command());
  // Only a session idle between commands is interrupted; one in the
  // middle of a command (even one still receiving its literal) finishes.
  // (The framer has scanned every buffered octet before a read, so
  // mid_command() also covers a partly received command line.)
  if (waiting_for_client_ && !framer_.mid_command()) stream_.cancel();
  if (idling_ || notify_waiting_) wake();
}

void session::wake() {
  woken_ = true;
  wake_.cancel();
}

void session::say(status st, std::string text, std::string tag) {
  write(data_.out, status_line{std::move(tag), st, std::nullopt, std::move(text)}, data_.wopts);
}

asio::awaitable<void> session::flush() {
  if (data_.out.empty()) co_return;
  if (seal_digest_) {
    seal_digest_more();
    seal_mark_ = 0;
  }
  arm_deadline(write_timeout, true);
  try {
    co_await stream_.write(asio::buffer(data_.out));
  } catch (...) {
    timer_.cancel();
    throw;
  }
  timer_.cancel();
  data_.out.clear();
  if (data_.out.capacity() > flush_threshold) data_.out.shrink_to_fit();
}

asio::awaitable<session::read_result> session::read_more(std::size_t hint) {
  if (start_ > 0) {
    in_.erase(0, start_);
    start_ = 0;
  }
  // Buffers grow only while a big command is in flight (DESIGN.md §3).
  std::size_t want = std::clamp(hint, read_chunk, max_read_chunk);
  // A shutdown requested while we were busy (say, flushing the last
  // response) found no read to cancel: do not start one.
  if (shutdown_requested_ && !framer_.mid_command()) co_return read_result::cancelled;
  waiting_for_client_ = true;
  timed_out_ = false;
  arm_deadline(idle_timeout(), false);
  read_result result = read_result::data;
  std::size_t n = 0;
  std::size_t old = in_.size();
  try {
    // DESIGN.md §3: a connection waiting for its client holds no buffers.
    // The input and output buffers go while it waits (a command being
    // received keeps its bytes) and a read buffer comes when input does.
    if (in_.empty()) {
      release_buffers();
      co_await stream_.wait_readable();
    }
    in_.resize(old + want);
    n = co_await stream_.read_some(asio::buffer(in_.data() + old, want));
  } catch (const boost::system::system_error& e) {
    note_read_error(e);
    if (timed_out_) result = read_result::timeout;
    else if (e.code() == asio::error::operation_aborted) result = read_result::cancelled;
    else result = read_result::closed;
  }
  timer_.cancel();
  waiting_for_client_ = false;
  if (in_.size() >= old) in_.resize(old + n);
  co_return result;
}

void session::note_read_error(const boost::system::system_error& e) {
  // RFC 4978: compressed input that does not inflate ends the connection.
  if (e.code().category() == net::compress_category())
    spdlog::warn("conn={} event=compress_error error=\"{}\"", data_.conn.id, e.what());
}

void session::release_buffers() {
  if (in_.empty()) std::string().swap(in_);
  if (data_.out.empty()) std::string().swap(data_.out);
}

// `self` keeps the session alive while the read is outstanding.
asio::awaitable<void> session::notify_reader([[maybe_unused]] std::shared_ptr<session> self, std::size_t want) {
  std::size_t old = in_.size();
  read_result r = read_result::data;
  std::size_t n = 0;
  try {
    if (in_.empty()) {
      release_buffers();
      co_await stream_.wait_readable();
    }
    in_.resize(old + want);
    n = co_await stream_.read_some(asio::buffer(in_.data() + old, want));
  } catch (const boost::system::system_error& e) {
    note_read_error(e);
    r = e.code() == asio::error::operation_aborted ? read_result::cancelled : read_result::closed;
  }
  if (in_.size() >= old) in_.resize(old + n);
  notify_read_ = r;
  wake();
}

asio::awaitable<session::read_result> session::read_notifying(std::size_t hint) {
  if (start_ > 0) {
    in_.erase(0, start_);
    start_ = 0;
  }
  if (shutdown_requested_) co_return read_result::cancelled;
  // As in IDLE: a reader waits for the client (a read and a write may be
  // outstanding at once) while this loop reports events when they come.
  auto self = shared_from_this();
  auto ex = wake_.get_executor();
  auto waker = this->waker();
  auto view = data_.selected;
  auto state = data_.notify;
  if (view) view->set_waker(waker);
  state->queue->set_waker(waker);
  // Events of the selected mailbox go out at once only when NOTIFY asked
  // for them; its expunges only with SELECTED, not SELECTED-DELAYED
  // (RFC 5465 §6.1.1, §6.1.2).
  auto* group = state->selected_group();
  bool selected_events = view && group && !group->none && group->message_new;
  bool expunges_now = selected_events && group->which == parse::notify_group::filter::selected;
  notify_read_.reset();
  waiting_for_client_ = notify_waiting_ = true;
  timed_out_ = false;
  asio::co_spawn(ex, notify_reader(self, std::clamp(hint, read_chunk, max_read_chunk)), asio::detached);
  auto logout_at = std::chrono::steady_clock::now() + idle_timeout();
  bool stopping = false;
  while (!notify_read_) {
    if (!stopping && (shutdown_requested_ || std::chrono::steady_clock::now() >= logout_at ||
                      data_.state == session_state::logout)) {
      // Autologout (RFC 3501 §5.4), shutdown, or the selected mailbox went
      // away: end the read, then let serve() say why.
      timed_out_ = !shutdown_requested_ && data_.state != session_state::logout;
      stopping = true;
      stream_.cancel();
      continue;
    }
    bool work = !stopping && ((selected_events && view->has_unreported(expunges_now)) ||
                              (data_.notify && data_.notify->queue->pending()));
    if (work) {
      command_context ctx("*", "NOTIFY", srv_, data_, *this);
      if (selected_events) co_await report_changes(ctx, expunges_now);
      if (data_.state != session_state::logout) co_await commands::report_notify_events(ctx);
      co_await flush();
      continue;
    }
    wake_.expires_at(stopping ? std::chrono::steady_clock::time_point::max() : logout_at);
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  waiting_for_client_ = notify_waiting_ = false;
  if (view) view->set_waker({});
  state->queue->set_waker({});
  if (timed_out_) co_return read_result::timeout;
  if (data_.state == session_state::logout) co_return read_result::closed;
  co_return *notify_read_;
}

void session::consume(std::size_t n) {
  start_ += n;
  if (start_ >= in_.size()) {
    in_.clear();
    start_ = 0;
    if (in_.capacity() > 2 * read_chunk) in_.shrink_to_fit();
  }
}

asio::awaitable<std::optional<std::string>> session::read_line(std::size_t max) {
  for (;;) {
    std::string_view view(in_);
    view.remove_prefix(start_);
    auto lf = view.find('\n');
    if (lf != std::string_view::npos) {
      if (lf > max + 1) co_return std::nullopt;
      std::string line(view.substr(0, lf));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      consume(lf + 1);
      co_return line;
    }
    if (view.size() > max + 1) co_return std::nullopt;
    if (co_await read_more(read_chunk) != read_result::data) co_return std::nullopt;
    if (in_.size() == start_) co_return std::nullopt;  // eof
  }
}

asio::awaitable<void> session::start_tls(const status_line& ok) {
  write(data_.out, ok, data_.wopts);
  co_await flush();
  // RFC 3501 §6.2.1 / RFC 2595 §3.1: anything the client sent after
  // STARTTLS was sent in the clear and must not be taken as commands.
  in_.clear();
  start_ = 0;
  arm_deadline(handshake_timeout, true);
  try {
    // Named, not a temporary: GCC 12 may destroy temporaries of a co_await
    // expression twice.
    auto tls = srv_.tls();
    co_await stream_.start_tls(tls);
  } catch (...) {
    timer_.cancel();
    throw;
  }
  timer_.cancel();
  data_.tls_active = true;
  spdlog::debug("conn={} event=starttls tls=\"{}\"", data_.conn.id, stream_.tls_description());
}

asio::awaitable<void> session::start_compress(const status_line& ok) {
  write(data_.out, ok, data_.wopts);
  co_await flush();
  // RFC 4978 §3: the server compresses "starting immediately after the
  // CRLF which ends the tagged OK response", and so does the client after
  // it; whatever it sent after the command line is compressed already.
  std::string_view rest(in_);
  rest.remove_prefix(std::min(start_, in_.size()));
  auto& c = srv_.cfg;
  net::deflate_options opts;
  opts.level = static_cast<int>(c.compress_level);
  opts.window_bits = static_cast<int>(c.compress_window_bits);
  opts.mem_level = static_cast<int>(c.compress_mem_level);
  stream_.start_compress(opts, c.compress_release, rest);
  in_.clear();
  start_ = 0;
  spdlog::debug("conn={} event=compress", data_.conn.id);
}

asio::awaitable<void> session::sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(asio::use_awaitable);
}

void session::reject(const syntax::framer::event& ev) {
  using r = syntax::framer::reason;
  switch (ev.why) {
    case r::line_too_long:
      write(data_.out, status_line{ev.tag, status::bad, code{"TOOBIG", {}}, "Command line too long"}, data_.wopts);
      break;
    case r::nonsync_too_big:
      // RFC 7888 §4: LITERAL- allows at most 4096 octets non-synchronized.
      write(data_.out,
            status_line{ev.tag, status::bad, code{"TOOBIG", {}}, "Non-synchronizing literal over 4096 octets"},
            data_.wopts);
      break;
    case r::literal_too_big:
    case r::command_too_big:
    case r::none:
      // RFC 4469 §4 / RFC 7888 §4: NO [TOOBIG] for a literal over the limit.
      write(data_.out, status_line{ev.tag, status::no, code{"TOOBIG", {}}, "Literal too big"}, data_.wopts);
      break;
  }
  spdlog::info("conn={} event=rejected tag={} reason={}", data_.conn.id, ev.tag, static_cast<int>(ev.why));
}

asio::awaitable<void> session::report_changes(command_context& ctx, bool allow_expunge) {
  // RFC 3501 §5.2, §7: changes by other sessions are announced with
  // untagged responses before a command completes; EXPUNGE waits while
  // FETCH, STORE or SEARCH is answered (§7.4.1).
  auto view = data_.selected;
  if (!view || !view->pending()) co_return;
  std::size_t count_before = view->exists();
  auto recent_before = view->recent();
  // RFC 7162 §3.1.2.1: under CONDSTORE the client also learns the new
  // HIGHESTMODSEQ, read before the events are applied so that every change
  // up to it is among them (account::settled_highestmodseq). Without it a
  // client that appended or saw an APPEND keeps an old value and takes the
  // new messages for changed ones on its next resync.
  std::optional<store::modseq> settled;
  // Reads only (a \Recent claim is a lock, not a write: claim_recent), of
  // what changed since the view was last brought up to date: a quick read.
  auto ch = co_await ctx.blocking(
      [&] {
        if (data_.condstore) settled = data_.account->settled_highestmodseq(view->info().id);
        return view->sync(allow_expunge);
      },
      command_context::work::quick);
  if (ch.mailbox_gone) {
    say(status::bye, "Selected mailbox was deleted");
    data_.state = session_state::logout;
    co_return;
  }
  if (!ch.expunged.empty() && !data_.live_searches.empty()) {
    // RFC 5267 §4.3.4: updating searches drop them first. ch.expunged runs
    // from the highest number down, ch.expunged_uids up.
    std::vector<std::pair<store::uid, std::uint32_t>> gone;
    for (std::size_t i = 0; i < ch.expunged_uids.size(); ++i)
      gone.emplace_back(ch.expunged_uids[i], ch.expunged[ch.expunged.size() - 1 - i]);
    co_await commands::update_live_searches(ctx, &gone);
  }
  if (data_.qresync) {
    // RFC 7162 §3.2.10.2: once QRESYNC is enabled, VANISHED replaces
    // EXPUNGE.
    if (!ch.expunged_uids.empty()) {
      std::vector<std::uint32_t> uids;
      for (auto u : ch.expunged_uids) uids.push_back(store::to_int(u));
      ctx.untagged(untagged{{atom{"VANISHED"}, atom{syntax::format_sequence_set(uids)}}});
    }
  } else {
    for (auto seq : ch.expunged) ctx.untagged(untagged{{number{seq}, atom{"EXPUNGE"}}});
  }
  // RFC 3501 §7.2.6: keywords that other sessions set, or that new
  // messages carry, are announced in FLAGS before a FETCH shows them.
  std::size_t kept = count_before - ch.expunged.size();
  bool learned = false;
  for (auto seq : ch.flags_changed) learned = view->learn(view->messages()[seq - 1].flags) || learned;
  for (std::size_t i = kept; i < view->messages().size(); ++i) learned = view->learn(view->messages()[i].flags) || learned;
  if (learned) commands::send_flags(ctx, *view);
  if (!ch.exists_changed && view->recent() != recent_before) {
    // RFC 3501 §7.3.2: RECENT is sent "if the size of the mailbox
    // changes"; an expunge of recent messages changes the count.
    ctx.untagged(untagged{{number{view->recent()}, atom{"RECENT"}}});
  }
  if (ch.exists_changed) {
    ctx.untagged(untagged{{number{view->exists()}, atom{"EXISTS"}}});
    ctx.untagged(untagged{{number{view->recent()}, atom{"RECENT"}}});
    // RFC 5465 §5.2: MessageNew with fetch attributes: a FETCH of each new
    // message after the EXISTS.
    auto* group = data_.notify ? data_.notify->selected_group() : nullptr;
    if (group && group->message_new && !group->new_atts.empty() && view->exists() > kept) {
      parse::fetch_cmd f;
      f.uid = true;
      f.atts = group->new_atts;
      auto& msgs = view->messages();
      f.set.ranges.push_back({store::to_int(msgs[kept].id), store::to_int(msgs.back().id)});
      parse::command_args args = std::move(f);
      co_await commands::fetch(ctx, args);
    }
  }
  for (auto seq : ch.flags_changed) {
    // The UID always (RFC 7162 §3.2.4 requires it under QRESYNC), MODSEQ
    // once CONDSTORE is enabled (§3.1).
    commands::write_flags_fetch(ctx, seq, *view, view->messages()[seq - 1], /*uid_first=*/false, data_.condstore);
  }
  if (data_.condstore && ch.below_held) {
    // RFC 7162 §3.2: expunges wait (RFC 3501 §7.4.1) while MODSEQs above
    // theirs may have gone out (FETCH responses, this command's own); the
    // last HIGHESTMODSEQ the client hears must be below them, so that a
    // client cut off now resyncs from before the expunges.
    view->set_announced_modseq(*ch.below_held);
    ctx.untagged_ok(code{"HIGHESTMODSEQ", {number{store::to_int(*ch.below_held)}}}, "Highest");
  }
  if (settled && ch.complete && store::to_int(*settled) > store::to_int(view->announced_modseq())) {
    view->set_announced_modseq(*settled);
    // Not when the FETCH responses above already carried it, nor when the
    // tagged OK will (EXPUNGE and MOVE under QRESYNC, §3.2.10): the bytes
    // matter on a phone.
    std::uint64_t in_fetches = 0;
    for (auto seq : ch.flags_changed)
      in_fetches = std::max(in_fetches, store::to_int(view->messages()[seq - 1].mod));
    bool in_result = ctx.result.resp_code && ctx.result.resp_code->name == "HIGHESTMODSEQ";
    if (store::to_int(*settled) > in_fetches && !in_result)
      ctx.untagged_ok(code{"HIGHESTMODSEQ", {number{store::to_int(*settled)}}}, "Highest");
  }
  // RFC 5267 §4.3.3: new and changed messages may join or leave updating
  // searches (after the EXISTS).
  if (ch.exists_changed || !ch.flags_changed.empty()) co_await commands::update_live_searches(ctx, nullptr);
}

asio::awaitable<void> session::announce_highestmodseq(command_context& ctx) {
  auto view = data_.selected;
  // The mailbox's value if every change up to it has reached the client
  // (nothing pending in the view after the settled read: see
  // account::settled_highestmodseq), else the last value it was told.
  auto settled = co_await ctx.blocking(
      [&] { return data_.account->settled_highestmodseq(view->info().id); }, command_context::work::quick);
  auto value = view->announced_modseq();
  if (settled && !view->pending() && store::to_int(*settled) > store::to_int(value)) value = *settled;
  view->set_announced_modseq(value);
  ctx.untagged_ok(code{"HIGHESTMODSEQ", {number{store::to_int(value)}}}, "Highest");
}

namespace {

// Commands a client cannot seal: they exchange more than one command's
// octets with the client (IDLE, AUTHENTICATE, STARTTLS, COMPRESS), or
// change the binding the seal is checked against (XKEY, XSEALED).
bool sealable(std::string_view name) {
  for (auto n : {"XSEALED", "XKEY", "IDLE", "AUTHENTICATE", "LOGIN", "STARTTLS", "COMPRESS"})
    if (name == n) return false;
  return true;
}

}  // namespace

std::string session::seal_context() const {
  if (!data_.selected) return "XSEALED -";
  return "XSEALED " + data_.selected->info().name + " " + std::to_string(data_.selected->info().uidvalidity);
}

void session::seal_digest_more() {
  auto more = std::string_view(data_.out).substr(seal_mark_);
  seal_digest_->update(more);
  seal_octets_ += more.size();
  seal_mark_ = data_.out.size();
}

void session::answer(const status_line& r, std::optional<std::uint64_t> sealed) {
  if (sealed && data_.xenc) {
    // docs/xencrypted.md: the store's answer to a sealed command, sealed
    // for the client ("* XSEALED" before the tagged line), so a proxy
    // cannot answer it in the store's place.
    // Its plaintext: how many octets were sent for the command before it
    // (its untagged responses, and any other news), their SHA-256 in hex,
    // and the tagged line's text, space-separated: the proxy can neither
    // alter nor add nor drop any of them unseen.
    std::string line;
    write(line, r, data_.wopts);
    auto text = std::string_view(line).substr(r.tag.size() + 1, line.size() - r.tag.size() - 3);
    if (!seal_digest_) seal_digest_.emplace();  // nothing was sent before it
    seal_digest_more();
    auto covered = std::to_string(seal_octets_) + " " + core::hex_encode(seal_digest_->finish());
    seal_digest_.reset();
    auto& x = *data_.xenc;
    auto obj = auth::xenc::seal(x.key, auth::xenc::direction::to_client, x.key_id, ++x.sent, x.binding,
                                "XSEALED " + std::to_string(*sealed), covered + " " + std::string(text));
    write(data_.out, untagged{{atom{"XSEALED"}, literal{std::move(obj), false, true}}}, data_.wopts);
  }
  write(data_.out, r, data_.wopts);
}

asio::awaitable<void> session::handle_sealed(const std::string& tag, const parse::xsealed_cmd& cmd) {
  auto refuse = [&](std::string text) {
    write(data_.out, status_line{tag, status::no, code{"NOPERM", {}}, std::move(text)}, data_.wopts);
  };
  auto& x = data_.xenc;
  if (!x) {
    refuse("XSEALED needs XKEY first");
    co_return;
  }
  // The object is the client's (direction C), under the session's key and
  // binding, with the context "XSEALED", and newer than any before it.
  auto got = auth::xenc::open_client(*x, seal_context(), cmd.object);
  if (!got) {
    spdlog::info("conn={} event=seal_refused user=\"{}\" why=does_not_open", data_.conn.id, data_.user);
    refuse("The sealed command does not open under the session's key and binding");
    co_return;
  }
  if (got->h.seq <= x->received) {
    spdlog::info("conn={} event=seal_refused user=\"{}\" why=replayed seq={}", data_.conn.id, data_.user,
                 got->h.seq);
    refuse("The sealed command's sequence number is not above the last one");
    co_return;
  }
  x->received = got->h.seq;
  seal_digest_.emplace();
  seal_mark_ = data_.out.size();
  seal_octets_ = 0;
  // Exactly one whole command (its literals inside it), tagged as the
  // XSEALED was.
  std::string inner = tag + " " + got->plain + "\r\n";
  syntax::framer f(limits_of(srv_.cfg));
  syntax::framer::event ev;
  do ev = f.next(inner);
  while (ev.what == syntax::framer::kind::need_continuation);
  // From here every answer is sealed: the object opened, so the client
  // takes an unsealed one for the proxy's.
  if (ev.what != syntax::framer::kind::command || ev.size != inner.size()) {
    answer({tag, status::bad, std::nullopt, "The sealed command is not one whole command"}, got->h.seq);
    co_return;
  }
  syntax::lexer in(inner, srv_.cfg.max_nesting_depth);
  auto head = parse::parse_head(in);
  if (in.ok() && !sealable(head.name)) {
    answer({tag, status::bad, std::nullopt, head.name + " cannot be sealed"}, got->h.seq);
    co_return;
  }
  spdlog::info("conn={} event=sealed user=\"{}\" command={} seq={}", data_.conn.id, data_.user, head.name,
               got->h.seq);
  co_await handle(inner, got->h.seq);
}

asio::awaitable<void> session::handle(std::string_view bytes, std::optional<std::uint64_t> sealed) {
  auto started = std::chrono::steady_clock::now();
  syntax::lexer in(bytes, srv_.cfg.max_nesting_depth);
  auto head = parse::parse_head(in);
  if (!in.ok()) {
    answer({head.tag.empty() ? "*" : head.tag, status::bad, std::nullopt, "Missing or invalid tag or command"},
           sealed);
    co_return;
  }
  auto* spec = find_command(head.name);
  if (!spec) {
    answer({head.tag, status::bad, std::nullopt, "Unknown command " + head.name.substr(0, 32)}, sealed);
    co_return;
  }
  if (!allowed_in(*spec, data_.state)) {
    answer({head.tag, status::bad, std::nullopt, head.name + " is not allowed in this state"}, sealed);
    co_return;
  }
  parse::parse_options opts{srv_.cfg.max_nesting_depth, srv_.cfg.max_append_messages, data_.wopts.utf8};
  auto args = spec->parse(in, opts);
  if (!in.ok()) {
    auto& e = in.error();
    std::optional<code> c;
    if (!e.code.empty()) c = code{e.code, {}};
    answer({head.tag, status::bad, c, head.name + ": " + e.message}, sealed);
    co_return;
  }
  if (auto& r = in.refusal()) {
    // RFC 3501 §6.3.1: "if a mailbox is selected and a SELECT command that
    // fails is attempted, no mailbox is selected" (EXAMINE alike).
    if (spec->deselects && data_.selected) {
      write(data_.out, status_line{"*", status::ok, code{"CLOSED", {}}, "Previous mailbox closed"}, data_.wopts);
      commands::deselect(data_);
    }
    answer({head.tag, status::no, code{r->code, {}}, r->message}, sealed);
    co_return;
  }

  if (auto* s = std::get_if<parse::xsealed_cmd>(&args)) {
    if (sealed) answer({head.tag, status::bad, std::nullopt, "XSEALED inside XSEALED"}, sealed);
    else co_await handle_sealed(head.tag, *s);
    co_return;
  }

  command_context ctx(head.tag, head.name, srv_, data_, *this);
  ctx.sealed = sealed.has_value();
  bool condstore_before = data_.condstore;
  auto selected_before = data_.selected;
  std::exception_ptr failure;
  try {
    commands::check_proxy_policy(ctx, args, sealed.has_value());
    co_await spec->execute(ctx, args);
  } catch (const command_error& e) {
    ctx.result = {head.tag, e.st, e.resp_code, e.what()};
  } catch (const store::error& e) {
    ctx.result = map_store_error(head.tag, e);
  } catch (const boost::system::system_error&) {
    failure = std::current_exception();  // the peer went away mid-command
  } catch (const std::exception& e) {
    spdlog::error("conn={} cmd={} error=\"{}\"", data_.conn.id, head.name, e.what());
    ctx.result = {head.tag, status::no, code{"SERVERBUG", {}}, "Internal error; the failure was logged"};
  }
  if (failure) std::rethrow_exception(failure);

  if (data_.state == session_state::selected) {
    try {
      auto announced = data_.selected->announced_modseq();
      co_await report_changes(ctx, !spec->holds_expunges);
      // RFC 7162 §3.1: "A first CONDSTORE enabling command executed in the
      // session with a mailbox selected MUST cause the server to return
      // HIGHESTMODSEQ (Section 3.1.2.1) for the mailbox" (unless
      // report_changes just did).
      // (A SELECT or EXAMINE reports its own.)
      if (!condstore_before && data_.condstore && data_.selected == selected_before &&
          data_.state == session_state::selected && data_.selected->announced_modseq() == announced)
        co_await announce_highestmodseq(ctx);
    } catch (const std::exception& e) {
      spdlog::error("conn={} event=sync_failed error=\"{}\"", data_.conn.id, e.what());
    }
  }
  if (data_.notify && data_.state != session_state::logout) {
    try {
      co_await commands::report_notify_events(ctx);
    } catch (const std::exception& e) {
      spdlog::error("conn={} event=notify_failed error=\"{}\"", data_.conn.id, e.what());
    }
  }
  if (!ctx.result_sent) answer(ctx.result, sealed);

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  if (ctx.result.st != status::ok)
    spdlog::info("conn={} cmd={} tag={} result={} code={} duration_ms={}", data_.conn.id, head.name, head.tag,
                 status_name(ctx.result.st), ctx.result.resp_code ? ctx.result.resp_code->name : "", ms.count());
  else
    spdlog::debug("conn={} cmd={} result=OK duration_ms={}", data_.conn.id, head.name, ms.count());
}

asio::awaitable<void> session::serve() {
  for (;;) {
    if (data_.state == session_state::logout) {
      co_await flush();
      co_return;
    }
    if (shutdown_requested_ && !framer_.mid_command()) {
      say(status::bye, shutdown_text_);
      co_await flush();
      co_return;
    }
    std::string_view view(in_);
    view.remove_prefix(start_);
    auto ev = framer_.next(view);
    switch (ev.what) {
      case syntax::framer::kind::command:
        // Consumed before it runs, so what an executor reads (SASL
        // responses, IDLE's DONE) starts after it. The bytes stay put until
        // the next read or consume(): an executor that reads input must not
        // keep views into its command (parsed arguments it needs are copies).
        start_ += ev.size;
        co_await handle(view.substr(0, ev.size));
        consume(0);
        if (data_.out.size() > flush_threshold) co_await flush();
        break;
      case syntax::framer::kind::need_continuation:
        // RFC 3501 §7.5
        write(data_.out, continuation{"Ready for literal data"});
        co_await flush();
        break;
      case syntax::framer::kind::discard:
        consume(ev.size);
        break;
      case syntax::framer::kind::reject:
        consume(ev.size);
        reject(ev);
        break;
      case syntax::framer::kind::reject_and_close:
        // The literal's octets cannot be framed as commands: BAD, BYE and
        // close (STYLE.md §5).
        write(data_.out, status_line{ev.tag, status::bad, code{"TOOBIG", {}}, "Literal too big"}, data_.wopts);
        say(status::bye, "Closing: the rest of the command cannot be read");
        spdlog::info("conn={} event=rejected_and_closed tag={} reason={}", data_.conn.id, ev.tag,
                     static_cast<int>(ev.why));
        co_await flush();
        co_return;
      case syntax::framer::kind::need_more: {
        co_await flush();
        // RFC 5465 §3: with NOTIFY, events go out while the client is
        // silent between commands.
        bool notifying = data_.notify && !framer_.mid_command() && start_ >= in_.size();
        // (Two co_await statements: GCC 12 mishandles awaitables chosen
        // by a conditional expression.)
        read_result r;
        if (notifying) r = co_await read_notifying(framer_.literal_remaining());
        else r = co_await read_more(framer_.literal_remaining());
        if (r == read_result::data && in_.size() > start_) break;
        if (r == read_result::timeout) {
          // RFC 3501 §5.4
          say(status::bye, "Autologout; idle for too long");
          co_await flush();
        } else if (r == read_result::cancelled && shutdown_requested_) {
          continue;  // says BYE at the top of the loop
        } else if (framer_.mid_command() || start_ < in_.size()) {
          spdlog::info("conn={} event=dropped_mid_command", data_.conn.id);
        }
        co_return;
      }
    }
  }
}

asio::awaitable<void> session::run() {
  spdlog::info("conn={} event=connect remote={} tls={}{}{}", data_.conn.id, data_.conn.remote,
               data_.conn.implicit_tls || !data_.conn.binding.empty(), data_.conn.binding.empty() ? "" : " binding=",
               data_.conn.binding);
  if (!data_.conn.binding.empty()) data_.tls_active = true;  // the HTTPS listener ended it
  try {
    if (data_.conn.implicit_tls) {
      arm_deadline(handshake_timeout, true);
      auto tls = srv_.tls();
      co_await stream_.start_tls(tls);
      timer_.cancel();
      data_.tls_active = true;
    }
    command_context greeting("*", "", srv_, data_, *this);
    if (srv_.shutting_down) {
      say(status::bye, shutdown_text_);
    } else {
      write(data_.out, status_line{"*", status::ok, greeting.capability_code(), "Lemonade ready"}, data_.wopts);
      co_await serve();
    }
    co_await flush();
  } catch (const boost::system::system_error& e) {
    spdlog::debug("conn={} event=io_error error=\"{}\"", data_.conn.id, e.code().message());
  } catch (const std::exception& e) {
    spdlog::error("conn={} event=session_error error=\"{}\"", data_.conn.id, e.what());
  }
  timer_.cancel();
  co_await stream_.shutdown();
  spdlog::info("conn={} event=disconnect user=\"{}\"", data_.conn.id, data_.user);
}

}  // namespace lemonade::imap
