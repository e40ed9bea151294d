#include "store/sqlite/schema.h"

#include <cstdint>
#include <string_view>

#include "store/sqlite/sqlite_handle.h"
#include "util/log.h"

namespace subscriberd::embedded {
extern const std::string_view kSqliteSchema;
}

namespace subscriberd::store::sqlite {
namespace {

// The subscribers table's status check as the first schema wrote it, and as it is written now.
// Both allow the same five values. SQLite evaluates an IN list of more than two values by
// building a temporary index of the list for every row it checks: with the first form, that
// took a quarter of the writer's time. Tables made by that schema are rewritten at start-up.
constexpr std::string_view kFirstStatusCheck =
    "CHECK (status IN ('active', 'unsubscribed', 'unconfirmed',\n"
    "                                                 'bounced', 'junk'))";
constexpr std::string_view kStatusCheck =
    "CHECK (status = 'active' OR status = 'unsubscribed' OR\n"
    "                                      status = 'unconfirmed' OR status = 'bounced' OR\n"
    "                                      status = 'junk')";

// Runs sql/sqlite/schema.sql, which creates only what is missing.
void create_missing(sqlite3* db) {
  exec(db, std::string(embedded::kSqliteSchema).c_str());
}

// The subscribers table as the current schema creates it, from a database in memory.
std::string current_subscribers_definition() {
  Connection scratch = open_connection(":memory:", false);
  create_missing(scratch.get());
  return table_definition(scratch.get(), "subscribers").value_or("");
}

// Replaces the table's CREATE TABLE text `from` with `to`, by the procedure SQLite documents
// for changing a CHECK constraint ("Making Other Kinds Of Table Schema Changes"): the rows are
// not touched, and every row already satisfies the new check, which allows the same values.
// Only the text read before is replaced (another process may have changed the table since).
// The new schema version makes every other connection read the definition again; a build of
// SQLite that refuses either step (defensive mode) leaves the transaction rolled back.
void rewrite_definition(sqlite3* db, const std::string& table, const std::string& from,
                        const std::string& to) {
  exec(db, "BEGIN IMMEDIATE");
  try {
    const std::int64_t version = query_int(db, "PRAGMA schema_version");
    exec(db, "PRAGMA writable_schema = ON");
    Statement update(
        db, "UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ? AND sql = ?");
    update.bind(1, to);
    update.bind(2, table);
    update.bind(3, from);
    if (sqlite3_step(update.get()) != SQLITE_DONE)
      throw SqliteError(sqlite3_errcode(db), std::string("rewrite: ") + sqlite3_errmsg(db));
    if (sqlite3_changes(db) != 1)
      throw SqliteError(SQLITE_ERROR, "rewrite: the table changed meanwhile");
    exec(db, ("PRAGMA schema_version = " + std::to_string(version + 1)).c_str());
    if (query_int(db, "PRAGMA schema_version") != version + 1)
      throw SqliteError(SQLITE_ERROR, "rewrite: the schema version was not raised");
    exec(db, "PRAGMA writable_schema = OFF");
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_exec(db, "PRAGMA writable_schema = OFF", nullptr, nullptr, nullptr);
    throw;
  }
}

// A subscribers table made by the first schema gets the current status check, and nothing
// else: only when swapping the check makes its definition the current one, word for word.
void upgrade_status_check(sqlite3* db) {
  const std::optional<std::string> stored = table_definition(db, "subscribers");
  if (!stored)
    return;
  const std::size_t at = stored->find(kFirstStatusCheck);
  if (at == std::string::npos) {
    if (stored->find("status IN (") != std::string::npos)
      log::warn("subscribers table has a status check this version does not know; left as it is");
    return;
  }
  std::string upgraded = *stored;
  upgraded.replace(at, kFirstStatusCheck.size(), kStatusCheck);
  if (upgraded != current_subscribers_definition()) {
    // Changed by hand, or by a version this one does not know: right, only slower to insert.
    log::warn("subscribers table differs from this version's; its status check is left as it is");
    return;
  }
  try {
    rewrite_definition(db, "subscribers", *stored, upgraded);
    log::info("subscribers table: status check rewritten as comparisons (same values allowed)");
  } catch (const SqliteError& e) {
    log::warn("subscribers table: status check left as it is", {{"error", e.what()}});
  }
}

}  // namespace

void apply_schema(sqlite3* db) {
  create_missing(db);
  upgrade_status_check(db);
}

std::optional<std::string> table_definition(sqlite3* db, const char* table) {
  Statement select(db, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?");
  select.bind(1, std::string_view(table));
  if (sqlite3_step(select.get()) != SQLITE_ROW)
    return std::nullopt;
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0));
  return text != nullptr ? std::optional<std::string>(text) : std::nullopt;
}

}  // namespace subscriberd::store::sqlite
