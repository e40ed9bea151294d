#include "store/store_jobs.h"

#include <algorithm>
#include <string>
#include <type_traits>

namespace subscriberd::store {

std::size_t gathered_batch(std::size_t max_batch) {
  return std::min(kGatheredBatch, max_batch);
}

bool wakes_writer(std::size_t queued, std::size_t max_batch) {
  return queued == 1 || queued == gathered_batch(max_batch);
}

void wait_for_fuller_batch(std::unique_lock<std::mutex>& lock, std::condition_variable& ready,
                           const std::vector<PendingInsert>& queue, const bool& stopping,
                           std::size_t last_batch, std::size_t max_batch,
                           std::chrono::microseconds wait) {
  const std::size_t target = gathered_batch(max_batch);
  if (last_batch <= 1 || queue.size() >= target || wait.count() <= 0)
    return;
  ready.wait_for(lock, wait, [&] { return queue.size() >= target || stopping; });
}

void observe_queue_wait(metrics::Histogram& queue_wait, const std::vector<PendingInsert>& batch,
                        std::chrono::steady_clock::time_point now) {
  for (const PendingInsert& insert : batch)
    queue_wait.observe(std::chrono::duration<double>(now - insert.queued_at).count());
}

boost::asio::awaitable<FindOutcome> QueuedReadStore::find(domain::LookupKey key) {
  return util::complete_elsewhere<FindOutcome>(
      [this, key = std::move(key)](util::Completion<FindOutcome> completion) mutable {
        enqueue_read(FindJob{std::move(key), std::move(completion)});
      });
}

boost::asio::awaitable<ListOutcome> QueuedReadStore::list(domain::KeysetQuery query) {
  return util::complete_elsewhere<ListOutcome>(
      [this, query](util::Completion<ListOutcome> completion) mutable {
        enqueue_read(ListJob{query, std::move(completion)});
      });
}

boost::asio::awaitable<HealthOutcome> QueuedReadStore::check_health() {
  return util::complete_elsewhere<HealthOutcome>(
      [this](util::Completion<HealthOutcome> completion) mutable {
        enqueue_read(HealthJob{std::move(completion)});
      });
}

void fail_read(ReadJob& job, StoreError error, std::string_view detail) {
  std::visit(
      [&](auto& j) {
        using Job = std::decay_t<decltype(j)>;
        if constexpr (std::is_same_v<Job, FindJob>) {
          std::move(j.completion).complete({std::nullopt, error});
        } else if constexpr (std::is_same_v<Job, ListJob>) {
          std::move(j.completion).complete({{}, 0, error});
        } else {
          std::move(j.completion).complete({false, std::string(detail)});
        }
      },
      job);
}

}  // namespace subscriberd::store
