#pragma once
// What the HTTPS listener's two bindings share (docs/http-binding.md,
// "Inside"): a protocol session on one end of a socket pair, the octets its
// client has not yet seen or it has not yet taken, and the registry of
// resumable sessions by the hash of their tokens. The WebSocket binding
// (binding.cpp) and the long-poll binding (poll.cpp) each move octets
// between these buffers and their clients. Internal to http/.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "core/config.hpp"
#include "http/binding.hpp"

namespace lemonade::http {

namespace asio = boost::asio;
using timer_ptr = std::shared_ptr<asio::steady_timer>;

constexpr std::size_t relay_chunk = 16 * 1024;

// A timer used as an event: wait() until someone poke()s it. Pokes run on
// the timer's strand, after the waiter (which checked its condition under
// the session's lock, then began waiting in the same step on that strand)
// waits. The expiry stays at "never" (setting it would cancel other
// waiters: two coroutines waiting on one event would wake each other for
// ever).
timer_ptr make_event(const asio::any_io_executor& ex);
void poke(const timer_ptr& t);
asio::awaitable<void> wait(asio::steady_timer& t);

struct link;  // a WebSocket carrying a session (binding.cpp)

// A protocol session and what its client has not yet seen, across the
// connections that carry it. The session reads and writes `near`, one end
// of a socket pair; from_session and to_session (on strand `s`) move its
// octets to and from the buffers here; a WebSocket link, or the long-poll
// binding's requests, move them to and from the client. Octets are
// numbered from 0 in each direction.
struct binding_session {
  binding_session(asio::io_context& ioc, std::string_view protocol, bool resumable, std::uint64_t window);
  asio::strand<asio::io_context::executor_type> s;
  const std::string_view protocol;
  const bool resumable;
  const std::uint64_t window;
  std::uint64_t id = 0;
  asio::local::stream_protocol::socket near;
  timer_ptr in_ready;  // input for the session, or its end
  timer_ptr space;     // room in `out`
  timer_ptr grace;     // a parked session's deadline

  std::mutex mu;  // guards what follows
  std::string out;             // the session's octets from out_base on, not yet acknowledged
  std::uint64_t out_base = 0;
  std::string in;              // the client's octets not yet written to the session
  std::uint64_t in_count = 0;  // the client's octets received, all told
  bool in_closed = false;      // no more input: the session reads end of file
  bool ended = false;          // the session closed its end
  bool finished = false;       // over: nothing to resume
  bool parked = false;         // waiting for its client to resume
  bool discard = false;        // no client will read `out` again: drop the session's output
  std::uint64_t sent_max = 0;  // the session's octets any link has sent
  std::uint64_t taken = 0;     // the client's octets the session has taken (out of `in`)
  std::uint64_t generation = 0;  // links attached (or poll requests taken) so far
  std::string login;           // once the session logged in
  std::string device;          // Lemonade-Device of the opening request, or ""
  // What the path learners know this session's path by: its user and
  // device ("" before login: nothing learned).
  std::string path_key() const { return login.empty() ? std::string() : login + '\x1f' + device; }
  // Where the session's server has no user directory (the proxy): HMAC of
  // the login's password under a random key, what a resume must match.
  std::string credential, credential_key;
  // The session's octets before its login (out_base + out.size() then):
  // all a request without credentials may be answered with.
  std::uint64_t login_at = UINT64_MAX;
  std::string token_hash;      // resumable: SHA-256 of the current token
  // The token before the last resume, good until the new connection
  // shows its client got the 101 (a first frame): a 101 lost on the way
  // must not strand the session.
  std::string prev_hash;
  std::shared_ptr<link> current;
  // Woken when `out` grows or the session ends, and when `in` has room:
  // the current link's event, or a held GET's and a waiting POST's.
  timer_ptr out_waiter, in_waiter;

