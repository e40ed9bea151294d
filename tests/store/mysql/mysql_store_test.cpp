// MysqlStore against a real MariaDB or MySQL server: SUBSCRIBERD_TEST_MYSQL_URL names it
// (`scripts/services up` starts one and prints the URL). The table is shared with other suites
// and earlier runs: every test uses e-mails of its own and never assumes an empty table. The
// failure tests stop and restart the server through scripts/services.
#include "store/mysql/mysql_store.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include "domain/id_generator.h"
#include "run_to_completion.h"
#include "store/mysql/mysql_handle.h"
#include "store/mysql/mysql_url.h"
#include "store/store_factory.h"

namespace subscriberd::embedded {
extern const std::string_view kMysqlSchema;  // sql/mysql/schema.sql, as the binary embeds it
}

namespace subscriberd::store::mysql {
namespace {

using domain::KeysetQuery;
using domain::LookupKey;
using domain::Status;
using domain::Subscriber;
using Direction = domain::Cursor::Direction;
using Kind = InsertOutcome::Kind;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// --- URL parsing: no server needed ------------------------------------------------------------

Endpoint parse_ok(std::string_view url) {
  std::string error;
  auto endpoint = parse_url(url, error);
  EXPECT_TRUE(endpoint.has_value()) << url << ": " << error;
  return endpoint.value_or(Endpoint{});
}

std::string parse_error(std::string_view url) {
  std::string error;
  auto endpoint = parse_url(url, error);
  EXPECT_FALSE(endpoint.has_value()) << url;
  return error;
}

TEST(MysqlUrl, ParsesTheTcpFormAndPercentDecodesCredentials) {
  Endpoint e = parse_ok("mysql://app%2Buser:s%40cr%2Ft%3Aw0rd@db.example.com:3307/subscribers");
  EXPECT_EQ(e.user, "app+user");
  EXPECT_EQ(e.password, "s@cr/t:w0rd");
  EXPECT_EQ(e.host, "db.example.com");
  EXPECT_EQ(e.port, 3307);
  EXPECT_EQ(e.database, "subscribers");
  EXPECT_TRUE(e.socket.empty());
  EXPECT_EQ(e.writers, 1u);
}

TEST(MysqlUrl, DescribeHidesThePassword) {
  Endpoint e = parse_ok("mysql://app:topsecret@db.example.com:3307/subscribers");
  EXPECT_EQ(e.describe(), "mysql://app@db.example.com:3307/subscribers");
  EXPECT_EQ(e.describe().find("topsecret"), std::string::npos);
}

TEST(MysqlUrl, DefaultsThePortAndAcceptsIpv6AndAnEmptyPassword) {
  Endpoint a = parse_ok("mysql://app@127.0.0.1/db");
  EXPECT_EQ(a.port, 3306);
  EXPECT_EQ(a.password, "");
  Endpoint b = parse_ok("mysql://app:pw@[::1]:13306/db");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 13306);
  EXPECT_EQ(b.describe(), "mysql://app@[::1]:13306/db");
}

TEST(MysqlUrl, AcceptsAnUnencodedAtSignInThePassword) {
  Endpoint e = parse_ok("mysql://app:p@ss@db:3306/db");
  EXPECT_EQ(e.password, "p@ss");
  EXPECT_EQ(e.host, "db");
}

TEST(MysqlUrl, ParsesTheSocketForm) {
  Endpoint e = parse_ok("mysql://app:pw@localhost/subscribers?socket=/run/mysqld/mysqld.sock");
  EXPECT_EQ(e.socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(e.database, "subscribers");
  EXPECT_EQ(e.describe(), "mysql://app@localhost/subscribers?socket=/run/mysqld/mysqld.sock");
  Endpoint encoded = parse_ok("mysql://app:pw@localhost/db?socket=%2Ftmp%2Fmy%20sql.sock");
  EXPECT_EQ(encoded.socket, "/tmp/my sql.sock");
}

TEST(MysqlUrl, ParsesOptions) {
  Endpoint e = parse_ok("mysql://app:pw@h/db?writers=4&connect_timeout=5&io_timeout=20");
  EXPECT_EQ(e.writers, 4u);
  EXPECT_EQ(e.connect_timeout, 5s);
  EXPECT_EQ(e.io_timeout, 20s);
  EXPECT_EQ(e.batch_wait, 1000us);  // the default
  EXPECT_EQ(parse_ok("mysql://app:pw@h/db?batch_wait_us=2500").batch_wait, 2500us);
  EXPECT_EQ(parse_ok("mysql://app:pw@h/db?batch_wait_us=0").batch_wait, 0us);
}

TEST(MysqlUrl, RejectsMalformedUrls) {
  EXPECT_NE(parse_error("postgres://app:pw@h/db"), "");
  EXPECT_NE(parse_error("mysql://app:pw@h"), "");       // no database
  EXPECT_NE(parse_error("mysql://app:pw@h/"), "");      // empty database
  EXPECT_NE(parse_error("mysql://h:3306/db"), "");      // no user
  EXPECT_NE(parse_error("mysql://app:pw@h:0/db"), "");  // port out of range
  EXPECT_NE(parse_error("mysql://app:pw@h:x/db"), "");  // port not a number
  EXPECT_NE(parse_error("mysql://app:pw@h:/db"), "");   // empty port
  EXPECT_NE(parse_error("mysql://app:p%zz@h/db"), "");  // bad escape
  EXPECT_NE(parse_error("mysql://app:pw@/db"), "");     // no host, no socket
  EXPECT_NE(parse_error("mysql://app:pw@h/db?colour=red"), "");
  EXPECT_NE(parse_error("mysql://app:pw@h/db?writers=0"), "");
  EXPECT_NE(parse_error("mysql://app:pw@h/db?writers=08"), "");  // as the other URLs' numbers
  EXPECT_NE(parse_error("mysql://app:pw@h/db?io_timeout=3601"), "");
  EXPECT_NE(parse_error("mysql://app:pw@h/db?batch_wait_us=100001"), "");
  EXPECT_NE(parse_error("mysql://app:pw@h/db?batch_wait_us=1ms"), "");
  EXPECT_NE(parse_error("mysql://app:pw@h/db?socket="), "");
  EXPECT_NE(parse_error("mysql://app:pw@[::1/db"), "");
}

TEST(MysqlUrl, FactoryErrorsNeverShowThePassword) {
  metrics::Registry metrics;
  try {
    open_store({"mysql://app:topsecret@h:notaport/db"}, metrics);
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos) << e.what();
  }
  try {
    open_store({"mariadb://app:topsecret@h/db"}, metrics);
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos) << e.what();
  }
}

TEST(MysqlError, OnlyTheServersOwnAnswerOnALiveConnectionCountsAsRefused) {
  EXPECT_TRUE(MysqlError(1205, "lock wait timeout").server_refused());
  EXPECT_TRUE(MysqlError(1213, "deadlock").server_refused());
  EXPECT_TRUE(MysqlError(3024, "statement time-out (MySQL)").server_refused());
  // The connection is gone: whatever the server did is unknown.
  EXPECT_FALSE(MysqlError(2013, "lost connection").server_refused());
  EXPECT_FALSE(MysqlError(1927, "connection killed").server_refused());
  // The client library's own errors, e.g. a reply it could not read.
  EXPECT_FALSE(MysqlError(2027, "malformed packet").server_refused());
  EXPECT_FALSE(MysqlError(2008, "out of memory").server_refused());
  EXPECT_FALSE(MysqlError(0, "our own").server_refused());
}

