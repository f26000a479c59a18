#pragma once
// Content-addressed message blobs: DIR/ab/<sha256 hex>. A blob is written
// to a temporary file, fsynced, renamed into place and its directory
// fsynced, so a name that exists always holds complete, durable content.
// Blobs are immutable; COPY shares them by reference.

#include <chrono>
#include <cstdint>
#include <functional>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lemonade::store {

class blob_store;

// A blob written as its octets arrive, to a temporary file, hashed on the
// way: a message assembled from pieces (CATENATE) never sits in memory
// whole. After finish() it is readable through view(), a
// read-only mapping of the file (page cache, not heap). blob_store::adopt()
// gives it its name, and makes it durable first; a staged file never
// adopted is deleted with this object (or, after a crash, by the sweep of
// old temporaries).
class staged_file {
 public:
  ~staged_file();
  staged_file(const staged_file&) = delete;
  staged_file& operator=(const staged_file&) = delete;
  // Throws std::system_error on I/O failure.
  void write(std::string_view octets);
  // Fixes the hash and maps the content (not synced: adopt() does that).
  void finish();
  std::string_view view() const { return {static_cast<const char*>(map_), size_}; }
  std::uint64_t size() const { return size_; }
  const std::string& hash() const { return hash_; }

 private:
  friend class blob_store;
  staged_file(std::filesystem::path tmp, int fd);
  std::filesystem::path tmp_;
  int fd_;
  void* sha_;  // EVP_MD_CTX
  std::uint64_t size_ = 0;
  std::string hash_;
  void* map_ = nullptr;
  bool adopted_ = false;
};

class blob_store {
 public:
  explicit blob_store(std::filesystem::path dir);

  // SHA-256 hex of data: the blob's name.
  static std::string content_hash(std::string_view data);

  // Makes the blob durable under its hash and returns the hash. When it
  // already exists the content is not rewritten, but its directory is
  // synced, so the caller may rely on it once this returns.
  // Throws std::system_error on I/O failure.
  std::string put(std::string_view data);
  // As put(), with a hash the caller already computed.
  void put(std::string_view data, const std::string& hash);
  // put() for several contents at once (their hashes, in order), syncing
  // after all are written: one MULTIAPPEND pays for its fsyncs together.
  std::vector<std::string> put_many(const std::vector<std::string_view>& items);

  // A new staged file, in the fan-out directory its first write does not
  // know yet: the top directory's "staging" (same file system, so adopt()
  // is a rename).
  std::unique_ptr<staged_file> stage();
  // Makes a finished staged file the blob named by its hash (rename and
  // directory sync) and returns the hash; when that blob exists already
  // the staged copy is dropped. Its view() stays valid either way.
  std::string adopt(staged_file& f);

  bool exists(const std::string& hash) const;
  // Whole content. Throws std::system_error if missing or unreadable.
  std::string read(const std::string& hash) const;
  // Octets [offset, offset + length), fewer if the blob ends first.
  std::string read(const std::string& hash, std::uint64_t offset, std::uint64_t length) const;
  // Removes a blob no message refers to any more; missing is not an error.
  void remove(const std::string& hash);

  std::filesystem::path path_of(const std::string& hash) const;

  // For the sweep of unreferenced blobs: calls visit(hash) for every blob
  // whose file is at least `age` old, and deletes the temporary files that
  // old (a put() a crash interrupted; a live one is younger). Returns the
  // number of temporaries deleted. Throws std::system_error if the
  // directory cannot be read.
  std::size_t walk_older_than(std::chrono::seconds age, const std::function<void(const std::string&)>& visit);

 private:
  // create_directories(d) unless d is known to exist: a delivery no longer
  // pays a mkdir per message (the fan-out directories are made once).
  void ensure_dir(const std::filesystem::path& d) const;

  std::filesystem::path dir_;
  struct known_dirs;
  std::shared_ptr<known_dirs> known_;
};

}  // namespace lemonade::store
