#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "store/sqlite/page_cache.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_handle.h"
#include "store/sqlite/wal_write_buffer.h"
#include "util/async_bridge.h"
#include "util/log.h"
#include "util/stop_threads.h"
#include "util/thread_name.h"

namespace subscriberd::store::sqlite {
namespace {

// Back-pressure bounds: past these, requests are refused (503) instead of queued.
constexpr std::size_t kMaxQueuedPerBatch = 64;
constexpr std::size_t kMaxQueuedReads = 65'536;

// Once no checkpoint has been asked for this long (fewer than a checkpoint's worth of pages
// committed: at the default, under about 4,000 a second), the checkpointer empties a log file
// that grew past a restart's worth of checkpoints and one more (after a burst of inserts, or a
// reader that kept the log from starting again). Cutting the file holds commits back, about
// 80-130 ms for half a gigabyte on the benchmark's machine: once a burst, not at every restart.
constexpr auto kQuietBeforeCutBack = std::chrono::seconds(2);
// A restart that holds commits back this long or longer is logged (with its time, so that a
// latency spike can be matched to it); the shorter ones only go to the metric.
constexpr auto kLoggedRestartHold = std::chrono::milliseconds(100);

// Waiting for a lock: tries 100 us apart. The writer waits up to 5 s (as busy_timeout would);
// a restarting checkpoint, which holds commits back while it waits for readers to leave the
// log, gives up after about 20 ms and tries again at its next turn.
constexpr auto kBusyPoll = std::chrono::microseconds(100);
constexpr int kWriterBusyTries = 50'000;
constexpr int kCheckpointBusyTries = 200;

// The writer's cache is warmed this many rows of the e-mail index at a time (about 20 leaves:
// well under a millisecond from the kernel's cache, some milliseconds from the disk).
constexpr std::int64_t kWarmSliceRows = 1024;

constexpr std::string_view kColumns = "id, email, name, last_name, status, created_at";

// Syncs the database file and its log to the disk through the connection's own file handles.
// (Not through a descriptor opened here: closing any descriptor of the database file drops
// every POSIX lock the process holds on it, which SQLite relies on.) Errors are left to the
// checkpoint's own syncs, which follow and report them.
void sync_files(sqlite3* db) {
  for (const int which : {SQLITE_FCNTL_JOURNAL_POINTER, SQLITE_FCNTL_FILE_POINTER}) {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db, "main", which, &file) == SQLITE_OK && file != nullptr &&
        file->pMethods != nullptr) {
      file->pMethods->xSync(file, SQLITE_SYNC_NORMAL | SQLITE_SYNC_DATAONLY);
    }
  }
}

// One checkpoint pass in `mode`: SQLite's result code, the log's size in frames, and how many
// of them are now copied into the database.
struct CheckpointPass {
  int rc = SQLITE_OK;
  int log_frames = 0;
  int copied_frames = 0;
};
CheckpointPass checkpoint(sqlite3* db, int mode) {
  CheckpointPass pass;
  pass.rc = sqlite3_wal_checkpoint_v2(db, nullptr, mode, &pass.log_frames, &pass.copied_frames);
  return pass;
}

// Publishes how much of the log `pass` copied, for on_commit, as soon as the pass knows it:
// commits made during later passes then ask for another only once there is a checkpoint's
// worth. Returns that count.
int publish_copied(std::atomic<int>& copied_frames, const CheckpointPass& pass) {
  copied_frames.store(std::max(pass.copied_frames, 0), std::memory_order_relaxed);
  return pass.copied_frames;
}

// A duration as whole milliseconds, for the log.
std::string ms_text(std::chrono::steady_clock::duration duration) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count());
}

std::string select_sql(std::string_view where_and_order) {
  return "SELECT " + std::string(kColumns) + " FROM subscribers " + std::string(where_and_order);
}

}  // namespace

