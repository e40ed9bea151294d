#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <mysql.h>

#include "domain/subscriber.h"
#include "store/mysql/mysql_url.h"

// Thin RAII owners for MariaDB Connector/C handles (which speak to MySQL 5.7, MySQL 8 and
// MariaDB alike), and the error classification the store's retry logic is built on.
namespace subscriberd::store::mysql {

// A failed call, with the server's or the client library's error number.
class MysqlError : public std::runtime_error {
 public:
  // `connecting`: the session could not be opened at all (refused, unreachable, denied, too
  // many connections); whatever the number, the database is unavailable to us.
  MysqlError(unsigned code, const std::string& message, bool connecting = false)
      : std::runtime_error(message), code_(code), connecting_(connecting) {}
  unsigned code() const { return code_; }

  // The connection is gone or unusable: drop it, connect again, run the work again.
  bool connection_lost() const;
  // Worth running again: a lost connection, or an error after which the server may have rolled
  // back the whole transaction (a deadlock, a lock wait timeout, a full lock table, a snapshot
  // conflict), so that nothing the transaction did before it can be trusted.
  bool transient() const;
  // The server's own answer to a statement (its error numbers, not the client library's) on a
  // connection that is still there: in a multi-statement query, nothing after it ran.
  bool server_refused() const;

 private:
  unsigned code_;
  bool connecting_;
};

// Error numbers the store treats specially. The same numbers on MySQL 5.7, 8 and MariaDB
// unless noted.
namespace errors {
inline constexpr unsigned kRecordChanged = 1020;           // ER_CHECKREAD (MariaDB: snapshot)
inline constexpr unsigned kConnectionCount = 1040;         // ER_CON_COUNT_ERROR
inline constexpr unsigned kServerShutdown = 1053;          // ER_SERVER_SHUTDOWN
inline constexpr unsigned kPacketTooLarge = 1153;          // ER_NET_PACKET_TOO_LARGE
inline constexpr unsigned kNetReadError = 1158;            // ER_NET_READ_ERROR
inline constexpr unsigned kNetReadInterrupted = 1159;      // ER_NET_READ_INTERRUPTED
inline constexpr unsigned kNetErrorOnWrite = 1160;         // ER_NET_ERROR_ON_WRITE
inline constexpr unsigned kNetWriteInterrupted = 1161;     // ER_NET_WRITE_INTERRUPTED
inline constexpr unsigned kTooManyUserConnections = 1203;  // ER_TOO_MANY_USER_CONNECTIONS
inline constexpr unsigned kLockWaitTimeout = 1205;         // ER_LOCK_WAIT_TIMEOUT
inline constexpr unsigned kLockTableFull = 1206;           // ER_LOCK_TABLE_FULL
inline constexpr unsigned kDeadlock = 1213;                // ER_LOCK_DEADLOCK
inline constexpr unsigned kReadOnly = 1290;                // ER_OPTION_PREVENTS_STATEMENT
inline constexpr unsigned kQueryInterrupted = 1317;        // ER_QUERY_INTERRUPTED
inline constexpr unsigned kConnectionKilled = 1927;        // MariaDB ER_CONNECTION_KILLED
inline constexpr unsigned kClientIdleTimeout = 4031;       // MySQL 8 idle disconnect
inline constexpr unsigned kConnectionError = 2002;         // CR_CONNECTION_ERROR (socket)
inline constexpr unsigned kConnHostError = 2003;           // CR_CONN_HOST_ERROR (TCP)
inline constexpr unsigned kUnknownHost = 2005;             // CR_UNKNOWN_HOST
inline constexpr unsigned kServerGone = 2006;              // CR_SERVER_GONE_ERROR
inline constexpr unsigned kServerLost = 2013;              // CR_SERVER_LOST
inline constexpr unsigned kCommandsOutOfSync = 2014;       // CR_COMMANDS_OUT_OF_SYNC
inline constexpr unsigned kServerLostExtended = 2055;      // CR_SERVER_LOST_EXTENDED
inline constexpr unsigned kNetRead = 5013;                 // Connector/C CR_ERR_NET_READ
inline constexpr unsigned kNetWrite = 5014;                // Connector/C CR_ERR_NET_WRITE
}  // namespace errors

// Calls mysql_library_init once; safe from any thread. Every thread that uses the library
// also brackets its work with ThreadScope.
void initialize_library();

struct ThreadScope {
  ThreadScope();
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;
};

struct ConnectionSettings {
  bool autocommit = true;
  bool multi_statements = false;     // text SQL of several statements: the schema, count+commit
  unsigned lock_wait_timeout_s = 5;  // innodb_lock_wait_timeout: how long a row lock is awaited
};

// One open session with the settings the store relies on (see docs/failure-behaviour.md):
// utf8mb4, a strict sql_mode, REPEATABLE READ, short lock wait timeouts and no
// automatic reconnect (a silent reconnect would lose the session and any open transaction).
class Connection {
 public:
  // Throws MysqlError when the server cannot be reached or refuses the session.
  Connection(const Endpoint& endpoint, const ConnectionSettings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  MYSQL* get() const { return mysql_.get(); }

  // Runs text SQL (any number of statements with multi_statements) and discards results.
  void execute(std::string_view sql);
  // The same, returning the rows each statement changed, in order. The server stops at the
  // first statement that fails; `succeeded` counts those before it, also when this throws.
  std::vector<std::uint64_t> execute_counting(std::string_view sql, std::size_t& succeeded);
  // Runs a text query and returns the first column of the first row as a number (0 if none).
  std::uint64_t query_number(std::string_view sql);
  void commit();
  // Best effort: a failure is ignored (the connection is then dropped by the caller anyway).
  void rollback_quietly() noexcept;
  void ping();

  [[noreturn]] void fail(std::string_view what) const;

 private:
  struct Closer {
    void operator()(MYSQL* m) const { mysql_close(m); }
  };
  std::unique_ptr<MYSQL, Closer> mysql_;
};

// Input parameters for one execution; values are referenced, not copied, so the bound strings
// must outlive the execution.
class Params {
 public:
  explicit Params(std::size_t expected = 8);
  void add(std::uint64_t value);
  void add(std::int64_t value);
  void add(std::string_view text);
  std::size_t size() const { return binds_.size(); }
  MYSQL_BIND* data() { return binds_.data(); }

 private:
  std::vector<MYSQL_BIND> binds_;
  std::deque<std::uint64_t> unsigned_values_;  // deques: references stay valid as they grow
  std::deque<long long> signed_values_;
  std::deque<unsigned long> lengths_;
};

// A server-side prepared statement, prepared once and reused for the connection's life.
class Statement {
 public:
  Statement(Connection& connection, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds and runs; for a SELECT, follow with one of the fetch calls.
  void execute(Params& params);
  std::uint64_t affected_rows() const;

  // Reads every row of columns (id, email, name, last_name, status, created_at).
  void fetch_subscribers(std::vector<domain::Subscriber>& out);
  // Reads a single unsigned number (the first column of the only row; 0 if no row).
  std::uint64_t fetch_number();

 private:
  [[noreturn]] void fail(std::string_view what);

  // Result buffers live as long as the statement: the library keeps pointers to them.
  struct Results;
  std::unique_ptr<Results> results_;
  MYSQL_STMT* stmt_ = nullptr;
  std::size_t param_count_ = 0;
};

}  // namespace subscriberd::store::mysql
