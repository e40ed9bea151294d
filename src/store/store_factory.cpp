#include "store/store_factory.h"

#include <string>
#include <string_view>
#include <utility>

#include "store/mysql/mysql_store.h"
#include "store/mysql/mysql_url.h"
#include "store/sqlite/sqlite_store.h"
#include "util/text.h"

namespace subscriberd::store {

namespace {

// "synchronous=normal|full&checkpoint_pages=N&batch_wait_us=N&writer_cache_mb=N", in any
// order.
void apply_sqlite_options(std::string_view query, sqlite::SqliteStore::Options& options) {
  constexpr std::string_view kCheckpointPages = "checkpoint_pages=";
  constexpr std::string_view kBatchWait = "batch_wait_us=";
  constexpr std::string_view kWriterCache = "writer_cache_mb=";
  for (std::string_view option : text::split(query, '&')) {
    if (option == "synchronous=full") {
      options.synchronous = sqlite::Synchronous::kFull;
    } else if (option == "synchronous=normal") {
      options.synchronous = sqlite::Synchronous::kNormal;
    } else if (option.starts_with(kCheckpointPages)) {
      const std::string_view value = option.substr(kCheckpointPages.size());
      const auto pages = text::parse_uint64(value);
      if (!pages || *pages < 10 || *pages > 1'000'000) {
        throw ConfigError(
            "SQLite store option checkpoint_pages must be a number from 10 to "
            "1000000, not '" +
            std::string(value) + "'");
      }
      options.checkpoint_frames = static_cast<int>(*pages);
    } else if (option.starts_with(kBatchWait)) {
      const std::string_view value = option.substr(kBatchWait.size());
      const auto micros = text::parse_uint64(value);
      if (!micros || *micros > 100'000) {
        throw ConfigError(
            "SQLite store option batch_wait_us must be a number from 0 to 100000, not '" +
            std::string(value) + "'");
      }
      options.batch_wait = std::chrono::microseconds(*micros);
    } else if (option.starts_with(kWriterCache)) {
      const std::string_view value = option.substr(kWriterCache.size());
      const auto mib = text::parse_uint64(value);
      // At most 2047: SQLite reports the cache's use in an int, which the warming reads.
      if (!mib || *mib < 1 || *mib > 2'047) {
        throw ConfigError(
            "SQLite store option writer_cache_mb must be a number from 1 to 2047, not '" +
            std::string(value) + "'");
      }
      options.writer_cache_mib = static_cast<int>(*mib);
    } else {
      throw ConfigError("unknown SQLite store option '" + std::string(option) +
                        "' (known: synchronous=normal|full, checkpoint_pages=N, batch_wait_us=N, "
                        "writer_cache_mb=N)");
    }
  }
}

}  // namespace

bool takes_stored_row_cache(const std::string& url) {
  return url.starts_with("mysql://");
}

std::unique_ptr<SubscriberStore> open_store(const StoreSettings& settings,
                                            metrics::Registry& metrics,
                                            StoredRowCacheFactory stored_rows) {
  const std::string& url = settings.url;
  if (url.starts_with("sqlite:")) {
    std::string path = url.substr(std::string_view("sqlite:").size());
    if (path.starts_with("//"))
      path = path.substr(2);  // also accept sqlite://PATH
    sqlite::SqliteStore::Options options{{}, settings.readers, settings.max_batch};
    if (auto question = path.find('?'); question != std::string::npos) {
      const std::string query = path.substr(question + 1);
      path.resize(question);
      apply_sqlite_options(query, options);
    }
    if (path.empty())
      throw ConfigError("store URL 'sqlite:' needs a file path");
    options.path = std::move(path);
    return std::make_unique<sqlite::SqliteStore>(std::move(options), metrics);
  }
  if (url.starts_with("mysql://")) {
    std::string error;
    auto endpoint = mysql::parse_url(url, error);
    // The message names the problem, never the URL itself: it may hold a password.
    if (!endpoint)
      throw ConfigError("invalid MySQL store URL: " + error);
    mysql::MysqlStore::Options options;
    options.endpoint = std::move(*endpoint);
    options.reader_threads = settings.readers;
    options.max_batch = settings.max_batch;
    options.stored_rows = std::move(stored_rows);
    return std::make_unique<mysql::MysqlStore>(std::move(options), metrics);
  }
  // Only the scheme is repeated: the rest of an unknown URL may hold a password.
  throw ConfigError("unsupported store URL '" + url.substr(0, url.find(':')) +
                    ":...' (expected sqlite:PATH or mysql://USER:PASSWORD@HOST:PORT/DATABASE)");
}

}  // namespace subscriberd::store
