#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "metrics/metrics.h"
#include "store/stored_row_cache.h"
#include "store/subscriber_store.h"

namespace subscriberd::store {

struct StoreSettings {
  std::string url;  // sqlite:PATH or mysql://USER:PASSWORD@HOST:PORT/DATABASE
  std::size_t readers = 2;
  std::size_t max_batch = 1024;
};

// Whether the store a URL names has writers that consult and fill a StoredRowCache.
bool takes_stored_row_cache(const std::string& url);

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Opens the store a URL names; throws ConfigError for a URL it does not understand, and the
// backend's own error when the database cannot be opened. `stored_rows`, when set, is for the
// writers of a store that takes one (takes_stored_row_cache).
std::unique_ptr<SubscriberStore> open_store(const StoreSettings& settings,
                                            metrics::Registry& metrics,
                                            StoredRowCacheFactory stored_rows = {});

}  // namespace subscriberd::store
