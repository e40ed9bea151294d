#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "metrics/metrics.h"
#include "store/subscriber_store.h"

namespace subscriberd::store {

struct StoreSettings {
  std::string url;  // sqlite:PATH or mysql://USER:PASSWORD@HOST:PORT/DATABASE
  std::size_t readers = 2;
  std::size_t max_batch = 1024;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Opens the store a URL names; throws ConfigError for a URL it does not understand, and the
// backend's own error when the database cannot be opened.
std::unique_ptr<SubscriberStore> open_store(const StoreSettings& settings,
                                            metrics::Registry& metrics);

}  // namespace subscriberd::store
