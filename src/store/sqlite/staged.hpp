#pragma once
// A staged message (store/api/types.hpp): the one implementation the
// accounts and the queue share. Its octets stay in memory up to a limit
// (a message its account keeps in the database, inline_blobs.hpp, never
// touches a file) and go to a staged blob file from the write that passes
// it.

#include <memory>
#include <stdexcept>
#include <string>

#include "store/api/types.hpp"
#include "store/blob/blob_store.hpp"

namespace lemonade::store::sqlite {

class staged_blob final : public staged_message {
 public:
  // `in_memory`: octets kept in memory before a file is made (0: a file
  // from the first write on).
  staged_blob(blob_store blobs, std::size_t in_memory) : blobs_(std::move(blobs)), in_memory_(in_memory) {}

  void write(std::string_view octets) override {
    if (finished_) throw std::logic_error("staged_blob::write after finish");
    if (!file && memory_.size() + octets.size() <= in_memory_) {
      memory_.append(octets);
      return;
    }
    if (!file) {
      file = blobs_.stage();
      file->write(memory_);
      std::string().swap(memory_);
    }
    file->write(octets);
  }
  void finish() override {
    if (finished_) return;
    if (file)
      file->finish();
    else
      hash_ = blob_store::content_hash(memory_);
    finished_ = true;
  }
  std::string_view view() const override { return file ? file->view() : std::string_view(memory_); }
  std::uint64_t size() const override { return file ? file->size() : memory_.size(); }
  // After finish(): the content's hash (its blob name).
  const std::string& hash() const { return file ? file->hash() : hash_; }

  // The staged file once the octets outgrew memory; null before.
  std::unique_ptr<staged_file> file;

 private:
  blob_store blobs_;
  std::size_t in_memory_;
  std::string memory_;
  std::string hash_;
  bool finished_ = false;
};

}  // namespace lemonade::store::sqlite
