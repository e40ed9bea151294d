#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "domain/subscriber.h"

// Thin RAII owners for SQLite handles, and the few helpers the store needs around them.
namespace subscriberd::store::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql);  // prepared once, reused for the connection's life

  sqlite3_stmt* get() const { return stmt_.get(); }
  // Resets the statement and clears its bindings, ready for the next use.
  sqlite3_stmt* fresh() const;

  void bind(int index, std::string_view text) const;
  void bind(int index, std::int64_t value) const;

 private:
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt_;
};

// Resets a statement when it goes out of scope. A statement left mid-result keeps its read
// transaction open: the connection would go on reading an old snapshot, and the WAL could not
// be checkpointed past it.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() { sqlite3_reset(stmt_); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// When a commit counts as done. In WAL mode both survive a crash of the process: the commit is
// in the log file before the call returns. kFull also fsyncs the log on every commit, so it
// survives a crash of the machine, at the price of one fsync per batch.
enum class Synchronous : std::uint8_t { kNormal, kFull };

// Opens (creating if needed) a database file in WAL mode with the given pragmas applied,
// through the named VFS (nullptr: SQLite's default).
Connection open_connection(const std::string& path, bool read_only,
                           Synchronous synchronous = Synchronous::kNormal,
                           const char* vfs = nullptr);

// Stops SQLite counting its allocations. By default it counts every one under a process-wide
// mutex, for sqlite3_memory_used() and a soft heap limit, which the service uses neither of.
// SQLite takes this setting only before it initializes (its first connection): false when that
// moment had passed at the first call, and the counting goes on. Later calls return the first
// one's answer.
bool turn_off_memory_statistics();

void exec(sqlite3* db, const char* sql);

// The first column of the first row of a query returning one (a count, a pragma's value);
// throws SqliteError when there is none.
std::int64_t query_int(sqlite3* db, const char* sql);

// Reads columns (id, email, name, last_name, status, created_at) of the current row.
domain::Subscriber read_subscriber(sqlite3_stmt* stmt);

}  // namespace subscriberd::store::sqlite
