// `lemonade key add|list|rotate|revoke`: device keys of proxy deployments
// (store::device_key, docs/xencrypted.md). A key's secret is printed once,
// when it is made, for the user to enter on the device; the store keeps it
// wrapped under the master key and never prints it again.
#include <ctime>
#include <iostream>

#include "cli/cli.hpp"
#include "core/strings.hpp"

namespace lemonade::cli {
namespace {

std::string utc(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "key ID device NAME secret BASE64": one line a script or a person copies.
void print_new(const store::device_key& k) {
  std::cout << "key " << core::hex_encode(k.id) << " device " << k.device << " secret "
            << core::base64_encode(k.secret) << "\n";
}

std::string parse_key_id(const std::string& text) {
  auto id = core::hex_decode(text);
  if (!id || id->size() != 8) throw exit_error(2, "a key id is 16 hex digits (lemonade key list)");
  return *id;
}

void require_user(store::mail_store& st, const std::string& name) {
  if (!st.users().find_user(name)) throw exit_error(2, "no such user " + name);
}

}  // namespace

int key_add(const core::config& cfg, const std::string& name, const std::string& device) {
  auto st = open_store(cfg);
  try {
    print_new(st->users().add_device_key(name, device));
  } catch (const store::error& e) {
    return store_failure(e);
  }
  return 0;
}

int key_list(const core::config& cfg, const std::string& name) {
  auto st = open_store(cfg);
  require_user(*st, name);
  for (auto& k : st->users().list_device_keys(name)) {
    std::cout << core::hex_encode(k.id) << " " << k.device << " created " << utc(k.created);
    if (k.revoked) std::cout << " revoked " << utc(*k.revoked);
    else std::cout << " in use";
    std::cout << "\n";
  }
  return 0;
}

int key_rotate(const core::config& cfg, const std::string& name, const std::string& key_id) {
  auto st = open_store(cfg);
  require_user(*st, name);
  std::vector<std::string> ids;
  if (!key_id.empty()) {
    ids.push_back(parse_key_id(key_id));
  } else {
    for (auto& k : st->users().list_device_keys(name))
      if (!k.revoked) ids.push_back(k.id);
    if (ids.empty()) throw exit_error(2, name + " has no key in use");
  }
  try {
    for (auto& id : ids) print_new(st->users().rotate_device_key(name, id));
  } catch (const store::error& e) {
    return store_failure(e);
  }
  return 0;
}

int key_revoke(const core::config& cfg, const std::string& name, const std::string& key_id, bool all) {
  if (all == !key_id.empty()) throw exit_error(2, "name a key, or --all");
  auto st = open_store(cfg);
  require_user(*st, name);
  std::vector<std::string> ids;
  if (!all) {
    ids.push_back(parse_key_id(key_id));
  } else {
    for (auto& k : st->users().list_device_keys(name))
      if (!k.revoked) ids.push_back(k.id);
  }
  try {
    for (auto& id : ids) {
      st->users().revoke_device_key(name, id);
      std::cout << "revoked " << core::hex_encode(id) << "\n";
    }
  } catch (const store::error& e) {
    return store_failure(e);
  }
  return 0;
}

}  // namespace lemonade::cli
