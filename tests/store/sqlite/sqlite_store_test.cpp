// SqliteStore on a file of its own per test: the URL options open_store reads, how the writer
// batches concurrent inserts, and what becomes of the log file. No assertion here is about
// time; the few pauses only set up the order in which inserts reach the writer, and the log
// test waits (up to 15 s) for the store's 2 s of quiet before it empties the file.
#include "store/sqlite/sqlite_store.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/id_generator.h"
#include "run_to_completion.h"
#include "scratch_dir.h"
#include "sqlite_file.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/store_factory.h"

namespace subscriberd::store::sqlite {
namespace {

using domain::KeysetQuery;
using domain::LookupKey;
using domain::Subscriber;
using ::testing::HasSubstr;
using Kind = InsertOutcome::Kind;
using namespace std::chrono_literals;

// Longer than any pause below: a writer that waits this long for company is still waiting
// when the pause ends.
constexpr auto kLongWait = 100'000us;
// Long enough for an idle writer to commit what it was given; short against kLongWait.
constexpr auto kPause = 30ms;

using test_support::run;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (store_)
      store_->shutdown();
    store_.reset();
  }

  void open(std::optional<std::chrono::microseconds> batch_wait = std::nullopt,
            std::size_t max_batch = SqliteStore::Options{""}.max_batch,
            int checkpoint_frames = SqliteStore::Options{""}.checkpoint_frames) {
    SqliteStore::Options options{path_};
    if (batch_wait)
      options.batch_wait = *batch_wait;
    options.max_batch = max_batch;
    options.checkpoint_frames = checkpoint_frames;
    store_ = std::make_unique<SqliteStore>(std::move(options), metrics_);
  }

  Subscriber make(std::string_view local) {
    Subscriber s;
    s.id = ids_.next();
    s.created_at_ms = domain::IdGenerator::timestamp_ms(s.id);
    s.email = std::string(local) + "@example.test";
    s.name = "Zoë";
    s.last_name = "Ōtsuka";
    return s;
  }

  std::vector<Subscriber> make_rows(std::string_view prefix, int count) {
    std::vector<Subscriber> rows;
    for (int i = 0; i < count; ++i)
      rows.push_back(make(std::string(prefix) + std::to_string(i)));
    return rows;
  }

  // Starts one insert per row, each from its own coroutine, and returns once every row is
  // queued in the store; wait_for_inserts() collects the outcomes.
  void start_inserts(const std::vector<Subscriber>& rows) {
    for (const Subscriber& row : rows) {
      InsertOutcome& outcome = outcomes_.emplace_back();
      boost::asio::co_spawn(
          context_,
          [this, &outcome, row]() -> boost::asio::awaitable<void> {
            outcome = co_await store_->insert(row);
          },
          boost::asio::detached);
    }
    context_.restart();
    context_.poll();  // every coroutine runs up to its insert, which queues the row
  }

  // The outcomes of every insert started since the last call, in the order started.
  std::vector<InsertOutcome> wait_for_inserts() {
    context_.restart();
    context_.run();
    std::vector<InsertOutcome> outcomes(outcomes_.begin(), outcomes_.end());
    outcomes_.clear();
    return outcomes;
  }

  // Leaves the writer with a last batch of more than one insert, which is when it waits for
  // company: one insert is taken on its own while another connection holds the write lock,
  // and five more queue up behind that commit and go in together.
  void commit_a_shared_batch() {
    Connection locker = open_connection(path_, false);
    exec(locker.get(), "BEGIN IMMEDIATE");
    start_inserts({make("first")});
    std::this_thread::sleep_for(kPause);  // the writer takes it and waits for the lock
    start_inserts(make_rows("behind", 5));
    exec(locker.get(), "ROLLBACK");
    for (const InsertOutcome& outcome : wait_for_inserts())
      ASSERT_EQ(outcome.kind, Kind::kCreated);
  }

  std::uint64_t commits() const { return metrics_.store_batch_size.count(); }

  FindOutcome find_email(const std::string& email) {
    return run(store_->find(LookupKey::by_email(email)));
  }

  std::uint64_t total() {
    KeysetQuery q;
    q.fetch_limit = 1;
    ListOutcome outcome = run(store_->list(q));
    EXPECT_EQ(outcome.error, StoreError::kNone);
    return outcome.total;
  }

