#pragma once
// The `lemonade` command: subcommands wire the layers together.
// Exit codes: 0 success, 1 runtime failure (busy port, unreadable data
// dir, store error), 2 bad usage or bad config.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "net/endpoint.hpp"
#include "store/api/store.hpp"

namespace lemonade::cli {

struct exit_error : std::runtime_error {
  int code;
  exit_error(int c, const std::string& msg) : std::runtime_error(msg), code(c) {}
};

// Creates the data directory, a default lemonade.toml and the server
// secret if missing; loads the config. Throws exit_error.
core::config prepare_data_dir(const std::filesystem::path& dir,
                              const std::vector<std::pair<std::string, std::string>>& overrides);
// 32 random octets kept in DATA_DIR/secret (SCRAM fake salts).
std::string server_secret(const std::filesystem::path& dir);

// The store the config names (today the embedded SQLite one), with the
// config's limits.
std::unique_ptr<store::mail_store> open_store(const core::config& cfg);

// Calls listen for each address of a listener setting (`key`, e.g.
// "imap.listen"): exit 2 for one that is not host:port, exit 1 with the
// reason for one that cannot be bound.
void bind_each(const std::vector<std::string>& addrs, const char* key,
               const std::function<void(const net::host_port&)>& listen);

int serve(const core::config& cfg);
// `lemonade proxy` (src/proxy); backend: --backend, else proxy.backend.
int proxy(const core::config& cfg, const std::string& backend);
int user_add(const core::config& cfg, const std::string& name);
int user_passwd(const core::config& cfg, const std::string& name);
int user_del(const core::config& cfg, const std::string& name);
int user_list(const core::config& cfg);
int proxy_add(const core::config& cfg, const std::string& name, const std::string& label, const std::string& allow);
int proxy_del(const core::config& cfg, const std::string& name, const std::string& label);
int proxy_list(const core::config& cfg, const std::string& name);
int proxy_allow(const core::config& cfg, const std::string& name, const std::string& label, const std::string& allow);

// A store error for the command line: its message on stderr; exit code 2
// for a usage error (no such user, exists already, bad name), else 1.
int store_failure(const store::error& e);

// `lemonade key ...` (keys.cpp): device keys of proxy deployments.
int key_add(const core::config& cfg, const std::string& name, const std::string& device);
int key_list(const core::config& cfg, const std::string& name);
// key_id empty: every key in use.
int key_rotate(const core::config& cfg, const std::string& name, const std::string& key_id);
int key_revoke(const core::config& cfg, const std::string& name, const std::string& key_id, bool all);
int key_pair(const core::config& cfg, const std::string& name, const std::string& device);
int cert_add(const core::config& cfg, const std::string& name, const std::string& file);
int cert_list(const core::config& cfg, const std::string& name);
int cert_remove(const core::config& cfg, const std::string& name, const std::string& fingerprint);
int app_password_add(const core::config& cfg, const std::string& name, const std::string& label);
int app_password_list(const core::config& cfg, const std::string& name);
int app_password_del(const core::config& cfg, const std::string& name, const std::string& label);
int queue_list(const core::config& cfg);
int queue_show(const core::config& cfg, std::int64_t id);
int queue_retry(const core::config& cfg, std::int64_t id);
int queue_delete(const core::config& cfg, std::int64_t id);
int queue_flush(const core::config& cfg);

}  // namespace lemonade::cli
