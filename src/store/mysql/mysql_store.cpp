#include "store/mysql/mysql_store.h"

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "store/mysql/mysql_handle.h"
#include "util/async_bridge.h"
#include "util/log.h"
#include "util/stop_threads.h"
#include "util/thread_name.h"

namespace subscriberd::embedded {
extern const std::string_view kMysqlSchema;
}

namespace subscriberd::store::mysql {
namespace {

using Clock = std::chrono::steady_clock;

// Back-pressure bounds, as in the SQLite store: past these, requests are refused (503) instead
// of queued.
constexpr std::size_t kMaxQueuedPerBatch = 64;
constexpr std::size_t kMaxQueuedReads = 65'536;

constexpr std::string_view kColumns = "id, email, name, last_name, status, created_at";

// Counter rows per status; must match the rows sql/mysql/schema.sql seeds. Each write
// transaction adds to the rows of one slot chosen at random, so writers of several instances
// seldom wait for the same row; readers sum the slots.
constexpr unsigned kCounterSlots = 16;

// One INSERT (and one SELECT) covers at most this many rows and roughly this many bytes of
// values, far below max_allowed_packet (4 MiB by default on MySQL 5.7) and the 65535
// placeholders a prepared statement may have. A batch larger than that runs several
// statements in the same transaction.
constexpr std::size_t kMaxRowsPerStatement = 1024;
constexpr std::size_t kMaxBytesPerStatement = 512 * 1024;
// After this many refused statements in one batch the rest of it fails: each refusal costs a
// rollback and a rerun, and an error that is not the rows' (a full disk, a missing table)
// would refuse them one by one.
constexpr int kMaxRefusalsPerBatch = 16;

std::string select_sql(std::string_view rest) {
  return "SELECT " + std::string(kColumns) + " FROM subscribers " + std::string(rest);
}

// Statements are prepared for row counts that are powers of two; a chunk in between repeats
// one of its rows, which the statements absorb (the repeated row conflicts with itself).
std::size_t bucket_for(std::size_t rows) {
  std::size_t bucket = 1;
  while (bucket < rows)
    bucket <<= 1;
  return bucket;
}

std::string placeholders(std::size_t rows, std::string_view group) {
  std::string out;
  out.reserve(rows * (group.size() + 2));
  for (std::size_t i = 0; i < rows; ++i) {
    if (i > 0)
      out += ", ";
    out += group;
  }
  return out;
}

// The write: a conflict on the e-mail (or the id) leaves the stored row as it is. Unlike
// INSERT IGNORE, this absorbs duplicate keys only: any other problem with a row is an error.
std::string insert_sql(std::size_t rows) {
  return "INSERT INTO subscribers (" + std::string(kColumns) + ") VALUES " +
         placeholders(rows, "(?, ?, ?, ?, ?, ?)") + " ON DUPLICATE KEY UPDATE id = id";
}

// A locking read: it returns the latest committed rows whatever the isolation level, and waits
// for any transaction still writing them.
std::string select_by_emails_sql(std::size_t rows) {
  return select_sql("WHERE email IN (" + placeholders(rows, "?") + ") FOR UPDATE");
}

using StatusCounts = std::array<std::int64_t, domain::kAllStatuses.size()>;

// Adds `created` to the counter rows of one slot, then commits: one round trip for the two.
// Text SQL, as a prepared statement cannot carry a second statement; every value in it is a
// number.
std::string count_and_commit_sql(const StatusCounts& created, unsigned slot) {
  std::string cases;
  std::string names;
  for (domain::Status status : domain::kAllStatuses) {
    const std::string quoted = "'" + std::string(domain::to_string(status)) + "'";
    cases +=
        " WHEN " + quoted + " THEN " + std::to_string(created[static_cast<std::size_t>(status)]);
    if (!names.empty())
      names += ", ";
    names += quoted;
  }
  return "UPDATE subscriber_counts SET total = total + CASE status" + cases +
         " ELSE 0 END WHERE slot = " + std::to_string(slot) + " AND status IN (" + names +
         "); COMMIT";
}

// Stored e-mails are ASCII and at most 254 bytes (see domain/email.h); a key outside that
// cannot match a row, and is not sent to the server (which would refuse to compare it).
bool could_be_stored(std::string_view email) {
  if (email.empty() || email.size() > 254)
    return false;
  return std::all_of(email.begin(), email.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::size_t row_bytes(const domain::Subscriber& s) {
  return s.email.size() + s.name.size() + s.last_name.size() + 64;
}

// Splits rows (in the order they are written) into statement-sized chunks.
template <typename Item>
std::vector<std::vector<Item*>> chunks_of(const std::vector<Item*>& items) {
  std::vector<std::vector<Item*>> chunks;
  std::size_t bytes = 0;
  for (Item* item : items) {
    const std::size_t size = row_bytes(item->subscriber());
    if (chunks.empty() || chunks.back().size() >= kMaxRowsPerStatement ||
        bytes + size > kMaxBytesPerStatement) {
      chunks.emplace_back();
      bytes = 0;
    }
    chunks.back().push_back(item);
    bytes += size;
  }
  return chunks;
}

}  // namespace

// The writing connection, its prepared statements and one transaction's logic; used by one
// writer thread only.
class MysqlStore::Writer {
 public:
  struct Item {
    PendingInsert* pending = nullptr;
    bool resolved = false;
    InsertOutcome outcome;
    // Inserted in a statement of its own: a statement that carried it with others was refused.
    bool alone = false;
    // Answered as a duplicate from the cache of stored rows, without the database.
    bool known = false;

    const domain::Subscriber& subscriber() const { return pending->subscriber; }
  };

  explicit Writer(const Options& options) : options_(options), random_(std::random_device{}()) {}

  // One transaction over the unresolved items (in id order). Resolves each item it decides;
  // the decisions stand only once COMMIT succeeded, except those of the re-check, which read
  // committed rows, and the failures of rows the server refused, which nothing stored.
  //
  // `recheck`: an earlier COMMIT of these items went unanswered. Rows carrying our ids are
  // then proof that it committed (with its counter updates), so those items are created
  // without being counted again; rows with other ids make duplicates; the rest is inserted.
  //
  // Throws MysqlError; `commit_sent` then tells whether the failure came after COMMIT was
  // sent, leaving its outcome unknown.
  //
  // A statement the server refuses (for a reason other than a duplicate: those are absorbed)
  // rolls the transaction back and starts it again: whether the server undid the statement
  // alone or the whole transaction depends on the error, and starting again is right for both.
  // The refused statement's rows then go one statement each, and a row refused on its own
  // fails; after kMaxRefusalsPerBatch refusals the rest of the batch fails with it.
  void transact(std::vector<Item>& items, bool recheck, bool& commit_sent) {
    for (int refusals = 0;; ++refusals) {
      try {
        transact_once(items, recheck, commit_sent);
        return;
      } catch (const StartAgain&) {
        rollback_quietly();  // StartAgain never leaves this function
      }
      if (refusals + 1 == kMaxRefusalsPerBatch) {
        log::error("the database refused rows of one batch too many times; failing the rest",
                   {{"refusals", std::to_string(kMaxRefusalsPerBatch)}});
        for (Item& item : items) {
          if (!item.resolved)
            resolve(item, {InsertOutcome::Kind::kError, {}, StoreError::kFailed});
        }
        return;
      }
    }
  }

  // Resolves, as duplicates, the items whose e-mail the cache of stored rows holds; returns
  // how many.
  static std::uint64_t answer_known(StoredRowCache& stored_rows, std::vector<Item>& items) {
    std::vector<std::string_view> emails;
    emails.reserve(items.size());
    for (const Item& item : items)
      emails.push_back(item.subscriber().email);
    std::vector<std::optional<domain::Subscriber>> known;
    stored_rows.find(emails, known);
    std::uint64_t answered = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!known[i])
        continue;
      ++answered;
      // Rows are insert-only: a row the cache holds is stored, and this request repeats it.
      items[i].resolved = true;
      items[i].known = true;
      items[i].outcome = InsertOutcome{InsertOutcome::Kind::kDuplicate, std::move(*known[i])};
    }
    return answered;
  }

