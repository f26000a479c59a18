// RFC 2177 IDLE, as a part of the session: while idling, a reader
// coroutine waits for the client's DONE and the session waits on wake_,
// which is cancelled by that reader, by mailbox events (through the
// selected view's waker) and by shutdown. A keepalive goes out every
// imap.idle_keepalive so a mobile client's NAT binding stays open
// (DESIGN.md §3), except over an HTTPS binding, whose pings do that; the
// autologout timer of RFC 3501 §5.4 is re-armed when
// IDLE starts (RFC 2177 §3: clients re-issue IDLE within 29 minutes).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <spdlog/spdlog.h>

#include "core/strings.hpp"
#include "imap/commands/commands.hpp"
#include "imap/session.hpp"

namespace lemonade::imap {

using namespace response;

// `self` keeps the session alive while the read is outstanding.
asio::awaitable<void> session::idle_reader([[maybe_unused]] std::shared_ptr<session> self) {
  try {
    for (;;) {
      std::string_view view(in_);
      view.remove_prefix(start_);
      if (view.find('\n') != std::string_view::npos || view.size() > srv_.cfg.max_line_length) break;
      if (start_ > 0) {
        in_.erase(0, start_);
        start_ = 0;
      }
      std::size_t old = in_.size();
      if (in_.empty()) {
        // An idling phone holds no read buffer (DESIGN.md §3).
        release_buffers();
        co_await stream_.wait_readable();
      }
      in_.resize(old + 1024);
      std::size_t n = 0;
      try {
        n = co_await stream_.read_some(asio::buffer(in_.data() + old, 1024));
      } catch (...) {
        in_.resize(old);
        throw;
      }
      in_.resize(old + n);
    }
    idle_input_ = true;
  } catch (const boost::system::system_error& e) {
    note_read_error(e);
    idle_broken_ = true;
  } catch (...) {
    idle_broken_ = true;
  }
  wake();
}

std::function<void()> session::waker() {
  std::weak_ptr<session> weak = shared_from_this();
  return [weak, ex = wake_.get_executor()] {
    asio::post(ex, [weak] {
      if (auto s = weak.lock()) s->wake();
    });
  };
}

asio::awaitable<void> session::idle(command_context& ctx) {
  auto view = data_.selected;
  auto self = shared_from_this();
  auto ex = wake_.get_executor();
  auto waker = this->waker();
  if (view) view->set_waker(waker);
  // RFC 5465 §4: NOTIFY's events go out during IDLE as they would without.
  auto notify = data_.notify;
  if (notify) notify->queue->set_waker(waker);
  idling_ = true;
  idle_input_ = idle_broken_ = false;
  write(data_.out, continuation{"idling"});
  co_await flush();
  asio::co_spawn(ex, idle_reader(self), asio::detached);

  auto now = std::chrono::steady_clock::now;
  auto logout_at = now() + srv_.cfg.timeout_authenticated;
  // Over a binding of the HTTPS listener the binding keeps the path alive
  // with pings timed to what it learned (docs/http-binding.md): a
  // keepalive here would only wake the phone's radio more often.
  bool own_keepalive = data_.conn.binding.empty();
  auto keepalive_at = own_keepalive ? now() + srv_.cfg.idle_keepalive : std::chrono::steady_clock::time_point::max();
  bool autologout = false;
  for (;;) {
    woken_ = false;
    if (view && view->pending()) {
      co_await report_changes(ctx);
      co_await flush();
      if (data_.state == session_state::logout) break;
    }
    if (data_.notify && data_.notify->queue->pending()) {
      co_await commands::report_notify_events(ctx);
      co_await flush();
    }
    if (idle_input_ || idle_broken_ || shutdown_requested_) break;
    // A wake that came while a report was being written found no wait to
    // cancel: look again before waiting, or that change would wait for
    // the next one (an EXPUNGE after the FETCH of its \Deleted was seen
    // so, only at DONE).
    if (woken_) continue;
    if (now() >= logout_at) {
      autologout = true;
      break;
    }
    if (now() >= keepalive_at) {
      // RFC 2177 / DESIGN.md §3: keep NAT bindings alive.
      say(status::ok, "Still here");
      co_await flush();
      keepalive_at = now() + srv_.cfg.idle_keepalive;
      continue;  // what happened during the flush is seen before waiting
    }
    wake_.expires_at(std::min(logout_at, keepalive_at));
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  idling_ = false;
  if (view) view->set_waker({});
  if (notify) notify->queue->set_waker({});

  if (data_.state == session_state::logout) co_return;
  if (idle_broken_) throw boost::system::system_error(asio::error::eof);
  if (autologout || shutdown_requested_) {
    // The reader still waits on the socket; closing it ends the reader.
    say(status::bye, autologout ? "Autologout; idle for too long" : shutdown_text_);
    data_.state = session_state::logout;
    ctx.result_sent = true;
    co_return;
  }
  // RFC 2177 §3: the client ends IDLE with "DONE".
  std::string_view rest(in_);
  rest.remove_prefix(start_);
  auto lf = rest.find('\n');
  if (lf == std::string_view::npos) {
    consume(rest.size());
    reject_syntax("IDLE line too long; expected DONE");
  }
  auto line = rest.substr(0, lf);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  bool done = core::iequals(line, "DONE");
  consume(lf + 1);
  if (!done) reject_syntax("Expected DONE to end IDLE");
  ctx.result.text = "IDLE terminated";
}

}  // namespace lemonade::imap
