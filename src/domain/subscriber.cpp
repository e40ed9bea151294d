#include "domain/subscriber.h"

#include "util/text.h"

namespace subscriberd::domain {

std::string_view to_string(Status status) {
  switch (status) {
    case Status::kActive:
      return "active";
    case Status::kUnsubscribed:
      return "unsubscribed";
    case Status::kUnconfirmed:
      return "unconfirmed";
    case Status::kBounced:
      return "bounced";
    case Status::kJunk:
      return "junk";
  }
  return "active";
}

std::optional<Status> parse_status(std::string_view name) {
  for (Status s : kAllStatuses) {
    if (text::iequals_ascii(name, to_string(s)))
      return s;
  }
  return std::nullopt;
}

}  // namespace subscriberd::domain
