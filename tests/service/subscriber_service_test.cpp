#include "service/subscriber_service.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "run_to_completion.h"

namespace subscriberd::service {
namespace {

using cache::CacheLookup;
using domain::Cursor;
using domain::LookupKey;
using domain::Subscriber;
using store::StoreError;
using Direction = domain::Cursor::Direction;

constexpr std::int64_t kNow = 1795700701123;  // 2026-11-26T13:45:01.123Z

// --- test doubles ---------------------------------------------------------------------------

class FakeStore final : public store::SubscriberStore {
 public:
  // What the next call answers.
  store::InsertOutcome insert_outcome;  // kind kCreated: echo the row
  bool echo_insert = true;
  store::FindOutcome find_outcome;
  store::ListOutcome list_outcome;
  store::HealthOutcome health{true, ""};

  // What the service asked for.
  std::vector<Subscriber> inserted;
  std::vector<LookupKey> found;
  std::vector<domain::KeysetQuery> listed;

  boost::asio::awaitable<store::InsertOutcome> insert(Subscriber subscriber) override {
    inserted.push_back(subscriber);
    if (echo_insert)
      co_return store::InsertOutcome{store::InsertOutcome::Kind::kCreated, subscriber};
    co_return insert_outcome;
  }
  boost::asio::awaitable<store::FindOutcome> find(LookupKey key) override {
    found.push_back(key);
    co_return find_outcome;
  }
  boost::asio::awaitable<store::ListOutcome> list(domain::KeysetQuery query) override {
    listed.push_back(query);
    co_return list_outcome;
  }
  boost::asio::awaitable<store::HealthOutcome> check_health() override { co_return health; }
  void shutdown() override {}
  std::string describe() const override { return "fake"; }
};

class FakeCache final : public cache::SubscriberCache {
 public:
  CacheLookup answer;  // kMiss unless a test says otherwise
  bool healthy = true;

  std::vector<LookupKey> asked;
  std::vector<Subscriber> remembered;
  std::vector<LookupKey> remembered_absent;

