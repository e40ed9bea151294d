#include "cache/tiered_cache.h"

#include <chrono>
#include <map>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

namespace subscriberd::cache {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A far tier that answers from a script and records what it was told.
class ScriptedCache final : public SubscriberCache {
 public:
  asio::awaitable<CacheLookup> find(domain::LookupKey key) override {
    ++finds;
    auto it = answers.find(name(key));
    co_return it == answers.end() ? CacheLookup{} : it->second;
  }
  void remember(const domain::Subscriber& s) override { remembered.push_back(s.id); }
  void remember_absent(const domain::LookupKey& key) override { absent.push_back(name(key)); }
  asio::awaitable<bool> check_health() override { co_return healthy; }
  std::string describe() const override { return "redis://far:1/0"; }

  static std::string name(const domain::LookupKey& key) {
    return key.kind == domain::LookupKey::Kind::kEmail ? "e:" + key.email
                                                       : "i:" + std::to_string(key.id);
  }

  std::map<std::string, CacheLookup> answers;
  int finds = 0;
  std::vector<domain::SubscriberId> remembered;
  std::vector<std::string> absent;
  bool healthy = true;
};

domain::Subscriber subscriber(domain::SubscriberId id, std::string email) {
  domain::Subscriber s;
  s.id = id;
  s.email = std::move(email);
  s.name = "Zoë";
  s.last_name = "Ñandú";
  s.created_at_ms = 1'700'000'000'000;
  return s;
}

class TieredCacheTest : public ::testing::Test {
 protected:
  TieredCacheTest() {
    auto far = std::make_unique<ScriptedCache>();
    far_ = far.get();
    cache_ = std::make_unique<TieredCache>(
        std::make_unique<MemoryCache>(MemoryCache::Options{1 << 20, 200ms, 100}), std::move(far));
  }

  CacheLookup find(const domain::LookupKey& key) {
    auto future = asio::co_spawn(context_, cache_->find(key), asio::use_future);
    context_.restart();
    context_.run();
    return future.get();
  }

  asio::io_context context_;
  ScriptedCache* far_ = nullptr;
  std::unique_ptr<TieredCache> cache_;
};

TEST_F(TieredCacheTest, FarHitIsKeptNear) {
  const auto s = subscriber(7, "a@b.c");
  far_->answers["e:a@b.c"] = CacheLookup{CacheLookup::Kind::kHit, s};
  EXPECT_EQ(find(domain::LookupKey::by_email("a@b.c")).subscriber, s);
  EXPECT_EQ(far_->finds, 1);
  // Both keys are now near: neither asks the far tier.
  EXPECT_EQ(find(domain::LookupKey::by_email("a@b.c")).subscriber, s);
  EXPECT_EQ(find(domain::LookupKey::by_id(7)).subscriber, s);
  EXPECT_EQ(far_->finds, 1);
}

TEST_F(TieredCacheTest, WritesGoToBothTiers) {
  const auto s = subscriber(8, "c@d.e");
  cache_->remember(s);
  EXPECT_EQ(far_->remembered, std::vector<domain::SubscriberId>{8});
  EXPECT_EQ(find(domain::LookupKey::by_id(8)).kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(far_->finds, 0);

  cache_->remember_absent(domain::LookupKey::by_id(9));
  EXPECT_EQ(far_->absent, std::vector<std::string>{"i:9"});
  EXPECT_EQ(find(domain::LookupKey::by_id(9)).kind, CacheLookup::Kind::kAbsent);
  EXPECT_EQ(far_->finds, 0);
}

TEST_F(TieredCacheTest, FarAbsentIsNotCopiedNear) {
  far_->answers["e:x@y.z"] = CacheLookup{CacheLookup::Kind::kAbsent, std::nullopt};
  EXPECT_EQ(find(domain::LookupKey::by_email("x@y.z")).kind, CacheLookup::Kind::kAbsent);
  // Another instance inserts it: once the far tier knows, so does this one at once.
  far_->answers["e:x@y.z"] = CacheLookup{CacheLookup::Kind::kHit, subscriber(10, "x@y.z")};
  EXPECT_EQ(find(domain::LookupKey::by_email("x@y.z")).kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(far_->finds, 2);
}

TEST_F(TieredCacheTest, NearNegativeEntryLastsNoLongerThanItsTtl) {
  cache_->remember_absent(domain::LookupKey::by_email("late@b.c"));
  far_->answers["e:late@b.c"] = CacheLookup{CacheLookup::Kind::kHit, subscriber(11, "late@b.c")};
  EXPECT_EQ(find(domain::LookupKey::by_email("late@b.c")).kind, CacheLookup::Kind::kAbsent);
  std::this_thread::sleep_for(250ms);
  EXPECT_EQ(find(domain::LookupKey::by_email("late@b.c")).kind, CacheLookup::Kind::kHit);
}

TEST_F(TieredCacheTest, HealthAndNameAreTheFarTiers) {
  auto healthy = [&] {
    auto future = asio::co_spawn(context_, cache_->check_health(), asio::use_future);
    context_.restart();
    context_.run();
    return future.get();
  };
  EXPECT_TRUE(healthy());
  far_->healthy = false;
  EXPECT_FALSE(healthy());
  EXPECT_EQ(cache_->describe(), "redis://far:1/0 + memory(1 MiB)");
}

}  // namespace
}  // namespace subscriberd::cache
