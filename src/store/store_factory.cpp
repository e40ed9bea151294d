#include "store/store_factory.h"

#include "store/sqlite/sqlite_store.h"

namespace subscriberd::store {

std::unique_ptr<SubscriberStore> open_store(const StoreSettings& settings,
                                            metrics::Registry& metrics) {
  const std::string& url = settings.url;
  if (url.starts_with("sqlite:")) {
    std::string path = url.substr(std::string_view("sqlite:").size());
    if (path.starts_with("//"))
      path = path.substr(2);  // also accept sqlite://PATH
    if (path.empty())
      throw ConfigError("store URL 'sqlite:' needs a file path");
    return std::make_unique<sqlite::SqliteStore>(
        sqlite::SqliteStore::Options{path, settings.readers, settings.max_batch}, metrics);
  }
  throw ConfigError("unsupported store URL '" + url + "' (expected sqlite:PATH)");
}

}  // namespace subscriberd::store
