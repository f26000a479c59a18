#pragma once
// A staged message (store/api/types.hpp) kept as a staged blob file: the
// one implementation the accounts and the queue share.

#include <memory>

#include "store/api/types.hpp"
#include "store/blob/blob_store.hpp"

namespace lemonade::store::sqlite {

class staged_blob final : public staged_message {
 public:
  explicit staged_blob(std::unique_ptr<staged_file> f) : file(std::move(f)) {}
  void write(std::string_view octets) override { file->write(octets); }
  void finish() override { file->finish(); }
  std::string_view view() const override { return file->view(); }
  std::uint64_t size() const override { return file->size(); }
  std::unique_ptr<staged_file> file;
};

}  // namespace lemonade::store::sqlite
