#pragma once

#include <memory>
#include <string>

#include "cache/memory_cache.h"
#include "cache/subscriber_cache.h"

namespace subscriberd::cache {

// A small in-process cache in front of a shared one (Redis): hot subscribers are answered from
// this process's memory without a network round trip, the rest from the shared cache.
//
// Correct because subscribers are insert-only: a positive entry can never go stale, wherever
// it came from. Negative entries are kept near only when this instance's own store look-up
// missed (remember_absent, same TTL as the far tier); an "absent" answer of the far tier is
// not copied near, so a subscriber inserted by another instance is hidden for at most the
// negative TTL after the miss, as without the near tier.
class TieredCache final : public SubscriberCache {
 public:
  TieredCache(std::unique_ptr<MemoryCache> near, std::unique_ptr<SubscriberCache> far);

  boost::asio::awaitable<CacheLookup> find(domain::LookupKey key) override;
  void remember(const domain::Subscriber& subscriber) override;
  void remember_absent(const domain::LookupKey& key) override;
  // The far tier's health: the near one cannot fail.
  boost::asio::awaitable<bool> check_health() override;
  std::string describe() const override;

 private:
  std::unique_ptr<MemoryCache> near_;
  std::unique_ptr<SubscriberCache> far_;
};

}  // namespace subscriberd::cache
