#pragma once
// RFC 3516 BINARY.SIZE and BINARY of a large part need the part's decoded
// size (and whether it holds a NUL, for literal8) before its first octet
// is sent, and finding them out means decoding the whole part. The answer
// depends only on the blob's content, the part's byte range and how it is
// decoded, so it is remembered server-wide under those: a client that asks
// BINARY.SIZE and then BINARY of a 5 MB attachment decodes it twice, not
// three times, and a second client not at all. Bounded (least recently
// used first out); thread-safe.

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace lemonade::imap {

struct binary_size {
  std::uint64_t size = 0;
  bool has_nul = false;
};

class binary_size_cache {
 public:
  explicit binary_size_cache(std::size_t capacity) : capacity_(capacity) {}
  std::optional<binary_size> find(const std::string& key);
  void put(const std::string& key, binary_size value);

 private:
  using entry = std::pair<std::string, binary_size>;
  std::size_t capacity_;
  std::mutex mu_;
  std::list<entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace lemonade::imap
