#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "cache/subscriber_cache.h"
#include "domain/id_generator.h"
#include "domain/paging.h"
#include "domain/subscriber.h"
#include "metrics/metrics.h"
#include "store/subscriber_store.h"

// The use cases of the service: create, find, list. Knows nothing of HTTP; combines the
// store of record with the cache and keeps the counters that describe what happened.
namespace subscriberd::service {

enum class Failure : std::uint8_t {
  kNone,
  kUnavailable,  // a dependency is down: the client may retry (503)
  kInternal,     // a bug or an unexpected store error (500)
};

struct CreateResult {
  enum class Kind : std::uint8_t { kCreated, kDuplicate, kFailed };
  Kind kind = Kind::kFailed;
  domain::Subscriber subscriber;  // the new row, or the one that already held the e-mail
  Failure failure = Failure::kNone;
};

struct FindResult {
  enum class Kind : std::uint8_t { kFound, kNotFound, kFailed };
  Kind kind = Kind::kFailed;
  domain::Subscriber subscriber;
  Failure failure = Failure::kNone;
};

struct ListResult {
  domain::Page page;
  Failure failure = Failure::kNone;
};

struct Readiness {
  bool ready = false;
  std::string failing;  // which dependency, and why
};

class SubscriberService {
 public:
  // `cache` answers look-ups and is filled by them. `insert_cache` is what a POST consults
  // before its insert and fills after it: the same cache, or only the in-process tier when the
  // store's writers consult and fill the shared one themselves, a batch at a time.
  SubscriberService(store::SubscriberStore& store, cache::SubscriberCache& cache,
                    cache::SubscriberCache& insert_cache, domain::IdGenerator& ids,
                    metrics::Registry& metrics);
  SubscriberService(store::SubscriberStore& store, cache::SubscriberCache& cache,
                    domain::IdGenerator& ids, metrics::Registry& metrics)
      : SubscriberService(store, cache, cache, ids, metrics) {}

  boost::asio::awaitable<CreateResult> create(domain::NewSubscriber request);
  boost::asio::awaitable<FindResult> find(domain::LookupKey key);
  boost::asio::awaitable<ListResult> list(domain::PageRequest request);
  boost::asio::awaitable<Readiness> readiness();

 private:
  store::SubscriberStore& store_;
  cache::SubscriberCache& cache_;
  cache::SubscriberCache& insert_cache_;
  domain::IdGenerator& ids_;
  metrics::Registry& metrics_;
};

}  // namespace subscriberd::service
