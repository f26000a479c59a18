#include "store/sqlite/store.hpp"

#include <map>
#include <mutex>
#include <set>

#include "store/sqlite/account.hpp"
#include "store/sqlite/pool.hpp"
#include "store/sqlite/queue.hpp"
#include "store/sqlite/search_indexer.hpp"
#include "store/sqlite/users.hpp"

namespace lemonade::store::sqlite {
namespace {

class sqlite_store final : public mail_store {
 public:
  sqlite_store(const std::filesystem::path& data_dir, store_limits limits)
      : mail_root_(data_dir / "mail"),
        queue_dir_(data_dir / "queue"),
        limits_(limits),
        pool_(limits.idle_connections, limits.idle_connection_time),
        users_(data_dir / "accounts.db", mail_root_,
               limits.master_key_file.empty() ? data_dir / "master.key" : limits.master_key_file) {
    std::filesystem::create_directories(mail_root_);
  }

  user_directory& users() override { return users_; }

  mail_queue& queue() override {
    std::lock_guard lock(mu_);
    if (!queue_) queue_ = std::make_unique<sqlite_queue>(queue_dir_, pool_, limits_.min_free_space);
    return *queue_;
  }

  std::shared_ptr<account_store> open_account(const user_record& user) override {
    std::lock_guard lock(mu_);
    auto& slot = open_[user.id];
    if (auto live = slot.lock()) return live;
    auto acct = std::make_shared<sqlite_account>(mail_root_ / std::to_string(user.id), limits_, pool_, &indexer_);
    acct->request_indexing_if_behind();
    slot = acct;
    // Once per account and start: blobs a crash (or a failed cleanup) left
    // behind. The task holds the account open until it has run.
    if (swept_.insert(user.id).second)
      indexer_.post([acct] { acct->sweep_unreferenced_blobs(); });
    return acct;
  }

 private:
  std::filesystem::path mail_root_;
  std::filesystem::path queue_dir_;
  store_limits limits_;
  connection_pool pool_;  // before the accounts that lease from it
  sqlite_users users_;
  search_indexer indexer_;  // after the pool: stops before it closes
  std::mutex mu_;
  std::map<std::int64_t, std::weak_ptr<account_store>> open_;
  std::set<std::int64_t> swept_;
  std::unique_ptr<sqlite_queue> queue_;  // after the pool it leases from
};

}  // namespace

std::unique_ptr<mail_store> open_store(const std::filesystem::path& data_dir, store_limits limits) {
  return std::make_unique<sqlite_store>(data_dir, limits);
}

}  // namespace lemonade::store::sqlite
