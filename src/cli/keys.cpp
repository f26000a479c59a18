// `lemonade key add|list|rotate|revoke|pair`: device keys of proxy
// deployments (store::device_key, docs/xencrypted.md). A key's secret is
// printed once, when it is made, for the user to enter on the device; the
// store keeps it wrapped under the master key and never prints it again.
// `lemonade key cert`: the user's S/MIME certificates; `lemonade key
// app-password`: what a client of the key API logs in with.
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "auth/smime.hpp"
#include "auth/xenc.hpp"
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

int key_pair(const core::config& cfg, const std::string& name, const std::string& device) {
  auto st = open_store(cfg);
  auto code = auth::xenc::make_code();
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  auto expires = (now + cfg.pairing_code_lifetime).count();
  try {
    st->users().add_pairing_code(name, device, *auth::xenc::code_hash(auth::xenc::code_use::pairing, code),
                                 now.count(), expires, cfg.max_pairing_codes);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "code " << code << " device " << device << " expires " << utc(expires) << "\n";
  return 0;
}

int cert_add(const core::config& cfg, const std::string& name, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw exit_error(2, "cannot read " + file);
  std::ostringstream text;
  text << in.rdbuf();
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  auth::smime::certificate c;
  try {
    c = auth::smime::read_certificate(text.str(), now.count());
  } catch (const auth::smime::bad_certificate& e) {
    throw exit_error(2, file + ": " + e.what());
  }
  auto st = open_store(cfg);
  try {
    st->users().add_smime_certificate(name, {c.fingerprint, c.subject, c.not_after, now.count(), c.der},
                                      cfg.smime_max_certificates);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << core::hex_encode(c.fingerprint) << " " << c.subject << " until " << utc(c.not_after) << "\n";
  return 0;
}

int cert_list(const core::config& cfg, const std::string& name) {
  auto st = open_store(cfg);
  require_user(*st, name);
  for (auto& c : st->users().list_smime_certificates(name))
    std::cout << core::hex_encode(c.fingerprint) << " " << c.subject << " until " << utc(c.not_after) << "\n";
  return 0;
}

int cert_remove(const core::config& cfg, const std::string& name, const std::string& fingerprint) {
  auto fp = core::hex_decode(fingerprint);
  if (!fp || fp->size() != 32) throw exit_error(2, "a fingerprint is 64 hex digits (lemonade key cert list)");
  auto st = open_store(cfg);
  try {
    st->users().remove_smime_certificate(name, *fp);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "removed " << core::hex_encode(*fp) << "\n";
  return 0;
}

int app_password_add(const core::config& cfg, const std::string& name, const std::string& label) {
  auto st = open_store(cfg);
  auto password = auth::xenc::make_code();
  try {
    st->users().add_app_password(name, label, *auth::xenc::code_hash(auth::xenc::code_use::app_password, password));
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "app-password " << label << " " << password << "\n";
  return 0;
}

int app_password_list(const core::config& cfg, const std::string& name) {
  auto st = open_store(cfg);
  require_user(*st, name);
  for (auto& a : st->users().list_app_passwords(name)) std::cout << a.label << " created " << utc(a.created) << "\n";
  return 0;
}

int app_password_del(const core::config& cfg, const std::string& name, const std::string& label) {
  auto st = open_store(cfg);
  try {
    st->users().remove_app_password(name, label);
  } catch (const store::error& e) {
    return store_failure(e);
  }
  std::cout << "removed " << label << "\n";
  return 0;
}

}  // namespace lemonade::cli
