#pragma once
// One IMAP connection: read -> frame -> parse -> execute -> respond
// (STYLE.md §2 step 6), as one coroutine on its own strand.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "auth/password.hpp"
#include "imap/context.hpp"
#include "imap/syntax/framer.hpp"
#include "net/stream.hpp"

namespace lemonade::imap {

class session final : public session_io, public std::enable_shared_from_this<session> {
 public:
  session(server_context& srv, net::stream s, connection_info info);
  ~session() override;

  // Serves the connection until LOGOUT, error, timeout or shutdown.
  asio::awaitable<void> run();

  // Asks the session to end (SIGTERM, or its user deleted) with
  // `* BYE <why>`: at once if it waits for the client between commands,
  // else after the command in flight. Call on the session's executor.
  void request_shutdown(std::string why = "Server shutting down");
  // The logged-in user's id, 0 before login. On the session's executor.
  std::int64_t user_id() const { return data_.user_id; }
  const std::optional<store::proxy_grant>& proxy() const { return data_.proxy; }
  const std::optional<auth::xenc::session_keys>& xenc() const { return data_.xenc; }
  asio::any_io_executor executor() { return timer_.get_executor(); }

  // session_io
  asio::awaitable<void> flush() override;
  asio::awaitable<std::optional<std::string>> read_line(std::size_t max) override;
  asio::awaitable<void> start_tls(const response::status_line& ok) override;
  asio::awaitable<void> start_compress(const response::status_line& ok) override;
  asio::awaitable<void> sleep(std::chrono::milliseconds d) override;
  asio::awaitable<void> idle(command_context& ctx) override;

 private:
  // Logs why a read failed where the log should say (bad compressed input).
  void note_read_error(const boost::system::system_error& e);
  enum class read_result { data, closed, timeout, cancelled };
  asio::awaitable<read_result> read_more(std::size_t hint);
  // read_more for a session with NOTIFY on: reports events while it waits.
  asio::awaitable<read_result> read_notifying(std::size_t hint);
  asio::awaitable<void> notify_reader(std::shared_ptr<session> self, std::size_t want);
  asio::awaitable<void> serve();
  // sealed: the sequence number of the XSEALED object the command came in.
  asio::awaitable<void> handle(std::string_view command, std::optional<std::uint64_t> sealed = std::nullopt);
  // XSEALED (docs/xencrypted.md): opens the client's object and runs the
  // command inside it under the outer tag.
  asio::awaitable<void> handle_sealed(const std::string& tag, const parse::xsealed_cmd& cmd);
  // Writes a command's tagged line; for a sealed one (its sequence number)
  // "* XSEALED" comes first, sealing the SHA-256 of the untagged responses
  // before it and the tagged line's text.
  void answer(const response::status_line& r, std::optional<std::uint64_t> sealed);
  // docs/xencrypted.md: what a seal is bound to besides the session, the
  // selected mailbox ("XSEALED INBOX 1700000000", or "XSEALED -").
  std::string seal_context() const;
  asio::awaitable<void> report_changes(command_context& ctx, bool allow_expunge = true);
  // RFC 7162 §3.1: an untagged OK [HIGHESTMODSEQ] for the selected mailbox.
  asio::awaitable<void> announce_highestmodseq(command_context& ctx);
  void reject(const syntax::framer::event& ev);
  void say(response::status st, std::string text, std::string tag = "*");
  void consume(std::size_t n);
  // Frees the input and output buffers when they hold nothing.
  void release_buffers();
  std::chrono::seconds idle_timeout() const;
  void arm_deadline(std::chrono::steady_clock::duration d, bool hard);
  asio::awaitable<void> idle_reader(std::shared_ptr<session> self);
  void wake();
  // A thread-safe callable that wakes this session (if it still exists)
  // on its own executor: what views and NOTIFY queues call on an event.
  std::function<void()> waker();

  server_context& srv_;
  net::stream stream_;
  session_data data_;
  syntax::framer framer_;
  std::string in_;
  std::size_t start_ = 0;  // first unconsumed octet of in_
  asio::steady_timer timer_;
  bool waiting_for_client_ = false;
  bool timed_out_ = false;
  bool shutdown_requested_ = false;
  std::string shutdown_text_;
  // IDLE: wake_ is cancelled to wake the loop (input, events, shutdown).
  asio::steady_timer wake_;
  bool woken_ = false;  // wake() came since IDLE last looked (idle.cpp)
  bool idling_ = false;
  bool idle_input_ = false;   // a line (or too much) arrived
  bool idle_broken_ = false;  // the reader failed: peer gone
  // NOTIFY between commands: the reader's outcome, once it has one.
  bool notify_waiting_ = false;
  std::optional<read_result> notify_read_;
  // docs/xencrypted.md: while a sealed command runs, the SHA-256 of the
  // octets it sends before its sealed answer (flushed ones, then those in
  // data_.out from seal_mark_), which the answer covers.
  std::optional<auth::sha256_stream> seal_digest_;
  std::size_t seal_mark_ = 0;
  std::uint64_t seal_octets_ = 0;  // how many went into seal_digest_
  void seal_digest_more();
};

}  // namespace lemonade::imap
