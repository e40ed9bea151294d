#pragma once

#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "domain/subscriber.h"

// A read cache in front of the store. Subscribers are insert-only, so an entry never goes
// stale: the cache is filled on insert (write-through) and on read (read-through). A cache
// failure is never a request failure; it only degrades to the store.
namespace subscriberd::cache {

struct CacheLookup {
  enum class Kind : std::uint8_t {
    kHit,     // `subscriber` holds the record
    kAbsent,  // a recent look-up found nothing in the store (negative entry)
    kMiss,    // the cache knows nothing: ask the store
  };
  Kind kind = Kind::kMiss;
  std::optional<domain::Subscriber> subscriber;
};

class SubscriberCache {
 public:
  virtual ~SubscriberCache() = default;

  // The key is taken by value: a coroutine outlives the statement that started it, and a
  // reference parameter could dangle by the time the body runs.
  virtual boost::asio::awaitable<CacheLookup> find(domain::LookupKey key) = 0;
  // Fire-and-forget: remembers a stored subscriber under its e-mail and id.
  virtual void remember(const domain::Subscriber& subscriber) = 0;
  // Fire-and-forget: remembers for a short while that the store has no such subscriber.
  virtual void remember_absent(const domain::LookupKey& key) = 0;

  virtual boost::asio::awaitable<bool> check_health() = 0;
  virtual std::string describe() const = 0;
};

}  // namespace subscriberd::cache
