#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "domain/subscriber.h"
#include "domain/validation.h"
#include "http/types.h"
#include "json/json_writer.h"

// RFC 9457 problem details: every error the API returns goes through here, so each status has
// one type URI and one title (see docs/errors.md).
namespace subscriberd::api {

enum class ProblemType : std::uint8_t {
  kInvalidBody,         // 400
  kInvalidCursor,       // 400
  kMalformedRequest,    // 400
  kNotFound,            // 404
  kMethodNotAllowed,    // 405
  kAlreadyExists,       // 409
  kPayloadTooLarge,     // 413
  kUnsupportedMedia,    // 415
  kValidation,          // 422
  kHeadersTooLarge,     // 431
  kInternal,            // 500
  kServiceUnavailable,  // 503
};

// Extra members written after type/title/status/detail.
using ProblemExtras = std::function<void(json::Writer&)>;

http::Response problem(ProblemType type, std::string_view detail, unsigned http_version,
                       const ProblemExtras& extras = {});

http::Response validation_problem(const std::vector<domain::FieldError>& errors,
                                  unsigned http_version);
http::Response conflict_problem(const domain::Subscriber& existing, unsigned http_version);
http::Response method_not_allowed(std::string_view allow, unsigned http_version);
// 503 with Retry-After, for a dependency that is down.
http::Response unavailable_problem(std::string_view detail, unsigned http_version);

}  // namespace subscriberd::api
