#include "store/blob/blob_store.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <cerrno>
#include <ctime>
#include <memory>
#include <system_error>

#include <openssl/evp.h>

#include "core/strings.hpp"

namespace lemonade::store {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct fd_guard {
  int fd = -1;
  fd_guard() = default;
  explicit fd_guard(int f) : fd(f) {}
  fd_guard(fd_guard&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  fd_guard& operator=(fd_guard&&) = delete;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

void fsync_dir(const std::filesystem::path& dir) {
  fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) throw_errno("open " + dir.string());
  if (::fsync(d.fd) != 0) throw_errno("fsync " + dir.string());
}

void write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(what);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

staged_file::staged_file(std::filesystem::path tmp, int fd) : tmp_(std::move(tmp)), fd_(fd) {
  auto* ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    ::close(fd_);
    ::unlink(tmp_.c_str());
    throw std::runtime_error("sha256 failed");
  }
  sha_ = ctx;
}

staged_file::~staged_file() {
  if (map_) ::munmap(map_, size_);
  ::close(fd_);
  if (!adopted_) ::unlink(tmp_.c_str());
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(sha_));
}

void staged_file::write(std::string_view octets) {
  if (!hash_.empty()) throw std::logic_error("staged_file::write after finish");
  write_all(fd_, octets, "write " + tmp_.string());
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(sha_), octets.data(), octets.size()) != 1)
    throw std::runtime_error("sha256 failed");
  size_ += octets.size();
}

void staged_file::finish() {
  if (!hash_.empty()) return;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(sha_), md, &len) != 1) throw std::runtime_error("sha256 failed");
  hash_ = core::hex_encode(std::string_view(reinterpret_cast<char*>(md), len));
  if (size_ > 0) {
    auto* m = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
    if (m == MAP_FAILED) throw_errno("mmap " + tmp_.string());
    map_ = m;
  }
}

std::unique_ptr<staged_file> blob_store::stage() {
  auto dir = dir_ / "staging";
  ensure_dir(dir);
  static std::atomic<unsigned long> counter{0};
  auto tmp = dir / (".tmp." + std::to_string(::getpid()) + ".s" + std::to_string(++counter));
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno("create " + tmp.string());
  return std::unique_ptr<staged_file>(new staged_file(tmp, fd));
}

std::string blob_store::adopt(staged_file& f) {
  if (f.hash_.empty()) throw std::logic_error("blob_store::adopt before finish");
  if (f.adopted_) return f.hash_;
  auto final_path = path_of(f.hash_);
  auto sub = final_path.parent_path();
  if (!exists(f.hash_)) {
    ensure_dir(sub);
    // Synced only now: a staged file that never becomes a blob (its
    // content kept in a database, or already stored) never pays for it.
    if (::fdatasync(f.fd_) != 0) throw_errno("fsync " + f.tmp_.string());
    if (::rename(f.tmp_.c_str(), final_path.c_str()) != 0) throw_errno("rename " + final_path.string());
    f.adopted_ = true;
  }
  fsync_dir(sub);
  return f.hash_;
}

struct blob_store::known_dirs {
  std::mutex mu;
  std::set<std::string> dirs;
};

void blob_store::ensure_dir(const std::filesystem::path& d) const {
  {
    std::lock_guard lock(known_->mu);
    if (known_->dirs.contains(d.native())) return;
  }
  std::filesystem::create_directories(d);
  std::lock_guard lock(known_->mu);
  known_->dirs.insert(d.native());
}

blob_store::blob_store(std::filesystem::path dir) : dir_(std::move(dir)), known_(std::make_shared<known_dirs>()) {
  std::filesystem::create_directories(dir_);
}

std::string blob_store::content_hash(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256 failed");
  return core::hex_encode(std::string_view(reinterpret_cast<char*>(md), len));
}

std::filesystem::path blob_store::path_of(const std::string& hash) const {
  return dir_ / hash.substr(0, 2) / hash;
}

std::string blob_store::put(std::string_view data) {
  auto hash = content_hash(data);
  put(data, hash);
  return hash;
}

void blob_store::put(std::string_view data, const std::string& hash) {
  auto final_path = path_of(hash);
  auto sub = final_path.parent_path();
  if (!exists(hash)) {
    ensure_dir(sub);
    static std::atomic<unsigned long> counter{0};
    auto tmp = sub / (".tmp." + std::to_string(::getpid()) + "." + std::to_string(++counter));
    {
      fd_guard f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
      if (f.fd < 0) throw_errno("create " + tmp.string());
      write_all(f.fd, data, "write " + tmp.string());
      if (::fdatasync(f.fd) != 0) throw_errno("fsync " + tmp.string());
    }
    if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
      auto e = errno;
      ::unlink(tmp.c_str());
      errno = e;
      throw_errno("rename " + final_path.string());
    }
  }
  // The name may have been created by a writer that has not synced the
  // directory yet; syncing it again is cheap and makes our claim true.
  fsync_dir(sub);
}

