#include "cache/null_cache.h"

namespace subscriberd::cache {

boost::asio::awaitable<CacheLookup> NullCache::find(domain::LookupKey) {
  co_return CacheLookup{};
}

boost::asio::awaitable<bool> NullCache::check_health() {
  co_return true;
}

}  // namespace subscriberd::cache
