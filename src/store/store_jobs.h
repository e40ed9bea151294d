#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string_view>
#include <variant>
#include <vector>

#include "metrics/metrics.h"
#include "store/subscriber_store.h"
#include "util/async_bridge.h"

// The units of work a store's threads take from its queues: each carries its request and the
// completion that resumes the waiting coroutine. Shared by the SQLite and MySQL stores.
namespace subscriberd::store {

struct PendingInsert {
  domain::Subscriber subscriber;
  util::Completion<InsertOutcome> completion;
  // When it was queued: how long it waits for a writer is what a POST's latency holds beyond
  // its batch's commit (subscriberd_store_queue_wait_seconds).
  std::chrono::steady_clock::time_point queued_at;
};

// Records, for each insert of a batch a writer is about to write, how long it waited in the
// queue: for company, and behind the batches before it.
void observe_queue_wait(metrics::Histogram& queue_wait, const std::vector<PendingInsert>& batch,
                        std::chrono::steady_clock::time_point now);

// Group commit's wait for company, shared by the writers of both stores (their batch_wait_us
// URL option; MySQL's writers wait by default, SQLite's only when asked, docs/architecture.md).
// Every commit costs some work whatever its size, so while inserts arrive concurrently a
// writer may wait a moment for a fuller batch. A batch of kGatheredBatch is worth
// committing at once: waiting for more would save little, and a closed-loop client's next
// requests wait on this one.
inline constexpr std::size_t kGatheredBatch = 32;

// What a waiting writer waits for: kGatheredBatch inserts, or a whole batch if max_batch is
// smaller. Whoever queues the insert that reaches it wakes the writer.
std::size_t gathered_batch(std::size_t max_batch);

// Whether queueing an insert that makes `queued` must wake a writer. Writers sleep only on an
// empty queue, while they wait for a fuller batch, or while tests hold writes (releasing them
// wakes every writer): so for the first insert and for the one that fills the batch, not for
// every one in between (each wake-up is a system call, and a writer woken early only goes
// back to sleep).
bool wakes_writer(std::size_t queued, std::size_t max_batch);

// Called by a writer holding `lock` on its queue's mutex, with inserts queued. Waits only when
// the writer's last batch had company (a lone insert on a quiet service is written at once)
// and fewer than gathered_batch(max_batch) are queued; returns once they are, once `stopping`
// is set, or after `wait`.
void wait_for_fuller_batch(std::unique_lock<std::mutex>& lock, std::condition_variable& ready,
                           const std::vector<PendingInsert>& queue, const bool& stopping,
                           std::size_t last_batch, std::size_t max_batch,
                           std::chrono::microseconds wait);

struct FindJob {
  domain::LookupKey key;
  util::Completion<FindOutcome> completion;
};

struct ListJob {
  domain::KeysetQuery query;
  util::Completion<ListOutcome> completion;
};

struct HealthJob {
  util::Completion<HealthOutcome> completion;
};

using ReadJob = std::variant<FindJob, ListJob, HealthJob>;

// A store whose reads are jobs for its own reader threads: find, list and check_health each
// queue one job and suspend the caller until a reader completes it.
class QueuedReadStore : public SubscriberStore {
 public:
  boost::asio::awaitable<FindOutcome> find(domain::LookupKey key) final;
  boost::asio::awaitable<ListOutcome> list(domain::KeysetQuery query) final;
  boost::asio::awaitable<HealthOutcome> check_health() final;

 protected:
  // Hands the job to a reader thread, or refuses it at once (fail_read).
  virtual void enqueue_read(ReadJob job) = 0;
};

// Answers a read job without running it: the store is down, overloaded or stopping.
// `detail` is what a health check reports.
void fail_read(ReadJob& job, StoreError error, std::string_view detail);

}  // namespace subscriberd::store
