#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "domain/subscriber.h"

// A cache of stored rows that a store's writer consults and fills a batch at a time.
//
// Subscribers are insert-only, so a row the cache holds is certainly stored: the writer answers
// its e-mail as a duplicate without writing it, and after each commit hands the cache the rows
// it learned. Shared between instances (Redis), this keeps the repeats that another instance
// has seen away from the database for one round trip a batch instead of one a request
// (docs/cache.md).
//
// One per writer thread, used by that thread alone. Calls block, for a bounded time (a few of
// the cache's timeouts at most); a cache that fails answers "not known" and drops what it is
// given, and never fails an insert.
namespace subscriberd::store {

class StoredRowCache {
 public:
  virtual ~StoredRowCache() = default;

  // known[i]: the stored subscriber holding emails[i], if the cache has one. Resizes `known`.
  virtual void find(std::span<const std::string_view> emails,
                    std::vector<std::optional<domain::Subscriber>>& known) = 0;
  // Remembers rows the writer saw committed: its own, and those that held an e-mail before.
  virtual void remember(std::span<const domain::Subscriber* const> rows) = 0;
};

// Makes one writer thread's cache; called on that thread as it starts.
using StoredRowCacheFactory = std::function<std::unique_ptr<StoredRowCache>()>;

}  // namespace subscriberd::store
