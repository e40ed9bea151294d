// Bulk loader for the benchmark: writes N subscribers straight into a SQLite file with the
// service's own schema (the one compiled into subscriberd), ids from domain::IdGenerator and the
// per-status counters updated, and optionally the same rows as a tab-separated file for MySQL's
// LOAD DATA LOCAL INFILE. It never goes through the API.
//
//   preload --count 1000000 [--sqlite PATH] [--tsv PATH] [--node-id 1023]
//
// Subscriber i has the e-mail bench::preloaded_email(i). Rows already present (same e-mail) are
// kept: loading twice is harmless and only the missing rows are added.

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "common/bench_data.h"
#include "domain/id_generator.h"
#include "domain/subscriber.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_handle.h"

namespace {

namespace bench = subscriberd::bench;
namespace domain = subscriberd::domain;
namespace sqlite = subscriberd::store::sqlite;

struct Options {
  std::uint64_t count = 1'000'000;
  std::string sqlite_path;
  std::string tsv_path;
  std::uint32_t node_id = 1023;  // not a node id a benchmarked server uses (they use 0)
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "preload: " << problem << "\n"
            << "usage: preload --count N [--sqlite PATH] [--tsv PATH] [--node-id 0..1023]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--count") {
      options.count = std::stoull(value());
    } else if (arg == "--sqlite") {
      options.sqlite_path = value();
    } else if (arg == "--tsv") {
      options.tsv_path = value();
    } else if (arg == "--node-id") {
      options.node_id = static_cast<std::uint32_t>(std::stoul(value()));
    } else {
      usage("unknown argument " + std::string(arg));
    }
  }
  if (options.sqlite_path.empty() && options.tsv_path.empty())
    usage("nothing to write: give --sqlite and/or --tsv");
  return options;
}

std::size_t status_index(std::string_view status) {
  for (std::size_t i = 0; i < domain::kAllStatuses.size(); ++i) {
    if (domain::to_string(domain::kAllStatuses[i]) == status)
      return i;
  }
  throw std::logic_error("unknown status");
}

// The rows, generated once so that the SQLite file and the MySQL file hold the same ids.
struct Row {
  domain::SubscriberId id;
  std::int64_t created_at_ms;
};

std::vector<Row> make_rows(const Options& options) {
  domain::IdGenerator ids(options.node_id);
  std::vector<Row> rows;
  rows.reserve(options.count);
  for (std::uint64_t i = 0; i < options.count; ++i) {
    const domain::SubscriberId id = ids.next();
    rows.push_back({id, domain::IdGenerator::timestamp_ms(id)});
  }
  return rows;
}

std::uint64_t load_sqlite(const Options& options, const std::vector<Row>& rows) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(options.sqlite_path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      nullptr) != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close_v2(raw);
    throw std::runtime_error("cannot open " + options.sqlite_path + ": " + message);
  }
  sqlite::Connection db(raw);
  // The file stays in WAL mode (as the service opens it); the load itself needs no fsync per
  // row: one transaction, synced once at the end.
  sqlite::exec(db.get(), "PRAGMA journal_mode = WAL");
  sqlite::exec(db.get(), "PRAGMA synchronous = NORMAL");
  sqlite::exec(db.get(), "PRAGMA cache_size = -262144");
  sqlite::apply_schema(db.get());

  sqlite::exec(db.get(), "BEGIN IMMEDIATE");
  sqlite::Statement insert(db.get(),
                           "INSERT INTO subscribers (id, email, name, last_name, status, "
                           "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
  sqlite::Statement add(db.get(),
                        "UPDATE subscriber_counts SET total = total + ? WHERE status = ?");
  std::array<std::int64_t, domain::kAllStatuses.size()> added{};
  std::uint64_t inserted = 0;
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    const std::string email = bench::preloaded_email(i);
    const std::string_view status = bench::preloaded_status(i);
    sqlite3_stmt* stmt = insert.fresh();
    insert.bind(1, static_cast<std::int64_t>(rows[i].id));
    insert.bind(2, email);
    insert.bind(3, bench::preloaded_name(i));
    insert.bind(4, bench::preloaded_last_name(i));
    insert.bind(5, status);
    insert.bind(6, rows[i].created_at_ms);
    if (sqlite3_step(stmt) != SQLITE_DONE)
      throw std::runtime_error(std::string("insert: ") + sqlite3_errmsg(db.get()));
    if (sqlite3_changes(db.get()) == 1) {
      ++inserted;
      ++added[status_index(status)];
    }
  }
  for (std::size_t s = 0; s < added.size(); ++s) {
    if (added[s] == 0)
      continue;
    sqlite3_stmt* stmt = add.fresh();
    add.bind(1, added[s]);
    add.bind(2, domain::to_string(domain::kAllStatuses[s]));
    if (sqlite3_step(stmt) != SQLITE_DONE)
      throw std::runtime_error(std::string("counters: ") + sqlite3_errmsg(db.get()));
  }
  insert = sqlite::Statement();
  add = sqlite::Statement();
  sqlite::exec(db.get(), "COMMIT");
  sqlite::exec(db.get(), "PRAGMA wal_checkpoint(TRUNCATE)");
  return inserted;
}

// id, email, name, last_name, status, created_at; tab-separated, no quoting needed (the
// generated values hold no tabs, newlines or backslashes).
void write_tsv(const Options& options, const std::vector<Row>& rows) {
  std::ofstream out(options.tsv_path, std::ios::binary | std::ios::trunc);
  if (!out)
    throw std::runtime_error("cannot write " + options.tsv_path);
  std::string line;
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    line.clear();
    line += std::to_string(rows[i].id);
    line += '\t';
    line += bench::preloaded_email(i);
    line += '\t';
    line += bench::preloaded_name(i);
    line += '\t';
    line += bench::preloaded_last_name(i);
    line += '\t';
    line += bench::preloaded_status(i);
    line += '\t';
    line += std::to_string(rows[i].created_at_ms);
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  if (!out.flush())
    throw std::runtime_error("cannot write " + options.tsv_path);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  try {
    const auto started = std::chrono::steady_clock::now();
    const std::vector<Row> rows = make_rows(options);
    if (!options.sqlite_path.empty()) {
      const std::uint64_t inserted = load_sqlite(options, rows);
      std::cerr << "preload: " << inserted << " of " << rows.size() << " rows added to "
                << options.sqlite_path << "\n";
    }
    if (!options.tsv_path.empty()) {
      write_tsv(options, rows);
      std::cerr << "preload: " << rows.size() << " rows written to " << options.tsv_path << "\n";
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "preload: %.1f s\n", seconds);
  } catch (const std::exception& e) {
    std::cerr << "preload: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