// The writing connection and its prepared statements; used by the writer thread only. It
// writes the log through wal_write_buffer_vfs(): one system call per commit, not two per page.
class SqliteStore::Writer {
 public:
  // `walks_skipped`: the page cache skips the truncations that cannot drop a page.
  Writer(const std::string& path, Synchronous synchronous, bool walks_skipped, int cache_mib)
      : warm_limit_bytes_(std::int64_t{cache_mib} * 1024 * 1024 / 10 * 9),
        db_(open_connection(path, false, synchronous, wal_write_buffer_vfs())),
        begin_(db_.get(), "BEGIN IMMEDIATE"),
        commit_(db_.get(), "COMMIT"),
        rollback_(db_.get(), "ROLLBACK"),
        insert_(db_.get(),
                "INSERT INTO subscribers (id, email, name, last_name, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING"),
        select_by_email_(db_.get(), select_sql("WHERE email = ?")),
        add_to_count_(db_.get(), "UPDATE subscriber_counts SET total = total + ? WHERE status = ?"),
        warm_(db_.get(), "SELECT email FROM subscribers WHERE email > ? ORDER BY email LIMIT ?") {
    // A larger cache than the readers' (Options::writer_cache_mib): it keeps the e-mail
    // index's leaves, and reads fewer pages back from the files. Only where the truncations
    // that find nothing are skipped: those walk the whole cache, and with SQLite's own a
    // larger one made each insert slower (docs/performance.md).
    if (walks_skipped)
      exec(db_.get(),
           ("PRAGMA cache_size = -" + std::to_string(std::int64_t{cache_mib} * 1024)).c_str());
  }

  sqlite3* handle() const { return db_.get(); }

  // Filling this connection's cache with the e-mail index, in key order, a slice at a time,
  // until the index ends or the cache is nine tenths full. A new e-mail's leaf is then in the
  // cache from the first insert on: cold, each insert read its leaf back from the file, and
  // after a start, or after a cut-back of the log (which makes SQLite drop this cache), the
  // first seconds of inserts waited on the disk one leaf at a time
  // (docs/performance-history.md, twenty-fifth round). The writer thread runs a slice only
  // while no insert is queued, so an insert waits for one slice at most.
  void start_warming() {
    warm_after_ = std::string();
    warm_rows_ = 0;
    warm_started_ = std::chrono::steady_clock::now();
  }
  bool warming() const { return warm_after_.has_value(); }

  // One slice of the warming. When it ends the warming, logs what it read.
  void warm_slice() {
    sqlite3_stmt* stmt = warm_.fresh();
    ResetOnExit reset(stmt);
    warm_.bind(1, *warm_after_);
    warm_.bind(2, std::int64_t{kWarmSliceRows});
    int rc = SQLITE_ROW;
    std::int64_t rows = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      ++rows;
      if (rows == kWarmSliceRows)
        warm_after_->assign(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
                            static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
    }
    warm_rows_ += rows;
    const bool failed = rc != SQLITE_DONE;
    if (!failed && rows == kWarmSliceRows && cache_bytes() < warm_limit_bytes_)
      return;  // more to read
    if (failed)
      log::warn("sqlite writer cache: warming stopped", {{"detail", sqlite3_errmsg(db_.get())}});
    if (warm_rows_ > 0)  // not for a new, empty database
      log::info("sqlite writer cache warmed",
                {{"rows", std::to_string(warm_rows_)},
                 {"mb", std::to_string(cache_bytes() / (1024 * 1024))},
                 {"ms", ms_text(std::chrono::steady_clock::now() - warm_started_)}});
    warm_after_.reset();
  }

  // Applies the schema; run once before any other connection is opened.
  static void apply_schema(const std::string& path) {
    Connection db = open_connection(path, false);
    sqlite::apply_schema(db.get());
  }

