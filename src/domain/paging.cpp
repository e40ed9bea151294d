#include "domain/paging.h"

#include <algorithm>

namespace subscriberd::domain {

KeysetQuery keyset_query_for(const PageRequest& request) {
  KeysetQuery query;
  query.status = request.status;
  query.fetch_limit = request.limit + 1;  // one extra row tells whether more lie beyond
  if (request.cursor) {
    query.direction = request.cursor->direction;
    query.anchor = request.cursor->anchor;
  }
  return query;
}

Page make_page(const PageRequest& request, std::vector<Subscriber> rows, std::uint64_t total) {
  Page page;
  page.total = total;
  const bool more_beyond = rows.size() > request.limit;
  if (more_beyond)
    rows.resize(request.limit);

  const bool walking_back =
      request.cursor && request.cursor->direction == Cursor::Direction::kNewer;
  if (walking_back)
    std::reverse(rows.begin(), rows.end());
  page.data = std::move(rows);
  if (page.data.empty())
    return page;

  const SubscriberId newest = page.data.front().id;
  const SubscriberId oldest = page.data.back().id;
  // Walking forward (or from the top), older rows exist past this page when the extra row
  // came back, and newer rows exist when we arrived through a cursor. Walking back, it is the
  // mirror image.
  const bool has_older = walking_back ? true : more_beyond;
  const bool has_newer = walking_back ? more_beyond : request.cursor.has_value();
  if (has_older)
    page.next = Cursor{Cursor::Direction::kOlder, oldest};
  if (has_newer)
    page.prev = Cursor{Cursor::Direction::kNewer, newest};
  return page;
}

}  // namespace subscriberd::domain
