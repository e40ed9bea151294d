// The SQLite schema on files of its own per test: what a new file gets, and how a file made by
// the first schema is brought up to date without touching its rows.
#include "store/sqlite/schema.h"

#include <cstdint>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "domain/subscriber.h"
#include "scratch_dir.h"
#include "store/sqlite/sqlite_handle.h"

namespace subscriberd::store::sqlite {
namespace {

// The subscribers table exactly as the first schema created it: its status check is an IN list.
constexpr const char* kFirstSubscribersTable = R"(CREATE TABLE subscribers (
  id          INTEGER PRIMARY KEY,   -- time-ordered 64-bit id (rowid alias): newest = highest
  email       TEXT    NOT NULL,      -- trimmed, lowercased
  name        TEXT    NOT NULL DEFAULT '',
  last_name   TEXT    NOT NULL DEFAULT '',
  status      TEXT    NOT NULL CHECK (status IN ('active', 'unsubscribed', 'unconfirmed',
                                                 'bounced', 'junk')),
  created_at  INTEGER NOT NULL       -- Unix epoch milliseconds, UTC
))";

// The writer's insert, with its conflict clause.
constexpr const char* kInsert =
    "INSERT INTO subscribers (id, email, name, last_name, status, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING";

class SchemaTest : public ::testing::Test {
 protected:
  // The table definition a new file gets.
  static std::string current_definition() {
    Connection fresh = open_connection(":memory:", false);
    apply_schema(fresh.get());
    return table_definition(fresh.get(), "subscribers").value_or("");
  }

  // A file with the first schema's table and `rows` rows, one status after another.
  void make_first_version_file(int rows, const std::string& table = kFirstSubscribersTable) {
    Connection db = open_connection(path_, false);
    exec(db.get(), table.c_str());
    exec(db.get(), "CREATE UNIQUE INDEX subscribers_email ON subscribers (email)");
    for (int i = 0; i < rows; ++i)
      ASSERT_EQ(insert(db.get(), i + 1, i), SQLITE_DONE);
  }

  // Inserts row `n` with the n-th status (modulo five), or with `status` when given.
  static int insert(sqlite3* db, std::int64_t id, int n, const char* status = nullptr) {
    Statement statement(db, kInsert);
    const std::string email = "row" + std::to_string(n) + "@example.test";
    const std::string_view chosen =
        status != nullptr
            ? std::string_view(status)
            : domain::to_string(
                  domain::kAllStatuses[static_cast<std::size_t>(n) % domain::kAllStatuses.size()]);
    statement.bind(1, id);
    statement.bind(2, email);
    statement.bind(3, std::string_view("Zoë"));
    statement.bind(4, std::string_view("Ōtsuka"));
    statement.bind(5, chosen);
    statement.bind(6, std::int64_t{1'700'000'000'000});
    return sqlite3_step(statement.get());
  }

  // Whether running the insert opens a temporary table (SQLite's OpenEphemeral).
  static bool insert_builds_a_temporary_table(sqlite3* db) {
    Statement explain(db, std::string("EXPLAIN ") + kInsert);
    while (sqlite3_step(explain.get()) == SQLITE_ROW) {
      const auto* opcode = reinterpret_cast<const char*>(sqlite3_column_text(explain.get(), 1));
      if (opcode != nullptr && std::string_view(opcode) == "OpenEphemeral")
        return true;
    }
    return false;
  }

  test_support::ScratchDir dir_{"sqlite-schema"};
  std::string path_ = dir_.file("subscribers.db");
};

TEST_F(SchemaTest, ANewFileChecksEveryStatusWithoutATemporaryTablePerRow) {
  Connection db = open_connection(path_, false);
  apply_schema(db.get());
  EXPECT_FALSE(insert_builds_a_temporary_table(db.get()));

  for (std::size_t n = 0; n < domain::kAllStatuses.size(); ++n)
    EXPECT_EQ(insert(db.get(), static_cast<std::int64_t>(n) + 1, static_cast<int>(n)), SQLITE_DONE);
  EXPECT_EQ(insert(db.get(), 100, 100, "deleted"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(insert(db.get(), 101, 101, "Active"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM subscribers"), 5);
}

TEST_F(SchemaTest, AFileMadeByTheFirstSchemaGetsTheNewCheckAndKeepsEveryRow) {
  make_first_version_file(50);
  Connection before = open_connection(path_, false);  // has read the first definition
  ASSERT_EQ(insert(before.get(), 99, 99, "active"), SQLITE_DONE);

  Connection db = open_connection(path_, false);
  apply_schema(db.get());

  EXPECT_EQ(table_definition(db.get(), "subscribers"), current_definition());
  EXPECT_FALSE(insert_builds_a_temporary_table(db.get()));
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM subscribers"), 51);
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM subscribers WHERE status = 'junk'"), 10);
  EXPECT_EQ(insert(db.get(), 100, 100, "deleted"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(insert(db.get(), 101, 101), SQLITE_DONE);
  Statement check(db.get(), "PRAGMA integrity_check");
  ASSERT_EQ(sqlite3_step(check.get()), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check.get(), 0)), "ok");

  // Other connections, opened before or after, read the new definition (one opened before
  // reads it when it next runs a statement, and sees the new schema version).
  EXPECT_EQ(insert(before.get(), 102, 102, "deleted"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_FALSE(insert_builds_a_temporary_table(before.get()));
  Connection later = open_connection(path_, false);
  EXPECT_FALSE(insert_builds_a_temporary_table(later.get()));
}

TEST_F(SchemaTest, AnSqliteThatRefusesSchemaEditsKeepsTheFirstCheckAndNoTransactionOpen) {
  make_first_version_file(3);
  Connection db = open_connection(path_, false);
  int defensive = 0;
  ASSERT_EQ(sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, &defensive), SQLITE_OK);
  ASSERT_EQ(defensive, 1);
  const std::optional<std::string> first = table_definition(db.get(), "subscribers");

  EXPECT_NO_THROW(apply_schema(db.get()));
  EXPECT_EQ(table_definition(db.get(), "subscribers"), first);
  EXPECT_NE(sqlite3_get_autocommit(db.get()), 0);  // rolled back, nothing left open
  EXPECT_EQ(insert(db.get(), 100, 100, "deleted"), SQLITE_CONSTRAINT_CHECK);
  EXPECT_EQ(insert(db.get(), 101, 101), SQLITE_DONE);
}

TEST_F(SchemaTest, ApplyingTheSchemaAgainChangesNothing) {
  make_first_version_file(3);
  Connection db = open_connection(path_, false);
  apply_schema(db.get());
  const std::int64_t version = query_int(db.get(), "PRAGMA schema_version");
  apply_schema(db.get());
  EXPECT_EQ(query_int(db.get(), "PRAGMA schema_version"), version);
  EXPECT_EQ(table_definition(db.get(), "subscribers"), current_definition());
}

TEST_F(SchemaTest, ATableThatDiffersInMoreThanTheCheckIsLeftAsItIs) {
  // The first schema's table with a column added by hand: not this version's table with
  // another check, so its definition stays exactly as it is.
  std::string table = kFirstSubscribersTable;
  table.insert(table.find("  email"), "  note        TEXT,\n");
  make_first_version_file(3, table);

  Connection db = open_connection(path_, false);
  apply_schema(db.get());
  EXPECT_EQ(table_definition(db.get(), "subscribers"), table);
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM subscribers"), 3);
}

}  // namespace
}  // namespace subscriberd::store::sqlite
