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

#include "util/thread_slot.h"

// Prometheus metrics with lock-free updates on the hot path: every series is a set of
// preallocated atomics, so recording a request is a handful of relaxed increments and no
// allocation. Each series keeps one copy a thread slot (util/thread_slot.h), summed when read:
// the network threads record every request, and one shared copy would pass its cache line
// between their cores each time.
namespace subscriberd::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) {
    slots_[util::this_thread_slot()].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const;

 private:
  struct alignas(util::kSlotAlignment) Slot {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Slot, util::kThreadSlots> slots_;
};

class Histogram {
 public:
  // The most finite bounds a histogram takes: each thread slot holds its buckets in place.
  static constexpr std::size_t kMaxBounds = 16;

  // `upper_bounds` ascending, at most kMaxBounds of them; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;
  void observe(double value);
  // Appends the _bucket/_sum/_count series; `labels` is "" or `route="x"` (no braces).
  void render(std::string& out, std::string_view name, std::string_view labels) const;
  std::uint64_t count() const;
  double sum() const;

 private:
  struct alignas(util::kSlotAlignment) Slot {
    std::array<std::atomic<std::uint64_t>, kMaxBounds + 1> buckets{};  // non-cumulative
    std::atomic<std::uint64_t> sum_micros{0};  // fixed point keeps the sum an atomic integer
  };
  // Bucket i's count, summed over the slots.
  std::uint64_t bucket(std::size_t i) const;

  std::vector<double> bounds_;
  std::unique_ptr<Slot[]> slots_;  // util::kThreadSlots of them
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
  Histogram store_queue_wait_seconds;        // an insert, from queued to its batch's transaction
  Histogram store_checkpoint_seconds;        // SQLite: copying the log into the database file, and
                                             // emptying the log file once inserts have gone quiet
  Counter store_log_restarts_postponed;      // SQLite: restarts put off, the disk behind
  Histogram store_log_restart_hold_seconds;  // SQLite: commits held back while the log is
                                             // copied to its end and started again, or its
                                             // file emptied once inserts have gone quiet

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

  // Requests answered, by route, method and status: one table a thread slot.
  struct alignas(util::kSlotAlignment) RequestCounts {
    std::array<std::atomic<std::uint64_t>, kRoutes * kMethods * kStatusSlots> n{};
  };
  std::unique_ptr<RequestCounts[]> requests_;  // util::kThreadSlots of them
  std::vector<std::unique_ptr<Histogram>> latency_by_route_;

  // Registered and removed at start-up and shutdown, read once a scrape: a plain mutex will do.
  mutable std::mutex sampled_mutex_;
  std::vector<SampledSeries> sampled_;
  std::uint64_t next_sample_id_ = 1;
};

}  // namespace subscriberd::metrics