  void rollback_quietly() {
    if (connection_)
      connection_->rollback_quietly();
  }

  // Forgets the connection (and so its statements and any open transaction).
  void drop() {
    inserts_.clear();
    selects_.clear();
    connection_.reset();
  }

 private:
  // Thrown by insert_statement when a statement was refused; transact catches it.
  struct StartAgain {};

  void transact_once(std::vector<Item>& items, bool recheck, bool& commit_sent) {
    commit_sent = false;
    connection();
    std::vector<Item*> todo;
    for (Item& item : items) {
      if (!item.resolved)
        todo.push_back(&item);
    }

    if (recheck) {
      auto found = select_rows(todo);
      std::vector<Item*> rest;
      for (Item* item : todo) {
        auto it = found.find(item->subscriber().email);
        if (it == found.end()) {
          rest.push_back(item);
        } else if (it->second.id == item->subscriber().id) {
          resolve(*item, {InsertOutcome::Kind::kCreated, it->second});
        } else {
          resolve(*item, {InsertOutcome::Kind::kDuplicate, it->second});
        }
      }
      todo = std::move(rest);
    }

    std::vector<std::pair<Item*, InsertOutcome>> decided;
    StatusCounts created{};
    if (!todo.empty()) {
      InsertReport report;
      insert_rows(todo, report);
      // Only the rows of statements that did not prove them all new are read back: usually
      // none, as repeats of known e-mails seldom get past the cache.
      std::vector<Item*> unproven;
      for (Item* item : todo) {
        if (!report.created.contains(item))
          unproven.push_back(item);
      }
      std::unordered_map<std::string, domain::Subscriber> found;
      if (!unproven.empty())
        found = select_rows(unproven);
      for (Item* item : todo) {
        const domain::Subscriber& s = item->subscriber();
        auto it = found.find(s.email);
        if (report.created.contains(item)) {
          ++created[static_cast<std::size_t>(s.status)];
          decided.emplace_back(item, InsertOutcome{InsertOutcome::Kind::kCreated, s});
        } else if (it == found.end()) {
          // The id is taken by a row with another e-mail: two instances share a node id.
          log::error(
              "insert left no row: id already used by another e-mail (is --node-id "
              "unique per instance?)",
              {{"id", std::to_string(s.id)}});
          decided.emplace_back(item,
                               InsertOutcome{InsertOutcome::Kind::kError, {}, StoreError::kFailed});
        } else if (it->second.id == s.id) {
          ++created[static_cast<std::size_t>(s.status)];
          decided.emplace_back(item, InsertOutcome{InsertOutcome::Kind::kCreated, it->second});
        } else {
          decided.emplace_back(item, InsertOutcome{InsertOutcome::Kind::kDuplicate, it->second});
        }
      }
    }

    reach(WriteStage::kBeforeCommit);
    count_and_commit(created, commit_sent);
    reach(WriteStage::kAfterCommit);
    for (auto& [item, outcome] : decided)
      resolve(*item, std::move(outcome));
  }

