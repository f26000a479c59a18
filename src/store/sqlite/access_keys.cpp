#include "store/sqlite/access_keys.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace lemonade::store::sqlite {
namespace {

std::string random_key() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("no random octets for a URLAUTH access key");
  return key;
}

}  // namespace

std::optional<std::string> read_access_key(db& d, mailbox_id id) {
  auto& s = d.cached("SELECT key FROM urlauth_keys WHERE mailbox_id = ?1");
  s.bind(1, id);
  std::optional<std::string> key;
  if (s.step()) key = s.blob(0);
  s.reset();
  return key;
}

std::string make_access_key(db& d, mailbox_id id) {
  if (auto key = read_access_key(d, id)) return *key;
  auto key = random_key();
  d.cached("INSERT INTO urlauth_keys(mailbox_id, key) VALUES(?1, ?2)").bind(1, id).bind_blob(2, key).run();
  return key;
}

void reset_access_keys(db& d, std::optional<mailbox_id> id) {
  if (!id) {
    d.cached("DELETE FROM urlauth_keys").run();
    return;
  }
  d.cached("INSERT OR REPLACE INTO urlauth_keys(mailbox_id, key) VALUES(?1, ?2)")
      .bind(1, *id)
      .bind_blob(2, random_key())
      .run();
}

}  // namespace lemonade::store::sqlite