  // 200 inserts at once, every tenth repeating an earlier e-mail: each gets its own outcome,
  // and every created row can be read back.
  void insert_many_at_once_and_read_back() {
    std::vector<Subscriber> rows = make_rows("many", 180);
    for (int i = 0; i < 20; ++i)
      rows.push_back(make("many" + std::to_string(i * 9)));
    start_inserts(rows);
    std::vector<InsertOutcome> outcomes = wait_for_inserts();

    ASSERT_EQ(outcomes.size(), 200u);
    for (std::size_t i = 0; i < 180; ++i) {
      ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
      EXPECT_EQ(outcomes[i].subscriber, rows[i]);
    }
    for (std::size_t i = 180; i < 200; ++i) {
      ASSERT_EQ(outcomes[i].kind, Kind::kDuplicate) << i;
      EXPECT_EQ(outcomes[i].subscriber, rows[(i - 180) * 9]);  // the row that holds the e-mail
    }
    for (std::size_t i = 0; i < 180; ++i)
      EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]);
    EXPECT_EQ(total(), 180u);
  }

  // Inserts 50 new rows at once; returns how many were created.
  std::size_t insert_fifty(std::string_view prefix) {
    start_inserts(make_rows(std::string(prefix) + std::to_string(batches_++) + "-", 50));
    std::size_t created = 0;
    for (const InsertOutcome& outcome : wait_for_inserts())
      created += outcome.kind == Kind::kCreated ? 1 : 0;
    return created;
  }

  std::uintmax_t log_bytes() const {
    std::error_code missing;
    const std::uintmax_t bytes = std::filesystem::file_size(path_ + "-wal", missing);
    return missing ? 0 : bytes;
  }

  std::uint32_t log_restarts() const {
    return test_support::sqlite_log_restarts(path_ + "-wal").value_or(0);
  }

  test_support::ScratchDir dir_{"sqlite-store"};
  std::string path_ = dir_.file("subscribers.db");
  metrics::Registry metrics_;
  domain::IdGenerator ids_{1};
  std::unique_ptr<SqliteStore> store_;
  boost::asio::io_context context_;
  std::deque<InsertOutcome> outcomes_;  // a deque: started coroutines hold references
  int batches_ = 0;
};

// --- URL options ------------------------------------------------------------------------------

using SqliteUrlTest = SqliteStoreTest;

TEST_F(SqliteUrlTest, BatchWaitFromZeroTo100000IsAcceptedAndDescribed) {
  const std::string prefix = "sqlite:" + path_ + "?synchronous=normal&checkpoint_pages=8000";
  EXPECT_EQ(open_store({"sqlite:" + path_}, metrics_)->describe(),
            prefix + "&batch_wait_us=0&writer_cache_mb=256");  // the defaults
  for (const std::string value : {"0", "1000", "100000"}) {
    EXPECT_EQ(open_store({"sqlite:" + path_ + "?batch_wait_us=" + value}, metrics_)->describe(),
              prefix + "&batch_wait_us=" + value + "&writer_cache_mb=256");
  }
  EXPECT_EQ(
      open_store({"sqlite:" + path_ + "?batch_wait_us=250&synchronous=full"}, metrics_)->describe(),
      "sqlite:" + path_ +
          "?synchronous=full&checkpoint_pages=8000&batch_wait_us=250&writer_cache_mb=256");
}

// Each value of `option` is refused with a ConfigError that names the option and the value.
void expect_refused(const std::string& path, metrics::Registry& metrics, const std::string& option,
                    std::initializer_list<std::string> values) {
  for (const std::string& value : values) {
    try {
      open_store({"sqlite:" + path + "?" + option + "=" + value}, metrics);
      ADD_FAILURE() << "expected a ConfigError for '" << value << "'";
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(option));
      EXPECT_THAT(e.what(), HasSubstr("'" + value + "'"));
    }
  }
}

TEST_F(SqliteUrlTest, BadBatchWaitIsRefusedWithAMessageNamingIt) {
  expect_refused(path_, metrics_, "batch_wait_us", {"100001", "abc", "", "01000", "-1", "1000us"});
}

TEST_F(SqliteUrlTest, WriterCacheFrom1To2047MiBIsAcceptedAndDescribed) {
  const std::string prefix =
      "sqlite:" + path_ + "?synchronous=normal&checkpoint_pages=8000&batch_wait_us=0";
  for (const std::string value : {"1", "64", "2047"}) {
    EXPECT_EQ(open_store({"sqlite:" + path_ + "?writer_cache_mb=" + value}, metrics_)->describe(),
              prefix + "&writer_cache_mb=" + value);
  }
}

TEST_F(SqliteUrlTest, BadWriterCacheIsRefusedWithAMessageNamingIt) {
  expect_refused(path_, metrics_, "writer_cache_mb", {"0", "2048", "abc", "", "-1", "64mb"});
}

