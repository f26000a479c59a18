#include "store/blob/blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <system_error>

#include <openssl/evp.h>

#include "core/strings.hpp"

namespace lemonade::store {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct fd_guard {
  int fd;
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

blob_store::blob_store(std::filesystem::path dir) : dir_(std::move(dir)) {
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
    std::filesystem::create_directories(sub);
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

}  // namespace lemonade::store
