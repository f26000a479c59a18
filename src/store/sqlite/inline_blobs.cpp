#include "store/sqlite/inline_blobs.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace lemonade::store::sqlite {

std::int64_t inline_id(const std::string& hash) {
  if (hash.size() < 16) throw std::invalid_argument("inline_id: not a content hash");
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    char c = hash[i];
    unsigned digit = c >= '0' && c <= '9' ? static_cast<unsigned>(c - '0')
                     : c >= 'a' && c <= 'f' ? static_cast<unsigned>(c - 'a' + 10)
                                            : throw std::invalid_argument("inline_id: not a content hash");
    v = v << 4 | digit;
  }
  return static_cast<std::int64_t>(v & static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
}

bool put_inline(db& d, const std::string& hash, std::string_view data) {
  auto id = inline_id(hash);
  d.cached("INSERT INTO message_data(id, hash, data) VALUES(?1, ?2, ?3) ON CONFLICT(id) DO NOTHING")
      .bind(1, id)
      .bind(2, hash)
      .bind_blob(3, data)
      .run();
  if (d.changes() > 0) return true;
  auto& s = d.cached("SELECT hash FROM message_data WHERE id = ?1");
  s.bind(1, id);
  bool same = s.step() && s.text(0) == hash;
  s.reset();
  return same;
}

std::optional<std::string> read_inline(db& d, const std::string& hash) {
  auto& s = d.cached("SELECT data FROM message_data WHERE id = ?1 AND hash = ?2");
  s.bind(1, inline_id(hash)).bind(2, hash);
  std::optional<std::string> out;
  if (s.step()) out = s.blob(0);
  s.reset();
  return out;
}

std::optional<std::string> read_inline(db& d, const std::string& hash, std::uint64_t offset, std::uint64_t length) {
  // substr() of a BLOB counts octets, from 1.
  auto& s = d.cached("SELECT substr(data, ?3, ?4) FROM message_data WHERE id = ?1 AND hash = ?2");
  auto cap = [](std::uint64_t v) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max() - 1));
  };
  s.bind(1, inline_id(hash)).bind(2, hash).bind(3, cap(offset) + 1).bind(4, cap(length));
  std::optional<std::string> out;
  if (s.step()) out = s.blob(0);
  s.reset();
  return out;
}

bool blob_referenced(db& d, const std::string& hash) {
  for (auto* sql : {"SELECT 1 FROM messages WHERE blob = ?1 LIMIT 1", "SELECT 1 FROM ghosts WHERE blob = ?1 LIMIT 1"}) {
    auto& s = d.cached(sql);
    s.bind(1, hash);
    bool found = s.step();
    s.reset();
    if (found) return true;
  }
  return false;
}

void drop_unreferenced(db& d, std::vector<std::string> hashes, std::vector<std::string>& files) {
  // A COPY's messages share a blob: each hash once.
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  for (auto& hash : hashes) {
    if (blob_referenced(d, hash)) continue;
    d.cached("DELETE FROM previews WHERE blob = ?1").bind(1, hash).run();
    // Keys "<hash>:...": those between "<hash>:" and "<hash>;".
    d.cached("DELETE FROM conversions WHERE key > ?1 AND key < ?2").bind(1, hash + ":").bind(2, hash + ";").run();
    d.cached("DELETE FROM message_data WHERE id = ?1 AND hash = ?2").bind(1, inline_id(hash)).bind(2, hash).run();
    if (d.changes() == 0) files.push_back(hash);
  }
}

}  // namespace lemonade::store::sqlite
