#pragma once

#include <string_view>
#include <variant>

#include "store/subscriber_store.h"
#include "util/async_bridge.h"

// The units of work a store's threads take from its queues: each carries its request and the
// completion that resumes the waiting coroutine. Shared by the SQLite and MySQL stores.
namespace subscriberd::store {

struct PendingInsert {
  domain::Subscriber subscriber;
  util::Completion<InsertOutcome> completion;
};

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
