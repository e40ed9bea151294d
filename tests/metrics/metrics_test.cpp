#include "metrics/metrics.h"

#include <cstdint>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/thread_slot.h"

namespace subscriberd::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// The metric family a sample line belongs to: its name without labels and without the
// histogram suffixes.
std::string family_of(std::string_view sample) {
  std::string_view name = sample.substr(0, sample.find_first_of("{ "));
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.ends_with(suffix)) {
      name.remove_suffix(suffix.size());
      break;
    }
  }
  return std::string(name);
}

// Values of the sample lines that start with `prefix`, in order.
std::vector<std::uint64_t> values_of(const std::string& text, std::string_view prefix) {
  std::vector<std::uint64_t> values;
  for (const std::string& line : lines_of(text)) {
    if (line.starts_with(prefix))
      values.push_back(std::stoull(line.substr(line.rfind(' ') + 1)));
  }
  return values;
}

// --- Counter ------------------------------------------------------------------------------

TEST(Counter, StartsAtZeroAndAdds) {
  Counter c;
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
}

TEST(Counter, IsSafeAcrossThreads) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 10'000; ++i)
        c.inc();
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(c.value(), 40'000u);
}

TEST(Counter, SumsMoreThreadsThanSlots) {
  Counter c;
  constexpr int kThreads = static_cast<int>(util::kThreadSlots) + 5;  // some share a slot
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 1'000; ++i)
        c.inc(static_cast<std::uint64_t>(t + 1));
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(c.value(), 1'000u * kThreads * (kThreads + 1) / 2);
}

// --- Histogram ----------------------------------------------------------------------------

TEST(Histogram, RendersCumulativeBucketsSumAndCount) {
  Histogram h({1, 2, 4});
  for (double v : {0.5, 1.0, 1.5, 3.0, 100.0})
    h.observe(v);
  EXPECT_EQ(h.count(), 5u);
  std::string out;
  h.render(out, "x", "");
  EXPECT_EQ(out,
            "x_bucket{le=\"1\"} 2\n"
            "x_bucket{le=\"2\"} 3\n"
            "x_bucket{le=\"4\"} 4\n"
            "x_bucket{le=\"+Inf\"} 5\n"
            "x_sum 106\n"
            "x_count 5\n");
}

TEST(Histogram, ABoundaryValueFallsInItsOwnBucket) {
  Histogram h({1, 2});
  h.observe(2.0);
  std::string out;
  h.render(out, "b", "");
  EXPECT_THAT(out, HasSubstr("b_bucket{le=\"1\"} 0\n"));
  EXPECT_THAT(out, HasSubstr("b_bucket{le=\"2\"} 1\n"));
}

TEST(Histogram, LabelsGoBeforeLe) {
  Histogram h({0.5});
  h.observe(0.25);
  std::string out;
  h.render(out, "y", "route=\"a\"");
  EXPECT_EQ(out,
            "y_bucket{route=\"a\",le=\"0.5\"} 1\n"
            "y_bucket{route=\"a\",le=\"+Inf\"} 1\n"
            "y_sum{route=\"a\"} 0.25\n"
            "y_count{route=\"a\"} 1\n");
}

TEST(Histogram, EmptyHistogramRendersZeros) {
  Histogram h({1});
  std::string out;
  h.render(out, "e", "");
  EXPECT_EQ(out, "e_bucket{le=\"1\"} 0\ne_bucket{le=\"+Inf\"} 0\ne_sum 0\ne_count 0\n");
}

TEST(Histogram, CountEqualsTheInfBucketUnderConcurrency) {
  Histogram h({1, 10, 100});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 5'000; ++i)
        h.observe(static_cast<double>((i * (t + 1)) % 200));
    });
  }
  for (auto& thread : threads)
    thread.join();
  std::string out;
  h.render(out, "c", "");
  EXPECT_EQ(h.count(), 20'000u);
  EXPECT_THAT(values_of(out, "c_bucket{le=\"+Inf\"}"), ElementsAre(20'000u));
  EXPECT_THAT(values_of(out, "c_count"), ElementsAre(20'000u));
  std::vector<std::uint64_t> buckets = values_of(out, "c_bucket");
  ASSERT_EQ(buckets.size(), 4u);
  for (std::size_t i = 1; i < buckets.size(); ++i)
    EXPECT_LE(buckets[i - 1], buckets[i]);
}

TEST(Histogram, SumsEverySlot) {
  Histogram h({1});
  constexpr int kThreads = static_cast<int>(util::kThreadSlots) + 3;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 100; ++i)
        h.observe(i % 2 == 0 ? 0.5 : 2.0);
    });
  }
  for (auto& thread : threads)
    thread.join();
  std::string out;
  h.render(out, "s", "");
  EXPECT_THAT(values_of(out, "s_bucket{le=\"1\"}"), ElementsAre(50u * kThreads));
  EXPECT_THAT(values_of(out, "s_count"), ElementsAre(100u * kThreads));
  EXPECT_DOUBLE_EQ(h.sum(), 125.0 * kThreads);
}

