#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "auth/password.hpp"
#include "cli/cli.hpp"
#include "store/sqlite/store.hpp"

namespace lemonade::cli {

std::unique_ptr<store::mail_store> open_store(const core::config& cfg) {
  return store::sqlite::open_store(cfg.data_dir, {cfg.max_mailboxes, cfg.max_mailbox_name_length,
                                                  cfg.max_mailbox_depth, cfg.min_free_space,
                                                  cfg.store_idle_connections, cfg.store_idle_connection_time,
                                                  cfg.search_index_batch, cfg.blob_sweep_age, cfg.max_account_size,
                                                  cfg.inline_message_size, cfg.master_key_file});
}

core::config prepare_data_dir(const std::filesystem::path& dir,
                              const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw exit_error(1, "cannot create data directory " + dir.string() + ": " + ec.message());
  if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0)
    throw exit_error(1, "data directory " + dir.string() + " is not readable and writable");
  auto file = dir / "lemonade.toml";
  if (!std::filesystem::exists(file)) {
    std::ofstream out(file);
    out << core::default_config_text();
    if (!out) throw exit_error(1, "cannot write " + file.string());
  }
  try {
    return core::load_config(dir, overrides);
  } catch (const core::config_error& e) {
    throw exit_error(2, e.what());
  }
}

std::string server_secret(const std::filesystem::path& dir) {
  auto file = dir / "secret";
  std::ifstream in(file, std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().size() == 32) return ss.str();
  }
  auto secret = auth::random_bytes(32);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, secret.data(), secret.size()) != 32 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    throw exit_error(1, "cannot write " + file.string());
  }
  ::close(fd);
  return secret;
}

}  // namespace lemonade::cli
