#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "metrics/metrics.h"
#include "store/sqlite/restart_policy.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/store_jobs.h"
#include "store/subscriber_store.h"
#include "util/async_bridge.h"

namespace subscriberd::store::sqlite {

// The embedded store of record: one SQLite file in WAL mode.
//
// Writes: one writer thread owns the only writing connection. Concurrent inserts queue up
// while it commits; it then takes every queued insert (up to max_batch) into one transaction
// (group commit), so one fsync acknowledges the whole batch, and completes each request with
// its own outcome. The unique index on email decides duplicates, inside the transaction.
//
// Checkpoints (copying the log back into the database file) run on their own thread and
// connection, so a commit never waits behind one: the writer only signals when the log has
// grown by Options::checkpoint_frames (docs/performance.md has the before and after). The log
// file keeps the size it grew to while inserts go on; once they go quiet, the checkpointer
// empties it if it grew past a restart's worth of checkpoints and one more.
//
// Reads: a few reader threads, each with its own connection; WAL snapshots mean readers
// never wait for the writer.
class SqliteStore final : public QueuedReadStore {
 public:
  struct Options {
    std::string path;
    std::size_t reader_threads = 2;
    std::size_t max_batch = 1024;
    Synchronous synchronous = Synchronous::kNormal;
    // Log size, in pages, at which the checkpointer copies the log into the database; past 8x
    // this it also holds commits back while the log is copied to its end and starts again
    // (tens of milliseconds; docs/architecture.md).
    int checkpoint_frames = 8000;
    // While inserts arrive faster than one at a time, how long the writer may wait for a
    // fuller batch before it commits (0: never; the inserts queued during a commit then make
    // the next batch). Bigger batches share a commit's fixed pages (the table's last leaf, the
    // status index, the counts, the header), so the log shrinks and the writer does less work
    // per row. The default favours a new subscriber's latency: a 1 ms wait costs each about
    // that; it saves 4-7% of the server's CPU in the benchmark's open-loop mix at 33,400 req/s,
    // and 11-24% at 40-70% of that rate, where commits without it hold one to three rows
    // (docs/performance.md).
    std::chrono::microseconds batch_wait{0};
    // The writer's page cache, in MiB. New e-mails land all over the e-mail index, one leaf a
    // row: a leaf missing from this cache is read back from the file, and the insert, with
    // every insert queued behind it, waits for the disk whenever the kernel has dropped that
    // page from its own cache. 256 MiB holds the index of about 3.8 million subscribers. Pages
    // are allocated as they are first read, so a smaller database costs no more
    // (docs/performance-history.md, twenty-fifth round).
    int writer_cache_mib = 256;
  };

  // Opens the file, applies the schema and starts the threads; throws on failure.
  SqliteStore(Options options, metrics::Registry& metrics);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  boost::asio::awaitable<InsertOutcome> insert(domain::Subscriber subscriber) override;
  void shutdown() override;
  std::string describe() const override;

 private:
  class Writer;
  class Reader;

  void enqueue_read(ReadJob job) override;
  void run_writer();
  void run_checkpointer();
  // Copies the log in passes beside the writer, then starts it again from its beginning,
  // holding commits back, unless the passes show the disk behind the inserts. Called after a
  // pass found the log past a restart's worth with `copied_frames` of it copied; on the
  // checkpointer thread. Returns SQLite's result code.
  int restart_log(sqlite3* db, int copied_frames);
  // Empties the log file if it is larger than log_cut_back_bytes_; on the checkpointer thread.
  void cut_back_log_if_grown(sqlite3* db);
  void run_reader(std::size_t index);
  // sqlite3_wal_hook callback: runs on the writer thread after every commit.
  static int on_commit(void* store, sqlite3* db, const char* name, int log_frames);
  // sqlite3_busy_handler of the writing and the checkpointing connections.
  static int poll_when_busy(void* most_tries, int attempts);

  Options options_;
  RestartPolicy restart_policy_;
  metrics::Registry& metrics_;

  std::mutex write_mutex_;
  std::condition_variable write_ready_;
  std::vector<PendingInsert> write_queue_;
  bool stopping_ = false;  // guarded by both queue mutexes' owners: set under each
  // The writer is to fill its cache from the e-mail index again, from the start, while idle:
  // at open, and after each cut-back of the log. Guarded by write_mutex_.
  bool warm_writer_cache_ = false;
  bool writer_cache_warmable_ = false;  // set at open: the writer's cache is the larger one

  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wanted_;
  int log_frames_ = 0;  // log size at the last commit, in frames; 0: no checkpoint wanted
  std::atomic<int> copied_frames_{0};  // of the log, copied by the last checkpoint
  bool checkpointer_stopping_ = false;
  // Past this size the checkpointer empties the log file once inserts have gone quiet: a
  // restart's worth of checkpoints and one more. Used by the checkpointer thread only, as are
  // the two below.
  std::int64_t log_cut_back_bytes_ = 0;
  std::string log_path_;
  bool cut_back_failing_ = false;  // a failure was logged, and no cut-back has worked since

  std::mutex read_mutex_;
  std::condition_variable read_ready_;
  std::deque<ReadJob> read_queue_;
  bool readers_stopping_ = false;

  std::unique_ptr<Writer> writer_;
  std::vector<std::unique_ptr<Reader>> readers_;
  Connection checkpoint_db_;
  std::thread writer_thread_;
  std::thread checkpointer_thread_;
  std::vector<std::thread> reader_threads_;
  bool shut_down_ = false;
};

}  // namespace subscriberd::store::sqlite