  // Tells the tests' hook, if any, that the transaction is at `stage`.
  void reach(WriteStage stage) const {
    if (options_.write_hook)
      options_.write_hook(stage, *connection_);
  }

  static void resolve(Item& item, InsertOutcome outcome) {
    item.resolved = true;
    item.outcome = std::move(outcome);
  }

  Connection& connection() {
    if (!connection_) {
      ConnectionSettings settings;
      settings.autocommit = false;  // every statement is part of the batch's transaction
      // The counters' UPDATE and COMMIT travel together. Text SQL on this session carries
      // numbers only; whatever a request sends is bound to prepared statements.
      settings.multi_statements = true;
      // Row locks are held for milliseconds (one batch); a wait of a second means something
      // else holds them, and the batch is better retried within its budget.
      settings.lock_wait_timeout_s = 1;
      connection_ = std::make_unique<Connection>(options_.endpoint, settings);
    }
    return *connection_;
  }

  Statement& statement(std::map<std::size_t, std::unique_ptr<Statement>>& cache, std::size_t bucket,
                       std::string (*make_sql)(std::size_t)) {
    auto& slot = cache[bucket];
    if (!slot)
      slot = std::make_unique<Statement>(connection(), make_sql(bucket));
    return *slot;
  }

  // What the INSERT statements of one transaction tell about its rows. A row not in `created`
  // was inserted, or met a key already taken (a stored e-mail, an earlier row of this batch, an
  // id of another e-mail's row): it must be read back to know which.
  struct InsertReport {
    std::unordered_set<const Item*> created;  // certainly inserted, as sent
  };

  // Whether every row of the chunk was inserted as a new row.
  bool insert_chunk(const std::vector<Item*>& chunk) {
    const std::size_t bucket = bucket_for(chunk.size());
    Statement& insert = statement(inserts_, bucket, insert_sql);
    const Item* padding = *std::min_element(chunk.begin(), chunk.end(), [](auto* a, auto* b) {
      return row_bytes(a->subscriber()) < row_bytes(b->subscriber());
    });
    Params params(bucket * 6);
    for (std::size_t i = 0; i < bucket; ++i) {
      const domain::Subscriber& s = (i < chunk.size() ? chunk[i] : padding)->subscriber();
      params.add(static_cast<std::uint64_t>(s.id));
      params.add(std::string_view(s.email));
      params.add(std::string_view(s.name));
      params.add(std::string_view(s.last_name));
      params.add(domain::to_string(s.status));
      params.add(static_cast<std::int64_t>(s.created_at_ms));
    }
    insert.execute(params);
    // Without CLIENT_FOUND_ROWS a row counts 1 when inserted and 0 when it met a duplicate key
    // (`id = id` changes nothing); so do the padding rows, which meet their own originals.
    return insert.affected_rows() == chunk.size();
  }

  // Inserts every item, in order: runs of rows in shared statements, the rows marked alone in
  // statements of their own.
  void insert_rows(const std::vector<Item*>& items, InsertReport& report) {
    std::vector<Item*> run;
    auto insert_run = [&] {
      for (const auto& chunk : chunks_of(run))
        insert_statement(chunk, report);
      run.clear();
    };
    for (Item* item : items) {
      if (!item->alone) {
        run.push_back(item);
        continue;
      }
      insert_run();
      insert_statement({item}, report);
    }
    insert_run();
  }

