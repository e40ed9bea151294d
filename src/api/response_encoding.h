#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "domain/paging.h"
#include "domain/subscriber.h"
#include "json/json_writer.h"

// The wire form of the domain objects.
namespace subscriberd::api {

// {"id": "<decimal>", "email", "name", "last_name", "status", "created_at"}: the id is a string
// because JavaScript numbers lose integers above 2^53.
void write_subscriber(json::Writer& w, const domain::Subscriber& subscriber);
std::string subscriber_json(const domain::Subscriber& subscriber);
// The collection's path: the router serves it, and each subscriber is read below it.
inline constexpr std::string_view kSubscribersPath = "/api/subscribers";

// Where a subscriber is read, "/api/subscribers/<id>": the Location of a 201 and of a 409.
// Formatted in place, without an allocation: it is on every POST's path.
class SubscriberLocation {
 public:
  explicit SubscriberLocation(domain::SubscriberId id);
  std::string_view view() const { return {text_.data(), size_}; }

 private:
  std::array<char, 40> text_;  // the path and up to 20 digits
  std::size_t size_ = 0;
};

// {"data": [...], "total": N, "next_cursor": "..."|null, "prev_cursor": "..."|null}
std::string page_json(const domain::Page& page);

}  // namespace subscriberd::api
