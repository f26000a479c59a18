#include "http/binding_session.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "auth/password.hpp"
#include "core/strings.hpp"

namespace lemonade::http {

using local = asio::local::stream_protocol;
using namespace std::chrono_literals;

timer_ptr make_event(const asio::any_io_executor& ex) {
  return std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
}

void poke(const timer_ptr& t) {
  if (t) asio::post(t->get_executor(), [t] { t->cancel(); });
}

asio::awaitable<void> wait(asio::steady_timer& t) {
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

binding_session::binding_session(asio::io_context& ioc, std::string_view protocol, bool resumable,
                                 std::uint64_t window)
    : s(asio::make_strand(ioc)),
      protocol(protocol),
      resumable(resumable),
      window(std::max<std::uint64_t>(window, relay_chunk)),
      near(s),
      in_ready(make_event(s)),
      space(make_event(s)),
      grace(make_event(s)) {}

path_learner::path_learner(const char* what, std::chrono::milliseconds floor, std::chrono::milliseconds start,
                           std::chrono::milliseconds ceiling)
    : floor(floor), start(std::clamp(start, floor, std::max(floor, ceiling))), ceiling(std::max(floor, ceiling)),
      what_(what) {}

std::chrono::milliseconds path_learner::interval(const std::string& login) {
  if (login.empty()) return start;
  std::lock_guard lock(mu_);
  return path(login).interval;
}

void path_learner::loss(const std::string& login, std::chrono::milliseconds quiet) {
  if (login.empty()) return;
  std::lock_guard lock(mu_);
  auto& p = path(login);
  if (quiet < floor / 2) return;  // too soon after traffic to be an idle limit: radio churn
  p.limit = quiet;
  p.limit_seen = std::chrono::steady_clock::now();
  p.interval = std::max(floor, std::min(p.interval, quiet) / 2);
  p.survived = 0;
  changed_ = true;
  auto sep = login.rfind('\x1f');  // user, then device (binding_session::path_key)
  spdlog::info("event=binding_path_loss binding={} user=\"{}\" device=\"{}\" quiet_ms={} interval_ms={}", what_,
               core::log_printable(login.substr(0, sep)),
               sep == std::string::npos ? std::string() : login.substr(sep + 1), quiet.count(), p.interval.count());
}

void path_learner::survived(const std::string& login, std::chrono::milliseconds quiet) {
  if (login.empty()) return;
  std::lock_guard lock(mu_);
  auto& p = path(login);
  if (quiet < p.interval || ++p.survived < 3) return;
  p.survived = 0;
  auto cap = p.limit.count() > 0 ? std::min(ceiling, p.limit * 9 / 10) : ceiling;
  auto grown = std::min(cap, p.interval + std::max(floor / 2, p.interval / 8));
  if (grown > p.interval) changed_ = true;
  p.interval = std::max(p.interval, grown);
}

void path_learner::save(std::ostream& out) {
  std::lock_guard lock(mu_);
  auto steady = std::chrono::steady_clock::now();
  auto wall = std::chrono::system_clock::now();
  for (auto& [key, p] : paths_) {
    if (key.find_first_of("\t\n\r") != std::string::npos) continue;
    std::int64_t seen = 0;
    if (p.limit.count() > 0)
      seen = std::chrono::duration_cast<std::chrono::seconds>(
                 (wall - std::chrono::duration_cast<std::chrono::system_clock::duration>(steady - p.limit_seen))
                     .time_since_epoch())
                 .count();
    out << what_ << '\t' << key << '\t' << p.interval.count() << '\t' << p.limit.count() << '\t' << seen << '\n';
  }
  changed_ = false;
}

std::size_t path_learner::load(std::istream& in) {
  std::lock_guard lock(mu_);
  auto steady = std::chrono::steady_clock::now();
  auto wall_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  std::size_t n = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string_view> f;
    std::string_view rest(line);
    for (std::size_t tab; (tab = rest.find('\t')) != std::string_view::npos; rest.remove_prefix(tab + 1))
      f.push_back(rest.substr(0, tab));
    f.push_back(rest);
    std::int64_t interval = 0, limit = 0, seen = 0;
    auto num = [](std::string_view s, std::int64_t& v) {
      auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), v);
      return err == std::errc() && end == s.data() + s.size() && v >= 0;
    };
    if (f.size() != 5 || f[0] != what_ || f[1].empty() || !num(f[2], interval) || !num(f[3], limit) ||
        !num(f[4], seen))
      continue;
    path_state p;
    p.interval = std::clamp(std::chrono::milliseconds(interval), floor, ceiling);
    auto age = wall_s - std::chrono::seconds(seen);
    if (limit > 0 && age >= std::chrono::seconds(0) && age < std::chrono::hours(24)) {
      p.limit = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(limit), 24h);
      p.limit_seen = steady - std::chrono::duration_cast<std::chrono::steady_clock::duration>(age);
    } else {
      // The limit is forgotten (a day old, or none): the interval may grow
      // again from where it was.
    }
    insert(std::string(f[1]), p);
    ++n;
  }
  return n;
}