  // One INSERT statement. When the server refuses it for a reason other than a duplicate, its
  // row fails, or its rows are marked to go alone, and the transaction starts again.
  void insert_statement(const std::vector<Item*>& chunk, InsertReport& report) {
    try {
      const bool all_new = insert_chunk(chunk);
      reach(WriteStage::kAfterInsert);
      if (all_new)
        report.created.insert(chunk.begin(), chunk.end());
    } catch (const MysqlError& e) {
      if (e.transient())
        throw;
      if (chunk.size() == 1) {
        log::error("insert refused by the database",
                   {{"id", std::to_string(chunk.front()->subscriber().id)}, {"error", e.what()}});
        resolve(*chunk.front(), {InsertOutcome::Kind::kError, {}, StoreError::kFailed});
      } else {
        log::warn("insert of several rows refused; starting the batch again, a row a statement",
                  {{"rows", std::to_string(chunk.size())}, {"error", e.what()}});
        for (Item* item : chunk)
          item->alone = true;
      }
      throw StartAgain{};
    }
  }

  // The stored rows holding the items' e-mails, read with locks.
  std::unordered_map<std::string, domain::Subscriber> select_rows(const std::vector<Item*>& items) {
    reach(WriteStage::kBeforeReadBack);
    std::unordered_map<std::string, domain::Subscriber> found;
    std::vector<domain::Subscriber> rows;
    for (const auto& chunk : chunks_of(items)) {
      const std::size_t bucket = bucket_for(chunk.size());
      Statement& select = statement(selects_, bucket, select_by_emails_sql);
      Params params(bucket);
      for (std::size_t i = 0; i < bucket; ++i) {
        params.add(std::string_view(chunk[std::min(i, chunk.size() - 1)]->subscriber().email));
      }
      select.execute(params);
      rows.clear();
      select.fetch_subscribers(rows);
      for (auto& row : rows) {
        std::string key = row.email;
        found.insert_or_assign(std::move(key), std::move(row));
      }
    }
    return found;
  }

  // Commits the transaction, with the created rows added to the counters on the way.
  void count_and_commit(const StatusCounts& created, bool& commit_sent) {
    const auto touched = static_cast<std::uint64_t>(
        std::count_if(created.begin(), created.end(), [](std::int64_t n) { return n != 0; }));
    commit_sent = true;
    if (touched == 0) {
      connection_->commit();
      return;
    }
    const auto slot = std::uniform_int_distribution<unsigned>(0, kCounterSlots - 1)(random_);
    std::size_t succeeded = 0;
    std::vector<std::uint64_t> changed;
    try {
      changed = connection_->execute_counting(count_and_commit_sql(created, slot), succeeded);
    } catch (const MysqlError& e) {
      // The server stops at a statement it refuses: if that was the UPDATE, COMMIT never ran.
      // Any other failure may have come after both ran, and leaves the outcome unknown.
      if (succeeded == 0 && e.server_refused())
        commit_sent = false;
      throw;
    }
    if (changed.front() != touched && !warned_counts_) {
      // Committed by now, rows and all: the rows stand, only the totals fall short. Said once:
      // every batch after this one meets the same missing rows.
      warned_counts_ = true;
      log::error(
          "subscriber_counts lacks counter rows; list totals are too low until "
          "sql/mysql/schema.sql is applied and the totals rebuilt (docs/data-model.md)",
          {{"slot", std::to_string(slot)}});
    }
  }

  const Options& options_;
  std::unique_ptr<Connection> connection_;  // declared first: destroyed after the statements
  std::map<std::size_t, std::unique_ptr<Statement>> inserts_;  // by rows per statement
  std::map<std::size_t, std::unique_ptr<Statement>> selects_;
  std::minstd_rand random_;
  bool warned_counts_ = false;
};

// A reading connection and its prepared statements; used by one reader thread only.
class MysqlStore::Reader {
 public:
  explicit Reader(const Options& options) : endpoint_(options.endpoint) {}

  FindOutcome find(const domain::LookupKey& key) {
    Prepared& p = prepared();
    Params params(1);
    Statement* statement = nullptr;
    if (key.kind == domain::LookupKey::Kind::kEmail) {
      if (!could_be_stored(key.email))
        return {};
      params.add(std::string_view(key.email));
      statement = &p.by_email;
    } else {
      params.add(static_cast<std::uint64_t>(key.id));
      statement = &p.by_id;
    }
    statement->execute(params);
    rows_.clear();
    statement->fetch_subscribers(rows_);
    if (rows_.empty())
      return {};
    return {std::move(rows_.front())};
  }

