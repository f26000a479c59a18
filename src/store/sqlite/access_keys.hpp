#pragma once
// RFC 4467 §3 URLAUTH mailbox access keys, one per mailbox: 32 random
// octets, made on first use, replaced by RESETKEY, gone with the mailbox.
// They never leave the server; GENURLAUTH and URLFETCH compute and check
// tokens with them (imap/commands/urlauth.cpp).

#include <optional>
#include <string>

#include "store/api/types.hpp"
#include "store/sqlite/db.hpp"

namespace lemonade::store::sqlite {

// The key, or nullopt if the mailbox has none yet.
std::optional<std::string> read_access_key(db& d, mailbox_id id);
// Inside a write: the key, made now if there is none.
std::string make_access_key(db& d, mailbox_id id);
// Inside a write: a new key for the mailbox (URLs made with the old one
// stop working), or, with no mailbox, every key dropped.
void reset_access_keys(db& d, std::optional<mailbox_id> id);

}  // namespace lemonade::store::sqlite
