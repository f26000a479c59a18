#pragma once
// What an executor sees (STYLE.md §2 step 4): the session's state, the
// server's services, a way to run blocking store work, and typed output.
// Executors never format bytes and never touch the socket directly.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "auth/credential_cache.hpp"
#include "auth/throttle.hpp"
#include "auth/xenc.hpp"
#include "core/config.hpp"
#include "convert/convert.hpp"
#include "imap/binary_sizes.hpp"
#include "imap/capability.hpp"
#include "imap/response/response.hpp"
#include "imap/response/writer.hpp"
#include "mailbox/account.hpp"
#include "mailbox/selected.hpp"
#include "mailbox/watch.hpp"
#include "imap/parse/command.hpp"
#include "net/inline_reads.hpp"
#include "net/offload.hpp"
#include "store/api/store.hpp"

namespace lemonade::imap {

namespace asio = boost::asio;

enum class session_state { not_authenticated, authenticated, selected, logout };

// Services shared by every session; set up by cli/ before serving.
struct server_context {
  const core::config& cfg;
  store::mail_store& store;
  mailbox::account_registry accounts;
  auth::login_throttle throttle;
  auth::credential_cache credentials;
  std::string scram_fake_salt_key;
  // Blocking work runs off the network threads, on three pools, so a read
  // never queues behind fsyncs and a login's argon2id never delays either.
  asio::any_io_executor storage;  // store writes (they wait for fsync)
  asio::any_io_executor reads;    // store reads
  asio::any_io_executor hashing;  // password hashing: CPU-bound
  // Quick reads run on the network thread within a budget (inline_reads.hpp).
  net::inline_reads& quick_reads;
  // The current TLS context; SIGHUP replaces it.
  std::function<std::shared_ptr<asio::ssl::context>()> tls;
  // Decoded sizes of large parts (RFC 3516 BINARY.SIZE), server-wide.
  imap::binary_size_cache binary_sizes{cfg.binary_size_cache};
  // RFC 5259 CONVERT: null when it is off or its conversions do not work
  // here; conversions run on their own pool (CPU-bound, and slow next to
  // a store read).
  const convert::converter* converter = nullptr;
  asio::any_io_executor converting;
  std::atomic<bool> shutting_down{false};
};

struct connection_info {
  std::uint64_t id = 0;
  std::string remote;   // address:port, for logs
  std::string address;  // address only: the key for login throttling
  bool loopback = false;
  bool implicit_tls = false;
  // Carried over a binding of the HTTPS listener (http/binding.hpp), which
  // ended TLS itself: the session counts as under TLS and offers no
  // STARTTLS. "websocket", or "" for a connection of this server's own.
  std::string binding;
  // Told the login name ("alice", "alice+phone") at a successful login:
  // the binding lets only that user resume the session.
  std::function<void(const std::string&)> on_login;
};

// Per-connection state executors read and change.
struct session_data {
  connection_info conn;
  session_state state = session_state::not_authenticated;
  bool tls_active = false;
  bool compress_active = false;  // RFC 4978
  std::string user;
  std::int64_t user_id = 0;  // 0 before login
  // Logged in as one of the user's proxy identities ("user+label"): what
  // it is allowed (commands/proxy_policy.cpp).
  std::optional<store::proxy_grant> proxy;
  // After XKEY (commands/xkey.cpp, docs/xencrypted.md): message content
  // goes out as encrypted literals under this device key, bound to the
  // session's nonces.
  std::optional<auth::xenc::session_keys> xenc;
  std::shared_ptr<mailbox::account> account;
  std::shared_ptr<mailbox::selected_mailbox> selected;
  // RFC 7162 §3.1: CONDSTORE is enabled by ENABLE or by the first
  // CONDSTORE-enabling command; QRESYNC only by ENABLE (§3.2.3), and it
  // enables CONDSTORE too.
  bool condstore = false;
  bool qresync = false;
  // RFC 5465: what NOTIFY SET asked for, and the account's events queued
  // for it (null: NOTIFY NONE, the default).
  struct notify_state {
    parse::notify_cmd spec;
    std::shared_ptr<mailbox::event_queue> queue;
    // The SELECTED or SELECTED-DELAYED group, if any.
    const parse::notify_group* selected_group() const {
      for (auto& g : spec.groups)
        if (g.is_selected()) return &g;
      return nullptr;
    }
  };
  std::shared_ptr<notify_state> notify;
  // RFC 5267 §4.3: SEARCH RETURN (UPDATE) results kept current while the
  // mailbox stays selected.
  struct live_search {
    std::string tag;
    bool uid = false;
    parse::search_key key;
    std::optional<std::string> charset;
    // A SORT (CONTEXT=SORT): its criteria, and result in sorted order;
    // a SEARCH: none, and result ascending.
    std::vector<parse::sort_criterion> sorted_by;
    std::vector<store::uid> result;
  };
  std::vector<live_search> live_searches;
  response::writer_options wopts;
  std::string out;  // responses not yet written
};

class command_context;

// I/O an executor may need beyond responses (STARTTLS, SASL exchanges,
// delays); implemented by the session.
class session_io {
 public:
  virtual ~session_io() = default;
  // Writes everything in session_data::out.
  virtual asio::awaitable<void> flush() = 0;
  // One client line without its CRLF (SASL responses, RFC 3501 §6.2.2);
  // nullopt if the peer went away, timed out or sent more than max octets.
  virtual asio::awaitable<std::optional<std::string>> read_line(std::size_t max) = 0;
  // Sends `ok` as the tagged response, discards any input that arrived
  // after STARTTLS (RFC 3501 §6.2.1), and runs the TLS handshake.
  virtual asio::awaitable<void> start_tls(const response::status_line& ok) = 0;
  // Sends `ok` as the tagged response; from the octet after its CRLF both
  // directions are DEFLATE-compressed (RFC 4978 §3). Input already read
  // past the COMPRESS command is the client's first compressed octets.
  virtual asio::awaitable<void> start_compress(const response::status_line& ok) = 0;
  virtual asio::awaitable<void> sleep(std::chrono::milliseconds d) = 0;
  // RFC 2177: after "+ idling", reports changes as they happen and sends a
  // keepalive every imap.idle_keepalive until the client sends DONE.
  // Throws command_error (BAD) for anything but DONE.
  virtual asio::awaitable<void> idle(command_context& ctx) = 0;
};

// A refusal or syntax problem, mapped to a tagged NO/BAD by the session.
struct command_error : std::runtime_error {
  response::status st;
  std::optional<response::code> resp_code;
  command_error(response::status s, std::string text, std::string code = {})
      : std::runtime_error(std::move(text)), st(s) {
    if (!code.empty()) resp_code = response::code{std::move(code), {}};
  }
};

[[noreturn]] inline void refuse(std::string text, std::string code = {}) {
  throw command_error(response::status::no, std::move(text), std::move(code));
}
[[noreturn]] inline void reject_syntax(std::string text, std::string code = {}) {
  throw command_error(response::status::bad, std::move(text), std::move(code));
}

class command_context {
 public:
  command_context(std::string tag, std::string name, server_context& srv, session_data& s, session_io& io)
      : server(srv), session(s), io(io), tag_(std::move(tag)), name_(std::move(name)) {
    result = {tag_, response::status::ok, std::nullopt, name_ + " completed"};
  }