  ListOutcome list(const domain::KeysetQuery& query) {
    Prepared& p = prepared();
    // Rows and total from one snapshot, so they agree.
    connection_->execute("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT");
    try {
      ListOutcome outcome = list_in_snapshot(p, query);
      connection_->commit();
      return outcome;
    } catch (const MysqlError&) {
      connection_->rollback_quietly();
      throw;
    }
  }

  void ping() {
    if (!connection_) {
      prepared();  // connecting is the check
      return;
    }
    connection_->ping();
  }

  void drop() {
    prepared_.reset();
    connection_.reset();
  }

 private:
  struct Prepared {
    explicit Prepared(Connection& c)
        : by_email(c, select_sql("WHERE email = ?")),
          by_id(c, select_sql("WHERE id = ?")),
          newest(c, select_sql("ORDER BY id DESC LIMIT ?")),
          older(c, select_sql("WHERE id < ? ORDER BY id DESC LIMIT ?")),
          newer(c, select_sql("WHERE id > ? ORDER BY id ASC LIMIT ?")),
          newest_with_status(c, select_sql("WHERE status = ? ORDER BY id DESC LIMIT ?")),
          older_with_status(c, select_sql("WHERE status = ? AND id < ? ORDER BY id DESC LIMIT ?")),
          newer_with_status(c, select_sql("WHERE status = ? AND id > ? ORDER BY id ASC LIMIT ?")),
          total(c, "SELECT CAST(COALESCE(SUM(total), 0) AS UNSIGNED) FROM subscriber_counts"),
          total_with_status(c,
                            "SELECT CAST(COALESCE(SUM(total), 0) AS UNSIGNED) FROM "
                            "subscriber_counts WHERE status = ?") {}

    Statement by_email, by_id, newest, older, newer, newest_with_status, older_with_status,
        newer_with_status, total, total_with_status;
  };

  Prepared& prepared() {
    if (!prepared_) {
      if (!connection_)
        connection_ = std::make_unique<Connection>(endpoint_, ConnectionSettings{});
      prepared_ = std::make_unique<Prepared>(*connection_);
    }
    return *prepared_;
  }

  ListOutcome list_in_snapshot(Prepared& p, const domain::KeysetQuery& query) {
    using Direction = domain::Cursor::Direction;
    const bool filtered = query.status.has_value();
    Statement* statement = nullptr;
    if (!query.anchor) {
      statement = filtered ? &p.newest_with_status : &p.newest;
    } else if (query.direction == Direction::kOlder) {
      statement = filtered ? &p.older_with_status : &p.older;
    } else {
      statement = filtered ? &p.newer_with_status : &p.newer;
    }
    Params params(3);
    if (filtered)
      params.add(domain::to_string(*query.status));
    if (query.anchor)
      params.add(static_cast<std::uint64_t>(*query.anchor));
    params.add(static_cast<std::uint64_t>(query.fetch_limit));
    statement->execute(params);

    ListOutcome outcome;
    outcome.rows.reserve(query.fetch_limit);
    statement->fetch_subscribers(outcome.rows);

    Statement& count = filtered ? p.total_with_status : p.total;
    Params count_params(1);
    if (filtered)
      count_params.add(domain::to_string(*query.status));
    count.execute(count_params);
    outcome.total = count.fetch_number();
    return outcome;
  }

  const Endpoint& endpoint_;
  std::unique_ptr<Connection> connection_;  // declared first: destroyed after the statements
  std::unique_ptr<Prepared> prepared_;
  std::vector<domain::Subscriber> rows_;
};

void MysqlStore::apply_schema(const Endpoint& endpoint) {
  ConnectionSettings settings;
  settings.multi_statements = true;
  Connection connection(endpoint, settings);
  const std::string counted_slots =
      "SELECT COUNT(*) FROM subscriber_counts WHERE slot < " + std::to_string(kCounterSlots);
  const std::uint64_t tables = connection.query_number(
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
      "table_name IN ('subscribers', 'subscriber_counts')");
  const std::uint64_t expected_counters = domain::kAllStatuses.size() * kCounterSlots;
  if (tables == 2 && connection.query_number(counted_slots) == expected_counters)
    return;

  log::info("applying the MySQL schema", {{"database", endpoint.database}});
  connection.execute(embedded::kMysqlSchema);
  if (connection.query_number(counted_slots) != expected_counters) {
    throw MysqlError(0, "subscriber_counts does not hold the expected " +
                            std::to_string(expected_counters) + " counter rows");
  }
}

MysqlStore::MysqlStore(Options options, metrics::Registry& metrics)
    : options_(std::move(options)), metrics_(metrics) {
  initialize_library();
  apply_schema(options_.endpoint);
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.endpoint.writers); ++i) {
    writers_.push_back(std::make_unique<Writer>(options_));
  }
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.reader_threads); ++i) {
    readers_.push_back(std::make_unique<Reader>(options_));
  }
  monitor_thread_ = std::thread([this] {
    util::name_this_thread("mysql-monitor");
    run_monitor();
  });
  for (std::size_t i = 0; i < writers_.size(); ++i) {
    writer_threads_.emplace_back([this, i] {
      util::name_this_thread("mysql-writer-" + std::to_string(i));
      run_writer(i);
    });
  }
  for (std::size_t i = 0; i < readers_.size(); ++i) {
    reader_threads_.emplace_back([this, i] {
      util::name_this_thread("mysql-rd-" + std::to_string(i));
      run_reader(i);
    });
  }
}

