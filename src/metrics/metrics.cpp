#include "metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace subscriberd::metrics {
namespace {

const std::vector<double> kLatencyBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                            0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                            1,      2.5,     5,      10};
const std::vector<double> kBatchBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048};

void append_number(std::string& out, double value) {
  if (std::isinf(value)) {
    out += "+Inf";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

void append_number(std::string& out, std::uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// A series of one unlabelled sample, with its HELP and TYPE lines.
void single(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
  header(out, name, type, help);
  out += name;
  out += ' ';
  append_number(out, value);
  out += '\n';
}

// The sum of one atomic kept in every thread slot; `cell(slot)` names that slot's copy.
template <typename Cell>
std::uint64_t sum_over_slots(Cell cell) {
  std::uint64_t total = 0;
  for (std::size_t slot = 0; slot < util::kThreadSlots; ++slot)
    total += cell(slot).load(std::memory_order_relaxed);
  return total;
}

void counter(std::string& out, std::string_view name, std::string_view help, const Counter& c) {
  single(out, name, "counter", help, c.value());
}

std::string_view method_name(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    default:
      return "OTHER";
  }
}

}  // namespace

std::uint64_t Counter::value() const {
  return sum_over_slots([this](std::size_t s) -> const auto& { return slots_[s].value; });
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), slots_(new Slot[util::kThreadSlots]) {
  if (bounds_.size() > kMaxBounds)
    throw std::invalid_argument("a histogram takes at most " + std::to_string(kMaxBounds) +
                                " bounds");
}

void Histogram::observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i])
    ++i;
  Slot& slot = slots_[util::this_thread_slot()];
  slot.buckets[i].fetch_add(1, std::memory_order_relaxed);
  slot.sum_micros.fetch_add(static_cast<std::uint64_t>(std::llround(value * 1e6)),
                            std::memory_order_relaxed);
}

std::uint64_t Histogram::bucket(std::size_t i) const {
  return sum_over_slots([ this, i ](std::size_t s) -> const auto& { return slots_[s].buckets[i]; });
}

std::uint64_t Histogram::count() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    total += bucket(i);
  return total;
}

double Histogram::sum() const {
  const std::uint64_t micros =
      sum_over_slots([this](std::size_t s) -> const auto& { return slots_[s].sum_micros; });
  return static_cast<double>(micros) / 1e6;
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += bucket(i);
    out += name;
    out += "_bucket{";
    if (!labels.empty()) {
      out += labels;
      out += ',';
    }
    out += "le=\"";
    append_number(out, i < bounds_.size() ? bounds_[i] : INFINITY);
    out += "\"} ";
    append_number(out, cumulative);
    out += '\n';
  }
  const std::string suffix_labels = labels.empty() ? "" : "{" + std::string(labels) + "}";
  out += name;
  out += "_sum";
  out += suffix_labels;
  out += ' ';
  append_number(out, sum());
  out += '\n';
  out += name;
  out += "_count";
  out += suffix_labels;
  out += ' ';
  // The count is rendered from the buckets so that _count always equals the +Inf bucket.
  append_number(out, cumulative);
  out += '\n';
}

std::string_view route_name(Route route) {
  switch (route) {
    case Route::kSubscribersCreate:
      return "subscribers_create";
    case Route::kSubscribersList:
      return "subscribers_list";
    case Route::kSubscribersGet:
      return "subscribers_get";
    case Route::kHealthz:
      return "healthz";
    case Route::kReadyz:
      return "readyz";
    case Route::kMetrics:
      return "metrics";
    case Route::kOpenApi:
      return "openapi";
    case Route::kWebPage:
      return "web_page";
    case Route::kUnmatched:
    case Route::kCount:
      break;
  }
  return "unmatched";
}

Method method_from(std::string_view verb) {
  if (verb == "GET")
    return Method::kGet;
  if (verb == "HEAD")
    return Method::kHead;
  if (verb == "POST")
    return Method::kPost;
  return Method::kOther;
}

Registry::Registry()
    : store_batch_size(kBatchBounds),
      store_commit_seconds(kLatencyBounds),
      store_queue_wait_seconds(kLatencyBounds),
      store_checkpoint_seconds(kLatencyBounds),
      store_log_restart_hold_seconds(kLatencyBounds),
      requests_(new RequestCounts[util::kThreadSlots]) {
  latency_by_route_.reserve(kRoutes);
  for (std::size_t i = 0; i < kRoutes; ++i)
    latency_by_route_.push_back(std::make_unique<Histogram>(kLatencyBounds));
}

std::size_t Registry::status_slot(unsigned status) {
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status)
      return i;
  }
  return kStatuses.size();
}

void Registry::record_request(Route route, Method method, unsigned status, double seconds) {
  const auto r = static_cast<std::size_t>(route);
  const auto m = static_cast<std::size_t>(method);
  requests_[util::this_thread_slot()]
      .n[(r * kMethods + m) * kStatusSlots + status_slot(status)]
      .fetch_add(1, std::memory_order_relaxed);
  latency_by_route_[r]->observe(seconds);
}