TEST(MysqlError, ErrorsThatMayRollBackTheTransactionAreRetried) {
  // InnoDB rolls back the whole transaction on these: the batch must run again from the start.
  EXPECT_TRUE(MysqlError(1213, "deadlock").transient());
  EXPECT_TRUE(MysqlError(1205, "lock wait timeout").transient());
  EXPECT_TRUE(MysqlError(1206, "lock table full").transient());
  EXPECT_TRUE(MysqlError(1020, "record has changed since last read").transient());
  // The server closes the connection after these.
  for (unsigned code : {1153u, 1158u, 1159u, 1160u, 1161u}) {
    EXPECT_TRUE(MysqlError(code, "network").connection_lost()) << code;
    EXPECT_TRUE(MysqlError(code, "network").transient()) << code;
  }
  // A row's own fault: only that statement is undone.
  EXPECT_FALSE(MysqlError(1406, "data too long").transient());
  EXPECT_FALSE(MysqlError(1366, "incorrect string value").transient());
}

// --- helpers for the server tests ---------------------------------------------------------------

std::optional<Endpoint> test_endpoint() {
  const char* url = std::getenv("SUBSCRIBERD_TEST_MYSQL_URL");
  if (url == nullptr || *url == '\0')
    return std::nullopt;
  std::string error;
  auto endpoint = parse_url(url, error);
  if (!endpoint)
    ADD_FAILURE() << "SUBSCRIBERD_TEST_MYSQL_URL is not a valid URL: " << error;
  return endpoint;
}

using test_support::run;

// Runs `services` sub-command through scripts/services; true when it succeeded.
bool services(const std::string& command) {
  const std::string line = std::string(SUBSCRIBERD_SOURCE_DIR) + "/scripts/services " + command +
                           " </dev/null >/dev/null 2>&1";
  return std::system(line.c_str()) == 0;
}

std::string random_hex(std::size_t digits) {
  static std::mt19937_64 random(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digits; ++i)
    out.push_back(kHex[random() % 16]);
  return out;
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// Starts an insert per row from its own coroutine on `context`; returns once each is queued.
void start_inserts(boost::asio::io_context& context, MysqlStore& store,
                   const std::vector<Subscriber>& rows, std::deque<InsertOutcome>& outcomes) {
  for (const Subscriber& row : rows) {
    InsertOutcome* outcome = &outcomes.emplace_back();
    boost::asio::co_spawn(
        context,
        [&store, row, outcome]() -> boost::asio::awaitable<void> {
          *outcome = co_await store.insert(row);
        },
        boost::asio::detached);
  }
  context.restart();
  context.poll();
}

// A cache of stored rows held in a map, shared by every writer: what the writers found and
// handed over, for the tests to see.
class MapOfStoredRows {
 public:
  StoredRowCacheFactory factory() {
    return [this] { return std::make_unique<View>(*this); };
  }

  void hold(const Subscriber& row) {
    std::lock_guard lock(mutex_);
    rows_[row.email] = row;
  }
  std::vector<Subscriber> remembered() {
    std::lock_guard lock(mutex_);
    return remembered_;
  }
  // The writer hands rows over after it answered their requests: wait for `count` of them.
  std::vector<Subscriber> remembered_once(std::size_t count) {
    const auto deadline = Clock::now() + 5s;
    for (;;) {
      std::vector<Subscriber> rows = remembered();
      if (rows.size() >= count || Clock::now() > deadline)
        return rows;
      std::this_thread::sleep_for(1ms);
    }
  }
  int lookups() {
    std::lock_guard lock(mutex_);
    return lookups_;
  }

 private:
  class View final : public StoredRowCache {
   public:
    explicit View(MapOfStoredRows& map) : map_(map) {}
    void find(std::span<const std::string_view> emails,
              std::vector<std::optional<Subscriber>>& known) override {
      std::lock_guard lock(map_.mutex_);
      ++map_.lookups_;
      known.assign(emails.size(), std::nullopt);
      for (std::size_t i = 0; i < emails.size(); ++i) {
        if (auto it = map_.rows_.find(std::string(emails[i])); it != map_.rows_.end())
          known[i] = it->second;
      }
    }
    void remember(std::span<const Subscriber* const> rows) override {
      std::lock_guard lock(map_.mutex_);
      for (const Subscriber* row : rows) {
        map_.rows_[row->email] = *row;
        map_.remembered_.push_back(*row);
      }
    }

   private:
    MapOfStoredRows& map_;
  };

  std::mutex mutex_;
  std::map<std::string, Subscriber> rows_;
  std::vector<Subscriber> remembered_;
  int lookups_ = 0;
};

class MysqlStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto endpoint = test_endpoint();
    if (!endpoint) {
      GTEST_FAIL() << "SUBSCRIBERD_TEST_MYSQL_URL is not set. Start a server with "
                      "`scripts/services up` and export the variables it prints.";
    }
    endpoint_ = *endpoint;
    store_ = open();
  }

  void TearDown() override {
    if (store_)
      store_->shutdown();
  }

  std::unique_ptr<MysqlStore> open(std::function<void(MysqlStore::Options&)> tweak = {}) {
    MysqlStore::Options options;
    options.endpoint = endpoint_;
    options.reader_threads = 2;
    options.max_batch = 1024;
    if (tweak)
      tweak(options);
    return std::make_unique<MysqlStore>(std::move(options), metrics_);
  }

  Subscriber make(std::string_view local, Status status = Status::kActive) {
    Subscriber s;
    s.id = ids_.next();
    s.created_at_ms = domain::IdGenerator::timestamp_ms(s.id);
    s.email = prefix_ + "-" + std::string(local) + "@example.test";
    s.name = "Zoë";
    s.last_name = "Ōtsuka 🎉";
    s.status = status;
    return s;
  }

  std::vector<Subscriber> make_rows(std::string_view prefix, int count) {
    std::vector<Subscriber> rows;
    for (int i = 0; i < count; ++i)
      rows.push_back(make(std::string(prefix) + std::to_string(i)));
    return rows;
  }

  // Inserts every row concurrently (one coroutine each) and returns the outcomes in order.
  // With `one_batch`, the writes are held until every row is queued, and for `held_for` more.
  std::vector<InsertOutcome> insert_all(MysqlStore& store, const std::vector<Subscriber>& rows,
                                        bool one_batch = false,
                                        std::chrono::milliseconds held_for = {}) {
    boost::asio::io_context context;
    std::deque<InsertOutcome> outcomes;
    if (one_batch)
      store.hold_writes_for_testing(true);
    start_inserts(context, store, rows, outcomes);  // returns once every row is queued
    if (one_batch) {
      std::this_thread::sleep_for(held_for);
      store.hold_writes_for_testing(false);
    }
    context.run();
    return {std::make_move_iterator(outcomes.begin()), std::make_move_iterator(outcomes.end())};
  }

  // Reopens the store with a write hook that throws `error` the first `times` it reaches
  // `stage`: a server's answer, or a lost connection, simulated at that point of a batch.
  void reopen_failing(MysqlStore::WriteStage stage, MysqlError error, int times) {
    store_->shutdown();
    auto left = std::make_shared<std::atomic<int>>(times);
    store_ = open([=](MysqlStore::Options& o) {
      o.write_hook = [=](MysqlStore::WriteStage reached, Connection&) {
        if (reached == stage && left->fetch_sub(1) > 0)
          throw error;
      };
    });
  }

  // A write hook that counts the batches read back under locks.
  static std::function<void(MysqlStore::WriteStage, Connection&)> counting_read_backs(
      std::atomic<int>& count) {
    return [&count](MysqlStore::WriteStage stage, Connection&) {
      if (stage == MysqlStore::WriteStage::kBeforeReadBack)
        count.fetch_add(1);
    };
  }

  // Shuts the store down and opens it again with `cache` as its writers' StoredRowCache, and
  // `hook` (if any) on their writes.
  void reopen_with(MapOfStoredRows& cache,
                   std::function<void(MysqlStore::WriteStage, Connection&)> hook = {}) {
    store_->shutdown();
    store_ = open([&](MysqlStore::Options& o) {
      o.stored_rows = cache.factory();
      o.write_hook = std::move(hook);
    });
  }

  InsertOutcome insert(const Subscriber& s) { return run(store_->insert(s)); }
  FindOutcome find_email(const std::string& email) {
    return run(store_->find(LookupKey::by_email(email)));
  }
  FindOutcome find_id(domain::SubscriberId id) { return run(store_->find(LookupKey::by_id(id))); }
  ListOutcome list(KeysetQuery query) { return run(store_->list(query)); }

  std::uint64_t total(std::optional<Status> status = std::nullopt) {
    KeysetQuery q;
    q.status = status;
    q.fetch_limit = 1;
    ListOutcome outcome = list(q);
    EXPECT_EQ(outcome.error, StoreError::kNone);
    return outcome.total;
  }

  Endpoint endpoint_;
  metrics::Registry metrics_;
  // A node id of our own, so that our ids never collide with a server's under test.
  domain::IdGenerator ids_{static_cast<std::uint32_t>(512 + std::random_device{}() % 512)};
  std::string prefix_ = "t" + random_hex(12);
  std::unique_ptr<MysqlStore> store_;
};

