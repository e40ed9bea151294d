#pragma once

#include "cache/subscriber_cache.h"

namespace subscriberd::cache {

// `--cache none`: every look-up goes to the store.
class NullCache final : public SubscriberCache {
 public:
  boost::asio::awaitable<CacheLookup> find(domain::LookupKey key) override;
  void remember(const domain::Subscriber&) override {}
  void remember_absent(const domain::LookupKey&) override {}
  boost::asio::awaitable<bool> check_health() override;
  std::string describe() const override { return "none"; }
};

}  // namespace subscriberd::cache