// --- the writer's cache ------------------------------------------------------------------------

// On open the writer fills its cache from the e-mail index, a slice of rows at a time while no
// insert waits: inserts queued meanwhile are answered, duplicates of the rows already stored
// among them, whatever slice the warming is at.
TEST_F(SqliteStoreTest, InsertsQueuedWhileTheWriterWarmsItsCacheAreAnswered) {
  open();
  const std::vector<Subscriber> stored = make_rows("stored", 20000);
  start_inserts(stored);
  for (const InsertOutcome& outcome : wait_for_inserts())
    ASSERT_EQ(outcome.kind, Kind::kCreated);
  store_->shutdown();
  store_.reset();

  open();  // several slices of the index to read: inserts arrive while it reads them
  std::vector<Subscriber> rows = make_rows("new", 3000);
  rows.push_back(make("stored19999"));
  start_inserts(rows);
  const std::vector<InsertOutcome> outcomes = wait_for_inserts();
  ASSERT_EQ(outcomes.size(), rows.size());
  for (std::size_t i = 0; i + 1 < rows.size(); ++i)
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
  EXPECT_EQ(outcomes.back().kind, Kind::kDuplicate);
  EXPECT_EQ(outcomes.back().subscriber, stored.back());
  EXPECT_EQ(total(), 23000u);
}

// --- batching -------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, ManyConcurrentInsertsCompleteWithoutABatchWait) {
  open(0us);
  insert_many_at_once_and_read_back();
}

TEST_F(SqliteStoreTest, ManyConcurrentInsertsCompleteWithABatchWait) {
  open(1000us);
  insert_many_at_once_and_read_back();
}

TEST_F(SqliteStoreTest, ARowTheTableRefusesFailsAloneAndTheRestOfItsBatchIsStored) {
  open();
  const Subscriber stored = make("holder");
  start_inserts({stored});
  ASSERT_EQ(wait_for_inserts().at(0).kind, Kind::kCreated);

  // Another e-mail under a stored row's id (two instances sharing a node id): the table's key
  // refuses that row alone, and the batch around it is stored.
  std::vector<Subscriber> rows = make_rows("around", 6);
  rows[3].id = stored.id;
  start_inserts(rows);
  std::vector<InsertOutcome> outcomes = wait_for_inserts();

  ASSERT_EQ(outcomes.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == 3) {
      EXPECT_EQ(outcomes[i].kind, Kind::kError);
      EXPECT_EQ(outcomes[i].error, StoreError::kFailed);
      EXPECT_FALSE(find_email(rows[i].email).subscriber.has_value());
    } else {
      ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
      EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]) << i;
    }
  }
  EXPECT_EQ(total(), 1u + 5u);
}

TEST_F(SqliteStoreTest, InsertsArrivingWhileTheWriterWaitsForCompanyShareOneCommit) {
  open(kLongWait);
  commit_a_shared_batch();
  const std::uint64_t commits_before = commits();

  const std::vector<Subscriber> rows = make_rows("gathered", 8);
  start_inserts({rows[0]});
  // A writer that did not wait would commit the first insert on its own meanwhile.
  std::this_thread::sleep_for(kPause);
  start_inserts({rows.begin() + 1, rows.end()});
  const std::vector<InsertOutcome> outcomes = wait_for_inserts();

  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
    EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]);
  }
  EXPECT_EQ(commits() - commits_before, 1u) << "expected the 8 inserts in one commit";
}

TEST_F(SqliteStoreTest, QueueWaitCountsEveryInsertOnceAcrossSplitBatches) {
  open(0us, 2);
  const std::uint64_t waits_before = metrics_.store_queue_wait_seconds.count();
  const double waited_before = metrics_.store_queue_wait_seconds.sum();
  commit_a_shared_batch();  // one insert alone, then five queued behind it: batches of 2, 2, 1

  EXPECT_EQ(metrics_.store_queue_wait_seconds.count(), waits_before + 6);
  // The five queued behind the held commit waited for it: at least part of the pause each.
  EXPECT_GT(metrics_.store_queue_wait_seconds.sum() - waited_before, 0.0);
}