namespace {

// The user of a path key (binding_session::path_key): before its last
// separator (a device name has none).
std::string user_of(const std::string& key) { return key.substr(0, key.rfind('\x1f')); }

}  // namespace

path_learner::path_state* path_learner::insert(std::string key, const path_state& p) {
  auto user = user_of(key);
  if (key.size() > user.size() + 1 && per_user_[user] >= max_devices) {
    // A user past max_devices: a new device shares the user's device-less
    // path (so one user's devices cannot push everyone else's out).
    key = user + '\x1f';
    if (auto it = paths_.find(key); it != paths_.end()) return &it->second;
  }
  if (paths_.size() >= max_paths) {
    auto victim = paths_.begin();
    auto& n = per_user_[user_of(victim->first)];
    if (n <= 1) per_user_.erase(user_of(victim->first));
    else --n;
    paths_.erase(victim);
  }
  auto [it, fresh] = paths_.emplace(key, p);
  if (fresh) ++per_user_[user];
  else it->second = p;
  return &it->second;
}

path_learner::path_state& path_learner::path(const std::string& login) {
  auto it = paths_.find(login);
  auto* found = it != paths_.end() ? &it->second : insert(login, path_state{start, 0ms, {}, 0});
  auto& p = *found;
  // A limit seen a day ago may no longer hold (another network).
  if (p.limit.count() > 0 && std::chrono::steady_clock::now() - p.limit_seen > 24h) p.limit = 0ms;
  return p;
}

binding_registry::binding_registry(const core::config& cfg, std::filesystem::path file)
    : cfg(cfg),
      file(std::move(file)),
      pings("websocket", std::max<std::chrono::milliseconds>(cfg.https_keepalive_min, 100ms),
            std::max(cfg.https_keepalive_max, cfg.https_keepalive_min),
            std::max(cfg.https_keepalive_max, cfg.https_keepalive_min)),
      holds("poll", std::max<std::chrono::milliseconds>(std::min(cfg.https_keepalive_min, cfg.https_hold_start), 100ms),
            cfg.https_hold_start, cfg.https_hold_max) {
  std::ifstream in(this->file);
  if (!in) return;
  auto n = pings.load(in);
  in.clear();
  in.seekg(0);
  n += holds.load(in);
  spdlog::info("event=binding_paths_loaded paths={}", n);
}

bool binding_registry::try_park(const std::string& login) {
  std::lock_guard lock(parked_mu_);
  auto& mine = parked_by_user_[login];
  if (parked_ >= cfg.https_max_parked || mine >= cfg.https_max_parked_per_user) {
    if (mine == 0) parked_by_user_.erase(login);
    return false;
  }
  ++parked_;
  ++mine;
  return true;
}

void binding_registry::unpark(const std::string& login) {
  std::lock_guard lock(parked_mu_);
  --parked_;
  if (--parked_by_user_[login] == 0) parked_by_user_.erase(login);
}

void binding_registry::save() {
  std::lock_guard one_at_a_time(save_mu_);  // a timer's save and the last one at shutdown share the file
  if (!pings.changed() && !holds.changed()) return;
  std::ostringstream text;  // under the learners' locks only this long
  pings.save(text);
  holds.save(text);
  auto body = text.str();
  auto tmp = file;
  tmp += ".tmp";
  // Written whole and synced before it replaces the last one: a crash or
  // a full disk leaves the old file, never half a new one.
  std::string error;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) error = std::strerror(errno);
  for (std::size_t at = 0; error.empty() && at < body.size();) {
    auto n = ::write(fd, body.data() + at, body.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) error = n < 0 ? std::strerror(errno) : "short write";
    else at += static_cast<std::size_t>(n);
  }
  if (error.empty() && ::fsync(fd) != 0) error = std::strerror(errno);
  if (fd >= 0 && ::close(fd) != 0 && error.empty()) error = std::strerror(errno);
  std::error_code ec;
  if (error.empty()) std::filesystem::rename(tmp, file, ec);
  if (ec) error = ec.message();
  if (!error.empty()) {
    pings.unsaved();  // the next save tries again
    holds.unsaved();
    spdlog::warn("event=binding_paths_not_saved file={} error=\"{}\"", file.string(), error);
  }
}

bool valid_device(std::string_view device) {
  return device.size() <= 64 && std::all_of(device.begin(), device.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
         });
}

bool binding_registry::try_poll(const std::string& address) {
  std::lock_guard lock(parked_mu_);
  auto& mine = polls_by_address_[address];
  if (mine >= cfg.https_max_poll_per_address) {
    if (mine == 0) polls_by_address_.erase(address);
    return false;
  }
  ++mine;
  return true;
}

void binding_registry::unpoll(const std::string& address) {
  std::lock_guard lock(parked_mu_);
  if (--polls_by_address_[address] == 0) polls_by_address_.erase(address);
}

