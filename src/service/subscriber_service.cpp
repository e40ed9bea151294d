#include "service/subscriber_service.h"

namespace subscriberd::service {
namespace {

Failure failure_from(store::StoreError error) {
  return error == store::StoreError::kUnavailable ? Failure::kUnavailable : Failure::kInternal;
}

}  // namespace

SubscriberService::SubscriberService(store::SubscriberStore& store, cache::SubscriberCache& cache,
                                     cache::SubscriberCache& insert_cache, domain::IdGenerator& ids,
                                     metrics::Registry& metrics)
    : store_(store), cache_(cache), insert_cache_(insert_cache), ids_(ids), metrics_(metrics) {}

boost::asio::awaitable<CreateResult> SubscriberService::create(domain::NewSubscriber request) {
  // Rows are never updated or deleted, so a cached subscriber is certainly stored: a repeat of
  // a known e-mail is answered without a trip to the database. Negative entries are not
  // trusted here; only the store's unique key decides that an e-mail is new.
  auto cached = co_await insert_cache_.find(domain::LookupKey::by_email(request.email));
  if (cached.kind == cache::CacheLookup::Kind::kHit) {
    metrics_.duplicates_rejected.inc();
    co_return CreateResult{CreateResult::Kind::kDuplicate, std::move(*cached.subscriber)};
  }

  // When the shared tier is the store writers' to ask, it is asked here only if the store
  // cannot take the insert (down, overloaded, stopping): a repeat it knows is then still a
  // 409, not a 503. The e-mail is kept for that.
  std::string email_for_shared_tier;
  if (&insert_cache_ != &cache_)
    email_for_shared_tier = request.email;

  domain::Subscriber row;
  row.id = ids_.next();
  row.created_at_ms = domain::IdGenerator::timestamp_ms(row.id);
  row.email = std::move(request.email);
  row.name = std::move(request.name);
  row.last_name = std::move(request.last_name);
  row.status = request.status;

  auto outcome = co_await store_.insert(std::move(row));
  switch (outcome.kind) {
    case store::InsertOutcome::Kind::kCreated:
      metrics_.subscribers_created.inc();
      insert_cache_.remember(outcome.subscriber);
      co_return CreateResult{CreateResult::Kind::kCreated, std::move(outcome.subscriber)};
    case store::InsertOutcome::Kind::kDuplicate:
      metrics_.duplicates_rejected.inc();
      insert_cache_.remember(outcome.subscriber);
      co_return CreateResult{CreateResult::Kind::kDuplicate, std::move(outcome.subscriber)};
    case store::InsertOutcome::Kind::kError:
      break;
  }
  if (outcome.error == store::StoreError::kUnavailable && !email_for_shared_tier.empty()) {
    auto shared =
        co_await cache_.find(domain::LookupKey::by_email(std::move(email_for_shared_tier)));
    if (shared.kind == cache::CacheLookup::Kind::kHit) {
      metrics_.duplicates_rejected.inc();
      insert_cache_.remember(*shared.subscriber);
      co_return CreateResult{CreateResult::Kind::kDuplicate, std::move(*shared.subscriber)};
    }
  }
  metrics_.store_errors.inc();
  co_return CreateResult{CreateResult::Kind::kFailed, {}, failure_from(outcome.error)};
}

boost::asio::awaitable<FindResult> SubscriberService::find(domain::LookupKey key) {
  auto cached = co_await cache_.find(key);
  switch (cached.kind) {
    case cache::CacheLookup::Kind::kHit:
      metrics_.cache_hits.inc();
      co_return FindResult{FindResult::Kind::kFound, std::move(*cached.subscriber)};
    case cache::CacheLookup::Kind::kAbsent:
      metrics_.cache_negative_hits.inc();
      co_return FindResult{FindResult::Kind::kNotFound, {}};
    case cache::CacheLookup::Kind::kMiss:
      metrics_.cache_misses.inc();
      break;
  }

  auto outcome = co_await store_.find(key);
  if (outcome.error != store::StoreError::kNone) {
    metrics_.store_errors.inc();
    co_return FindResult{FindResult::Kind::kFailed, {}, failure_from(outcome.error)};
  }
  if (!outcome.subscriber) {
    cache_.remember_absent(key);
    co_return FindResult{FindResult::Kind::kNotFound, {}};
  }
  cache_.remember(*outcome.subscriber);
  co_return FindResult{FindResult::Kind::kFound, std::move(*outcome.subscriber)};
}

boost::asio::awaitable<ListResult> SubscriberService::list(domain::PageRequest request) {
  auto outcome = co_await store_.list(domain::keyset_query_for(request));
  if (outcome.error != store::StoreError::kNone) {
    metrics_.store_errors.inc();
    co_return ListResult{{}, failure_from(outcome.error)};
  }
  co_return ListResult{domain::make_page(request, std::move(outcome.rows), outcome.total)};
}

boost::asio::awaitable<Readiness> SubscriberService::readiness() {
  auto store_health = co_await store_.check_health();
  if (!store_health.healthy)
    co_return Readiness{false, "store: " + store_health.detail};
  if (!co_await cache_.check_health())
    co_return Readiness{false, "cache: not answering"};
  co_return Readiness{true, {}};
}

}  // namespace subscriberd::service