MysqlStore::~MysqlStore() {
  shutdown();
}

boost::asio::awaitable<InsertOutcome> MysqlStore::insert(domain::Subscriber subscriber) {
  return util::complete_elsewhere<InsertOutcome>(
      [this, s = std::move(subscriber)](util::Completion<InsertOutcome> completion) mutable {
        const InsertOutcome unavailable{InsertOutcome::Kind::kError, {}, StoreError::kUnavailable};
        if (is_down()) {
          std::move(completion).complete(unavailable);
          return;
        }
        std::unique_lock lock(write_mutex_);
        // A full queue means the database cannot keep up: shed load now rather than let every
        // request wait longer and longer.
        if (stopping_ || write_queue_.size() >= kMaxQueuedPerBatch * options_.max_batch) {
          lock.unlock();
          std::move(completion).complete(unavailable);
          return;
        }
        write_queue_.push_back({std::move(s), std::move(completion), Clock::now()});
        const bool wake = wakes_writer(write_queue_.size(), options_.max_batch);
        lock.unlock();
        // With several writers, one may still be in its wait for company after another took
        // the queue; a single wake-up could go to it and leave the idle ones asleep.
        if (wake && options_.endpoint.writers > 1) {
          write_ready_.notify_all();
        } else if (wake) {
          write_ready_.notify_one();
        }
      });
}

void MysqlStore::hold_writes_for_testing(bool held) {
  {
    std::lock_guard lock(write_mutex_);
    writes_held_ = held;
  }
  write_ready_.notify_all();
}

void MysqlStore::run_writer(std::size_t index) {
  ThreadScope library;
  Writer& writer = *writers_[index];
  const std::unique_ptr<StoredRowCache> stored_rows =
      options_.stored_rows ? options_.stored_rows() : nullptr;
  std::vector<PendingInsert> batch;
  std::size_t last_batch = 0;
  for (;;) {
    {
      std::unique_lock lock(write_mutex_);
      write_ready_.wait(lock,
                        [&] { return stopping_ || (!write_queue_.empty() && !writes_held_); });
      if (write_queue_.empty())
        return;  // stopping, and every accepted insert is done
      // While inserts arrive concurrently, a fuller batch: the database then parses, logs and
      // syncs once for more rows.
      wait_for_fuller_batch(lock, write_ready_, write_queue_, stopping_, last_batch,
                            options_.max_batch, options_.endpoint.batch_wait);
      // Another writer may have taken the queue meanwhile; held writes (tests) stay queued.
      if (write_queue_.empty() || (writes_held_ && !stopping_))
        continue;
      if (write_queue_.size() <= options_.max_batch) {
        batch.swap(write_queue_);
      } else {
        // Moves by construction only: in Boost 1.81 a move-assigned any_completion_handler
        // wraps the old one instead of taking it over, so shifting elements (erase at the
        // front) would nest handlers ever deeper.
        const auto split = write_queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
        std::vector<PendingInsert> rest;
        rest.reserve(write_queue_.size() - options_.max_batch);
        for (auto it = split; it != write_queue_.end(); ++it)
          rest.push_back(std::move(*it));
        write_queue_.erase(split, write_queue_.end());  // the tail: nothing shifts
        batch.swap(write_queue_);
        write_queue_.swap(rest);
      }
      if (!write_queue_.empty())
        write_ready_.notify_one();  // another writer may take the rest
    }
    last_batch = batch.size();
    observe_queue_wait(metrics_.store_queue_wait_seconds, batch, Clock::now());
    write_batch(writer, stored_rows.get(), batch);
    batch.clear();
  }
}