TEST_F(SqliteStoreTest, LoneInsertsOnAQuietStoreAreNotHeldForCompany) {
  open(kLongWait);
  // The first finds an idle store; each of the others follows a batch of one. A writer that
  // waited for company would still hold an insert when the next one arrived, and commit both.
  const std::vector<Subscriber> rows = make_rows("alone", 3);
  for (const Subscriber& row : rows) {
    start_inserts({row});
    std::this_thread::sleep_for(kPause);
  }
  const std::vector<InsertOutcome> outcomes = wait_for_inserts();

  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(outcomes[i].kind, Kind::kCreated) << i;
    EXPECT_EQ(outcomes[i].subscriber, rows[i]);
    EXPECT_EQ(find_email(rows[i].email).subscriber, rows[i]);
  }
  EXPECT_EQ(commits(), 3u) << "expected a commit of one for each insert";
}

TEST_F(SqliteStoreTest, ShutdownWhileTheWriterWaitsForCompanyCommitsEveryAcceptedInsert) {
  open(kLongWait);
  commit_a_shared_batch();
  const std::vector<Subscriber> rows = make_rows("last", 5);
  start_inserts(rows);
  std::this_thread::sleep_for(kPause);  // the writer is waiting for more
  store_->shutdown();

  // The writer has stopped: every outcome must be posted already, none left to come.
  context_.restart();
  context_.poll();
  EXPECT_TRUE(context_.stopped()) << "an insert was left without an outcome";
  for (std::size_t i = 0; i < rows.size(); ++i)
    ASSERT_EQ(outcomes_[i].kind, Kind::kCreated) << i;
  outcomes_.clear();

  open(kLongWait);  // the same file again: nothing accepted was lost
  for (const Subscriber& row : rows)
    EXPECT_EQ(find_email(row.email).subscriber, row);
  EXPECT_EQ(total(), 6u + rows.size());
}

// --- The write-ahead log ----------------------------------------------------------------------

TEST_F(SqliteStoreTest, TheLogFileIsNotCutBackWhileInsertsGoOnAndIsEmptiedOnceTheyStop) {
  constexpr std::uintmax_t kCheckpointFrames = 10;
  open(std::nullopt, SqliteStore::Options{""}.max_batch, static_cast<int>(kCheckpointFrames));
  // Past this size the store empties the file once quiet: a restart's worth of checkpoints
  // (eight) and one more, in frames of a page and its 24-byte header.
  const std::uintmax_t cut_back_bytes =
      (8 + 1) * kCheckpointFrames *
      static_cast<std::uintmax_t>(test_support::sqlite_file_page_bytes(path_) + 24);
  ASSERT_GT(cut_back_bytes, 0u);
  std::size_t created = 0;

  // A reader's snapshot keeps the log from being copied past it or started again: it grows.
  {
    Connection reader = open_connection(path_, true);
    exec(reader.get(), "BEGIN");
    query_int(reader.get(), "SELECT count(*) FROM subscribers");
    for (int i = 0; i < 200 && log_bytes() <= 2 * cut_back_bytes; ++i)
      created += insert_fifty("pinned");
    exec(reader.get(), "COMMIT");
  }
  const std::uintmax_t grown = log_bytes();
  ASSERT_GT(grown, 2 * cut_back_bytes);

  // With the reader gone and inserts going on, the log is copied and starts again from its
  // beginning, and its file is not cut back (it may grow while the copying catches up).
  const std::uint32_t restarts = log_restarts();
  for (int i = 0; i < 400 && log_restarts() == restarts; ++i)
    created += insert_fifty("after");
  ASSERT_GT(log_restarts(), restarts) << "the log never started again";
  EXPECT_GE(log_bytes(), grown);

  // Once no checkpoint has been asked for a while (2 s), the checkpointer empties the file,
  // holding commits back meanwhile: the hold is measured. (Counted from a moment after the
  // last inserts, by when a restart they asked for is over and the cut-back not yet due.)
  std::this_thread::sleep_for(1s);
  const std::uint64_t holds = metrics_.store_log_restart_hold_seconds.count();
  auto emptied = [&] {
    return log_bytes() == 0 && metrics_.store_log_restart_hold_seconds.count() > holds;
  };
  for (int i = 0; i < 150 && !emptied(); ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(log_bytes(), 0u);
  EXPECT_EQ(metrics_.store_log_restart_hold_seconds.count(), holds + 1);

  // Nothing was lost, and the emptied log takes new commits.
  created += insert_fifty("emptied");
  EXPECT_EQ(created, static_cast<std::size_t>(batches_) * 50);
  EXPECT_EQ(total(), created);
  EXPECT_TRUE(find_email("pinned0-0@example.test").subscriber.has_value());
  EXPECT_TRUE(find_email("emptied" + std::to_string(batches_ - 1) + "-49@example.test")
                  .subscriber.has_value());
}

}  // namespace
}  // namespace subscriberd::store::sqlite