  // The long-poll binding (poll.cpp): its session has no link; requests
  // come and go, and a GET waits for output.
  bool poll = false;
  std::string address;  // the client's, counted against https.max_poll_per_address until finished
  std::chrono::steady_clock::time_point last_request;  // the last request's end (or start, while one runs)
  std::uint64_t poll_gets = 0;    // GETs taken, to tell a held GET it was superseded
  unsigned busy = 0;              // requests running
  bool get_held = false;          // a GET waits now
  std::chrono::steady_clock::time_point held_since;
  std::chrono::milliseconds last_hold{0};  // the last GET ran out its hold (not 0): it was answered empty then
  std::chrono::steady_clock::time_point last_answer;  // when the last GET was answered
};

// What a user's path is learned to survive (docs/http-binding.md,
// "Keepalives"): the quiet period allowed (between WebSocket pings, or a
// long-poll GET's hold), and the shortest quiet period seen to end a
// connection. One learner for each binding: their ceilings differ.
class path_learner {
 public:
  path_learner(const char* what, std::chrono::milliseconds floor, std::chrono::milliseconds start,
               std::chrono::milliseconds ceiling);
  const std::chrono::milliseconds floor, start, ceiling;
  // The quiet period to allow on `login`'s connections.
  std::chrono::milliseconds interval(const std::string& login);
  // A connection of `login`'s ended after `quiet` without traffic: halve
  // the interval below it, unless there was traffic a moment before.
  void loss(const std::string& login, std::chrono::milliseconds quiet);
  // A connection of `login`'s stayed up through `quiet` without traffic:
  // after three in a row at the full interval, grow it by an eighth (at
  // least half the floor), below 0.9 of the limit.
  void survived(const std::string& login, std::chrono::milliseconds quiet);
  // What was learned, a line per path (tab-separated: key, interval and
  // limit in ms, the limit's time in seconds since the epoch), and back:
  // kept over a restart (binding_registry::save). load() skips lines it
  // cannot read and limits older than a day.
  void save(std::ostream& out);
  std::size_t load(std::istream& in);
  bool changed() const { return changed_; }
  void unsaved() { changed_ = true; }

 private:
  struct path_state {
    std::chrono::milliseconds interval{0};
    std::chrono::milliseconds limit{0};  // 0: none seen (or forgotten)
    std::chrono::steady_clock::time_point limit_seen;
    unsigned survived = 0;
  };
  path_state& path(const std::string& login);
  // A new path, within max_paths and max_devices a user (mu_ held).
  path_state* insert(std::string key, const path_state& p);
  static constexpr std::size_t max_paths = 65536;
  static constexpr unsigned max_devices = 16;
  std::unordered_map<std::string, unsigned> per_user_;  // paths a user has
  const char* what_;
  std::mutex mu_;
  std::unordered_map<std::string, path_state> paths_;
  std::atomic<bool> changed_{false};
};

class binding_registry : public std::enable_shared_from_this<binding_registry> {
 public:
  // `file`: where what the bindings learned is kept (save()).
  binding_registry(const core::config& cfg, std::filesystem::path file);
  const core::config& cfg;
  const std::filesystem::path file;
  path_learner pings;  // WebSocket keepalive pings
  path_learner holds;  // long-poll GET holds
  std::atomic<std::uint64_t> next_id{1};
  std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<binding_session>> by_token;

  // Room for one more parked session of `login`'s (https.max_parked,
  // https.max_parked_per_user)? Counts it when there is.
  bool try_park(const std::string& login);
  void unpark(const std::string& login);
  // Room for one more long-poll session from `address`
  // (https.max_poll_per_address)? Counts it when there is.
  bool try_poll(const std::string& address);
  void unpoll(const std::string& address);
  // The learned paths in `file`: read when the registry is made, written
  // (when they changed) by save().
  void save();

 private:
  std::mutex save_mu_;
  std::mutex parked_mu_;  // taken inside a session's mutex, never around one
  unsigned parked_ = 0;
  std::unordered_map<std::string, unsigned> parked_by_user_;
  std::unordered_map<std::string, unsigned> polls_by_address_;  // under parked_mu_
};

std::string token_hash(std::string_view token);
// Whether `device` (a Lemonade-Device header) may name a device: 1 to 64
// letters, digits, '.', '_' or '-'; "" (none) too.
bool valid_device(std::string_view device);
// client_facts' login callbacks, for `bs`.
void watch_login(client_facts& client, const std::shared_ptr<binding_session>& bs);
// Whether a request's credentials may use `bs`, which has logged in.
// `unchecked` is the request's password where the listener has no user
// directory to check it (the proxy's): it must match the session's
// credential, and a session without one takes none. nullopt: the
// directory checked it (such a session has no credential). Under the
// session's lock.
bool credential_matches(const binding_session& bs, const std::optional<std::string>& unchecked);
// Forgets the session's tokens: nothing resumes it any more.
void void_tokens(binding_registry& reg, binding_session& bs);
// Over for good: the tokens go, the session's end closes (a session still
// running sees its connection gone and ends).
void finish(binding_registry& reg, const std::shared_ptr<binding_session>& bs);
// No more input for the session: it reads end of file and ends.
void end_input(const std::shared_ptr<binding_session>& bs);
// The session's output into `out`, as fast as the window allows (or into
// nothing, once no client will read it).
asio::awaitable<void> from_session(std::shared_ptr<binding_registry> reg, std::shared_ptr<binding_session> bs);
// The client's octets into the session, in order; then end of file.
asio::awaitable<void> to_session(std::shared_ptr<binding_session> bs);

}  // namespace lemonade::http