std::string token_hash(std::string_view token) { return auth::sha256(token); }

void watch_login(client_facts& client, const std::shared_ptr<binding_session>& bs) {
  client.logged_in = [w = std::weak_ptr<binding_session>(bs)](const std::string& name) {
    if (auto b = w.lock()) {
      std::lock_guard lock(b->mu);
      b->login = name;
      b->login_at = b->out_base + b->out.size();
    }
  };
  client.logged_in_password = [w = std::weak_ptr<binding_session>(bs)](const std::string& password) {
    if (auto b = w.lock()) {
      auto key = auth::random_bytes(32);
      auto mac = auth::hmac_sha256(key, password);
      std::lock_guard lock(b->mu);
      b->credential_key = std::move(key);
      b->credential = std::move(mac);
    }
  };
}

bool credential_matches(const binding_session& bs, const std::optional<std::string>& unchecked) {
  if (!unchecked) return bs.credential.empty();
  return !bs.credential.empty() &&
         auth::constant_time_equal(auth::hmac_sha256(bs.credential_key, *unchecked), bs.credential);
}

void void_tokens(binding_registry& reg, binding_session& bs) {
  std::string hash, prev;
  {
    std::lock_guard lock(bs.mu);
    hash = std::move(bs.token_hash);
    prev = std::move(bs.prev_hash);
    bs.token_hash.clear();
    bs.prev_hash.clear();
  }
  std::lock_guard lock(reg.mu);
  if (!hash.empty()) reg.by_token.erase(hash);
  if (!prev.empty()) reg.by_token.erase(prev);
}

void finish(binding_registry& reg, const std::shared_ptr<binding_session>& bs) {
  timer_ptr out_waiter, in_waiter;
  {
    std::lock_guard lock(bs->mu);
    if (bs->finished) return;
    bs->finished = bs->in_closed = true;
    if (bs->parked) reg.unpark(bs->login);
    bs->parked = false;
    if (bs->poll) reg.unpoll(bs->address);
    out_waiter = bs->out_waiter;
    in_waiter = bs->in_waiter;
  }
  void_tokens(reg, *bs);
  asio::post(bs->s, [bs] {
    boost::system::error_code ec;
    bs->near.close(ec);
    bs->in_ready->cancel();
    bs->space->cancel();
    bs->grace->cancel();
  });
  poke(out_waiter);  // a held GET answers at once
  poke(in_waiter);
  spdlog::debug("event=binding_finished binding={} protocol={}", bs->id, bs->protocol);
}

asio::awaitable<void> from_session(std::shared_ptr<binding_registry> reg, std::shared_ptr<binding_session> bs) {
  boost::system::error_code ec;
  for (;;) {
    co_await bs->near.async_wait(local::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    std::size_t room;
    {
      std::lock_guard lock(bs->mu);
      room = bs->discard ? relay_chunk : bs->out.size() < bs->window ? bs->window - bs->out.size() : 0;
    }
    if (room == 0) {
      co_await wait(*bs->space);
      continue;
    }
    std::string chunk(std::min(room, relay_chunk), '\0');
    auto n = co_await bs->near.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    timer_ptr waiter;
    {
      std::lock_guard lock(bs->mu);
      if (!bs->discard) bs->out.append(chunk, 0, n);
      waiter = bs->out_waiter;
    }
    poke(waiter);
  }
  timer_ptr waiter;
  bool over, poll;
  {
    std::lock_guard lock(bs->mu);
    bs->ended = true;
    waiter = bs->out_waiter;
    // A parked session keeps its last octets for the client, and so does
    // a long-poll one between requests.
    over = !bs->current && !bs->parked && !bs->poll;
    poll = bs->poll;
    if (poll) bs->in_closed = true;  // its input goes nowhere now
  }
  poke(waiter);
  if (poll) {
    // Its last octets wait for a GET; its socket need not.
    bs->near.close(ec);
    poke(bs->in_ready);
    poke(bs->grace);  // a shorter expiry now (poll.cpp)
  }
  if (over) finish(*reg, bs);
}

asio::awaitable<void> to_session(std::shared_ptr<binding_session> bs) {
  boost::system::error_code ec;
  for (;;) {
    std::string chunk;
    bool closed;
    timer_ptr waiter;
    {
      std::lock_guard lock(bs->mu);
      chunk.swap(bs->in);
      bs->taken += chunk.size();
      closed = bs->in_closed;
      waiter = bs->in_waiter;
    }
    if (chunk.empty()) {
      if (closed) break;
      co_await wait(*bs->in_ready);
      continue;
    }
    poke(waiter);  // room for more input
    co_await asio::async_write(bs->near, asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  bs->near.shutdown(local::socket::shutdown_send, ec);
}

void end_input(const std::shared_ptr<binding_session>& bs) {
  {
    std::lock_guard lock(bs->mu);
    bs->in_closed = true;
  }
  poke(bs->in_ready);
}

}  // namespace lemonade::http
