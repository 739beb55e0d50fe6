// The results database's schema, as an ordered list of migrations. The
// database's PRAGMA user_version says how many have been applied; opening a
// database applies the rest, each in its own transaction.
#pragma once

#include "store/database.h"

namespace attnlab::store {

// The schema version this build writes.
int schema_version();

// True when `db` was written by an older build and needs migrate().
bool needs_migration(Database& db);

// Brings `db` up to schema_version(). Throws StoreError if the file is newer
// than this build understands.
void migrate(Database& db);

}  // namespace attnlab::store
