#include "convert/worker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "core/strings.hpp"

extern char** environ;

namespace lemonade::convert {
namespace {

// Frames on the socket: a 4-octet big-endian length, then that many
// octets of fields; a field is a 4-octet length and its octets, numbers
// are written as text. The first frame to a worker holds its limits.
constexpr std::size_t max_frame = 1u << 30;

class writer {
 public:
  writer& put(std::string_view s) {
    // Lengths are 4 octets: nothing near that size is ever sent (the
    // limits are far below), and never silently cut.
    if (s.size() > max_frame) throw std::length_error("convert worker: field too large");
    auto n = static_cast<std::uint32_t>(s.size());
    for (int shift = 24; shift >= 0; shift -= 8) out_ += static_cast<char>(n >> shift & 0xFF);
    out_.append(s);
    return *this;
  }
  writer& put(std::uint64_t n) { return put(std::string_view(std::to_string(n))); }
  std::string frame() const {
    writer w;
    w.put(std::string_view(out_));
    return w.out_;
  }

 private:
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  std::string_view str() {
    if (in_.size() < 4) throw std::runtime_error("convert worker: short frame");
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = n << 8 | static_cast<unsigned char>(in_[static_cast<std::size_t>(i)]);
    if (in_.size() - 4 < n) throw std::runtime_error("convert worker: short frame");
    auto s = in_.substr(4, n);
    in_.remove_prefix(4 + n);
    return s;
  }
  std::uint64_t num() {
    auto n = core::parse_uint(str());
    if (!n) throw std::runtime_error("convert worker: bad number in a frame");
    return *n;
  }