TEST(Histogram, RefusesMoreBoundsThanItHolds) {
  std::vector<double> bounds;
  for (std::size_t i = 1; i <= Histogram::kMaxBounds; ++i)
    bounds.push_back(static_cast<double>(i));
  EXPECT_NO_THROW(Histogram{bounds});
  bounds.push_back(100.0);
  EXPECT_THROW(Histogram{bounds}, std::invalid_argument);
}

// --- names ------------------------------------------------------------------------------

TEST(Names, Routes) {
  EXPECT_EQ(route_name(Route::kSubscribersCreate), "subscribers_create");
  EXPECT_EQ(route_name(Route::kSubscribersList), "subscribers_list");
  EXPECT_EQ(route_name(Route::kSubscribersGet), "subscribers_get");
  EXPECT_EQ(route_name(Route::kHealthz), "healthz");
  EXPECT_EQ(route_name(Route::kReadyz), "readyz");
  EXPECT_EQ(route_name(Route::kMetrics), "metrics");
  EXPECT_EQ(route_name(Route::kOpenApi), "openapi");
  EXPECT_EQ(route_name(Route::kWebPage), "web_page");
  EXPECT_EQ(route_name(Route::kUnmatched), "unmatched");
}

TEST(Names, Methods) {
  EXPECT_EQ(method_from("GET"), Method::kGet);
  EXPECT_EQ(method_from("HEAD"), Method::kHead);
  EXPECT_EQ(method_from("POST"), Method::kPost);
  EXPECT_EQ(method_from("PUT"), Method::kOther);
  EXPECT_EQ(method_from("get"), Method::kOther);  // methods are case-sensitive
  EXPECT_EQ(method_from(""), Method::kOther);
}

// --- Registry -----------------------------------------------------------------------------

TEST(Registry, EverySampleHasHelpAndTypeLines) {
  Registry registry;
  registry.record_request(Route::kSubscribersGet, Method::kGet, 200, 0.001);
  registry.store_batch_size.observe(3);
  const std::string text = registry.render();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');

  std::set<std::string> helped;
  std::set<std::string> typed;
  for (const std::string& line : lines_of(text)) {
    ASSERT_FALSE(line.empty()) << "blank line in the exposition";
    if (line.starts_with("# HELP ")) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(typed.count(name) == 0) << "HELP after TYPE for " << name;
      helped.insert(name);
    } else if (line.starts_with("# TYPE ")) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(helped.count(name) == 1) << "TYPE without HELP for " << name;
      std::string type = line.substr(line.rfind(' ') + 1);
      EXPECT_THAT(type, ::testing::AnyOf("counter", "gauge", "histogram")) << line;
      typed.insert(name);
    } else {
      EXPECT_TRUE(typed.count(family_of(line)) == 1) << "sample without TYPE: " << line;
    }
  }
  for (std::string_view name :
       {"subscriberd_build_info", "subscriberd_http_requests_total",
        "subscriberd_http_request_duration_seconds", "subscriberd_subscribers_created_total",
        "subscriberd_duplicates_rejected_total", "subscriberd_cache_hits_total",
        "subscriberd_cache_negative_hits_total", "subscriberd_cache_misses_total",
        "subscriberd_cache_errors_total", "subscriberd_store_errors_total",
        "subscriberd_store_retries_total", "subscriberd_store_cached_duplicates_total",
        "subscriberd_store_batch_size", "subscriberd_store_commit_duration_seconds",
        "subscriberd_store_queue_wait_seconds"}) {
    EXPECT_TRUE(typed.count(std::string(name)) == 1) << name;
  }
}

TEST(Registry, TypesAreRight) {
  const std::string text = Registry().render();
  EXPECT_THAT(text, HasSubstr("# TYPE subscriberd_build_info gauge\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE subscriberd_http_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE subscriberd_http_request_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE subscriberd_cache_hits_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE subscriberd_store_batch_size histogram\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_build_info{version=\"" SUBSCRIBERD_VERSION "\"} 1\n"));
}

