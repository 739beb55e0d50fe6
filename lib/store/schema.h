// The results database's schema, as an ordered list of migrations. The
// database's PRAGMA user_version says how many have been applied; opening a
// database applies the rest, each in its own transaction.
#pragma once

#include "store/database.h"

namespace attnlab::store {

// The schema version this build writes.
int schema_version();

// The schema version of the database file (its user_version), read without
// changing it. Throws StoreError when it cannot be opened.
int file_schema(const std::filesystem::path& file);

// True when `db` was written by an older build and needs migrate().
bool needs_migration(Database& db);

// Throws StoreError when `db` was written by a newer attnlab, or is a
// SQLite database of something else (tables, but no attnlab schema).
void check_schema(Database& db);

// Brings `db` up to schema_version(). Throws StoreError where check_schema()
// does.
void migrate(Database& db);

}  // namespace attnlab::store