  // One transaction for the whole batch. Fills `outcomes` (same order as `batch`); returns
  // false when the transaction failed as a whole and nothing in it is known to be stored.
  bool commit(const std::vector<PendingInsert>& batch, std::vector<InsertOutcome>& outcomes) {
    outcomes.assign(batch.size(), InsertOutcome{});
    if (!step_done(begin_.fresh()))
      return false;
    std::array<std::int64_t, domain::kAllStatuses.size()> created_by_status{};

    for (std::size_t i = 0; i < batch.size(); ++i) {
      const domain::Subscriber& s = batch[i].subscriber;
      sqlite3_stmt* stmt = insert_.fresh();
      ResetOnExit reset(stmt);
      insert_.bind(1, static_cast<std::int64_t>(s.id));
      insert_.bind(2, s.email);
      insert_.bind(3, s.name);
      insert_.bind(4, s.last_name);
      insert_.bind(5, domain::to_string(s.status));
      insert_.bind(6, s.created_at_ms);
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE && sqlite3_changes(db_.get()) == 1) {
        outcomes[i] = {InsertOutcome::Kind::kCreated, s};
        ++created_by_status[static_cast<std::size_t>(s.status)];
      } else if (rc == SQLITE_DONE) {
        outcomes[i] = existing_row(s.email);
      } else if ((rc & 0xFF) == SQLITE_CONSTRAINT) {
        // Not the e-mail (that conflict is absorbed above): an id collision or a CHECK.
        log::error("insert refused by a constraint", {{"detail", sqlite3_errmsg(db_.get())}});
        outcomes[i] = {InsertOutcome::Kind::kError, {}, StoreError::kFailed};
      } else {
        log::error("insert failed", {{"detail", sqlite3_errmsg(db_.get())}});
        step_done(rollback_.fresh());
        return false;
      }
    }

    for (std::size_t st = 0; st < created_by_status.size(); ++st) {
      if (created_by_status[st] == 0)
        continue;
      sqlite3_stmt* stmt = add_to_count_.fresh();
      add_to_count_.bind(1, created_by_status[st]);
      add_to_count_.bind(2, domain::to_string(domain::kAllStatuses[st]));
      if (!step_done(stmt)) {
        step_done(rollback_.fresh());
        return false;
      }
    }
    if (!step_done(commit_.fresh())) {
      step_done(rollback_.fresh());
      return false;
    }
    return true;
  }

 private:
  InsertOutcome existing_row(const std::string& email) {
    sqlite3_stmt* stmt = select_by_email_.fresh();
    ResetOnExit reset(stmt);
    select_by_email_.bind(1, email);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      return {InsertOutcome::Kind::kDuplicate, read_subscriber(stmt)};
    }
    return {InsertOutcome::Kind::kError, {}, StoreError::kFailed};
  }

  // Runs a statement that returns no rows; `stmt` is fresh and bound.
  bool step_done(sqlite3_stmt* stmt) {
    ResetOnExit reset(stmt);
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
      log::error("sqlite statement failed", {{"detail", sqlite3_errmsg(db_.get())}});
      return false;
    }
    return true;
  }

  // What SQLite's cache holds, in bytes. (An int inside SQLite: hence writer_cache_mb's bound.)
  std::int64_t cache_bytes() const {
    int used = 0;
    int highest = 0;
    sqlite3_db_status(db_.get(), SQLITE_DBSTATUS_CACHE_USED, &used, &highest, 0);
    return used;
  }

  const std::int64_t warm_limit_bytes_;  // nine tenths of the cache: the warming stops there
  Connection db_;
  Statement begin_, commit_, rollback_, insert_, select_by_email_, add_to_count_, warm_;
  std::optional<std::string> warm_after_;  // warming: the last e-mail read; none: not warming
  std::int64_t warm_rows_ = 0;
  std::chrono::steady_clock::time_point warm_started_;
};

// A reading connection and its prepared statements; used by one reader thread only.
class SqliteStore::Reader {
 public:
  explicit Reader(const std::string& path)
      : db_(open_connection(path, true)),
        begin_(db_.get(), "BEGIN"),
        end_(db_.get(), "COMMIT"),
        by_email_(db_.get(), select_sql("WHERE email = ?")),
        by_id_(db_.get(), select_sql("WHERE id = ?")),
        newest_(db_.get(), select_sql("ORDER BY id DESC LIMIT ?")),
        older_(db_.get(), select_sql("WHERE id < ? ORDER BY id DESC LIMIT ?")),
        newer_(db_.get(), select_sql("WHERE id > ? ORDER BY id ASC LIMIT ?")),
        newest_with_status_(db_.get(), select_sql("WHERE status = ? ORDER BY id DESC LIMIT ?")),
        older_with_status_(db_.get(),
                           select_sql("WHERE status = ? AND id < ? ORDER BY id DESC LIMIT ?")),
        newer_with_status_(db_.get(),
                           select_sql("WHERE status = ? AND id > ? ORDER BY id ASC LIMIT ?")),
        total_(db_.get(), "SELECT COALESCE(SUM(total), 0) FROM subscriber_counts"),
        total_with_status_(db_.get(), "SELECT total FROM subscriber_counts WHERE status = ?") {}