void MysqlStore::write_batch(Writer& writer, StoredRowCache* stored_rows,
                             std::vector<PendingInsert>& batch) {
  std::vector<Writer::Item> items(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i)
    items[i].pending = &batch[i];
  if (stored_rows != nullptr)
    metrics_.store_cached_duplicates.inc(Writer::answer_known(*stored_rows, items));
  // In id order: the rows then append to the clustered index (ids grow with time) instead of
  // splitting its pages in the middle, and of two requests for one e-mail in a batch, the
  // earlier one (the lower id) is the one created.
  std::stable_sort(items.begin(), items.end(), [](const Writer::Item& a, const Writer::Item& b) {
    return a.subscriber().id < b.subscriber().id;
  });

  const auto to_write = static_cast<std::size_t>(
      std::ranges::count_if(items, [](const Writer::Item& item) { return !item.resolved; }));
  const auto started = Clock::now();
  const auto deadline =
      std::min(started + options_.retry.budget,
               Clock::time_point(Clock::duration(drain_deadline_.load(std::memory_order_acquire))));
  auto backoff = options_.retry.first_backoff;
  bool recheck = false;
  StoreError failure = StoreError::kNone;
  for (;;) {
    if (to_write == 0)
      break;  // the cache knew every e-mail: nothing for the database
    if (is_down() || drain_failed_.load(std::memory_order_acquire)) {
      failure = StoreError::kUnavailable;
      break;
    }
    bool commit_sent = false;
    try {
      writer.transact(items, recheck, commit_sent);
      break;
    } catch (const MysqlError& e) {
      if (commit_sent)
        recheck = true;  // until a later COMMIT succeeds
      if (e.connection_lost() || commit_sent) {
        writer.drop();
      } else {
        writer.rollback_quietly();
      }
      // After a COMMIT whose outcome is unknown, whatever the error, only a re-check can tell.
      if (!e.transient() && !commit_sent) {
        log::error("write transaction failed", {{"error", e.what()}});
        failure = StoreError::kFailed;
        break;
      }
      if (Clock::now() + backoff > deadline) {
        log::error("write transaction failed; giving up", {{"error", e.what()}});
        if (e.connection_lost())
          mark_down(e.what());
        if (drain_deadline_.load(std::memory_order_acquire) != kNotDraining)
          drain_failed_.store(true, std::memory_order_release);
        failure = StoreError::kUnavailable;
        break;
      }
      log::warn("write transaction failed; retrying",
                {{"error", e.what()},
                 {"commit_outcome", commit_sent ? "unknown" : "not committed"},
                 {"backoff_ms", std::to_string(backoff.count())}});
      metrics_.store_retries.inc();
      if (!sleep_unless_down(backoff)) {
        failure = StoreError::kUnavailable;
        break;
      }
      backoff = std::min(backoff * 2, options_.retry.max_backoff);
    } catch (const std::exception& e) {
      writer.drop();
      log::error("write transaction failed", {{"error", e.what()}});
      failure = StoreError::kFailed;
      break;
    }
  }

  if (to_write > 0) {
    metrics_.store_batch_size.observe(static_cast<double>(to_write));
    metrics_.store_commit_seconds.observe(
        std::chrono::duration<double>(Clock::now() - started).count());
  }
  // What the database told us, for the cache once the answers are on their way: the rows
  // created are the requests' own (alive until the batch is cleared), the older rows that held
  // an e-mail are copied (rare: the cache knew most of them).
  std::vector<const domain::Subscriber*> learned;
  std::vector<domain::Subscriber> older_rows;
  if (stored_rows != nullptr) {
    for (const Writer::Item& item : items) {
      if (!item.resolved || item.known)
        continue;
      if (item.outcome.kind == InsertOutcome::Kind::kCreated)
        learned.push_back(&item.subscriber());
      else if (item.outcome.kind == InsertOutcome::Kind::kDuplicate)
        older_rows.push_back(item.outcome.subscriber);
    }
  }

  util::CompletionBatch<InsertOutcome> answers;
  for (Writer::Item& item : items) {
    InsertOutcome outcome = item.resolved ? std::move(item.outcome)
                                          : InsertOutcome{InsertOutcome::Kind::kError, {}, failure};
    answers.add(std::move(item.pending->completion), std::move(outcome));
  }
  answers.post();

  if (stored_rows != nullptr) {
    for (const domain::Subscriber& row : older_rows)
      learned.push_back(&row);
    stored_rows->remember(learned);
  }
}

void MysqlStore::enqueue_read(ReadJob job) {
  if (is_down()) {
    fail_read(job, StoreError::kUnavailable, "mysql unavailable: " + down_reason());
    return;
  }
  std::unique_lock lock(read_mutex_);
  if (readers_stopping_ || read_queue_.size() >= kMaxQueuedReads) {
    const bool stopping = readers_stopping_;
    lock.unlock();
    fail_read(job, StoreError::kUnavailable,
              stopping ? "shutting down" : "mysql: too many queued reads");
    return;
  }
  read_queue_.push_back(std::move(job));
  lock.unlock();
  read_ready_.notify_one();
}

