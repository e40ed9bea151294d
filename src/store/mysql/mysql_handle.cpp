#include "store/mysql/mysql_handle.h"

#include <array>
#include <charconv>
#include <mutex>

namespace subscriberd::store::mysql {
namespace {

// A strict sql_mode with nothing that exists on only one of MySQL 5.7, MySQL 8 and MariaDB;
// a metadata lock (a DDL statement running) is waited for 5 s, not the default year.
constexpr std::string_view kSessionSetup =
    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY', "
    "SESSION lock_wait_timeout = 5, SESSION innodb_lock_wait_timeout = ";

// Column buffers for one row of (id, email, name, last_name, status, created_at). Sized for the
// domain's limits (e-mail 254 bytes, names 255 code points = 1020 bytes); anything longer is
// still read whole, through mysql_stmt_fetch_column.
struct SubscriberRow {
  static constexpr std::size_t kColumns = 6;
  unsigned long long id = 0;
  long long created_at = 0;
  std::array<char, 256> email{};
  std::array<char, 1024> name{};
  std::array<char, 1024> last_name{};
  std::array<char, 32> status{};
  std::array<unsigned long, kColumns> lengths{};
  std::array<my_bool, kColumns> nulls{};
  std::array<my_bool, kColumns> truncated{};
  std::array<MYSQL_BIND, kColumns> binds{};

  SubscriberRow() {
    bind_number(0, &id, true);
    bind_text(1, email.data(), email.size());
    bind_text(2, name.data(), name.size());
    bind_text(3, last_name.data(), last_name.size());
    bind_text(4, status.data(), status.size());
    bind_number(5, &created_at, false);
  }

  void bind_number(std::size_t i, void* buffer, bool is_unsigned) {
    binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
    binds[i].buffer = buffer;
    binds[i].is_unsigned = is_unsigned ? 1 : 0;
    binds[i].is_null = &nulls[i];
    binds[i].error = &truncated[i];
  }
  void bind_text(std::size_t i, char* buffer, std::size_t size) {
    binds[i].buffer_type = MYSQL_TYPE_STRING;
    binds[i].buffer = buffer;
    binds[i].buffer_length = static_cast<unsigned long>(size);
    binds[i].length = &lengths[i];
    binds[i].is_null = &nulls[i];
    binds[i].error = &truncated[i];
  }
};

}  // namespace

struct Statement::Results {
  SubscriberRow row;
  unsigned long long number = 0;
  my_bool number_is_null = 0;
  MYSQL_BIND number_bind{};

  Results() {
    number_bind.buffer_type = MYSQL_TYPE_LONGLONG;
    number_bind.buffer = &number;
    number_bind.is_unsigned = 1;
    number_bind.is_null = &number_is_null;
  }
};

bool MysqlError::server_refused() const {
  // Server errors are numbered 1000-1999 and, in newer servers, 3000-4999; 2000-2999 are the
  // client library's (a reply it could not read says nothing about what ran).
  const bool server_number = (code_ >= 1000 && code_ < 2000) || (code_ >= 3000 && code_ < 5000);
  return server_number && !connection_lost();
}

bool MysqlError::connection_lost() const {
  if (connecting_)
    return true;
  switch (code_) {
    case errors::kConnectionCount:
    case errors::kServerShutdown:
    case errors::kPacketTooLarge:  // the server closes the connection after these
    case errors::kNetReadError:
    case errors::kNetReadInterrupted:
    case errors::kNetErrorOnWrite:
    case errors::kNetWriteInterrupted:
    case errors::kTooManyUserConnections:
    case errors::kReadOnly:  // a former primary: a new connection may reach the new one
    case errors::kQueryInterrupted:
    case errors::kConnectionKilled:
    case errors::kClientIdleTimeout:
    case errors::kConnectionError:
    case errors::kConnHostError:
    case errors::kUnknownHost:
    case errors::kServerGone:
    case errors::kServerLost:
    case errors::kCommandsOutOfSync:
    case errors::kServerLostExtended:
    case errors::kNetRead:
    case errors::kNetWrite:
      return true;
    default:
      return false;
  }
}

bool MysqlError::transient() const {
  switch (code_) {
    case errors::kDeadlock:
    case errors::kLockWaitTimeout:
    case errors::kLockTableFull:
    case errors::kRecordChanged:
      return true;
    default:
      return connection_lost();
  }
}

void initialize_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (mysql_library_init(0, nullptr, nullptr) != 0) {
      throw MysqlError(0, "cannot initialise the MariaDB client library");
    }
  });
}