  FindOutcome find(const domain::LookupKey& key) {
    const Statement& statement = key.kind == domain::LookupKey::Kind::kEmail ? by_email_ : by_id_;
    sqlite3_stmt* stmt = statement.fresh();
    ResetOnExit reset(stmt);
    if (key.kind == domain::LookupKey::Kind::kEmail) {
      statement.bind(1, key.email);
    } else {
      statement.bind(1, static_cast<std::int64_t>(key.id));
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
      return {read_subscriber(stmt)};
    if (rc == SQLITE_DONE)
      return {};
    return failure();
  }

  ListOutcome list(const domain::KeysetQuery& query) {
    // Rows and total from one read transaction: one snapshot, so they agree.
    {
      sqlite3_stmt* begin = begin_.fresh();
      ResetOnExit reset(begin);
      if (sqlite3_step(begin) != SQLITE_DONE)
        return {{}, 0, failure().error};
    }
    ListOutcome outcome = list_in_snapshot(query);
    sqlite3_stmt* end = end_.fresh();
    ResetOnExit reset(end);
    if (sqlite3_step(end) != SQLITE_DONE)
      return {{}, 0, failure().error};
    return outcome;
  }

  HealthOutcome check() {
    sqlite3_stmt* stmt = total_.fresh();
    ResetOnExit reset(stmt);
    if (sqlite3_step(stmt) == SQLITE_ROW)
      return {true, "ok"};
    return {false, sqlite3_errmsg(db_.get())};
  }

 private:
  ListOutcome list_in_snapshot(const domain::KeysetQuery& query) {
    using Direction = domain::Cursor::Direction;
    const bool filtered = query.status.has_value();
    const Statement* statement = nullptr;
    if (!query.anchor) {
      statement = filtered ? &newest_with_status_ : &newest_;
    } else if (query.direction == Direction::kOlder) {
      statement = filtered ? &older_with_status_ : &older_;
    } else {
      statement = filtered ? &newer_with_status_ : &newer_;
    }
    sqlite3_stmt* stmt = statement->fresh();
    ResetOnExit reset_rows(stmt);
    int index = 1;
    if (filtered)
      statement->bind(index++, domain::to_string(*query.status));
    if (query.anchor)
      statement->bind(index++, static_cast<std::int64_t>(*query.anchor));
    statement->bind(index, static_cast<std::int64_t>(query.fetch_limit));

    ListOutcome outcome;
    outcome.rows.reserve(query.fetch_limit);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
      outcome.rows.push_back(read_subscriber(stmt));
    if (rc != SQLITE_DONE)
      return {{}, 0, failure().error};

    const Statement& count = filtered ? total_with_status_ : total_;
    sqlite3_stmt* count_stmt = count.fresh();
    ResetOnExit reset_count(count_stmt);
    if (filtered)
      count.bind(1, domain::to_string(*query.status));
    if (sqlite3_step(count_stmt) != SQLITE_ROW)
      return {{}, 0, failure().error};
    outcome.total = static_cast<std::uint64_t>(sqlite3_column_int64(count_stmt, 0));
    return outcome;
  }

  FindOutcome failure() {
    log::error("sqlite read failed", {{"detail", sqlite3_errmsg(db_.get())}});
    return {std::nullopt, StoreError::kFailed};
  }

  Connection db_;
  Statement begin_, end_, by_email_, by_id_, newest_, older_, newer_, newest_with_status_,
      older_with_status_, newer_with_status_, total_, total_with_status_;
};

SqliteStore::SqliteStore(Options options, metrics::Registry& metrics)
    : options_(std::move(options)), restart_policy_(options_.checkpoint_frames), metrics_(metrics) {
  // Before SQLite's first connection, when SQLite still takes process-wide settings.
  if (!turn_off_memory_statistics())
    log::warn("sqlite memory statistics: left on, since SQLite was in use before the store");
  const bool walks_skipped = install_page_cache();
  if (!walks_skipped)
    log::warn("sqlite page cache: SQLite's own, since SQLite was in use before the store");
  const std::filesystem::path file(options_.path);
  if (file.has_parent_path())
    std::filesystem::create_directories(file.parent_path());
  Writer::apply_schema(options_.path);
  writer_ = std::make_unique<Writer>(options_.path, options_.synchronous, walks_skipped,
                                     options_.writer_cache_mib);
  // With SQLite's own cache, the writer's is no larger than a reader's: nothing to warm.
  writer_cache_warmable_ = walks_skipped;
  warm_writer_cache_ = walks_skipped;  // before the writer thread starts: no lock needed
  // Replaces SQLite's automatic checkpoint, which would run on the writer thread.
  sqlite3_wal_hook(writer_->handle(), &SqliteStore::on_commit, this);
  // When the log starts again it is overwritten from its beginning; its file keeps the size
  // it grew to. Cutting the file back at a restart (journal_size_limit) would do so on the
  // writer's thread, in the first commit after it, and under a sustained load of new
  // subscribers the log grows past any such limit before each restart: every restart then
  // freed the blocks of hundreds of megabytes there (synchronous discards, on a filesystem
  // mounted with `discard`) and grew them again. The checkpointer cuts it back instead, once
  // inserts have gone quiet (cut_back_log_if_grown; docs/performance-history.md,
  // twenty-third round).
  exec(writer_->handle(), "PRAGMA journal_size_limit = -1");
  log_cut_back_bytes_ = std::int64_t{RestartPolicy::kRestartAfterCheckpoints + 1} *
                        options_.checkpoint_frames *
                        (query_int(writer_->handle(), "PRAGMA page_size") + 24);
  checkpoint_db_ = open_connection(options_.path, false, options_.synchronous);
  // The log's name as SQLite resolved it (a URI filename, a symbolic link), not the option's.
  if (const char* log = sqlite3_filename_wal(sqlite3_db_filename(checkpoint_db_.get(), "main")))
    log_path_ = log;
  sqlite3_busy_handler(writer_->handle(), &SqliteStore::poll_when_busy,
                       const_cast<int*>(&kWriterBusyTries));
  sqlite3_busy_handler(checkpoint_db_.get(), &SqliteStore::poll_when_busy,
                       const_cast<int*>(&kCheckpointBusyTries));
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.reader_threads); ++i) {
    readers_.push_back(std::make_unique<Reader>(options_.path));
  }
  writer_thread_ = std::thread([this] {
    util::name_this_thread("sqlite-writer");
    run_writer();
  });
  checkpointer_thread_ = std::thread([this] {
    util::name_this_thread("sqlite-ckpt");
    run_checkpointer();
  });
  for (std::size_t i = 0; i < readers_.size(); ++i) {
    reader_threads_.emplace_back([this, i] {
      util::name_this_thread("sqlite-rd-" + std::to_string(i));
      run_reader(i);
    });
  }
}