TEST_F(MysqlStoreTest, CreatedRowIsFoundByEmailAndById) {
  Subscriber s = make("find");
  InsertOutcome created = insert(s);
  ASSERT_EQ(created.kind, Kind::kCreated);
  EXPECT_EQ(created.subscriber, s);

  FindOutcome by_email = find_email(s.email);
  ASSERT_EQ(by_email.error, StoreError::kNone);
  ASSERT_TRUE(by_email.subscriber.has_value());
  EXPECT_EQ(*by_email.subscriber, s);

  FindOutcome by_id = find_id(s.id);
  ASSERT_TRUE(by_id.subscriber.has_value());
  EXPECT_EQ(*by_id.subscriber, s);
}

TEST_F(MysqlStoreTest, AbsentKeysAreNotFoundWithoutError) {
  FindOutcome missing = find_email(prefix_ + "-nobody@example.test");
  EXPECT_EQ(missing.error, StoreError::kNone);
  EXPECT_FALSE(missing.subscriber.has_value());
  // Keys no stored e-mail can have are answered without asking the server to compare them.
  EXPECT_FALSE(find_email("\xc3\xa9t\xc3\xa9@example.test").subscriber.has_value());
  EXPECT_EQ(find_email("\xff\xfe@example.test").error, StoreError::kNone);
  EXPECT_FALSE(find_email(std::string(300, 'a') + "@example.test").subscriber.has_value());
  EXPECT_FALSE(find_id(0).subscriber.has_value());
  EXPECT_EQ(find_id(UINT64_MAX).error, StoreError::kNone);
}

TEST_F(MysqlStoreTest, LongNamesSurviveTheRoundTrip) {
  Subscriber s = make("long");
  s.name.clear();
  for (int i = 0; i < 255; ++i)
    s.name += "\xf0\x9f\x98\x80";  // 255 four-byte code points
  s.last_name = std::string(255, 'x');
  s.email = prefix_ + "-" + std::string(254 - prefix_.size() - 1 - 13, 'l') + "@example.test";
  ASSERT_EQ(s.email.size(), 254u);
  ASSERT_EQ(insert(s).kind, Kind::kCreated);
  FindOutcome found = find_email(s.email);
  ASSERT_TRUE(found.subscriber.has_value());
  EXPECT_EQ(*found.subscriber, s);
}

TEST_F(MysqlStoreTest, DuplicateInsideOneBatchCreatesExactlyOne) {
  Subscriber first = make("same");
  Subscriber second = make("same");
  Subscriber other = make("other");
  const std::uint64_t batches_before = metrics_.store_batch_size.count();
  auto outcomes = insert_all(*store_, {first, second, other}, true);
  EXPECT_EQ(metrics_.store_batch_size.count(), batches_before + 1) << "expected one batch";

  ASSERT_EQ(outcomes[0].kind, Kind::kCreated);
  EXPECT_EQ(outcomes[0].subscriber, first);
  ASSERT_EQ(outcomes[1].kind, Kind::kDuplicate);
  EXPECT_EQ(outcomes[1].subscriber, first);  // the row that holds the e-mail
  EXPECT_EQ(outcomes[2].kind, Kind::kCreated);
}

TEST_F(MysqlStoreTest, QueueWaitCountsEachInsertFromWhenItWasQueued) {
  const std::uint64_t waits_before = metrics_.store_queue_wait_seconds.count();
  const double waited_before = metrics_.store_queue_wait_seconds.sum();
  const auto held = std::chrono::milliseconds(50);
  auto outcomes = insert_all(*store_, {make("wait0"), make("wait1")}, true, held);

  ASSERT_EQ(outcomes[0].kind, Kind::kCreated);
  ASSERT_EQ(outcomes[1].kind, Kind::kCreated);
  EXPECT_EQ(metrics_.store_queue_wait_seconds.count(), waits_before + 2);
  // Each waited at least as long as the writes were held (less a microsecond: the sum is kept
  // in whole microseconds).
  EXPECT_GE(metrics_.store_queue_wait_seconds.sum() - waited_before,
            2 * std::chrono::duration<double>(held).count() - 1e-6);
}

TEST_F(MysqlStoreTest, DuplicateAcrossBatchesReturnsTheStoredRow) {
  Subscriber first = make("again", Status::kUnconfirmed);
  ASSERT_EQ(insert(first).kind, Kind::kCreated);
  Subscriber second = make("again", Status::kJunk);
  second.name = "Someone Else";
  InsertOutcome duplicate = insert(second);
  ASSERT_EQ(duplicate.kind, Kind::kDuplicate);
  EXPECT_EQ(duplicate.subscriber, first);
  EXPECT_EQ(find_email(first.email).subscriber, first);
}

TEST_F(MysqlStoreTest, BatchesOfNewRowsAreCreatedAsSentWhateverTheirSize) {
  // Batches of 1 to 9 rows: the statements are sized in powers of two, the rest is padding.
  // The insert's affected rows prove every row new, so nothing is read back.
  store_->shutdown();
  std::atomic<int> read_backs{0};
  store_ = open([&](MysqlStore::Options& o) { o.write_hook = counting_read_backs(read_backs); });
  const std::uint64_t before = total();
  std::uint64_t sent = 0;
  for (int size = 1; size <= 9; ++size) {
    std::vector<Subscriber> rows;
    for (int i = 0; i < size; ++i)
      rows.push_back(make("size" + std::to_string(size) + "-" + std::to_string(i),
                          i % 2 == 0 ? Status::kActive : Status::kUnconfirmed));
    auto outcomes = insert_all(*store_, rows, true);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << size << "/" << i;
      EXPECT_EQ(outcomes[i].subscriber, rows[i]);
      EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]);
    }
    sent += rows.size();
  }
  EXPECT_EQ(total(), before + sent);
  EXPECT_EQ(read_backs.load(), 0);
}