ThreadScope::ThreadScope() {
  initialize_library();
  mysql_thread_init();
}

ThreadScope::~ThreadScope() {
  mysql_thread_end();
}

Connection::Connection(const Endpoint& endpoint, const ConnectionSettings& settings) {
  initialize_library();
  MYSQL* raw = mysql_init(nullptr);
  if (raw == nullptr)
    throw MysqlError(0, "mysql_init: out of memory");
  mysql_.reset(raw);

  const auto connect_timeout = static_cast<unsigned int>(endpoint.connect_timeout.count());
  const auto io_timeout = static_cast<unsigned int>(endpoint.io_timeout.count());
  const my_bool reconnect = 0;
  // Without a socket option, "localhost" must still mean TCP, as the URL says HOST:PORT.
  const unsigned int protocol =
      endpoint.socket.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
  mysql_optionsv(raw, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(raw, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_optionsv(raw, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  mysql_optionsv(raw, MYSQL_OPT_RECONNECT, &reconnect);
  mysql_optionsv(raw, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_optionsv(raw, MYSQL_SET_CHARSET_NAME, "utf8mb4");

  const unsigned long flags = settings.multi_statements ? CLIENT_MULTI_STATEMENTS : 0;
  const bool socket = !endpoint.socket.empty();
  if (mysql_real_connect(raw, socket ? nullptr : endpoint.host.c_str(), endpoint.user.c_str(),
                         endpoint.password.c_str(), endpoint.database.c_str(),
                         socket ? 0 : endpoint.port, socket ? endpoint.socket.c_str() : nullptr,
                         flags) == nullptr) {
    // Whatever stops a session from opening (refused, unreachable, too many connections,
    // denied) means the database is not available to us right now.
    throw MysqlError(mysql_errno(raw),
                     std::string("connect to ") + endpoint.describe() + ": " + mysql_error(raw),
                     true);
  }
  try {
    execute(std::string(kSessionSetup) + std::to_string(settings.lock_wait_timeout_s));
    execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    if (!settings.autocommit && mysql_autocommit(raw, 0) != 0)
      fail("autocommit");
  } catch (const MysqlError& e) {
    throw MysqlError(e.code(), e.what(), true);
  }
}

Connection::~Connection() = default;

void Connection::fail(std::string_view what) const {
  throw MysqlError(mysql_errno(mysql_.get()), std::string(what) + ": " + mysql_error(mysql_.get()));
}

void Connection::execute(std::string_view sql) {
  std::size_t succeeded = 0;
  execute_counting(sql, succeeded);
}

std::vector<std::uint64_t> Connection::execute_counting(std::string_view sql,
                                                        std::size_t& succeeded) {
  succeeded = 0;
  std::vector<std::uint64_t> changed;
  MYSQL* m = mysql_.get();
  if (mysql_real_query(m, sql.data(), static_cast<unsigned long>(sql.size())) != 0)
    fail("query");
  for (;;) {
    if (MYSQL_RES* result = mysql_store_result(m)) {
      mysql_free_result(result);
      changed.push_back(0);
    } else if (mysql_field_count(m) != 0) {
      fail("query result");
    } else {
      changed.push_back(mysql_affected_rows(m));
    }
    ++succeeded;
    const int next = mysql_next_result(m);
    if (next < 0)
      return changed;
    if (next > 0)
      fail("query");
  }
}

std::uint64_t Connection::query_number(std::string_view sql) {
  MYSQL* m = mysql_.get();
  if (mysql_real_query(m, sql.data(), static_cast<unsigned long>(sql.size())) != 0)
    fail("query");
  MYSQL_RES* result = mysql_store_result(m);
  if (result == nullptr)
    fail("query result");
  std::uint64_t value = 0;
  if (MYSQL_ROW row = mysql_fetch_row(result); row != nullptr && row[0] != nullptr) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    std::from_chars(row[0], row[0] + lengths[0], value);
  }
  mysql_free_result(result);
  return value;
}

void Connection::commit() {
  if (mysql_commit(mysql_.get()) != 0)
    fail("commit");
}

void Connection::rollback_quietly() noexcept {
  mysql_rollback(mysql_.get());
}

void Connection::ping() {
  if (mysql_ping(mysql_.get()) != 0)
    fail("ping");
}

Params::Params(std::size_t expected) {
  binds_.reserve(expected);
}

void Params::add(std::uint64_t value) {
  unsigned_values_.push_back(value);
  MYSQL_BIND bind{};
  bind.buffer_type = MYSQL_TYPE_LONGLONG;
  bind.buffer = &unsigned_values_.back();
  bind.is_unsigned = 1;
  binds_.push_back(bind);
}

void Params::add(std::int64_t value) {
  signed_values_.push_back(value);
  MYSQL_BIND bind{};
  bind.buffer_type = MYSQL_TYPE_LONGLONG;
  bind.buffer = &signed_values_.back();
  binds_.push_back(bind);
}

void Params::add(std::string_view text) {
  lengths_.push_back(static_cast<unsigned long>(text.size()));
  MYSQL_BIND bind{};
  bind.buffer_type = MYSQL_TYPE_STRING;
  bind.buffer = const_cast<char*>(text.data());  // only read: an input parameter
  bind.buffer_length = static_cast<unsigned long>(text.size());
  bind.length = &lengths_.back();
  binds_.push_back(bind);
}

Statement::Statement(Connection& connection, std::string_view sql)
    : results_(std::make_unique<Results>()) {
  stmt_ = mysql_stmt_init(connection.get());
  if (stmt_ == nullptr)
    connection.fail("prepare");
  if (mysql_stmt_prepare(stmt_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    MysqlError error(mysql_stmt_errno(stmt_), std::string("prepare: ") + mysql_stmt_error(stmt_));
    mysql_stmt_close(stmt_);
    throw error;
  }
  param_count_ = mysql_stmt_param_count(stmt_);
}

Statement::~Statement() {
  mysql_stmt_close(stmt_);
}

void Statement::fail(std::string_view what) {
  MysqlError error(mysql_stmt_errno(stmt_), std::string(what) + ": " + mysql_stmt_error(stmt_));
  mysql_stmt_free_result(stmt_);
  throw error;
}

void Statement::execute(Params& params) {
  if (params.size() != param_count_) {
    throw std::logic_error("statement expects " + std::to_string(param_count_) +
                           " parameters, got " + std::to_string(params.size()));
  }
  if (param_count_ > 0 && mysql_stmt_bind_param(stmt_, params.data()) != 0)
    fail("bind");
  if (mysql_stmt_execute(stmt_) != 0)
    fail("execute");
}

std::uint64_t Statement::affected_rows() const {
  return mysql_stmt_affected_rows(stmt_);
}

void Statement::fetch_subscribers(std::vector<domain::Subscriber>& out) {
  SubscriberRow& row = results_->row;
  if (mysql_stmt_bind_result(stmt_, row.binds.data()) != 0)
    fail("bind result");
  auto text = [&](unsigned column, const char* buffer, std::size_t capacity) {
    const std::size_t length = row.lengths[column];
    if (row.nulls[column])
      return std::string();
    if (length <= capacity)
      return std::string(buffer, length);
    std::string whole(length, '\0');
    unsigned long fetched = 0;
    MYSQL_BIND bind{};
    bind.buffer_type = MYSQL_TYPE_STRING;
    bind.buffer = whole.data();
    bind.buffer_length = static_cast<unsigned long>(whole.size());
    bind.length = &fetched;
    if (mysql_stmt_fetch_column(stmt_, &bind, column, 0) != 0)
      fail("fetch column");
    return whole;
  };
  for (;;) {
    const int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA)
      break;
    if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
      fail("fetch");
    domain::Subscriber s;
    s.id = row.id;
    s.email = text(1, row.email.data(), row.email.size());
    s.name = text(2, row.name.data(), row.name.size());
    s.last_name = text(3, row.last_name.data(), row.last_name.size());
    s.status = domain::parse_status(text(4, row.status.data(), row.status.size()))
                   .value_or(domain::Status::kActive);
    s.created_at_ms = row.created_at;
    out.push_back(std::move(s));
  }
  mysql_stmt_free_result(stmt_);
}

std::uint64_t Statement::fetch_number() {
  Results& r = *results_;
  if (mysql_stmt_bind_result(stmt_, &r.number_bind) != 0)
    fail("bind result");
  std::uint64_t result = 0;
  bool first = true;
  for (;;) {
    const int rc = mysql_stmt_fetch(stmt_);
    if (rc == MYSQL_NO_DATA)
      break;
    if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
      fail("fetch");
    if (first && !r.number_is_null)
      result = r.number;
    first = false;
  }
  mysql_stmt_free_result(stmt_);
  return result;
}

}  // namespace subscriberd::store::mysql