SqliteStore::~SqliteStore() {
  shutdown();
}

boost::asio::awaitable<InsertOutcome> SqliteStore::insert(domain::Subscriber subscriber) {
  return util::complete_elsewhere<InsertOutcome>([this, s = std::move(subscriber)](
                                                     util::Completion<InsertOutcome>
                                                         completion) mutable {
    std::unique_lock lock(write_mutex_);
    // A full queue means the disk cannot keep up: shed load now rather than let every request
    // wait longer and longer.
    if (stopping_ || write_queue_.size() >= kMaxQueuedPerBatch * options_.max_batch) {
      lock.unlock();
      std::move(completion).complete({InsertOutcome::Kind::kError, {}, StoreError::kUnavailable});
      return;
    }
    write_queue_.push_back({std::move(s), std::move(completion), std::chrono::steady_clock::now()});
    const bool wake = wakes_writer(write_queue_.size(), options_.max_batch);
    lock.unlock();
    if (wake)
      write_ready_.notify_one();
  });
}

void SqliteStore::run_writer() {
  std::vector<PendingInsert> batch;
  std::vector<InsertOutcome> outcomes;
  std::size_t last_batch = 0;
  for (;;) {
    {
      std::unique_lock lock(write_mutex_);
      write_ready_.wait(lock, [&] {
        return !write_queue_.empty() || stopping_ || warm_writer_cache_ || writer_->warming();
      });
      if (write_queue_.empty()) {
        if (stopping_)
          return;  // every accepted insert is done
        // Idle: warm the cache a slice at a time, answering any insert that comes meanwhile.
        const bool from_start = std::exchange(warm_writer_cache_, false);
        lock.unlock();
        if (from_start)
          writer_->start_warming();
        writer_->warm_slice();
        continue;
      }
      wait_for_fuller_batch(lock, write_ready_, write_queue_, stopping_, last_batch,
                            options_.max_batch, options_.batch_wait);
      if (write_queue_.size() <= options_.max_batch) {
        batch.swap(write_queue_);
      } else {
        auto split = write_queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        batch.assign(std::make_move_iterator(write_queue_.begin()), std::make_move_iterator(split));
        write_queue_.erase(write_queue_.begin(), split);
      }
    }

    const auto started = std::chrono::steady_clock::now();
    observe_queue_wait(metrics_.store_queue_wait_seconds, batch, started);
    last_batch = batch.size();
    const bool committed = writer_->commit(batch, outcomes);
    metrics_.store_batch_size.observe(static_cast<double>(batch.size()));
    metrics_.store_commit_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

    util::CompletionBatch<InsertOutcome> answers;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      InsertOutcome outcome =
          committed ? std::move(outcomes[i])
                    : InsertOutcome{InsertOutcome::Kind::kError, {}, StoreError::kUnavailable};
      answers.add(std::move(batch[i].completion), std::move(outcome));
    }
    answers.post();
    batch.clear();
  }
}

