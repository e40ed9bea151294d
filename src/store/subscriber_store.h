#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "domain/paging.h"
#include "domain/subscriber.h"

// The store of record. Implementations (SQLite, MySQL) own their threads and connections;
// every call suspends the calling coroutine and never blocks the network thread.
namespace subscriberd::store {

// Why a store call did not produce an answer.
enum class StoreError : std::uint8_t {
  kNone,
  kUnavailable,  // the database cannot be reached or is shutting down: retry later (503)
  kFailed,       // the statement failed for a reason retrying will not fix (500)
};

struct InsertOutcome {
  enum class Kind : std::uint8_t { kCreated, kDuplicate, kError };
  Kind kind = Kind::kError;
  // kCreated: the row as stored; kDuplicate: the row that already held the e-mail.
  domain::Subscriber subscriber;
  StoreError error = StoreError::kNone;
};

struct FindOutcome {
  std::optional<domain::Subscriber> subscriber;  // nullopt and kNone: absent
  StoreError error = StoreError::kNone;
};

struct ListOutcome {
  std::vector<domain::Subscriber> rows;  // in the query's order
  std::uint64_t total = 0;               // for the query's status filter
  StoreError error = StoreError::kNone;
};

struct HealthOutcome {
  bool healthy = false;
  std::string detail;
};

class SubscriberStore {
 public:
  virtual ~SubscriberStore() = default;

  // Inserts unless the e-mail is already stored; the unique key decides. Completes only once
  // the outcome is durable (committed), or with kError when it is unknown or failed.
  virtual boost::asio::awaitable<InsertOutcome> insert(domain::Subscriber subscriber) = 0;
  virtual boost::asio::awaitable<FindOutcome> find(domain::LookupKey key) = 0;
  virtual boost::asio::awaitable<ListOutcome> list(domain::KeysetQuery query) = 0;
  virtual boost::asio::awaitable<HealthOutcome> check_health() = 0;

  // Finishes every accepted write, then stops the store's threads. Blocks; call it once,
  // from the main thread, after the server stopped taking requests.
  virtual void shutdown() = 0;

  // "sqlite:./var/subscribers.db", with any password removed.
  virtual std::string describe() const = 0;
};

}  // namespace subscriberd::store
