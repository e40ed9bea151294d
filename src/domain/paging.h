#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/cursor.h"
#include "domain/subscriber.h"

// Keyset pagination, independent of the store: the store fetches one row more than a page
// in the cursor's direction, and this module turns that into a page with its cursors.
namespace subscriberd::domain {

inline constexpr std::size_t kDefaultPageSize = 25;
inline constexpr std::size_t kMaxPageSize = 100;

struct PageRequest {
  std::size_t limit = kDefaultPageSize;
  std::optional<Cursor> cursor;  // none: the newest page
  std::optional<Status> status;  // none: every status
};

// What the store must fetch for a request: rows with id below (kOlder, descending) or above
// (kNewer, ascending) the anchor, at most `fetch_limit` of them.
struct KeysetQuery {
  Cursor::Direction direction = Cursor::Direction::kOlder;
  std::optional<SubscriberId> anchor;  // none: start at the newest row
  std::optional<Status> status;
  std::size_t fetch_limit = kDefaultPageSize + 1;
};

KeysetQuery keyset_query_for(const PageRequest& request);

struct Page {
  std::vector<Subscriber> data;  // newest first
  std::uint64_t total = 0;       // for the status filter
  std::optional<Cursor> next;    // older subscribers
  std::optional<Cursor> prev;    // newer subscribers
};

// `rows` are in the query's order (descending for kOlder, ascending for kNewer).
Page make_page(const PageRequest& request, std::vector<Subscriber> rows, std::uint64_t total);

}  // namespace subscriberd::domain