int SqliteStore::on_commit(void* store, sqlite3*, const char*, int log_frames) {
  auto* self = static_cast<SqliteStore*>(store);
  int copied = self->copied_frames_.load(std::memory_order_relaxed);
  if (log_frames < copied) {
    copied = 0;  // the log started again from its beginning
    self->copied_frames_.store(0, std::memory_order_relaxed);
  }
  if (log_frames - copied >= self->options_.checkpoint_frames) {
    {
      std::lock_guard lock(self->checkpoint_mutex_);
      self->log_frames_ = log_frames;
    }
    self->checkpoint_wanted_.notify_one();
  }
  return SQLITE_OK;
}

int SqliteStore::poll_when_busy(void* most_tries, int attempts) {
  // The writer and the checkpointer wait for each other for moments of a millisecond or so
  // (a commit; the end of a restarting checkpoint). SQLite's default busy handler sleeps 1, 2,
  // 5, 10, 15, 20, 25... ms between tries, so a wait of 2 ms could cost 100 ms, and every
  // insert queued behind it would wait as long.
  if (attempts >= *static_cast<const int*>(most_tries))
    return 0;
  std::this_thread::sleep_for(kBusyPoll);
  return 1;
}

void SqliteStore::run_checkpointer() {
  sqlite3* db = checkpoint_db_.get();
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mutex_);
      const bool wanted = checkpoint_wanted_.wait_for(
          lock, kQuietBeforeCutBack, [&] { return log_frames_ > 0 || checkpointer_stopping_; });
      if (checkpointer_stopping_)
        return;  // closing the last connection checkpoints what is left
      if (!wanted) {
        lock.unlock();
        cut_back_log_if_grown(db);
        continue;
      }
      log_frames_ = 0;
    }
    const auto started = std::chrono::steady_clock::now();
    // Copies what no reader still needs, beside the writer, which goes on committing.
    const CheckpointPass pass = checkpoint(db, SQLITE_CHECKPOINT_PASSIVE);
    int rc = pass.rc;
    if (rc == SQLITE_OK)
      publish_copied(copied_frames_, pass);
    // The log's size as this pass found it decides, not the size that asked for the pass.
    if (rc == SQLITE_OK && restart_policy_.restart_due(pass.log_frames)) {
      rc = restart_log(db, pass.copied_frames);
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      log::warn("sqlite checkpoint failed", {{"detail", sqlite3_errmsg(db)}});
    metrics_.store_checkpoint_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
}