TEST_F(MysqlStoreTest, StoredDuplicateAmongNewRowsIsReadBackAndTheRestCreated) {
  store_->shutdown();
  std::atomic<int> read_backs{0};
  store_ = open([&](MysqlStore::Options& o) { o.write_hook = counting_read_backs(read_backs); });
  Subscriber stored = make("known", Status::kBounced);
  ASSERT_EQ(insert(stored).kind, Kind::kCreated);
  ASSERT_EQ(read_backs.load(), 0);
  Subscriber repeat = make("known", Status::kActive);
  repeat.name = "Someone Else";
  std::vector<Subscriber> rows = {make("fresh0"), repeat, make("fresh1"), make("fresh2"),
                                  make("fresh3")};
  const std::uint64_t before = total();
  auto outcomes = insert_all(*store_, rows, true);

  ASSERT_EQ(outcomes[1].kind, Kind::kDuplicate);
  EXPECT_EQ(outcomes[1].subscriber, stored);
  for (std::size_t i : {0u, 2u, 3u, 4u}) {
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
    EXPECT_EQ(outcomes[i].subscriber, rows[i]);
  }
  EXPECT_EQ(total(), before + 4);
  EXPECT_EQ(read_backs.load(), 1);
}

TEST_F(MysqlStoreTest, RowsTheStoredRowCacheHoldsAreDuplicatesWithoutTheDatabase) {
  MapOfStoredRows cache;
  std::atomic<int> read_backs{0};
  reopen_with(cache, counting_read_backs(read_backs));
  // Held by the cache alone: only the cache can answer for it.
  const Subscriber cached = make("cached", Status::kBounced);
  cache.hold(cached);
  Subscriber repeat = make("cached", Status::kActive);
  repeat.name = "Someone Else";
  const std::vector<Subscriber> rows = {make("new0"), repeat, make("new1")};
  const std::uint64_t before = total();
  auto outcomes = insert_all(*store_, rows, true);

  ASSERT_EQ(outcomes[1].kind, Kind::kDuplicate);
  EXPECT_EQ(outcomes[1].subscriber, cached);
  EXPECT_EQ(find_email(cached.email).subscriber, std::nullopt);  // never sent to the database
  for (std::size_t i : {0u, 2u}) {
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
    EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]);
  }
  EXPECT_EQ(total(), before + 2);
  EXPECT_EQ(read_backs.load(), 0);
  EXPECT_EQ(cache.lookups(), 1);  // one look-up for the batch
  EXPECT_EQ(metrics_.store_cached_duplicates.value(), 1u);
  // What the database told the writer goes to the cache; what the cache told it does not.
  EXPECT_EQ(cache.remembered_once(2), (std::vector<Subscriber>{rows[0], rows[2]}));
}

TEST_F(MysqlStoreTest, ABatchTheStoredRowCacheKnowsWhollyNeverReachesTheDatabase) {
  MapOfStoredRows cache;
  std::atomic<int> commits{0};
  reopen_with(cache, [&commits](MysqlStore::WriteStage stage, Connection&) {
    if (stage == MysqlStore::WriteStage::kBeforeCommit)
      commits.fetch_add(1);
  });
  std::vector<Subscriber> rows = make_rows("all-known", 3);
  for (const Subscriber& row : rows)
    cache.hold(row);
  const std::uint64_t before = total();
  auto outcomes = insert_all(*store_, rows, true);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(outcomes[i].kind, Kind::kDuplicate) << i;
    EXPECT_EQ(outcomes[i].subscriber, rows[i]);
  }
  EXPECT_EQ(commits.load(), 0);
  EXPECT_EQ(total(), before);
  EXPECT_EQ(metrics_.store_cached_duplicates.value(), 3u);
  EXPECT_EQ(metrics_.store_batch_size.count(), 0u);  // no transaction, none counted
}

TEST_F(MysqlStoreTest, DuplicatesTheDatabaseDecidesAreHandedToTheStoredRowCache) {
  const Subscriber stored = make("stored-before", Status::kUnsubscribed);
  ASSERT_EQ(insert(stored).kind, Kind::kCreated);  // by a store without the cache
  MapOfStoredRows cache;
  reopen_with(cache);

  Subscriber repeat = make("stored-before", Status::kActive);
  InsertOutcome outcome = insert(repeat);
  ASSERT_EQ(outcome.kind, Kind::kDuplicate);
  EXPECT_EQ(outcome.subscriber, stored);
  EXPECT_EQ(cache.remembered_once(1), std::vector<Subscriber>{stored});
  EXPECT_EQ(metrics_.store_cached_duplicates.value(), 0u);
  // Known from now on: the next repeat is answered by the cache.
  repeat.id = ids_.next();
  EXPECT_EQ(insert(repeat).subscriber, stored);
  EXPECT_EQ(metrics_.store_cached_duplicates.value(), 1u);
  EXPECT_EQ(cache.remembered(), std::vector<Subscriber>{stored});
}

TEST_F(MysqlStoreTest, SeveralWritersCommitEveryInsertAndCountEachOnce) {
  store_->shutdown();
  // Small batches, so that the three writers take turns and commit side by side, repeats of
  // one e-mail in batches of different writers among them.
  store_ = open([](MysqlStore::Options& o) {
    o.endpoint.writers = 3;
    o.max_batch = 16;
  });
  std::vector<Subscriber> rows = make_rows("writers", 300);
  for (int i = 0; i < 30; ++i)
    rows.push_back(make("writers" + std::to_string(i * 7)));  // repeats, whichever lands first
  const std::uint64_t before = total();
  auto outcomes = insert_all(*store_, rows);

  std::map<std::string, domain::SubscriberId> created;
  std::size_t duplicates = 0;
  for (const auto& outcome : outcomes) {
    ASSERT_NE(outcome.kind, Kind::kError);
    if (outcome.kind == Kind::kDuplicate) {
      ++duplicates;
      continue;
    }
    EXPECT_TRUE(created.emplace(outcome.subscriber.email, outcome.subscriber.id).second)
        << "created twice: " << outcome.subscriber.email;
  }
  EXPECT_EQ(created.size(), 300u);
  EXPECT_EQ(duplicates, 30u);
  for (const auto& [email, id] : created) {
    FindOutcome found = find_email(email);
    ASSERT_TRUE(found.subscriber.has_value()) << email;
    EXPECT_EQ(found.subscriber->id, id);
  }
  EXPECT_EQ(total(), before + 300);
}

TEST_F(MysqlStoreTest, ConcurrentInsertsOfOneEmailFromTwoInstancesCreateExactlyOne) {
  // Two stores on one database stand for two instances; the unique key decides between them.
  auto second_store = open();
  std::vector<Subscriber> rows;
  for (int i = 0; i < 64; ++i)
    rows.push_back(make("race"));

  std::vector<InsertOutcome> outcomes(rows.size());
  boost::asio::io_context context;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    MysqlStore& target = (i % 2 == 0) ? *store_ : *second_store;
    boost::asio::co_spawn(
        context,
        [&, i]() -> boost::asio::awaitable<void> { outcomes[i] = co_await target.insert(rows[i]); },
        boost::asio::detached);
  }
  std::thread helper([&] { context.run(); });
  context.run();
  helper.join();
  second_store->shutdown();

  std::size_t created = 0;
  std::optional<Subscriber> winner;
  for (const auto& outcome : outcomes) {
    ASSERT_NE(outcome.kind, Kind::kError);
    if (outcome.kind == Kind::kCreated) {
      ++created;
      winner = outcome.subscriber;
    }
  }
  ASSERT_EQ(created, 1u);
  for (const auto& outcome : outcomes)
    EXPECT_EQ(outcome.subscriber, *winner);
  EXPECT_EQ(find_email(winner->email).subscriber, winner);
}

