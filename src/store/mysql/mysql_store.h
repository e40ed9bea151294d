#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

#include "metrics/metrics.h"
#include "store/mysql/mysql_url.h"
#include "store/store_jobs.h"
#include "store/stored_row_cache.h"
#include "store/subscriber_store.h"
#include "util/async_bridge.h"

namespace subscriberd::store::mysql {

class Connection;

// The networked store of record: one MySQL 5.7+/8 or MariaDB database, shared by any number of
// instances (each with its own node id, so ids never collide).
//
// Writes: writer threads (one by default), each owning one connection, take every queued insert
// (up to max_batch) into one transaction (group commit): a multi-row INSERT ... ON DUPLICATE KEY
// UPDATE id = id, one SELECT ... WHERE email IN (...) that tells each request whether its row
// (our id) or an older one holds the e-mail, and one UPDATE of the counters. The unique key on
// email decides duplicates, also between instances.
//
// Reads: reader threads, each owning one connection with prepared statements. A page and its
// total come from one consistent snapshot.
//
// Failures: lost connections, deadlocks and lock wait timeouts are retried with exponential
// backoff within a time budget. When the budget runs out on a lost connection the store is
// "down": every call answers kUnavailable at once, and a monitor thread reconnects in the
// background. A batch whose COMMIT went unanswered is re-checked (by id, under locks) before
// anything in it is reported created. See docs/failure-behaviour.md.
class MysqlStore final : public QueuedReadStore {
 public:
  struct Retry {
    std::chrono::milliseconds first_backoff{50};
    std::chrono::milliseconds max_backoff{1000};
    // Per request or batch, from its first attempt. Once shutdown begins, every batch still to
    // be written shares one budget, counted from then.
    std::chrono::milliseconds budget{3000};
    std::chrono::milliseconds probe_interval{250};  // while down; doubles up to max_backoff
  };

  // Stages of a write transaction, reported to Options::write_hook. kAfterInsert: an INSERT
  // statement of the batch succeeded. kBeforeReadBack: the batch's e-mails are about to be read
  // back under locks (rows the insert did not prove new, or a re-check after an unanswered
  // COMMIT).
  enum class WriteStage : std::uint8_t {
    kAfterInsert,
    kBeforeReadBack,
    kBeforeCommit,
    kAfterCommit
  };

  struct Options {
    Endpoint endpoint;
    std::size_t reader_threads = 2;
    std::size_t max_batch = 1024;
    Retry retry;
    // When set, each writer consults and fills a cache of stored rows a batch at a time
    // (Redis, shared with the other instances): one round trip a batch keeps the repeats it
    // knows away from the database.
    StoredRowCacheFactory stored_rows;
    // Tests only: called by a writer at each stage, with its connection; a MysqlError thrown
    // from it is handled as if the database had failed at that point (after kAfterInsert: the
    // statement refused; after kAfterCommit: a lost COMMIT reply).
    std::function<void(WriteStage, Connection&)> write_hook;
  };

  // Connects, applies the schema when it is missing and starts the threads; throws MysqlError
  // when the database cannot be reached or the schema cannot be applied.
  MysqlStore(Options options, metrics::Registry& metrics);
  ~MysqlStore() override;
  MysqlStore(const MysqlStore&) = delete;
  MysqlStore& operator=(const MysqlStore&) = delete;

  boost::asio::awaitable<InsertOutcome> insert(domain::Subscriber subscriber) override;
  void shutdown() override;
  std::string describe() const override { return options_.endpoint.describe(); }

  // Applies sql/mysql/schema.sql on a connection of its own. Idempotent.
  static void apply_schema(const Endpoint& endpoint);

  // True while the store answers every call with kUnavailable (between giving up on the
  // database and reconnecting to it).
  bool is_down() const { return down_.load(std::memory_order_acquire); }

  // Tests only: while held, writers leave accepted inserts in the queue, so the next batch
  // holds everything queued meanwhile.
  void hold_writes_for_testing(bool held);

 private:
  class Writer;
  class Reader;

  void run_writer(std::size_t index);
  void run_reader(std::size_t index);
  void run_monitor();
  void write_batch(Writer& writer, StoredRowCache* stored_rows, std::vector<PendingInsert>& batch);
  void enqueue_read(ReadJob job) override;

  // Gives up on the database: every call answers kUnavailable until the monitor reconnects.
  void mark_down(const std::string& reason);
  std::string down_reason() const;
  // Sleeps `backoff` unless the store goes down or stops first; false when it did.
  bool sleep_unless_down(std::chrono::milliseconds backoff);

  Options options_;
  metrics::Registry& metrics_;

  std::mutex write_mutex_;
  std::condition_variable write_ready_;
  std::vector<PendingInsert> write_queue_;
  bool stopping_ = false;
  // When retrying stops for every batch: set by shutdown() to one retry budget from then, so
  // that a failing database holds a stopping process for one budget, not one per batch. Once a
  // batch has failed for good while stopping, the batches after it fail without an attempt.
  static constexpr std::chrono::steady_clock::rep kNotDraining =
      std::chrono::steady_clock::time_point::max().time_since_epoch().count();
  std::atomic<std::chrono::steady_clock::rep> drain_deadline_{kNotDraining};
  std::atomic<bool> drain_failed_{false};
  bool writes_held_ = false;

  std::mutex read_mutex_;
  std::condition_variable read_ready_;
  std::deque<ReadJob> read_queue_;
  bool readers_stopping_ = false;

  std::atomic<bool> down_{false};
  mutable std::mutex state_mutex_;
  std::condition_variable state_changed_;
  std::string down_reason_;
  bool monitor_stopping_ = false;

  std::vector<std::unique_ptr<Writer>> writers_;
  std::vector<std::unique_ptr<Reader>> readers_;
  std::vector<std::thread> writer_threads_;
  std::vector<std::thread> reader_threads_;
  std::thread monitor_thread_;
  bool shut_down_ = false;
};

}  // namespace subscriberd::store::mysql