int SqliteStore::restart_log(sqlite3* db, int copied_frames) {
  // A restart holds commits back from its start to its end: it copies what is left of the
  // log and syncs the database (scattered writes, since new keys land all over the index).
  // Beforehand, without holding anything: sync what the pass before copied (a pass that leaves
  // part of the log uncopied does not sync the database), then copy and sync in turn, each
  // pass taking in what was committed during the one before, until one finds little new, or
  // no less than the one before; the restart is then left about that much. (With a single
  // pass and sync, it was left the thousands of pages committed during the long first sync,
  // and the slowest commits took 100 to 250 ms; then under 100. See docs/performance.md.)
  int copied = copied_frames;
  int log_frames = 0;
  int taken_in = 0;
  sync_files(db);
  for (int pass = 0, taken_in_before = 0;; ++pass, taken_in_before = taken_in) {
    const CheckpointPass catch_up = checkpoint(db, SQLITE_CHECKPOINT_PASSIVE);
    if (catch_up.rc != SQLITE_OK)
      return catch_up.rc;
    taken_in = catch_up.copied_frames - copied;
    log_frames = catch_up.log_frames;
    copied = publish_copied(copied_frames_, catch_up);
    sync_files(db);
    if (restart_policy_.catch_up_done(pass, taken_in, taken_in_before))
      break;
  }
  // Passes that levelled off high: the disk is behind, and the restart waits for a later turn.
  if (!restart_policy_.restart_now(taken_in, log_frames)) {
    metrics_.store_log_restarts_postponed.inc();
    return SQLITE_OK;
  }

  const auto held = std::chrono::steady_clock::now();
  const CheckpointPass restart = checkpoint(db, SQLITE_CHECKPOINT_RESTART);
  if (restart.rc == SQLITE_OK) {
    publish_copied(copied_frames_, restart);
    const auto hold = std::chrono::steady_clock::now() - held;
    metrics_.store_log_restart_hold_seconds.observe(std::chrono::duration<double>(hold).count());
    if (hold >= kLoggedRestartHold) {
      log::info(
          "sqlite log restart held commits",
          {{"ms", ms_text(hold)}, {"frames_copied", std::to_string(restart.log_frames - copied)}});
    }
  }
  // Done: the writer's next commit starts the log again (and on_commit sees it shrink). The
  // requests made meanwhile were for the log just emptied; one more pass would find it still
  // looking full until that commit, and restart it again, holding commits back a second time
  // for nothing. Busy (a reader stayed on the log): the passes' progress stands, so the next
  // try comes after the log has grown by another checkpoint's worth.
  std::lock_guard lock(checkpoint_mutex_);
  log_frames_ = 0;
  return restart.rc;
}