TEST(Registry, CountersMove) {
  Registry registry;
  EXPECT_THAT(registry.render(),
              HasSubstr("# HELP subscriberd_subscribers_created_total Subscribers stored.\n"
                        "# TYPE subscriberd_subscribers_created_total counter\n"
                        "subscriberd_subscribers_created_total 0\n"));
  registry.subscribers_created.inc();
  registry.subscribers_created.inc();
  registry.duplicates_rejected.inc();
  registry.cache_hits.inc(5);
  registry.cache_negative_hits.inc(6);
  registry.cache_misses.inc(7);
  registry.cache_errors.inc(8);
  registry.store_errors.inc(9);
  registry.store_retries.inc(10);
  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("\nsubscriberd_subscribers_created_total 2\n"));
  EXPECT_THAT(text, HasSubstr("\nsubscriberd_duplicates_rejected_total 1\n"));
  EXPECT_THAT(text, HasSubstr("\nsubscriberd_cache_hits_total 5\n"));
  EXPECT_THAT(text, HasSubstr("\nsubscriberd_cache_negative_hits_total 6\n"));
  EXPECT_THAT(text, HasSubstr("\nsubscriberd_cache_misses_total 7\n"));
  EXPECT_THAT(text, HasSubstr("\nsubscriberd_cache_errors_total 8\n"));
  EXPECT_THAT(text, HasSubstr("\nsubscriberd_store_errors_total 9\n"));
  EXPECT_THAT(text, HasSubstr("\nsubscriberd_store_retries_total 10\n"));
}

TEST(Registry, SampledSeriesAreReadWhenRendered) {
  Registry registry;
  std::uint64_t entries = 3;
  {
    Sampling gauge = registry.sample("test_entries", SeriesType::kGauge, "Entries held.",
                                     [&entries] { return entries; });
    Sampling counter = registry.sample("test_evictions_total", SeriesType::kCounter,
                                       "Entries evicted.", [] { return std::uint64_t{7}; });
    EXPECT_THAT(registry.render(), HasSubstr("# HELP test_entries Entries held.\n"
                                             "# TYPE test_entries gauge\n"
                                             "test_entries 3\n"));
    entries = 42;
    const std::string text = registry.render();
    EXPECT_THAT(text, HasSubstr("\ntest_entries 42\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE test_evictions_total counter\ntest_evictions_total 7\n"));
  }
  // The registrations are gone, and so are their series.
  EXPECT_THAT(registry.render(), Not(HasSubstr("test_")));
}

TEST(Registry, ANameIsSampledOnceAtATime) {
  Registry registry;
  auto read = [] { return std::uint64_t{1}; };
  {
    Sampling first = registry.sample("test_once", SeriesType::kGauge, "Once.", read);
    EXPECT_THROW((void)registry.sample("test_once", SeriesType::kGauge, "Twice.", read),
                 std::logic_error);
  }
  Sampling again = registry.sample("test_once", SeriesType::kGauge, "Again.", read);
  EXPECT_THAT(registry.render(), HasSubstr("# HELP test_once Again.\n"));
}

TEST(Registry, ASamplingMovesWithItsSeries) {
  Registry registry;
  Sampling kept;
  {
    Sampling first = registry.sample("test_moved", SeriesType::kGauge, "Moved.",
                                     [] { return std::uint64_t{1}; });
    kept = std::move(first);
  }
  EXPECT_THAT(registry.render(), HasSubstr("\ntest_moved 1\n"));
  kept = registry.sample("test_replacement", SeriesType::kGauge, "Replaces.",
                         [] { return std::uint64_t{2}; });
  const std::string text = registry.render();
  EXPECT_THAT(text, Not(HasSubstr("test_moved")));
  EXPECT_THAT(text, HasSubstr("\ntest_replacement 2\n"));
}

TEST(Registry, RequestsAreCountedByRouteMethodAndStatus) {
  Registry registry;
  EXPECT_THAT(registry.render(), Not(HasSubstr("subscriberd_http_requests_total{")));
  registry.record_request(Route::kSubscribersGet, Method::kGet, 200, 0.001);
  registry.record_request(Route::kSubscribersGet, Method::kGet, 200, 0.002);
  registry.record_request(Route::kSubscribersGet, Method::kGet, 404, 0.001);
  registry.record_request(Route::kSubscribersCreate, Method::kPost, 201, 0.01);
  registry.record_request(Route::kUnmatched, Method::kOther, 418, 0.0);
  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("subscriberd_http_requests_total{route=\"subscribers_get\","
                              "method=\"GET\",status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_http_requests_total{route=\"subscribers_get\","
                              "method=\"GET\",status=\"404\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_http_requests_total{route=\"subscribers_create\","
                              "method=\"POST\",status=\"201\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_http_requests_total{route=\"unmatched\","
                              "method=\"OTHER\",status=\"other\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("method=\"HEAD\"")));
}

