#pragma once

#include <optional>
#include <string>

#include <sqlite3.h>

// The SQLite store's schema: applying it to a database file, and bringing a file made by an
// earlier version up to date.
namespace subscriberd::store::sqlite {

// Creates what is missing (sql/sqlite/schema.sql), then upgrades what an earlier version made
// differently and can be changed in place. Run on a connection of its own, before the store's
// other connections are opened. Throws SqliteError when the schema cannot be applied.
void apply_schema(sqlite3* db);

// The CREATE TABLE text SQLite keeps for `table`, if there is such a table.
std::optional<std::string> table_definition(sqlite3* db, const char* table);

}  // namespace subscriberd::store::sqlite
