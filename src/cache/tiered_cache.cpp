#include "cache/tiered_cache.h"

namespace subscriberd::cache {

TieredCache::TieredCache(std::unique_ptr<MemoryCache> near, std::unique_ptr<SubscriberCache> far)
    : near_(std::move(near)), far_(std::move(far)) {}

boost::asio::awaitable<CacheLookup> TieredCache::find(domain::LookupKey key) {
  CacheLookup near = near_->lookup(key);
  if (near.kind != CacheLookup::Kind::kMiss)
    co_return near;
  CacheLookup far = co_await far_->find(key);
  if (far.kind == CacheLookup::Kind::kHit)
    near_->remember(*far.subscriber);
  co_return far;
}

void TieredCache::remember(const domain::Subscriber& subscriber) {
  near_->remember(subscriber);
  far_->remember(subscriber);
}

void TieredCache::remember_absent(const domain::LookupKey& key) {
  near_->remember_absent(key);
  far_->remember_absent(key);
}

boost::asio::awaitable<bool> TieredCache::check_health() {
  co_return co_await far_->check_health();
}

std::string TieredCache::describe() const {
  return far_->describe() + " + " + near_->describe();
}

}  // namespace subscriberd::cache
