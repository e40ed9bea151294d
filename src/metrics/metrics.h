#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Prometheus metrics with lock-free updates on the hot path: every series is a preallocated
// atomic, so recording a request is a handful of relaxed increments and no allocation.
namespace subscriberd::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Histogram {
 public:
  // `upper_bounds` ascending; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  // Appends the _bucket/_sum/_count series; `labels` is "" or `route="x"` (no braces).
  void render(std::string& out, std::string_view name, std::string_view labels) const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const {
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> buckets_;  // non-cumulative; summed when rendered
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};  // fixed point keeps the sum an atomic integer
};

enum class Route : std::uint8_t {
  kSubscribersCreate,
  kSubscribersList,
  kSubscribersGet,
  kHealthz,
  kReadyz,
  kMetrics,
  kOpenApi,
  kWebPage,
  kUnmatched,
  kCount,
};
std::string_view route_name(Route route);

enum class Method : std::uint8_t { kGet, kHead, kPost, kOther, kCount };
Method method_from(std::string_view verb);

class Registry;

// Keeps a sampled series (Registry::sample) on the page; destroying it takes the series off,
// waiting for a render in progress. Its owner drops it before tearing down what it reads.
class Sampling {
 public:
  Sampling() = default;
  Sampling(Sampling&& other) noexcept;
  Sampling& operator=(Sampling&& other) noexcept;
  Sampling(const Sampling&) = delete;
  Sampling& operator=(const Sampling&) = delete;
  ~Sampling();

 private:
  friend class Registry;
  Sampling(Registry& registry, std::uint64_t id) : registry_(&registry), id_(id) {}

  Registry* registry_ = nullptr;
  std::uint64_t id_ = 0;
};

enum class SeriesType : std::uint8_t { kGauge, kCounter };

class Registry {
 public:
  Registry();

  void record_request(Route route, Method method, unsigned status, double seconds);

  Counter subscribers_created;
  Counter duplicates_rejected;
  Counter cache_hits;
  Counter cache_negative_hits;
  Counter cache_misses;
  Counter cache_errors;  // a cache call failed; the request went on to the store
  Counter store_errors;
  Counter store_retries;
  Counter store_cached_duplicates;  // inserts a writer answered from the shared cache
  Histogram store_batch_size;
  Histogram store_commit_seconds;
  Histogram store_queue_wait_seconds;  // an insert, from queued to its batch's transaction
  Histogram store_checkpoint_seconds;  // SQLite: copying the log into the database file

  // A series whose value is read from its owner when the page is rendered, rather than kept
  // up to date on the hot path: the size of a cache, for one. `read` runs on the thread that
  // renders, so it must be safe to call from any thread while the Sampling lives. A name is
  // sampled once at a time (a page may not show it twice): std::logic_error otherwise.
  [[nodiscard]] Sampling sample(std::string name, SeriesType type, std::string help,
                                std::function<std::uint64_t()> read);

  // Text exposition format 0.0.4.
  std::string render() const;

 private:
  friend class Sampling;
  struct SampledSeries {
    std::uint64_t id;
    std::string name;
    SeriesType type;
    std::string help;
    std::function<std::uint64_t()> read;
  };
  void stop_sampling(std::uint64_t id);

  static constexpr std::array<unsigned, 16> kStatuses = {200, 201, 202, 204, 301, 304, 400, 404,
                                                         405, 409, 413, 415, 422, 431, 500, 503};
  static constexpr std::size_t kStatusSlots = kStatuses.size() + 1;  // last: any other status
  static constexpr std::size_t kRoutes = static_cast<std::size_t>(Route::kCount);
  static constexpr std::size_t kMethods = static_cast<std::size_t>(Method::kCount);

  static std::size_t status_slot(unsigned status);

  std::array<std::atomic<std::uint64_t>, kRoutes * kMethods * kStatusSlots> requests_{};
  std::vector<std::unique_ptr<Histogram>> latency_by_route_;

  // Registered and removed at start-up and shutdown, read once a scrape: a plain mutex will do.
  mutable std::mutex sampled_mutex_;
  std::vector<SampledSeries> sampled_;
  std::uint64_t next_sample_id_ = 1;
};

}  // namespace subscriberd::metrics
