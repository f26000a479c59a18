#pragma once
// The embedded SQLite backend's entry point; only cli/ and the store tests
// include this (STYLE.md §1: protocol code never sees a backend).

#include <filesystem>
#include <memory>

#include "store/api/store.hpp"

namespace lemonade::store::sqlite {

// DATA_DIR/accounts.db holds users; DATA_DIR/mail/<user id>/ each account.
std::unique_ptr<mail_store> open_store(const std::filesystem::path& data_dir, store_limits limits);

}  // namespace lemonade::store::sqlite
