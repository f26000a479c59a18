#pragma once
// Numbered schema migrations, tracked in PRAGMA user_version. A step never
// changes once released; new needs get a new step.

#include "store/sqlite/db.hpp"

namespace lemonade::store::sqlite {

// Brings an account database (mailboxes, messages, expunge log,
// subscriptions) to the current schema.
void migrate_account(db& d);
// Brings the user directory (accounts.db) to the current schema.
void migrate_users(db& d);

}  // namespace lemonade::store::sqlite
