#include "store/sqlite/sqlite_handle.h"

namespace subscriberd::store::sqlite {
namespace {

std::string_view column_text(sqlite3_stmt* stmt, int column) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return p == nullptr
             ? std::string_view{}
             : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
}

}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK)
    throw SqliteError(rc, std::string("prepare: ") + sqlite3_errmsg(db));
  stmt_.reset(raw);
}

sqlite3_stmt* Statement::fresh() const {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  return stmt_.get();
}

void Statement::bind(int index, std::string_view text) const {
  sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void Statement::bind(int index, std::int64_t value) const {
  sqlite3_bind_int64(stmt_.get(), index, value);
}

void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw SqliteError(rc, text);
  }
}

std::int64_t query_int(sqlite3* db, const char* sql) {
  Statement statement(db, sql);
  const int rc = sqlite3_step(statement.get());
  if (rc != SQLITE_ROW)
    throw SqliteError(rc, std::string(sql) + ": " + sqlite3_errmsg(db));
  return sqlite3_column_int64(statement.get(), 0);
}

Connection open_connection(const std::string& path, bool read_only, Synchronous synchronous,
                           const char* vfs) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (read_only ? 0 : SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  Connection db(raw);
  if (rc != SQLITE_OK) {
    throw SqliteError(rc, "cannot open " + path + ": " +
                              (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  // WAL lets readers run beside the single writer. A committed transaction is in the log file
  // before COMMIT returns, so an acknowledged row survives a crash of the process; FULL adds an
  // fsync per commit for a crash of the machine.
  exec(db.get(), "PRAGMA busy_timeout = 5000");
  exec(db.get(), "PRAGMA journal_mode = WAL");
  exec(db.get(), synchronous == Synchronous::kFull ? "PRAGMA synchronous = FULL"
                                                   : "PRAGMA synchronous = NORMAL");
  exec(db.get(), "PRAGMA cache_size = -16384");  // 16 MiB of pages per connection
  // Some builds of SQLite (Debian's among them) overwrite with zeros every byte a B-tree page
  // frees. Rows are never deleted here: what a page frees is a cell moved to another page when
  // an insert rebalances the tree, or the old value of a count. Zeroing it is work for nothing.
  exec(db.get(), "PRAGMA secure_delete = OFF");
  if (read_only)
    exec(db.get(), "PRAGMA query_only = 1");
  return db;
}

bool turn_off_memory_statistics() {
  // Once, as C++ initializes a function's statics: before any other SQLite call, in practice.
  static const bool turned_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  return turned_off;
}

domain::Subscriber read_subscriber(sqlite3_stmt* stmt) {
  domain::Subscriber s;
  s.id = static_cast<domain::SubscriberId>(sqlite3_column_int64(stmt, 0));
  s.email = column_text(stmt, 1);
  s.name = column_text(stmt, 2);
  s.last_name = column_text(stmt, 3);
  s.status = domain::parse_status(column_text(stmt, 4)).value_or(domain::Status::kActive);
  s.created_at_ms = sqlite3_column_int64(stmt, 5);
  return s;
}

}  // namespace subscriberd::store::sqlite