TEST_F(MysqlStoreTest, TotalsMoveByExactlyTheNumberCreated) {
  const std::uint64_t all_before = total();
  const std::uint64_t junk_before = total(Status::kJunk);
  const std::uint64_t bounced_before = total(Status::kBounced);

  std::vector<Subscriber> rows;
  for (int i = 0; i < 5; ++i)
    rows.push_back(make("junk" + std::to_string(i), Status::kJunk));
  for (int i = 0; i < 3; ++i)
    rows.push_back(make("bounce" + std::to_string(i), Status::kBounced));
  rows.push_back(make("junk0", Status::kJunk));      // duplicates: not counted
  rows.push_back(make("bounce1", Status::kActive));  // a duplicate in another status
  auto outcomes = insert_all(*store_, rows, true);
  std::size_t created = 0;
  for (const auto& o : outcomes)
    created += o.kind == Kind::kCreated ? 1 : 0;
  ASSERT_EQ(created, 8u);

  // A second batch, so that the totals add up over several counter slots.
  ASSERT_EQ(insert(make("junk-late", Status::kJunk)).kind, Kind::kCreated);

  EXPECT_EQ(total(), all_before + 9);
  EXPECT_EQ(total(Status::kJunk), junk_before + 6);
  EXPECT_EQ(total(Status::kBounced), bounced_before + 3);
}

TEST_F(MysqlStoreTest, ListsForwardAndBackWithAStatusFilter) {
  // Ten rows, alternating statuses, ids increasing: newest is rows.back().
  std::vector<Subscriber> rows;
  for (int i = 0; i < 10; ++i) {
    rows.push_back(
        make("page" + std::to_string(i), i % 2 == 0 ? Status::kUnsubscribed : Status::kBounced));
    ASSERT_EQ(insert(rows.back()).kind, Kind::kCreated);
  }
  std::vector<Subscriber> unsubscribed;  // newest first
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (it->status == Status::kUnsubscribed)
      unsubscribed.push_back(*it);
  }
  const std::uint64_t unsubscribed_total = total(Status::kUnsubscribed);

  // Page 1 (newest first), from just above our newest row.
  KeysetQuery q;
  q.direction = Direction::kOlder;
  q.anchor = rows.back().id + 1;
  q.status = Status::kUnsubscribed;
  q.fetch_limit = 3;
  ListOutcome page1 = list(q);
  ASSERT_EQ(page1.error, StoreError::kNone);
  ASSERT_EQ(page1.rows.size(), 3u);
  EXPECT_EQ(page1.rows[0], unsubscribed[0]);
  EXPECT_EQ(page1.rows[1], unsubscribed[1]);
  EXPECT_EQ(page1.rows[2], unsubscribed[2]);
  EXPECT_EQ(page1.total, unsubscribed_total);

  // Page 2: older than page 1's last row.
  q.anchor = page1.rows[1].id;
  ListOutcome page2 = list(q);
  ASSERT_GE(page2.rows.size(), 3u);
  EXPECT_EQ(page2.rows[0], unsubscribed[2]);
  EXPECT_EQ(page2.rows[1], unsubscribed[3]);
  EXPECT_EQ(page2.rows[2], unsubscribed[4]);

  // Back: newer than our oldest row, ascending.
  q.direction = Direction::kNewer;
  q.anchor = unsubscribed[4].id;
  q.fetch_limit = 10;
  ListOutcome back = list(q);
  ASSERT_GE(back.rows.size(), 4u);
  EXPECT_EQ(back.rows[0], unsubscribed[3]);
  EXPECT_EQ(back.rows[1], unsubscribed[2]);
  EXPECT_EQ(back.rows[2], unsubscribed[1]);
  EXPECT_EQ(back.rows[3], unsubscribed[0]);
  for (std::size_t i = 1; i < back.rows.size(); ++i) {
    EXPECT_LT(back.rows[i - 1].id, back.rows[i].id);
    EXPECT_EQ(back.rows[i].status, Status::kUnsubscribed);
  }

  // Unfiltered, both statuses interleave.
  KeysetQuery all;
  all.anchor = rows.back().id + 1;
  all.fetch_limit = 4;
  ListOutcome mixed = list(all);
  ASSERT_EQ(mixed.rows.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(mixed.rows[i], rows[9 - i]);
  EXPECT_GE(mixed.total, 10u);

  // The newest page starts at a row no older than ours.
  KeysetQuery newest;
  newest.fetch_limit = 1;
  ListOutcome top = list(newest);
  ASSERT_EQ(top.rows.size(), 1u);
  EXPECT_GE(top.rows[0].id, rows.back().id);
}

TEST_F(MysqlStoreTest, SchemaCanBeAppliedAgain) {
  EXPECT_NO_THROW(MysqlStore::apply_schema(endpoint_));
  EXPECT_NO_THROW(MysqlStore::apply_schema(endpoint_));

  // On an empty database: the first application creates everything, the second changes nothing.
  Endpoint scratch = endpoint_;
  scratch.database = endpoint_.database + "_schema_" + random_hex(8);
  {
    Connection admin(endpoint_, ConnectionSettings{});
    try {
      admin.execute("CREATE DATABASE `" + scratch.database + "`");
    } catch (const MysqlError& e) {
      GTEST_SKIP() << "cannot create a scratch database (" << e.what()
                   << "); the empty-database case was not exercised";
    }
  }
  struct Dropper {
    Endpoint endpoint;
    std::string database;
    ~Dropper() {
      try {
        Connection admin(endpoint, ConnectionSettings{});
        admin.execute("DROP DATABASE `" + database + "`");
      } catch (const MysqlError& e) {
        ADD_FAILURE() << "cannot drop " << database << ": " << e.what();
      }
    }
  } dropper{endpoint_, scratch.database};

  EXPECT_NO_THROW(MysqlStore::apply_schema(scratch));
  EXPECT_NO_THROW(MysqlStore::apply_schema(scratch));
  Connection check(scratch, ConnectionSettings{});
  EXPECT_EQ(check.query_number("SELECT COUNT(*) FROM subscriber_counts"), 80u);
  EXPECT_EQ(check.query_number("SELECT COUNT(*) FROM subscribers"), 0u);
  // Running the raw file again, as a person would with the mysql client, is harmless too.
  ConnectionSettings multi;
  multi.multi_statements = true;
  Connection raw(scratch, multi);
  EXPECT_NO_THROW(raw.execute(embedded::kMysqlSchema));
  EXPECT_EQ(check.query_number("SELECT COUNT(*) FROM subscriber_counts"), 80u);
}

TEST_F(MysqlStoreTest, RowRefusedByTheServerFailsAloneNotItsBatch) {
  Subscriber good = make("good");
  Subscriber bad = make("bad");
  bad.email = prefix_ +
              "-b\xc3\xa4"
              "d@example.test";  // not ASCII: the column refuses it
  Subscriber also_good = make("also-good");
  auto outcomes = insert_all(*store_, {good, bad, also_good}, true);
  EXPECT_EQ(outcomes[0].kind, Kind::kCreated);
  EXPECT_EQ(outcomes[1].kind, Kind::kError);
  EXPECT_EQ(outcomes[1].error, StoreError::kFailed);
  EXPECT_EQ(outcomes[2].kind, Kind::kCreated);
  EXPECT_TRUE(find_email(good.email).subscriber.has_value());
}

TEST_F(MysqlStoreTest, RowRefusedInALaterStatementLeavesTheEarlierStatementsRowsStored) {
  store_->shutdown();
  store_ = open([](MysqlStore::Options& o) { o.max_batch = 2048; });
  std::vector<Subscriber> rows = make_rows("later", 1500);
  rows[1200].email = prefix_ + "-l\xc3\xa4ter@example.test";  // not ASCII: the column refuses it
  const std::uint64_t before = total();
  auto outcomes = insert_all(*store_, rows, true);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == 1200) {
      EXPECT_EQ(outcomes[i].kind, Kind::kError);
      EXPECT_EQ(outcomes[i].error, StoreError::kFailed);
    } else {
      ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
    }
  }
  EXPECT_EQ(find_email(rows[5].email).subscriber, rows[5]);
  EXPECT_EQ(find_email(rows[1300].email).subscriber, rows[1300]);
  EXPECT_EQ(total(), before + 1499);
}