  server_context& server;
  session_data& session;
  session_io& io;
  // The tagged completion; executors change its code and text.
  response::status_line result;
  // Set when the executor already sent the tagged response (STARTTLS).
  bool result_sent = false;
  // The command came inside XSEALED (docs/xencrypted.md): the device's own.
  bool sealed = false;

  const std::string& tag() const { return tag_; }
  const std::string& name() const { return name_; }

  void untagged(response::untagged r) { response::write(session.out, r, session.wopts); }
  void untagged_ok(std::optional<response::code> code, std::string text) {
    response::write(session.out, response::status_line{"*", response::status::ok, std::move(code), std::move(text)},
                    session.wopts);
  }
  void continuation(std::string text) { response::write(session.out, response::continuation{std::move(text)}); }

  bool plaintext_allowed() const;
  capability_facts facts() const;
  // "[CAPABILITY ...]" for greetings and login results.
  response::code capability_code() const;

  // quick: a pure read that the SQLite page cache most likely answers
  // (inline_reads.hpp); read: any other read, on the read pool.
  enum class work { write, read, quick, hash, convert };
  // Runs f on the pool for that kind of work (a quick read: here, while
  // inline_reads admits it) and resumes here with its result (or its
  // exception).
  template <class F>
  asio::awaitable<std::invoke_result_t<F>> blocking(F f, work kind = work::write);

 private:
  std::string tag_;
  std::string name_;
};

template <class F>
asio::awaitable<std::invoke_result_t<F>> command_context::blocking(F f, work kind) {
  using result_t = std::invoke_result_t<F>;
  if (kind == work::quick && server.quick_reads.admit()) {
    struct timer {
      net::inline_reads& policy;
      net::inline_reads::clock::time_point started = net::inline_reads::clock::now();
      ~timer() { policy.took(net::inline_reads::clock::now() - started); }
    } t{server.quick_reads};
    if constexpr (std::is_void_v<result_t>) {
      f();
      co_return;
    } else {
      co_return f();
    }
  }
  auto pool = kind == work::hash      ? server.hashing
              : kind == work::write   ? server.storage
              : kind == work::convert ? server.converting
                                      : server.reads;
  co_return co_await net::run_on(pool, std::move(f));
}

}  // namespace lemonade::imap
