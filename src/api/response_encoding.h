#pragma once

#include <string>

#include "domain/paging.h"
#include "domain/subscriber.h"
#include "json/json_writer.h"

// The wire form of the domain objects.
namespace subscriberd::api {

// {"id": "<decimal>", "email", "name", "last_name", "status", "created_at"}: the id is a string
// because JavaScript numbers lose integers above 2^53.
void write_subscriber(json::Writer& w, const domain::Subscriber& subscriber);
std::string subscriber_json(const domain::Subscriber& subscriber);
// {"data": [...], "total": N, "next_cursor": "..."|null, "prev_cursor": "..."|null}
std::string page_json(const domain::Page& page);

}  // namespace subscriberd::api