TEST_F(MysqlStoreTest, RefusalThatUndidTheWholeTransactionLosesNoRowAnsweredCreated) {
  // The second INSERT statement is refused with an error after which (simulated here) the
  // server had rolled back the whole transaction, the first statement's rows with it.
  store_->shutdown();
  auto inserts = std::make_shared<std::atomic<int>>(0);
  store_ = open([=](MysqlStore::Options& o) {
    o.max_batch = 2048;
    o.write_hook = [=](MysqlStore::WriteStage stage, Connection& connection) {
      if (stage == MysqlStore::WriteStage::kAfterInsert && inserts->fetch_add(1) == 1) {
        connection.rollback_quietly();
        throw MysqlError(1366, "simulated: refused, and the whole transaction rolled back");
      }
    };
  });
  const std::vector<Subscriber> rows = make_rows("undone", 1500);
  const std::uint64_t before = total();
  auto outcomes = insert_all(*store_, rows, true);
  for (std::size_t i = 0; i < rows.size(); ++i)
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
  for (std::size_t i : {std::size_t{0}, std::size_t{1023}, std::size_t{1024}, std::size_t{1499}})
    EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]) << i;
  EXPECT_EQ(total(), before + 1500);
}

TEST_F(MysqlStoreTest, ABatchRefusedOverAndOverFailsWithoutStoringAnything) {
  // Every INSERT is refused (an error that is not the rows'): one start again for the batch's
  // statement, then one a row, until the cap fails the rest.
  reopen_failing(MysqlStore::WriteStage::kAfterInsert,
                 MysqlError(1146, "simulated: table doesn't exist"), 1'000'000);
  const std::vector<Subscriber> rows = make_rows("refused", 20);
  const std::uint64_t before = total();
  auto outcomes = insert_all(*store_, rows, true);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(outcomes[i].kind, Kind::kError) << i;
    EXPECT_EQ(outcomes[i].error, StoreError::kFailed) << i;
  }
  EXPECT_FALSE(find_email(rows[0].email).subscriber.has_value());
  EXPECT_EQ(total(), before);
}

TEST_F(MysqlStoreTest, BatchesLargerThanOneStatementAreSplit) {
  store_->shutdown();
  store_ = open([](MysqlStore::Options& o) { o.max_batch = 2048; });  // one batch, two statements
  std::vector<Subscriber> rows = make_rows("bulk", 1500);
  rows.push_back(make("bulk7"));  // a duplicate in another chunk
  const std::uint64_t before = total();
  auto outcomes = insert_all(*store_, rows, true);
  for (std::size_t i = 0; i < 1500; ++i)
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
  EXPECT_EQ(outcomes[1500].kind, Kind::kDuplicate);
  EXPECT_EQ(outcomes[1500].subscriber, rows[7]);
  EXPECT_EQ(total(), before + 1500);
}

TEST_F(MysqlStoreTest, ShutdownCommitsEveryAcceptedInsert) {
  std::vector<Subscriber> rows;
  for (int i = 0; i < 20; ++i)
    rows.push_back(make("shutdown" + std::to_string(i)));
  boost::asio::io_context context;
  std::deque<InsertOutcome> outcomes;     // a deque: started coroutines hold pointers into it
  store_->hold_writes_for_testing(true);  // accepted, not yet written
  start_inserts(context, *store_, rows, outcomes);
  store_->shutdown();
  context.run();
  for (const auto& outcome : outcomes)
    EXPECT_EQ(outcome.kind, Kind::kCreated);
  EXPECT_EQ(run(store_->insert(make("after-shutdown"))).error, StoreError::kUnavailable);

  store_ = open();
  for (const auto& row : rows)
    EXPECT_EQ(find_email(row.email).subscriber, row);
}

TEST_F(MysqlStoreTest, ShutdownWithEveryWriteFailingTakesOneRetryBudgetNotOnePerBatch) {
  // Every attempt meets a deadlock; each insert is a batch of its own. Each batch alone would
  // retry for up to its whole budget, 800 ms, in 5 attempts (after 0, 50, 150, 350 and 750 ms):
  // six of them, about 4.5 s and 30 attempts. Once shutdown begins they share one budget, and
  // when the first batch has spent it, the five left fail without an attempt.
  store_->shutdown();
  auto attempts = std::make_shared<std::atomic<int>>(0);
  store_ = open([attempts](MysqlStore::Options& o) {
    o.max_batch = 1;
    o.retry.budget = 800ms;
    o.retry.first_backoff = 50ms;
    o.write_hook = [attempts](MysqlStore::WriteStage stage, Connection&) {
      if (stage == MysqlStore::WriteStage::kBeforeCommit) {
        attempts->fetch_add(1);
        throw MysqlError(errors::kDeadlock, "simulated: deadlock found");
      }
    };
  });
  const std::uint64_t before = total();
  const std::vector<Subscriber> rows = make_rows("stopping", 6);
  boost::asio::io_context context;
  std::deque<InsertOutcome> outcomes;     // a deque: started coroutines hold pointers into it
  store_->hold_writes_for_testing(true);  // accepted, not yet written
  start_inserts(context, *store_, rows, outcomes);

  const auto started = Clock::now();
  store_->shutdown();
  EXPECT_LT(elapsed_ms(started), 2'000);  // one budget, with room to spare
  EXPECT_LE(attempts->load(), 6);         // the first batch's five, and none for the others
  context.run();
  for (const InsertOutcome& outcome : outcomes) {
    EXPECT_EQ(outcome.kind, Kind::kError);
    EXPECT_EQ(outcome.error, StoreError::kUnavailable);
  }
  store_ = open();
  EXPECT_EQ(total(), before);
  for (const Subscriber& row : rows)
    EXPECT_FALSE(find_email(row.email).subscriber.has_value());
}

// --- gathering a batch (Endpoint::batch_wait) -------------------------------------------------

TEST_F(MysqlStoreTest, InsertsArrivingWhileAWriterWaitsForCompanyShareOneCommit) {
  store_->shutdown();
  store_ = open([](MysqlStore::Options& o) { o.endpoint.batch_wait = 100ms; });
  // A shared batch first: the writer waits for company only after one.
  for (const auto& outcome :
       insert_all(*store_, {make("company0"), make("company1"), make("company2")}, true))
    ASSERT_EQ(outcome.kind, Kind::kCreated);
  const std::uint64_t batches_before = metrics_.store_batch_size.count();

  std::vector<Subscriber> rows;
  for (int i = 0; i < 8; ++i)
    rows.push_back(make("gathered" + std::to_string(i)));
  boost::asio::io_context context;
  std::deque<InsertOutcome> outcomes;  // a deque: started coroutines hold pointers into it
  start_inserts(context, *store_, {rows[0]}, outcomes);
  // A writer that did not wait would write the first insert on its own meanwhile.
  std::this_thread::sleep_for(30ms);
  start_inserts(context, *store_, {rows.begin() + 1, rows.end()}, outcomes);
  context.restart();
  context.run();

  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
    EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]);
  }
  EXPECT_EQ(metrics_.store_batch_size.count() - batches_before, 1u)
      << "expected the 8 inserts in one commit";
}

