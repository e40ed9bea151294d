#include "api/response_encoding.h"

#include <algorithm>
#include <charconv>

#include "domain/cursor.h"

namespace subscriberd::api {

void write_subscriber(json::Writer& w, const domain::Subscriber& s) {
  w.begin_object();
  w.key("id").decimal_string(s.id);
  w.key("email").string(s.email);
  w.key("name").string(s.name);
  w.key("last_name").string(s.last_name);
  w.key("status").string(domain::to_string(s.status));
  w.key("created_at").timestamp_millis(s.created_at_ms);
  w.end_object();
}

std::string subscriber_json(const domain::Subscriber& subscriber) {
  std::string out;
  out.reserve(192);
  json::Writer w(out);
  write_subscriber(w, subscriber);
  return out;
}

SubscriberLocation::SubscriberLocation(domain::SubscriberId id) {
  char* end = std::copy(kSubscribersPath.begin(), kSubscribersPath.end(), text_.data());
  *end++ = '/';
  end = std::to_chars(end, text_.data() + text_.size(), id).ptr;
  size_ = static_cast<std::size_t>(end - text_.data());
}

std::string page_json(const domain::Page& page) {
  std::string out;
  out.reserve(64 + page.data.size() * 192);
  json::Writer w(out);
  w.begin_object();
  w.key("data").begin_array();
  for (const auto& s : page.data)
    write_subscriber(w, s);
  w.end_array();
  w.key("total").number(static_cast<std::int64_t>(page.total));
  w.key("next_cursor");
  page.next ? w.string(domain::encode_cursor(*page.next)) : w.null();
  w.key("prev_cursor");
  page.prev ? w.string(domain::encode_cursor(*page.prev)) : w.null();
  w.end_object();
  return out;
}

}  // namespace subscriberd::api