void MysqlStore::run_reader(std::size_t index) {
  ThreadScope library;
  Reader& reader = *readers_[index];

  // Runs `work` with retries; kNone when it succeeded.
  auto attempt = [&](auto&& work) {
    const auto deadline = Clock::now() + options_.retry.budget;
    auto backoff = options_.retry.first_backoff;
    for (;;) {
      if (is_down())
        return StoreError::kUnavailable;
      try {
        work();
        return StoreError::kNone;
      } catch (const MysqlError& e) {
        if (e.connection_lost())
          reader.drop();
        if (!e.transient()) {
          log::error("read failed", {{"error", e.what()}});
          return StoreError::kFailed;
        }
        if (Clock::now() + backoff > deadline) {
          log::error("read failed; giving up", {{"error", e.what()}});
          if (e.connection_lost())
            mark_down(e.what());
          return StoreError::kUnavailable;
        }
        log::warn("read failed; retrying", {{"error", e.what()}});
        metrics_.store_retries.inc();
        if (!sleep_unless_down(backoff))
          return StoreError::kUnavailable;
        backoff = std::min(backoff * 2, options_.retry.max_backoff);
      } catch (const std::exception& e) {
        reader.drop();
        log::error("read failed", {{"error", e.what()}});
        return StoreError::kFailed;
      }
    }
  };

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
    if (is_down()) {
      fail_read(*job, StoreError::kUnavailable, "mysql unavailable: " + down_reason());
      continue;
    }
    std::visit(
        [&](auto& j) {
          using Job = std::decay_t<decltype(j)>;
          if constexpr (std::is_same_v<Job, FindJob>) {
            FindOutcome outcome;
            if (StoreError e = attempt([&] { outcome = reader.find(j.key); });
                e != StoreError::kNone) {
              outcome = {std::nullopt, e};
            }
            std::move(j.completion).complete(std::move(outcome));
          } else if constexpr (std::is_same_v<Job, ListJob>) {
            ListOutcome outcome;
            if (StoreError e = attempt([&] { outcome = reader.list(j.query); });
                e != StoreError::kNone) {
              outcome = {{}, 0, e};
            }
            std::move(j.completion).complete(std::move(outcome));
          } else {
            // One reconnect at most: a health check answers quickly rather than wait out the
            // retry budget.
            HealthOutcome outcome{true, "ok"};
            for (int tries = 0; tries < 2; ++tries) {
              try {
                reader.ping();
                outcome = {true, "ok"};
                break;
              } catch (const MysqlError& e) {
                reader.drop();
                outcome = {false, std::string("mysql: ") + e.what()};
                if (!e.connection_lost())
                  break;
                if (tries == 1)
                  mark_down(e.what());
              }
            }
            std::move(j.completion).complete(std::move(outcome));
          }
        },
        *job);
  }
}

void MysqlStore::mark_down(const std::string& reason) {
  {
    std::lock_guard lock(state_mutex_);
    if (down_.load(std::memory_order_relaxed))
      return;
    down_reason_ = reason;
    down_.store(true, std::memory_order_release);
  }
  log::error("mysql store is down; answering 503 until it reconnects", {{"reason", reason}});
  state_changed_.notify_all();
}

std::string MysqlStore::down_reason() const {
  std::lock_guard lock(state_mutex_);
  return down_reason_;
}

bool MysqlStore::sleep_unless_down(std::chrono::milliseconds backoff) {
  std::unique_lock lock(state_mutex_);
  return !state_changed_.wait_for(lock, backoff, [&] { return down_.load(); });
}

void MysqlStore::run_monitor() {
  ThreadScope library;
  std::unique_lock lock(state_mutex_);
  for (;;) {
    state_changed_.wait(lock, [&] { return down_.load() || monitor_stopping_; });
    if (monitor_stopping_)
      return;
    auto interval = options_.retry.probe_interval;
    while (down_.load() && !monitor_stopping_) {
      lock.unlock();
      std::string error;
      try {
        Connection probe(options_.endpoint, ConnectionSettings{});
        probe.ping();
      } catch (const std::exception& e) {
        error = e.what();
      }
      lock.lock();
      if (error.empty()) {
        down_.store(false, std::memory_order_release);
        down_reason_.clear();
        log::info("mysql store reconnected", {{"database", options_.endpoint.describe()}});
        break;
      }
      down_reason_ = error;
      state_changed_.wait_for(lock, interval, [&] { return monitor_stopping_; });
      interval = std::min(interval * 2, options_.retry.max_backoff);
    }
  }
}

void MysqlStore::shutdown() {
  if (shut_down_)
    return;
  shut_down_ = true;
  drain_deadline_.store((Clock::now() + options_.retry.budget).time_since_epoch().count(),
                        std::memory_order_release);
  util::stop_and_join(write_mutex_, stopping_, write_ready_, writer_threads_);
  util::stop_and_join(read_mutex_, readers_stopping_, read_ready_, reader_threads_);
  util::stop_and_join(state_mutex_, monitor_stopping_, state_changed_, monitor_thread_);
  writers_.clear();
  readers_.clear();
  log::info("mysql store closed", {{"database", options_.endpoint.describe()}});
}

}  // namespace subscriberd::store::mysql