TEST(Registry, RequestsFromManyThreadsAreAllCounted) {
  Registry registry;
  constexpr int kThreads = static_cast<int>(util::kThreadSlots) + 2;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry] {
      for (int i = 0; i < 500; ++i)
        registry.record_request(Route::kSubscribersGet, Method::kGet, 200, 0.001);
    });
  }
  for (auto& thread : threads)
    thread.join();
  const std::string text = registry.render();
  EXPECT_THAT(values_of(text,
                        "subscriberd_http_requests_total{route=\"subscribers_get\","
                        "method=\"GET\",status=\"200\"}"),
              ElementsAre(500u * kThreads));
  EXPECT_THAT(
      values_of(text, "subscriberd_http_request_duration_seconds_count{route=\"subscribers_get\"}"),
      ElementsAre(500u * kThreads));
}

TEST(Registry, LatencyHistogramsAreCumulativeAndCountMatchesInf) {
  Registry registry;
  registry.record_request(Route::kSubscribersList, Method::kGet, 200, 0.00005);
  registry.record_request(Route::kSubscribersList, Method::kGet, 200, 0.003);
  registry.record_request(Route::kSubscribersList, Method::kGet, 200, 0.003);
  registry.record_request(Route::kSubscribersList, Method::kGet, 200, 20.0);  // past the last bound
  const std::string text = registry.render();
  const std::string prefix =
      "subscriberd_http_request_duration_seconds_bucket{route=\"subscribers_list\",";
  std::vector<std::uint64_t> buckets = values_of(text, prefix);
  ASSERT_EQ(buckets.size(), 17u);  // 16 bounds and +Inf
  EXPECT_EQ(buckets.front(), 1u);
  for (std::size_t i = 1; i < buckets.size(); ++i)
    EXPECT_LE(buckets[i - 1], buckets[i]) << i;
  EXPECT_EQ(buckets[buckets.size() - 2], 3u);  // le="10"
  EXPECT_EQ(buckets.back(), 4u);
  EXPECT_THAT(values_of(text, prefix + "le=\"+Inf\"}"), ElementsAre(4u));
  EXPECT_THAT(
      values_of(text,
                "subscriberd_http_request_duration_seconds_count{route=\"subscribers_list\"}"),
      ElementsAre(4u));
  // Routes without requests are left out.
  EXPECT_THAT(text, Not(HasSubstr("route=\"healthz\"")));
}

TEST(Registry, StoreHistograms) {
  Registry registry;
  registry.store_batch_size.observe(1);
  registry.store_batch_size.observe(3);
  registry.store_batch_size.observe(5000);
  registry.store_commit_seconds.observe(0.002);
  registry.store_queue_wait_seconds.observe(0.0004);
  registry.store_queue_wait_seconds.observe(0.03);
  const std::string text = registry.render();
  EXPECT_THAT(text, HasSubstr("subscriberd_store_batch_size_bucket{le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_store_batch_size_bucket{le=\"2\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_store_batch_size_bucket{le=\"4\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_store_batch_size_bucket{le=\"2048\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_store_batch_size_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_store_batch_size_sum 5004\n"));
  EXPECT_THAT(text, HasSubstr("subscriberd_store_batch_size_count 3\n"));
  EXPECT_THAT(values_of(text, "subscriberd_store_commit_duration_seconds_count"), ElementsAre(1u));
  EXPECT_THAT(values_of(text, "subscriberd_store_commit_duration_seconds_bucket{le=\"+Inf\"}"),
              ElementsAre(1u));
  EXPECT_THAT(values_of(text, "subscriberd_store_queue_wait_seconds_bucket{le=\"5e-04\"}"),
              ElementsAre(1u));
  EXPECT_THAT(values_of(text, "subscriberd_store_queue_wait_seconds_count"), ElementsAre(2u));
  EXPECT_THAT(text, HasSubstr("subscriberd_store_queue_wait_seconds_sum 0.0304\n"));
}

}  // namespace
}  // namespace subscriberd::metrics
