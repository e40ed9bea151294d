#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/paging.h"
#include "domain/subscriber.h"
#include "domain/validation.h"

// From the wire to the domain: request bodies, query strings and path keys.
namespace subscriberd::api {

struct DecodedBody {
  enum class Error : std::uint8_t { kNone, kUnsupportedMediaType, kMalformed };
  Error error = Error::kNone;
  std::string detail;  // why, when error != kNone
  domain::SubscriberInput input;
};

// Accepts application/json (UTF-8) and application/x-www-form-urlencoded. `body` may be grown
// in place for the JSON parser's padding.
DecodedBody decode_subscriber_body(std::string_view content_type, std::string& body);

// Splits "a=1&b=x%20y" into decoded pairs; nullopt when an escape is malformed.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::optional<QueryParams> parse_query(std::string_view query);

struct DecodedListRequest {
  domain::PageRequest request;
  std::vector<domain::FieldError> errors;  // 422
  bool bad_cursor = false;                 // 400
};
DecodedListRequest decode_list_request(const QueryParams& params);

// The {key} of /api/subscribers/{key}, still percent-encoded: an e-mail (has '@') or an id.
std::optional<domain::LookupKey> decode_lookup_key(std::string_view raw);

}  // namespace subscriberd::api
