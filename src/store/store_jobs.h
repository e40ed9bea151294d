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

// Answers a read job without running it: the store is down, overloaded or stopping.
// `detail` is what a health check reports.
void fail_read(ReadJob& job, StoreError error, std::string_view detail);

}  // namespace subscriberd::store