TEST_F(MysqlStoreTest, LoneInsertsOnAQuietStoreAreNotHeldForCompany) {
  store_->shutdown();
  store_ = open([](MysqlStore::Options& o) { o.endpoint.batch_wait = 100ms; });
  // The first write on a fresh store also connects and prepares: not while the test counts.
  ASSERT_EQ(insert(make("warm-up")).kind, Kind::kCreated);
  const std::uint64_t batches_before = metrics_.store_batch_size.count();
  // Each insert follows a batch of one (or none): a writer that waited for company anyway
  // would still hold it when the next one arrived, and write both together.
  std::vector<Subscriber> rows = {make("alone0"), make("alone1"), make("alone2")};
  boost::asio::io_context context;
  std::deque<InsertOutcome> outcomes;  // a deque: started coroutines hold pointers into it
  for (const Subscriber& row : rows) {
    start_inserts(context, *store_, {row}, outcomes);
    std::this_thread::sleep_for(30ms);
  }
  context.restart();
  context.run();

  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
    EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]);
  }
  EXPECT_EQ(metrics_.store_batch_size.count() - batches_before, 3u)
      << "expected a commit of one for each insert";
}

// --- lost COMMIT replies, simulated through the write hook --------------------------------------

TEST_F(MysqlStoreTest, UnansweredCommitThatCommittedIsReportedCreatedAndCountedOnce) {
  reopen_failing(MysqlStore::WriteStage::kAfterCommit,
                 MysqlError(errors::kServerLost, "simulated: lost connection during COMMIT"), 1);
  const std::uint64_t before = total();
  const std::uint64_t retries_before = metrics_.store_retries.value();
  Subscriber first = make("lost-reply");
  Subscriber duplicate = make("lost-reply");
  Subscriber other = make("lost-reply-2");
  auto outcomes = insert_all(*store_, {first, duplicate, other}, true);

  ASSERT_EQ(outcomes[0].kind, Kind::kCreated);
  EXPECT_EQ(outcomes[0].subscriber, first);
  ASSERT_EQ(outcomes[1].kind, Kind::kDuplicate);
  EXPECT_EQ(outcomes[1].subscriber, first);
  ASSERT_EQ(outcomes[2].kind, Kind::kCreated);
  EXPECT_GE(metrics_.store_retries.value(), retries_before + 1);
  EXPECT_EQ(total(), before + 2) << "a re-checked batch must not be counted twice";
}

TEST_F(MysqlStoreTest, CommitErrorOfAnyKindIsRecheckedNotReportedAsAFailure) {
  // The server's answer to COMMIT was an error the store does not retry for its own sake, but
  // the COMMIT itself went out: only a re-check can tell what happened (here it committed).
  reopen_failing(MysqlStore::WriteStage::kAfterCommit,
                 MysqlError(1180, "simulated: got an error during COMMIT"), 1);
  const std::uint64_t before = total();
  Subscriber s = make("commit-error");
  InsertOutcome outcome = insert(s);
  ASSERT_EQ(outcome.kind, Kind::kCreated);
  EXPECT_EQ(outcome.subscriber, s);
  EXPECT_EQ(total(), before + 1) << "a re-checked batch must not be counted twice";
}

TEST_F(MysqlStoreTest, ConnectionLostBeforeCommitIsRetried) {
  reopen_failing(MysqlStore::WriteStage::kBeforeCommit,
                 MysqlError(errors::kServerGone, "simulated: server gone before COMMIT"), 2);
  const std::uint64_t before = total();
  Subscriber s = make("retry-before-commit");
  InsertOutcome outcome = insert(s);
  ASSERT_EQ(outcome.kind, Kind::kCreated);
  EXPECT_EQ(outcome.subscriber, s);
  EXPECT_EQ(total(), before + 1);
}

TEST_F(MysqlStoreTest, DeadlocksAreRetried) {
  reopen_failing(MysqlStore::WriteStage::kBeforeCommit,
                 MysqlError(errors::kDeadlock, "simulated: deadlock found"), 1);
  const std::uint64_t before = total();
  ASSERT_EQ(insert(make("deadlock")).kind, Kind::kCreated);
  EXPECT_EQ(total(), before + 1);
}

TEST_F(MysqlStoreTest, LockWaitTimeoutsAreRetried) {
  // Another session holds every counter row for 1.6 s: the writer's first attempt times out
  // after its 1 s lock wait, the retry gets through. The counters' UPDATE is what times out,
  // so the COMMIT sent with it never ran: the retry is a plain one, not a re-check.
  store_->shutdown();
  std::atomic<int> read_backs{0};
  store_ = open([&](MysqlStore::Options& o) { o.write_hook = counting_read_backs(read_backs); });
  ConnectionSettings settings;
  settings.autocommit = false;
  Connection blocker(endpoint_, settings);
  blocker.query_number("SELECT COUNT(*) FROM subscriber_counts FOR UPDATE");
  const std::uint64_t retries_before = metrics_.store_retries.value();
  const std::uint64_t before = total();
  std::thread release([&] {
    std::this_thread::sleep_for(1600ms);
    blocker.rollback_quietly();
  });
  InsertOutcome outcome = insert(make("lock-wait"));
  release.join();
  EXPECT_EQ(outcome.kind, Kind::kCreated);
  EXPECT_GE(metrics_.store_retries.value(), retries_before + 1);
  EXPECT_EQ(total(), before + 1);
  EXPECT_EQ(read_backs.load(), 0);
}

// --- a real server going away -------------------------------------------------------------------

// Restarts MariaDB however a test ends.
struct ServerGuard {
  ~ServerGuard() { services("start-mysql"); }
};

void wait_until_healthy(MysqlStore& store, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (!store.is_down() && run(store.check_health()).healthy)
      return;
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "the store did not recover within " << limit.count() << "s";
}