 private:
  std::string_view in_;
};

// Waits until fd is ready for `events`, or the deadline passes (false).
bool wait_ready(int fd, short events, const std::chrono::steady_clock::time_point& deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, events, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

// Writes all of data; on a non-blocking descriptor, waiting at most until
// the deadline (when given) for a worker that stopped reading.
bool write_all(int fd, std::string_view data, const std::chrono::steady_clock::time_point* deadline = nullptr) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && deadline) {
      if (!wait_ready(fd, POLLOUT, *deadline)) return false;
      continue;
    }
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads exactly n octets; false at the end of input, an error, or when
// `deadline` passes (when given).
bool read_all(int fd, char* p, std::size_t n, const std::chrono::steady_clock::time_point* deadline) {
  while (n > 0) {
    if (deadline && !wait_ready(fd, POLLIN, *deadline)) return false;
    auto got = ::read(fd, p, n);
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

// A frame of at most `most` octets, read as it arrives (a length claimed
// by a broken peer reserves nothing it does not send).
bool read_frame(int fd, std::string& out, const std::chrono::steady_clock::time_point* deadline,
                std::size_t most = max_frame) {
  char len[4];
  if (!read_all(fd, len, 4, deadline)) return false;
  std::uint32_t n = 0;
  for (char c : len) n = n << 8 | static_cast<unsigned char>(c);
  if (n > most) return false;
  out.clear();
  constexpr std::size_t piece = 1 << 20;
  for (std::size_t at = 0; at < n;) {
    auto k = std::min<std::size_t>(piece, n - at);
    out.resize(at + k);
    if (!read_all(fd, out.data() + at, k, deadline)) return false;
    at += k;
  }
  return true;
}

std::string encode_limits(const limits& l) {
  writer w;
  w.put(l.max_decode_pixels).put(l.max_shrink_pixels).put(std::uint64_t{l.max_output_side});
  w.put(static_cast<std::uint64_t>(l.image_time.count())).put(std::uint64_t{l.max_html});
  w.put(std::uint64_t{l.max_html_depth}).put(std::uint64_t{l.max_replacement}).put(std::uint64_t{l.wrap});
  w.put(static_cast<std::uint64_t>(l.quality)).put(std::uint64_t{l.max_output});
  return w.frame();
}

limits decode_limits(std::string_view frame) {
  reader r(frame);
  limits l;
  l.max_decode_pixels = r.num();
  l.max_shrink_pixels = r.num();
  l.max_output_side = static_cast<std::uint32_t>(r.num());
  l.image_time = std::chrono::milliseconds(r.num());
  l.max_html = r.num();
  l.max_html_depth = r.num();
  l.max_replacement = r.num();
  l.wrap = r.num();
  l.quality = static_cast<int>(r.num());
  l.max_output = r.num();
  return l;
}

std::string encode_request(const source& s, const request& q) {
  writer w;
  w.put(s.type).put(s.charset).put(q.to ? std::string_view("1") : std::string_view("0")).put(q.to.value_or(""));
  w.put(std::uint64_t{q.params.size()});
  for (auto& p : q.params) w.put(p.name).put(p.value);
  w.put(s.content);
  return w.frame();
}

std::string encode_result(const result& res) {
  writer w;
  if (auto* o = std::get_if<output>(&res)) {
    w.put(std::string_view("ok")).put(o->type).put(std::uint64_t{o->type_params.size()});
    for (auto& p : o->type_params) w.put(p.name).put(p.value);
    w.put(o->data);
  } else {
    auto& f = std::get<failure>(res);
    w.put(std::string_view("fail")).put(static_cast<std::uint64_t>(f.what)).put(f.text).put(f.from).put(f.to);
    w.put(std::uint64_t{f.params.size()});
    for (auto& p : f.params) w.put(p.name).put(p.value);
    w.put(static_cast<std::uint64_t>(f.minutes));
  }
  return w.frame();
}

result decode_result(std::string_view frame) {
  reader r(frame);
  auto kind = r.str();
  if (kind == "ok") {
    output o;
    o.type = r.str();
    auto n = r.num();
    for (std::uint64_t i = 0; i < n; ++i) {
      std::string name(r.str());
      o.type_params.push_back({name, std::string(r.str())});
    }
    o.data = r.str();
    return o;
  }
  failure f;
  f.what = static_cast<failure::code>(r.num());
  f.text = r.str();
  f.from = r.str();
  f.to = r.str();
  auto n = r.num();
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string name(r.str());
    f.params.push_back({name, std::string(r.str())});
  }
  f.minutes = static_cast<int>(r.num());
  return f;
}

failure lost(const source& s, const request& q, std::string why) {
  failure f;
  f.what = failure::code::temp_fail;
  f.text = std::move(why);
  f.from = s.type;
  f.to = q.to.value_or("");
  f.minutes = 1;
  return f;
}

}  // namespace

worker_pool::worker_pool(std::string program, unsigned workers, std::uint64_t memory, const limits& l)
    : program_(std::move(program)), memory_(memory), limits_(l), workers_(std::max(1u, workers)) {}

worker_pool::~worker_pool() {
  for (auto& w : workers_) stop(w);
}

bool worker_pool::start(worker& w) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  // The child's end as its standard input and output (dup2 clears
  // close-on-exec on the copies).
  posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
  std::string limit = std::to_string(memory_);
  const char* argv[] = {"lemonade", "convert-worker", "--memory", limit.c_str(), nullptr};
  // Default signal dispositions and an empty mask in the worker.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program_.c_str(), &fa, &attr, const_cast<char* const*>(argv), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    return false;
  }
  w.pid = pid;
  w.fd = sv[0];
  // Non-blocking: every wait for the worker is bounded (wait_ready).
  ::fcntl(w.fd, F_SETFL, ::fcntl(w.fd, F_GETFL) | O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  if (!write_all(w.fd, encode_limits(limits_), &deadline)) {
    stop(w);
    return false;
  }
  return true;
}

void worker_pool::stop(worker& w) {
  if (w.fd >= 0) ::close(w.fd);
  if (w.pid > 0) {
    ::kill(w.pid, SIGKILL);
    while (::waitpid(w.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  w.fd = -1;
  w.pid = -1;
}

void worker_pool::lose(worker& w, const char* why) {
  // How it ended, if it did by itself (else: killed here, stuck).
  int status = 0;
  std::string how = "stuck";
  if (w.pid > 0 && ::waitpid(w.pid, &status, WNOHANG) == w.pid) {
    how = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                              : "exit " + std::to_string(WEXITSTATUS(status));
    w.pid = -1;
  }
  spdlog::warn("event=convert_worker_lost reason=\"{}\" ended=\"{}\"", why, how);
  stop(w);
}

result worker_pool::run(const source& s, const request& q) {
  worker* w = nullptr;
  {
    std::unique_lock lock(mu_);
    free_.wait(lock, [&] {
      for (auto& c : workers_)
        if (!c.busy) return true;
      return false;
    });
    for (auto& c : workers_)
      if (!c.busy) {
        w = &c;
        break;
      }
    w->busy = true;
  }
  struct release {
    worker_pool& pool;
    worker& w;
    ~release() {
      std::lock_guard lock(pool.mu_);
      w.busy = false;
      pool.free_.notify_one();
    }
  } done{*this, *w};
  if (w->fd < 0 && !start(*w)) {
    spdlog::warn("event=convert_worker_start_failed program=\"{}\"", program_);
    return lost(s, q, "The conversion service cannot start");
  }
  // The worker stops an image conversion at image_time itself; beyond
  // that and a margin, it is stuck. Until its answer is read whole, the
  // worker is not fit for another conversion: anything that ends the
  // exchange early (an exception included) loses it.
  auto deadline = std::chrono::steady_clock::now() + limits_.image_time + std::chrono::seconds(10);
  bool clean = false;
  struct dirty_guard {
    worker_pool& pool;
    worker& w;
    bool& clean;
    ~dirty_guard() {
      if (!clean && w.fd >= 0) pool.lose(w, "an exchange cut short");
    }
  } guard{*this, *w, clean};
  std::string reply;
  if (!write_all(w->fd, encode_request(s, q), &deadline) ||
      !read_frame(w->fd, reply, &deadline, limits_.max_output + (1 << 20))) {
    // A moment for a dying worker to be reaped with its status.
    ::usleep(20'000);
    lose(*w, "no answer");
    return lost(s, q, "The conversion ended abnormally");
  }
  try {
    auto res = decode_result(reply);
    if (auto* o = std::get_if<output>(&res); o && o->data.size() > limits_.max_output) throw std::length_error("");
    clean = true;
    return res;
  } catch (const std::exception&) {
    lose(*w, "a malformed answer");
    return lost(s, q, "The conversion ended abnormally");
  }
}

int worker_main(std::uint64_t memory) {
  // Nothing of the server's but the two pipes: every other descriptor
  // inherited across exec goes.
  if (::close_range(3, ~0u, 0) != 0) {
    // An older kernel: one by one, from the list of those open.
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return 1;
    std::vector<int> open;
    while (auto* e = ::readdir(d)) {
      int fd = std::atoi(e->d_name);
      if (fd > 2 && fd != ::dirfd(d)) open.push_back(fd);
    }
    ::closedir(d);
    for (int fd : open) ::close(fd);
  }
  // Standard error must be something (the server's may be closed): else
  // the descriptors below would land on 2.
  if (::fcntl(2, F_GETFD) < 0 && ::open("/dev/null", O_WRONLY) != 2) return 1;
  // Answers go out on a descriptor of their own; standard output becomes
  // standard error, so that nothing a library prints can reach the
  // protocol.
  int out = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (out < 0 || ::dup2(2, 1) < 0) return 1;
  // Ends with the server; gains no privilege by exec.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  // Its memory bounded (a decoder that runs away fails or dies here), and
  // no core file: it would hold someone's mail. A worker that cannot set
  // these does not serve.
  if (memory > 0) {
    rlimit as{memory, memory};
    if (::setrlimit(RLIMIT_AS, &as) != 0) return 1;
  }
  rlimit core{0, 0};
  if (::setrlimit(RLIMIT_CORE, &core) != 0) return 1;
  ::signal(SIGPIPE, SIG_IGN);
  std::string frame;
  if (!read_frame(0, frame, nullptr)) return 1;
  limits l;
  try {
    l = decode_limits(frame);
  } catch (const std::exception&) {
    return 1;
  }
  converter conv(l);
  while (read_frame(0, frame, nullptr)) {
    result res;
    try {
      reader r(frame);
      source s;
      request q;
      s.type = r.str();
      s.charset = r.str();
      bool has_to = r.str() == "1";
      std::string to(r.str());
      if (has_to) q.to = to;
      auto n = r.num();
      for (std::uint64_t i = 0; i < n; ++i) {
        std::string name(r.str());
        q.params.push_back({name, std::string(r.str())});
      }
      s.content = r.str();
      res = conv.run(s, q);
    } catch (const std::exception& e) {
      res = failure{failure::code::temp_fail, std::string("The conversion failed: ") + e.what(), "", "", {}, 1};
    }
    if (!write_all(out, encode_result(res))) return 1;
  }
  return 0;
}

}  // namespace lemonade::convert