std::string Registry::render() const {
  std::string out;
  out.reserve(16 * 1024);

  header(out, "subscriberd_build_info", "gauge", "Build information; the value is always 1.");
  out += "subscriberd_build_info{version=\"" SUBSCRIBERD_VERSION "\"} 1\n";

  header(out, "subscriberd_http_requests_total", "counter",
         "HTTP requests answered, by route, method and status.");
  for (std::size_t r = 0; r < kRoutes; ++r) {
    for (std::size_t m = 0; m < kMethods; ++m) {
      for (std::size_t s = 0; s < kStatusSlots; ++s) {
        const std::size_t cell = (r * kMethods + m) * kStatusSlots + s;
        const std::uint64_t n = sum_over_slots(
            [ this, cell ](std::size_t slot) -> const auto& { return requests_[slot].n[cell]; });
        if (n == 0)
          continue;
        out += "subscriberd_http_requests_total{route=\"";
        out += route_name(static_cast<Route>(r));
        out += "\",method=\"";
        out += method_name(static_cast<Method>(m));
        out += "\",status=\"";
        if (s < kStatuses.size()) {
          append_number(out, std::uint64_t{kStatuses[s]});
        } else {
          out += "other";
        }
        out += "\"} ";
        append_number(out, n);
        out += '\n';
      }
    }
  }

  header(out, "subscriberd_http_request_duration_seconds", "histogram",
         "Time from a complete request to its response being ready, by route.");
  for (std::size_t r = 0; r < kRoutes; ++r) {
    if (latency_by_route_[r]->count() == 0)
      continue;
    std::string labels = "route=\"" + std::string(route_name(static_cast<Route>(r))) + "\"";
    latency_by_route_[r]->render(out, "subscriberd_http_request_duration_seconds", labels);
  }

  counter(out, "subscriberd_subscribers_created_total", "Subscribers stored.", subscribers_created);
  counter(out, "subscriberd_duplicates_rejected_total",
          "Create requests refused because the e-mail was already stored.", duplicates_rejected);
  counter(out, "subscriberd_cache_hits_total", "Look-ups answered by the cache.", cache_hits);
  counter(out, "subscriberd_cache_negative_hits_total",
          "Look-ups answered as absent by a negative cache entry.", cache_negative_hits);
  counter(out, "subscriberd_cache_misses_total", "Look-ups the cache could not answer.",
          cache_misses);
  counter(out, "subscriberd_cache_errors_total",
          "Cache calls that failed; the request was served by the store instead.", cache_errors);
  counter(out, "subscriberd_store_errors_total", "Store calls that failed.", store_errors);
  counter(out, "subscriberd_store_retries_total",
          "Store operations retried after a transient error.", store_retries);
  counter(out, "subscriberd_store_cached_duplicates_total",
          "Inserts a store writer answered as duplicates from the shared cache, without the "
          "database.",
          store_cached_duplicates);

  header(out, "subscriberd_store_batch_size", "histogram",
         "Inserts committed together in one transaction (group commit).");
  store_batch_size.render(out, "subscriberd_store_batch_size", "");
  header(out, "subscriberd_store_commit_duration_seconds", "histogram",
         "Time to write and commit one batch of inserts.");
  store_commit_seconds.render(out, "subscriberd_store_commit_duration_seconds", "");
  header(out, "subscriberd_store_queue_wait_seconds", "histogram",
         "Time an insert waited for a writer: for a fuller batch, and behind the batches before "
         "it.");
  store_queue_wait_seconds.render(out, "subscriberd_store_queue_wait_seconds", "");
  header(out, "subscriberd_store_checkpoint_duration_seconds", "histogram",
         "SQLite: time to copy the write-ahead log into the database file (off the commit path), "
         "and to empty the log file once inserts have gone quiet.");
  store_checkpoint_seconds.render(out, "subscriberd_store_checkpoint_duration_seconds", "");
  header(out, "subscriberd_store_log_restart_hold_seconds", "histogram",
         "SQLite: time new commits were held back while the write-ahead log was copied to its "
         "end, synced and started again from its beginning (under sustained inserts), or its file "
         "emptied (once inserts have gone quiet). Every insert queued meanwhile waits as long.");
  store_log_restart_hold_seconds.render(out, "subscriberd_store_log_restart_hold_seconds", "");
  counter(out, "subscriberd_store_log_restarts_postponed_total",
          "SQLite: restarts of the write-ahead log put off because copying it left too much for "
          "a short hold (the disk behind the inserts); the log grows meanwhile, up to its bound.",
          store_log_restarts_postponed);

  std::lock_guard lock(sampled_mutex_);
  for (const SampledSeries& series : sampled_) {
    single(out, series.name, series.type == SeriesType::kCounter ? "counter" : "gauge", series.help,
           series.read());
  }
  return out;
}

Sampling Registry::sample(std::string name, SeriesType type, std::string help,
                          std::function<std::uint64_t()> read) {
  std::lock_guard lock(sampled_mutex_);
  for (const SampledSeries& series : sampled_) {
    if (series.name == name)
      throw std::logic_error("metric " + name + " is already sampled");
  }
  const std::uint64_t id = next_sample_id_++;
  sampled_.push_back({id, std::move(name), type, std::move(help), std::move(read)});
  return Sampling(*this, id);
}

void Registry::stop_sampling(std::uint64_t id) {
  // The function is destroyed after the lock is released: what it captured may itself hold a
  // Sampling, and dropping that would take the lock again.
  std::function<std::uint64_t()> read;
  {
    std::lock_guard lock(sampled_mutex_);
    auto it = std::find_if(sampled_.begin(), sampled_.end(),
                           [id](const SampledSeries& series) { return series.id == id; });
    if (it == sampled_.end())
      return;
    read = std::move(it->read);
    sampled_.erase(it);
  }
}

Sampling::Sampling(Sampling&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), id_(other.id_) {}

Sampling& Sampling::operator=(Sampling&& other) noexcept {
  if (this != &other) {
    if (registry_ != nullptr)
      registry_->stop_sampling(id_);
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

Sampling::~Sampling() {
  if (registry_ != nullptr)
    registry_->stop_sampling(id_);
}

}  // namespace subscriberd::metrics