TEST_F(MysqlStoreTest, WhileTheServerIsDownCallsFailFastAndTheStoreRecovers) {
  ServerGuard guard;
  ASSERT_EQ(insert(make("before-stop")).kind, Kind::kCreated);
  ASSERT_TRUE(services("stop-mysql")) << "scripts/services stop-mysql failed: is the server in "
                                         "SUBSCRIBERD_TEST_MYSQL_URL run by scripts/services?";

  // The first call finds out: it retries within its budget, then the store is down.
  auto started = Clock::now();
  InsertOutcome first = insert(make("during-stop"));
  EXPECT_EQ(first.kind, Kind::kError);
  EXPECT_EQ(first.error, StoreError::kUnavailable);
  EXPECT_LT(elapsed_ms(started), 10'000);
  EXPECT_TRUE(store_->is_down());

  // From then on every call answers at once.
  for (int i = 0; i < 20; ++i) {
    started = Clock::now();
    EXPECT_EQ(insert(make("down" + std::to_string(i))).error, StoreError::kUnavailable);
    EXPECT_EQ(find_email(prefix_ + "-before-stop@example.test").error, StoreError::kUnavailable);
    EXPECT_EQ(list(KeysetQuery{}).error, StoreError::kUnavailable);
    // Three calls; generous for a loaded machine, and far below the 3 s retry budget.
    EXPECT_LT(elapsed_ms(started), 300) << "call " << i;
  }
  started = Clock::now();
  HealthOutcome health = run(store_->check_health());
  EXPECT_FALSE(health.healthy);
  EXPECT_NE(health.detail.find("mysql"), std::string::npos) << health.detail;
  EXPECT_LT(elapsed_ms(started), 300);

  ASSERT_TRUE(services("start-mysql"));
  wait_until_healthy(*store_, 30s);
  Subscriber after = make("after-start");
  ASSERT_EQ(insert(after).kind, Kind::kCreated);
  EXPECT_EQ(find_email(after.email).subscriber, after);
  EXPECT_EQ(find_email(prefix_ + "-before-stop@example.test").error, StoreError::kNone);
}

TEST_F(MysqlStoreTest, ServerKilledMidStreamLosesNoAcknowledgedRow) {
  ServerGuard guard;
  const std::uint64_t before = total();

  std::mutex mutex;
  struct Result {
    Subscriber subscriber;
    InsertOutcome outcome;
    Clock::time_point answered;
  };
  std::vector<Result> results;
  std::atomic<bool> stop{false};
  std::atomic<int> sequence{0};
  boost::asio::io_context context;
  for (int worker = 0; worker < 16; ++worker) {
    boost::asio::co_spawn(
        context,
        [&]() -> boost::asio::awaitable<void> {
          boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
          while (!stop.load()) {
            Subscriber s;
            {
              std::lock_guard lock(mutex);
              s = make("stream" + std::to_string(sequence++));
            }
            InsertOutcome outcome = co_await store_->insert(s);
            if (outcome.kind == Kind::kError) {  // a client would back off too
              pause.expires_after(20ms);
              co_await pause.async_wait(boost::asio::use_awaitable);
            }
            std::lock_guard lock(mutex);
            results.push_back({std::move(s), std::move(outcome), Clock::now()});
          }
        },
        boost::asio::detached);
  }
  std::thread loop([&] { context.run(); });

  std::this_thread::sleep_for(1s);
  const bool restarted = services("restart-mysql --kill");
  const auto restarted_at = Clock::now();
  wait_until_healthy(*store_, 60s);
  std::this_thread::sleep_for(1s);
  stop = true;
  loop.join();
  ASSERT_TRUE(restarted) << "scripts/services restart-mysql --kill failed";

  std::size_t created = 0;
  std::size_t unavailable = 0;
  std::size_t created_after_restart = 0;
  std::size_t stored = 0;
  for (const auto& [subscriber, outcome, answered] : results) {
    if (outcome.kind == Kind::kError) {
      EXPECT_EQ(outcome.error, StoreError::kUnavailable);
      ++unavailable;
    }
    FindOutcome found = find_email(subscriber.email);
    ASSERT_EQ(found.error, StoreError::kNone);
    if (outcome.kind == Kind::kCreated) {
      ++created;
      if (answered > restarted_at)
        ++created_after_restart;
      ASSERT_TRUE(found.subscriber.has_value())
          << "acknowledged as created but missing: " << subscriber.email;
      EXPECT_EQ(found.subscriber->id, subscriber.id);
    }
    if (found.subscriber && found.subscriber->id == subscriber.id)
      ++stored;
  }
  std::printf(
      "[   INFO   ] %zu inserts: %zu created, %zu unavailable, %zu stored, %zu created "
      "after the restart, %llu retries\n",
      results.size(), created, unavailable, stored, created_after_restart,
      static_cast<unsigned long long>(metrics_.store_retries.value()));
  EXPECT_GT(created_after_restart, 0u);
  // The counters agree with the rows, including rows whose commit was not acknowledged.
  EXPECT_EQ(total(), before + stored);
}

// --- measurements (not part of the suite) ------------------------------------------------------
//
// Inserts SUBSCRIBERD_BENCH_ROWS rows (default 100000) from SUBSCRIBERD_BENCH_CONCURRENCY
// coroutines (default 256) into a scratch database, then prints the insert rate, the batch sizes
// and the table's size from information_schema. Keeps the database when SUBSCRIBERD_BENCH_KEEP
// is set. Run with:
//   mysql_store_tests --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_Measure*'

std::size_t env_number(const char* name, std::size_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::stoul(value) : fallback;
}

TEST_F(MysqlStoreTest, DISABLED_MeasureInsertRateAndRowSize) {
  const std::size_t rows = env_number("SUBSCRIBERD_BENCH_ROWS", 100'000);
  const std::size_t concurrency = env_number("SUBSCRIBERD_BENCH_CONCURRENCY", 256);
  const std::size_t writers = env_number("SUBSCRIBERD_BENCH_WRITERS", 1);
  store_->shutdown();

  Endpoint scratch = endpoint_;
  scratch.database = endpoint_.database + "_bench_" + random_hex(8);
  scratch.writers = writers;
  {
    Connection admin(endpoint_, ConnectionSettings{});
    admin.execute("CREATE DATABASE `" + scratch.database + "`");
  }
  endpoint_ = scratch;
  store_ = open();

  std::mt19937_64 random(42);
  auto word = [&](std::size_t min, std::size_t max) {
    std::string out;
    const std::size_t length = min + random() % (max - min + 1);
    for (std::size_t i = 0; i < length; ++i)
      out.push_back(static_cast<char>('a' + random() % 26));
    return out;
  };
  std::vector<Subscriber> data(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    Subscriber& s = data[i];
    s.name = word(3, 9);
    s.name[0] = static_cast<char>(s.name[0] - 'a' + 'A');
    s.last_name = word(4, 11);
    s.last_name[0] = static_cast<char>(s.last_name[0] - 'a' + 'A');
    s.email = s.name + "." + s.last_name + std::to_string(i) + "@" + word(5, 10) + ".com";
    for (char& c : s.email)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s.status = random() % 10 < 8 ? Status::kActive : Status::kUnsubscribed;
  }

  const std::uint64_t batches_before = metrics_.store_batch_size.count();
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> created{0};
  boost::asio::io_context context;
  for (std::size_t c = 0; c < concurrency; ++c) {
    boost::asio::co_spawn(
        context,
        [&]() -> boost::asio::awaitable<void> {
          for (std::size_t i = next++; i < rows; i = next++) {
            data[i].id = ids_.next();
            data[i].created_at_ms = domain::IdGenerator::timestamp_ms(data[i].id);
            InsertOutcome outcome = co_await store_->insert(data[i]);
            if (outcome.kind == Kind::kCreated)
              ++created;
          }
        },
        boost::asio::detached);
  }
  const auto started = Clock::now();
  std::thread helper([&] { context.run(); });
  context.run();
  helper.join();
  const double seconds = elapsed_ms(started) / 1000.0;
  const std::uint64_t batches = metrics_.store_batch_size.count() - batches_before;

  Connection check(scratch, ConnectionSettings{});
  check.execute("ANALYZE TABLE subscribers");
  const auto data_length = check.query_number(
      "SELECT data_length FROM information_schema.tables WHERE table_schema = DATABASE() AND "
      "table_name = 'subscribers'");
  const auto index_length = check.query_number(
      "SELECT index_length FROM information_schema.tables WHERE table_schema = DATABASE() AND "
      "table_name = 'subscribers'");
  const auto average_row = check.query_number(
      "SELECT ROUND(AVG(LENGTH(email) + LENGTH(name) + LENGTH(last_name))) FROM subscribers");
  std::printf(
      "[   INFO   ] %zu rows, %zu coroutines, %zu writer(s): %zu created in %.2f s = %.0f "
      "rows/s; %llu batches, %.1f rows per batch; %llu retries\n",
      rows, concurrency, writers, created.load(), seconds,
      static_cast<double>(created.load()) / seconds, static_cast<unsigned long long>(batches),
      static_cast<double>(rows) / static_cast<double>(batches),
      static_cast<unsigned long long>(metrics_.store_retries.value()));
  std::printf(
      "[   INFO   ] data_length %llu B, index_length %llu B, %.1f B per row "
      "(%.1f + %.1f); e-mail + names average %llu B\n",
      static_cast<unsigned long long>(data_length), static_cast<unsigned long long>(index_length),
      static_cast<double>(data_length + index_length) / static_cast<double>(rows),
      static_cast<double>(data_length) / static_cast<double>(rows),
      static_cast<double>(index_length) / static_cast<double>(rows),
      static_cast<unsigned long long>(average_row));
  EXPECT_EQ(created.load(), rows);
  if (std::getenv("SUBSCRIBERD_BENCH_KEEP") == nullptr) {
    store_->shutdown();
    Connection admin(endpoint_, ConnectionSettings{});
    admin.execute("DROP DATABASE `" + scratch.database + "`");
  } else {
    std::printf("[   INFO   ] kept database %s\n", scratch.database.c_str());
  }
}

}  // namespace
}  // namespace subscriberd::store::mysql
