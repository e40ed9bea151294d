#include "store/store_factory.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/mysql/mysql_store.h"
#include "store/mysql/mysql_url.h"
#include "store/sqlite/sqlite_store.h"
#include "util/text.h"

namespace subscriberd::store {

namespace {

// When `option` is "NAME=VALUE": VALUE, a number from `min` to `max`, or a ConfigError naming
// the option and the value. Another option: nullopt.
std::optional<std::uint64_t> number_option(std::string_view option, std::string_view name,
                                           std::uint64_t min, std::uint64_t max) {
  if (!option.starts_with(name) || option.substr(name.size(), 1) != "=")
    return std::nullopt;
  const std::string_view value = option.substr(name.size() + 1);
  if (const auto number = text::parse_bounded(value, min, max))
    return number;
  throw ConfigError("SQLite store option " + text::bounds_message(name, min, max, value));
}

// "synchronous=normal|full&checkpoint_pages=N&batch_wait_us=N&writer_cache_mb=N", in any
// order.
void apply_sqlite_options(std::string_view query, sqlite::SqliteStore::Options& options) {
  for (std::string_view option : text::split(query, '&')) {
    if (option == "synchronous=full") {
      options.synchronous = sqlite::Synchronous::kFull;
    } else if (option == "synchronous=normal") {
      options.synchronous = sqlite::Synchronous::kNormal;
    } else if (const auto pages = number_option(option, "checkpoint_pages", 10, 1'000'000)) {
      options.checkpoint_frames = static_cast<int>(*pages);
    } else if (const auto micros = number_option(option, "batch_wait_us", 0, 100'000)) {
      options.batch_wait = std::chrono::microseconds(*micros);
    } else if (const auto mib = number_option(option, "writer_cache_mb", 1, 2'047)) {
      // At most 2047: SQLite reports the cache's use in an int, which the warming reads.
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
