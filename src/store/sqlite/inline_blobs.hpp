#pragma once
// Messages kept in the account's database instead of blob files
// (store_limits::inline_message_size): table message_data, addressed by
// the same content hash as blob files. Its rowid is the hash's first 63
// bits, so a lookup needs no index of its own; a row is only ever taken
// for its own hash, and two contents whose hashes share those bits (never
// by chance; possibly by design) leave the second one to a blob file.
// Rows are written and deleted inside the commit queue's transactions:
// with the message that refers to one, and with the last reference's end
// (an expunged message's ghost being purged).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/db.hpp"

namespace lemonade::store::sqlite {

// The rowid for a content hash (64 hex digits).
std::int64_t inline_id(const std::string& hash);

// Stores data under hash unless it is there already. False when the rowid
// belongs to another hash: the caller keeps this content in a file.
bool put_inline(db& d, const std::string& hash, std::string_view data);

// The whole content, or octets [offset, offset + length) (fewer if it ends
// first); nullopt when the hash is not kept inline.
std::optional<std::string> read_inline(db& d, const std::string& hash);
std::optional<std::string> read_inline(db& d, const std::string& hash, std::uint64_t offset, std::uint64_t length);

// Whether a message or a ghost still refers to hash.
bool blob_referenced(db& d, const std::string& hash);

// For blobs whose last reference may just have gone: each one nothing
// refers to any more is deleted from the database if it is kept there;
// the others (files) are appended to `files` for removal after the commit.
void drop_unreferenced(db& d, std::vector<std::string> hashes, std::vector<std::string>& files);

}  // namespace lemonade::store::sqlite