std::vector<std::string> blob_store::put_many(const std::vector<std::string_view>& items) {
  // Write every new file first, then sync them all: the syncs of one batch
  // (a MULTIAPPEND) share journal commits instead of each waiting for its
  // own, and each directory is synced once.
  struct pending {
    std::filesystem::path tmp, final_path;
    fd_guard f;
  };
  std::vector<std::string> hashes;
  std::vector<pending> files;
  std::vector<std::filesystem::path> dirs;
  auto cleanup = [&] {
    for (auto& p : files) ::unlink(p.tmp.c_str());
  };
  try {
    for (auto data : items) {
      auto hash = content_hash(data);
      hashes.push_back(hash);
      auto final_path = path_of(hash);
      auto sub = final_path.parent_path();
      if (std::find(dirs.begin(), dirs.end(), sub) == dirs.end()) dirs.push_back(sub);
      bool queued = false;
      for (auto& p : files) queued = queued || p.final_path == final_path;
      if (queued || exists(hash)) continue;
      ensure_dir(sub);
      static std::atomic<unsigned long> counter{0};
      pending p;
      p.tmp = sub / (".tmp." + std::to_string(::getpid()) + ".m" + std::to_string(++counter));
      p.final_path = final_path;
      p.f.fd = ::open(p.tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (p.f.fd < 0) throw_errno("create " + p.tmp.string());
      files.push_back(std::move(p));
      write_all(files.back().f.fd, data, "write " + files.back().tmp.string());
    }
    for (auto& p : files)
      if (::fdatasync(p.f.fd) != 0) throw_errno("fsync " + p.tmp.string());
    for (auto& p : files) {
      if (::rename(p.tmp.c_str(), p.final_path.c_str()) != 0) throw_errno("rename " + p.final_path.string());
      p.tmp.clear();
    }
  } catch (...) {
    cleanup();
    throw;
  }
  for (auto& d : dirs) fsync_dir(d);
  return hashes;
}

bool blob_store::exists(const std::string& hash) const {
  return ::access(path_of(hash).c_str(), F_OK) == 0;
}

std::string blob_store::read(const std::string& hash) const {
  auto p = path_of(hash);
  fd_guard f{::open(p.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw_errno("open " + p.string());
  std::string out;
  char buf[65536];
  for (;;) {
    auto n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + p.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string blob_store::read(const std::string& hash, std::uint64_t offset, std::uint64_t length) const {
  auto p = path_of(hash);
  fd_guard f{::open(p.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw_errno("open " + p.string());
  std::string out;
  out.resize(length);
  std::size_t got = 0;
  while (got < length) {
    auto n = ::pread(f.fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + p.string());
    }
    if (n == 0) break;  // past the end: a short read
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void blob_store::remove(const std::string& hash) {
  auto p = path_of(hash);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) throw_errno("unlink " + p.string());
}

std::size_t blob_store::walk_older_than(std::chrono::seconds age,
                                        const std::function<void(const std::string&)>& visit) {
  auto cutoff = ::time(nullptr) - static_cast<time_t>(age.count());
  std::size_t temporaries = 0;
  // One fan-out directory at a time, names collected before visiting, so
  // memory stays small and a visit that deletes does not disturb readdir.
  std::error_code ec;
  for (const auto& sub : std::filesystem::directory_iterator(dir_, ec)) {
    auto dname = sub.path().filename().string();
    if ((dname.size() != 2 && dname != "staging") || !sub.is_directory()) continue;
    std::vector<std::string> old;
    {
      std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(sub.path().c_str()), ::closedir);
      if (!d) {
        if (errno == ENOENT) continue;
        throw_errno("opendir " + sub.path().string());
      }
      while (auto* e = ::readdir(d.get())) {
        std::string_view name(e->d_name);
        if (name == "." || name == "..") continue;
        struct stat st {};
        if (::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
          continue;
        if (st.st_mtime > cutoff) continue;
        if (name.starts_with(".tmp.")) {
          if (::unlinkat(::dirfd(d.get()), e->d_name, 0) == 0) ++temporaries;
        } else if (name.size() == 64 && name.substr(0, 2) == dname) {
          old.emplace_back(name);
        }
      }
    }
    for (auto& hash : old) visit(hash);
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw std::system_error(ec, "read " + dir_.string());
  return temporaries;
}

}  // namespace lemonade::store
