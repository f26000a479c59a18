#pragma once
// user_directory on SQLite: DATA_DIR/accounts.db. Writes are rare (the
// `lemonade user` commands), so one connection under a mutex serves.

#include <filesystem>
#include <mutex>

#include "store/api/store.hpp"
#include "store/sqlite/db.hpp"

namespace lemonade::store::sqlite {

class sqlite_users final : public user_directory {
 public:
  // mail_root: where each user's mail lives (MAIL_ROOT/<id>/), removed by
  // delete_user.
  // master_key_file: see store_limits.
  sqlite_users(const std::filesystem::path& file, std::filesystem::path mail_root,
               std::filesystem::path master_key_file);
  ~sqlite_users() override;

  user_record add_user(const user_record& r) override;
  void update_credentials(const user_record& r) override;
  void delete_user(std::string_view name) override;
  std::vector<user_record> list_users() override;
  std::optional<user_record> find_user(std::string_view name) override;
  void add_proxy(const user_record& r) override;
  void remove_proxy(std::string_view user, std::string_view label) override;
  void set_proxy_allowances(std::string_view user, std::string_view label, unsigned allow) override;
  std::vector<user_record> list_proxies(std::string_view user) override;
  std::vector<user_record> list_all_proxies() override;
  std::optional<user_record> find_proxy(std::string_view user, std::string_view label) override;
  device_key add_device_key(std::string_view user, std::string_view device) override;
  device_key rotate_device_key(std::string_view user, std::string_view id) override;
  void revoke_device_key(std::string_view user, std::string_view id) override;
  std::vector<device_key> list_device_keys(std::string_view user) override;
  std::optional<device_key> find_device_key(std::string_view user, std::string_view id) override;
  std::vector<std::string> device_keys_in_use() override;
  void add_pairing_code(std::string_view user, std::string_view device, std::string_view code_hash,
                        std::int64_t now, std::int64_t expires, unsigned max) override;
  std::optional<server_smime> find_server_smime(std::string_view user) override;
  server_smime make_server_smime(std::string_view user) override;
  std::optional<std::pair<std::string, device_key>> redeem_pairing_code(std::string_view code_hash,
                                                                        std::int64_t now) override;
  void add_app_password(std::string_view user, std::string_view label, std::string_view hash) override;
  void remove_app_password(std::string_view user, std::string_view label) override;
  std::vector<app_password> list_app_passwords(std::string_view user) override;
  std::optional<std::string> find_app_password(std::string_view user, std::string_view hash) override;
  void add_smime_certificate(std::string_view user, const smime_certificate& c, unsigned max) override;
  void remove_smime_certificate(std::string_view user, std::string_view fingerprint) override;
  std::vector<smime_certificate> list_smime_certificates(std::string_view user) override;
  std::uint64_t version() override;

 private:
  // The master key, read from its file (or made, when `make`); under mu_.
  const std::string& master_key(bool make);
  device_key insert_device_key(std::int64_t user, std::string_view device);
  std::optional<server_smime> read_server_smime(std::int64_t user);

  std::mutex mu_;
  db db_;
  std::filesystem::path mail_root_;
  std::filesystem::path master_key_file_;
  std::string master_key_;
};

// User names: 1-64 of letters, digits, '.', '_', '-', '@'. '+' is kept
// for proxy identities (DESIGN.md §8).
bool valid_user_name(std::string_view name);
// Proxy identity labels: 1-32 of letters, digits, '.', '_', '-'.
bool valid_proxy_label(std::string_view label);

}  // namespace lemonade::store::sqlite