  boost::asio::awaitable<CacheLookup> find(LookupKey key) override {
    asked.push_back(key);
    co_return answer;
  }
  void remember(const Subscriber& subscriber) override { remembered.push_back(subscriber); }
  void remember_absent(const LookupKey& key) override { remembered_absent.push_back(key); }
  boost::asio::awaitable<bool> check_health() override { co_return healthy; }
  std::string describe() const override { return "fake"; }
};

using test_support::run;

Subscriber stored(std::uint64_t id, std::string email) {
  Subscriber s;
  s.id = id;
  s.email = std::move(email);
  s.name = "Stored";
  s.last_name = "Row";
  s.status = domain::Status::kActive;
  s.created_at_ms = 1'700'000'000'000;
  return s;
}

domain::NewSubscriber ada() {
  domain::NewSubscriber n;
  n.email = "ada@example.com";
  n.name = "Ada";
  n.last_name = "Lovelace";
  n.status = domain::Status::kUnconfirmed;
  return n;
}

bool same_key(const LookupKey& a, const LookupKey& b) {
  return a.kind == b.kind && a.email == b.email && a.id == b.id;
}

class SubscriberServiceTest : public ::testing::Test {
 protected:
  FakeStore store_;
  FakeCache cache_;
  domain::IdGenerator ids_{17, [] { return kNow; }};
  metrics::Registry metrics_;
  SubscriberService service_{store_, cache_, ids_, metrics_};
};

// --- create -------------------------------------------------------------------------------

TEST_F(SubscriberServiceTest, CreateStoresRemembersAndCounts) {
  CreateResult result = run(service_.create(ada()));

  ASSERT_EQ(store_.inserted.size(), 1u);
  const Subscriber& row = store_.inserted[0];
  EXPECT_EQ(domain::IdGenerator::node_of(row.id), 17u);
  EXPECT_EQ(row.created_at_ms, kNow);
  EXPECT_EQ(domain::IdGenerator::timestamp_ms(row.id), row.created_at_ms);
  EXPECT_EQ(row.email, "ada@example.com");
  EXPECT_EQ(row.name, "Ada");
  EXPECT_EQ(row.last_name, "Lovelace");
  EXPECT_EQ(row.status, domain::Status::kUnconfirmed);

  EXPECT_EQ(result.kind, CreateResult::Kind::kCreated);
  EXPECT_EQ(result.failure, Failure::kNone);
  EXPECT_EQ(result.subscriber, row);

  ASSERT_EQ(cache_.asked.size(), 1u);
  EXPECT_TRUE(same_key(cache_.asked[0], LookupKey::by_email("ada@example.com")));
  ASSERT_EQ(cache_.remembered.size(), 1u);
  EXPECT_EQ(cache_.remembered[0], row);
  EXPECT_TRUE(cache_.remembered_absent.empty());

  EXPECT_EQ(metrics_.subscribers_created.value(), 1u);
  EXPECT_EQ(metrics_.duplicates_rejected.value(), 0u);
  EXPECT_EQ(metrics_.store_errors.value(), 0u);
}

TEST_F(SubscriberServiceTest, CreateReturnsTheRowAsTheStoreKeptIt) {
  store_.echo_insert = false;
  store_.insert_outcome = {store::InsertOutcome::Kind::kCreated, stored(5, "ada@example.com")};
  CreateResult result = run(service_.create(ada()));
  EXPECT_EQ(result.kind, CreateResult::Kind::kCreated);
  EXPECT_EQ(result.subscriber, stored(5, "ada@example.com"));
  ASSERT_EQ(cache_.remembered.size(), 1u);
  EXPECT_EQ(cache_.remembered[0], stored(5, "ada@example.com"));
}

TEST_F(SubscriberServiceTest, EachCreateGetsANewIncreasingId) {
  run(service_.create(ada()));
  domain::NewSubscriber other = ada();
  other.email = "bob@example.com";
  run(service_.create(other));
  ASSERT_EQ(store_.inserted.size(), 2u);
  EXPECT_GT(store_.inserted[1].id, store_.inserted[0].id);
  EXPECT_EQ(metrics_.subscribers_created.value(), 2u);
}

TEST_F(SubscriberServiceTest, CacheHitOnCreateIsADuplicateWithoutTheStore) {
  const Subscriber existing = stored(99, "ada@example.com");
  cache_.answer = CacheLookup{CacheLookup::Kind::kHit, existing};
  CreateResult result = run(service_.create(ada()));

  EXPECT_EQ(result.kind, CreateResult::Kind::kDuplicate);
  EXPECT_EQ(result.failure, Failure::kNone);
  EXPECT_EQ(result.subscriber, existing);
  EXPECT_TRUE(store_.inserted.empty());
  EXPECT_TRUE(cache_.remembered.empty());
  EXPECT_EQ(metrics_.duplicates_rejected.value(), 1u);
  EXPECT_EQ(metrics_.subscribers_created.value(), 0u);
}

TEST_F(SubscriberServiceTest, NegativeCacheEntryDoesNotDecideACreate) {
  cache_.answer = CacheLookup{CacheLookup::Kind::kAbsent, std::nullopt};
  CreateResult result = run(service_.create(ada()));
  EXPECT_EQ(result.kind, CreateResult::Kind::kCreated);
  EXPECT_EQ(store_.inserted.size(), 1u);
}

TEST_F(SubscriberServiceTest, StoreDuplicateIsTheConflictPath) {
  const Subscriber existing = stored(42, "ada@example.com");
  store_.echo_insert = false;
  store_.insert_outcome = {store::InsertOutcome::Kind::kDuplicate, existing};
  CreateResult result = run(service_.create(ada()));

  EXPECT_EQ(result.kind, CreateResult::Kind::kDuplicate);
  EXPECT_EQ(result.failure, Failure::kNone);
  EXPECT_EQ(result.subscriber, existing);
  EXPECT_EQ(store_.inserted.size(), 1u);
  ASSERT_EQ(cache_.remembered.size(), 1u);  // the stored row is worth caching
  EXPECT_EQ(cache_.remembered[0], existing);
  EXPECT_EQ(metrics_.duplicates_rejected.value(), 1u);
  EXPECT_EQ(metrics_.subscribers_created.value(), 0u);
}

TEST_F(SubscriberServiceTest, AnInsertCacheOfItsOwnServesCreatesAndTheOtherLookUps) {
  // As when the store's writers consult and fill the shared tier: creates use the in-process
  // tier alone, look-ups the whole cache.
  FakeCache insert_cache;
  SubscriberService service{store_, cache_, insert_cache, ids_, metrics_};
  CreateResult created = run(service.create(ada()));
  ASSERT_EQ(created.kind, CreateResult::Kind::kCreated);
  ASSERT_EQ(insert_cache.asked.size(), 1u);
  EXPECT_EQ(insert_cache.remembered, std::vector<Subscriber>{created.subscriber});
  EXPECT_TRUE(cache_.asked.empty());
  EXPECT_TRUE(cache_.remembered.empty());

  store_.find_outcome = {stored(7, "bob@example.com"), StoreError::kNone};
  ASSERT_EQ(run(service.find(LookupKey::by_email("bob@example.com"))).kind,
            FindResult::Kind::kFound);
  EXPECT_EQ(cache_.asked.size(), 1u);
  EXPECT_EQ(cache_.remembered, std::vector<Subscriber>{stored(7, "bob@example.com")});
  EXPECT_EQ(insert_cache.asked.size(), 1u);

  const Subscriber existing = stored(99, "ada@example.com");
  insert_cache.answer = CacheLookup{CacheLookup::Kind::kHit, existing};
  EXPECT_EQ(run(service.create(ada())).kind, CreateResult::Kind::kDuplicate);
  EXPECT_EQ(store_.inserted.size(), 1u);
}

TEST_F(SubscriberServiceTest, WhileTheStoreCannotTakeAnInsertTheSharedTierStillTellsARepeat) {
  FakeCache insert_cache;
  SubscriberService service{store_, cache_, insert_cache, ids_, metrics_};
  store_.echo_insert = false;
  store_.insert_outcome = {store::InsertOutcome::Kind::kError, {}, StoreError::kUnavailable};
  const Subscriber existing = stored(99, "ada@example.com");
  cache_.answer = CacheLookup{CacheLookup::Kind::kHit, existing};

  CreateResult result = run(service.create(ada()));
  EXPECT_EQ(result.kind, CreateResult::Kind::kDuplicate);
  EXPECT_EQ(result.subscriber, existing);
  ASSERT_EQ(cache_.asked.size(), 1u);
  EXPECT_TRUE(same_key(cache_.asked[0], LookupKey::by_email("ada@example.com")));
  EXPECT_EQ(insert_cache.remembered, std::vector<Subscriber>{existing});
  EXPECT_EQ(metrics_.store_errors.value(), 0u);

  // Unknown there too: the store's answer stands.
  cache_.answer = CacheLookup{};
  EXPECT_EQ(run(service.create(ada())).failure, Failure::kUnavailable);
  EXPECT_EQ(metrics_.store_errors.value(), 1u);
  // A failure that is not the store's absence is not worth the round trip.
  store_.insert_outcome = {store::InsertOutcome::Kind::kError, {}, StoreError::kFailed};
  EXPECT_EQ(run(service.create(ada())).failure, Failure::kInternal);
  EXPECT_EQ(cache_.asked.size(), 2u);
}

TEST_F(SubscriberServiceTest, WithOneCacheAStoreFailureAsksItNoSecondTime) {
  store_.echo_insert = false;
  store_.insert_outcome = {store::InsertOutcome::Kind::kError, {}, StoreError::kUnavailable};
  EXPECT_EQ(run(service_.create(ada())).failure, Failure::kUnavailable);
  EXPECT_EQ(cache_.asked.size(), 1u);  // the look-up before the insert, only
}

struct ErrorMapping {
  StoreError error;
  Failure failure;
};

class SubscriberServiceStoreErrorTest : public SubscriberServiceTest,
                                        public ::testing::WithParamInterface<ErrorMapping> {};

TEST_P(SubscriberServiceStoreErrorTest, CreateFails) {
  store_.echo_insert = false;
  store_.insert_outcome = {store::InsertOutcome::Kind::kError, {}, GetParam().error};
  CreateResult result = run(service_.create(ada()));
  EXPECT_EQ(result.kind, CreateResult::Kind::kFailed);
  EXPECT_EQ(result.failure, GetParam().failure);
  EXPECT_TRUE(cache_.remembered.empty());
  EXPECT_EQ(metrics_.store_errors.value(), 1u);
  EXPECT_EQ(metrics_.subscribers_created.value(), 0u);
  EXPECT_EQ(metrics_.duplicates_rejected.value(), 0u);
}

TEST_P(SubscriberServiceStoreErrorTest, FindFails) {
  store_.find_outcome = {std::nullopt, GetParam().error};
  FindResult result = run(service_.find(LookupKey::by_id(7)));
  EXPECT_EQ(result.kind, FindResult::Kind::kFailed);
  EXPECT_EQ(result.failure, GetParam().failure);
  EXPECT_TRUE(cache_.remembered.empty());
  EXPECT_TRUE(cache_.remembered_absent.empty()) << "a failure is not an absence";
  EXPECT_EQ(metrics_.store_errors.value(), 1u);
}

TEST_P(SubscriberServiceStoreErrorTest, ListFails) {
  store_.list_outcome.error = GetParam().error;
  store_.list_outcome.rows = {stored(3, "c@example.com")};
  ListResult result = run(service_.list(domain::PageRequest{}));
  EXPECT_EQ(result.failure, GetParam().failure);
  EXPECT_TRUE(result.page.data.empty());
  EXPECT_EQ(metrics_.store_errors.value(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Mapping, SubscriberServiceStoreErrorTest,
                         ::testing::Values(ErrorMapping{StoreError::kUnavailable,
                                                        Failure::kUnavailable},
                                           ErrorMapping{StoreError::kFailed, Failure::kInternal}));

// --- find ---------------------------------------------------------------------------------

TEST_F(SubscriberServiceTest, FindCacheHit) {
  const Subscriber s = stored(8, "h@example.com");
  cache_.answer = CacheLookup{CacheLookup::Kind::kHit, s};
  FindResult result = run(service_.find(LookupKey::by_email("h@example.com")));
  EXPECT_EQ(result.kind, FindResult::Kind::kFound);
  EXPECT_EQ(result.failure, Failure::kNone);
  EXPECT_EQ(result.subscriber, s);
  ASSERT_EQ(cache_.asked.size(), 1u);
  EXPECT_TRUE(same_key(cache_.asked[0], LookupKey::by_email("h@example.com")));
  EXPECT_TRUE(store_.found.empty());
  EXPECT_EQ(metrics_.cache_hits.value(), 1u);
  EXPECT_EQ(metrics_.cache_misses.value(), 0u);
}

TEST_F(SubscriberServiceTest, FindNegativeCacheEntry) {
  cache_.answer = CacheLookup{CacheLookup::Kind::kAbsent, std::nullopt};
  FindResult result = run(service_.find(LookupKey::by_id(404)));
  EXPECT_EQ(result.kind, FindResult::Kind::kNotFound);
  EXPECT_EQ(result.failure, Failure::kNone);
  EXPECT_TRUE(store_.found.empty());
  EXPECT_EQ(metrics_.cache_negative_hits.value(), 1u);
  EXPECT_EQ(metrics_.cache_hits.value(), 0u);
  EXPECT_EQ(metrics_.cache_misses.value(), 0u);
}

TEST_F(SubscriberServiceTest, FindMissGoesToTheStoreAndRemembers) {
  const Subscriber s = stored(9, "m@example.com");
  store_.find_outcome = {s, StoreError::kNone};
  FindResult result = run(service_.find(LookupKey::by_id(9)));
  EXPECT_EQ(result.kind, FindResult::Kind::kFound);
  EXPECT_EQ(result.subscriber, s);
  ASSERT_EQ(store_.found.size(), 1u);
  EXPECT_TRUE(same_key(store_.found[0], LookupKey::by_id(9)));
  ASSERT_EQ(cache_.remembered.size(), 1u);
  EXPECT_EQ(cache_.remembered[0], s);
  EXPECT_TRUE(cache_.remembered_absent.empty());
  EXPECT_EQ(metrics_.cache_misses.value(), 1u);
  EXPECT_EQ(metrics_.store_errors.value(), 0u);
}

TEST_F(SubscriberServiceTest, FindMissAndAbsentInTheStoreIsRememberedAsAbsent) {
  store_.find_outcome = {std::nullopt, StoreError::kNone};
  FindResult result = run(service_.find(LookupKey::by_email("ghost@example.com")));
  EXPECT_EQ(result.kind, FindResult::Kind::kNotFound);
  EXPECT_EQ(result.failure, Failure::kNone);
  ASSERT_EQ(store_.found.size(), 1u);
  EXPECT_TRUE(same_key(store_.found[0], LookupKey::by_email("ghost@example.com")));
  ASSERT_EQ(cache_.remembered_absent.size(), 1u);
  EXPECT_TRUE(same_key(cache_.remembered_absent[0], LookupKey::by_email("ghost@example.com")));
  EXPECT_TRUE(cache_.remembered.empty());
  EXPECT_EQ(metrics_.cache_misses.value(), 1u);
}

// --- list ---------------------------------------------------------------------------------

std::vector<Subscriber> rows(std::initializer_list<std::uint64_t> ids) {
  std::vector<Subscriber> out;
  for (std::uint64_t id : ids)
    out.push_back(stored(id, "s" + std::to_string(id) + "@example.com"));
  return out;
}

std::vector<std::uint64_t> ids_of(const domain::Page& page) {
  std::vector<std::uint64_t> out;
  for (const Subscriber& s : page.data)
    out.push_back(s.id);
  return out;
}

TEST_F(SubscriberServiceTest, ListFirstPage) {
  store_.list_outcome = {rows({30, 20, 10}), 3, StoreError::kNone};
  ListResult result = run(service_.list(domain::PageRequest{}));
  ASSERT_EQ(store_.listed.size(), 1u);
  const domain::KeysetQuery& q = store_.listed[0];
  EXPECT_EQ(q.direction, Direction::kOlder);
  EXPECT_EQ(q.anchor, std::nullopt);
  EXPECT_EQ(q.status, std::nullopt);
  EXPECT_EQ(q.fetch_limit, domain::kDefaultPageSize + 1);

  EXPECT_EQ(result.failure, Failure::kNone);
  EXPECT_EQ(ids_of(result.page), (std::vector<std::uint64_t>{30, 20, 10}));
  EXPECT_EQ(result.page.total, 3u);
  EXPECT_EQ(result.page.next, std::nullopt);
  EXPECT_EQ(result.page.prev, std::nullopt);
  EXPECT_TRUE(cache_.asked.empty()) << "lists do not go through the cache";
}

TEST_F(SubscriberServiceTest, ListPassesTheKeysetQueryAndBuildsThePage) {
  store_.list_outcome = {rows({99, 98, 97}), 57, StoreError::kNone};
  domain::PageRequest request;
  request.limit = 2;
  request.cursor = Cursor{Direction::kOlder, 100};
  request.status = domain::Status::kBounced;
  ListResult result = run(service_.list(request));

  ASSERT_EQ(store_.listed.size(), 1u);
  const domain::KeysetQuery& q = store_.listed[0];
  EXPECT_EQ(q.direction, Direction::kOlder);
  EXPECT_EQ(q.anchor, 100u);
  EXPECT_EQ(q.status, domain::Status::kBounced);
  EXPECT_EQ(q.fetch_limit, 3u);

  EXPECT_EQ(result.failure, Failure::kNone);
  EXPECT_EQ(ids_of(result.page), (std::vector<std::uint64_t>{99, 98}));
  EXPECT_EQ(result.page.total, 57u);
  EXPECT_EQ(result.page.next, (Cursor{Direction::kOlder, 98}));
  EXPECT_EQ(result.page.prev, (Cursor{Direction::kNewer, 99}));
}

TEST_F(SubscriberServiceTest, ListBackwards) {
  store_.list_outcome = {rows({11, 12, 13}), 57, StoreError::kNone};  // ascending from the store
  domain::PageRequest request;
  request.limit = 2;
  request.cursor = Cursor{Direction::kNewer, 10};
  ListResult result = run(service_.list(request));

  ASSERT_EQ(store_.listed.size(), 1u);
  EXPECT_EQ(store_.listed[0].direction, Direction::kNewer);
  EXPECT_EQ(store_.listed[0].anchor, 10u);
  EXPECT_EQ(store_.listed[0].fetch_limit, 3u);
  EXPECT_EQ(ids_of(result.page), (std::vector<std::uint64_t>{12, 11}));
  EXPECT_EQ(result.page.next, (Cursor{Direction::kOlder, 11}));
  EXPECT_EQ(result.page.prev, (Cursor{Direction::kNewer, 12}));
}

// --- readiness ----------------------------------------------------------------------------

TEST_F(SubscriberServiceTest, ReadyWhenStoreAndCacheAre) {
  Readiness r = run(service_.readiness());
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(r.failing, "");
}

TEST_F(SubscriberServiceTest, NotReadyWhenTheStoreIsDown) {
  store_.health = {false, "database is locked"};
  Readiness r = run(service_.readiness());
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.failing, "store: database is locked");
}

TEST_F(SubscriberServiceTest, NotReadyWhenTheCacheIsDown) {
  cache_.healthy = false;
  Readiness r = run(service_.readiness());
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.failing, "cache: not answering");
}

}  // namespace
}  // namespace subscriberd::service