void SqliteStore::cut_back_log_if_grown(sqlite3* db) {
  std::error_code error;
  const std::uintmax_t log_bytes = std::filesystem::file_size(log_path_, error);
  if (error || log_bytes <= static_cast<std::uintmax_t>(log_cut_back_bytes_))
    return;
  const auto started = std::chrono::steady_clock::now();
  // Up to a checkpoint's worth of the log is still to copy: copied and synced first, without
  // holding anything, so that the hold below is little more than the cut itself.
  const CheckpointPass pass = checkpoint(db, SQLITE_CHECKPOINT_PASSIVE);
  if (pass.rc == SQLITE_OK) {
    publish_copied(copied_frames_, pass);
    sync_files(db);
  }
  {
    // Inserts came back meanwhile, a checkpoint's worth already: not held for the cut; the
    // next quiet spell tries again.
    std::lock_guard lock(checkpoint_mutex_);
    if (log_frames_ > 0)
      return;
  }
  // Copies what came meanwhile, syncs the database and empties the log file, holding commits
  // back. Busy (a reader is still on the log): tried again after the next quiet spell.
  const auto held = std::chrono::steady_clock::now();
  const CheckpointPass cut = checkpoint(db, SQLITE_CHECKPOINT_TRUNCATE);
  if (cut.rc == SQLITE_OK) {
    copied_frames_.store(0, std::memory_order_relaxed);
    cut_back_failing_ = false;
    const auto done = std::chrono::steady_clock::now();
    log::info("sqlite log cut back", {{"bytes", std::to_string(log_bytes)},
                                      {"ms", ms_text(done - started)},
                                      {"commits_held_ms", ms_text(done - held)}});
    metrics_.store_checkpoint_seconds.observe(
        std::chrono::duration<double>(done - started).count());
    metrics_.store_log_restart_hold_seconds.observe(
        std::chrono::duration<double>(done - held).count());
    // The log's header changed under the writer: its next transaction drops its whole cache.
    if (writer_cache_warmable_) {
      {
        std::lock_guard lock(write_mutex_);
        warm_writer_cache_ = true;
      }
      write_ready_.notify_one();
    }
  } else if ((cut.rc & 0xFF) != SQLITE_BUSY && !cut_back_failing_) {
    // Said once, not at every quiet spell while it lasts.
    cut_back_failing_ = true;
    log::warn("sqlite log cut back failed", {{"detail", sqlite3_errmsg(db)}});
  }
}

void SqliteStore::enqueue_read(ReadJob job) {
  std::unique_lock lock(read_mutex_);
  if (readers_stopping_ || read_queue_.size() >= kMaxQueuedReads) {
    lock.unlock();
    fail_read(job, StoreError::kUnavailable, "sqlite store is stopping or overloaded");
    return;
  }
  read_queue_.push_back(std::move(job));
  lock.unlock();
  read_ready_.notify_one();
}

void SqliteStore::run_reader(std::size_t index) {
  Reader& reader = *readers_[index];
  for (;;) {
    std::optional<ReadJob> job;
    {
      std::unique_lock lock(read_mutex_);
      read_ready_.wait(lock, [&] { return !read_queue_.empty() || readers_stopping_; });
      if (read_queue_.empty())
        return;
      job.emplace(std::move(read_queue_.front()));
      read_queue_.pop_front();
    }
    std::visit(
        [&](auto& j) {
          using Job = std::decay_t<decltype(j)>;
          if constexpr (std::is_same_v<Job, FindJob>) {
            std::move(j.completion).complete(reader.find(j.key));
          } else if constexpr (std::is_same_v<Job, ListJob>) {
            std::move(j.completion).complete(reader.list(j.query));
          } else {
            std::move(j.completion).complete(reader.check());
          }
        },
        *job);
  }
}

std::string SqliteStore::describe() const {
  return "sqlite:" + options_.path +
         (options_.synchronous == Synchronous::kFull ? "?synchronous=full"
                                                     : "?synchronous=normal") +
         "&checkpoint_pages=" + std::to_string(options_.checkpoint_frames) +
         "&batch_wait_us=" + std::to_string(options_.batch_wait.count()) +
         "&writer_cache_mb=" + std::to_string(options_.writer_cache_mib);
}

void SqliteStore::shutdown() {
  if (shut_down_)
    return;
  shut_down_ = true;
  util::stop_and_join(write_mutex_, stopping_, write_ready_, writer_thread_);
  util::stop_and_join(checkpoint_mutex_, checkpointer_stopping_, checkpoint_wanted_,
                      checkpointer_thread_);
  checkpoint_db_.reset();
  util::stop_and_join(read_mutex_, readers_stopping_, read_ready_, reader_threads_);
  log::info("sqlite store closed", {{"path", options_.path}});
}

}  // namespace subscriberd::store::sqlite
