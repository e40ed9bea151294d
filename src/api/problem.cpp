#include "api/problem.h"

#include "api/response_encoding.h"

namespace subscriberd::api {
namespace {

namespace bh = boost::beast::http;

struct ProblemInfo {
  bh::status status;
  std::string_view type;
  std::string_view title;
};

ProblemInfo info(ProblemType type) {
  switch (type) {
    case ProblemType::kInvalidBody:
      return {bh::status::bad_request, "/problems/invalid-body", "Request body is not valid"};
    case ProblemType::kInvalidCursor:
      return {bh::status::bad_request, "/problems/invalid-cursor", "Cursor is not valid"};
    case ProblemType::kMalformedRequest:
      return {bh::status::bad_request, "/problems/malformed-request", "Malformed HTTP request"};
    case ProblemType::kNotFound:
      return {bh::status::not_found, "/problems/not-found", "Not found"};
    case ProblemType::kMethodNotAllowed:
      return {bh::status::method_not_allowed, "/problems/method-not-allowed", "Method not allowed"};
    case ProblemType::kAlreadyExists:
      return {bh::status::conflict, "/problems/already-exists", "Subscriber already exists"};
    case ProblemType::kPayloadTooLarge:
      return {bh::status::payload_too_large, "/problems/payload-too-large",
              "Request body too large"};
    case ProblemType::kUnsupportedMedia:
      return {bh::status::unsupported_media_type, "/problems/unsupported-media-type",
              "Unsupported media type"};
    case ProblemType::kValidation:
      return {bh::status::unprocessable_entity, "/problems/validation-error",
              "Request has invalid fields"};
    case ProblemType::kHeadersTooLarge:
      return {bh::status::request_header_fields_too_large, "/problems/headers-too-large",
              "Request headers too large"};
    case ProblemType::kServiceUnavailable:
      return {bh::status::service_unavailable, "/problems/service-unavailable",
              "Service temporarily unavailable"};
    case ProblemType::kInternal:
      break;
  }
  return {bh::status::internal_server_error, "/problems/internal-error", "Internal server error"};
}

}  // namespace

http::Response problem(ProblemType type, std::string_view detail, unsigned http_version,
                       const ProblemExtras& extras) {
  const ProblemInfo p = info(type);
  http::Response response{p.status, http_version};
  response.set(bh::field::content_type, "application/problem+json");
  response.set(bh::field::cache_control, "no-store");
  std::string& body = response.body();
  body.reserve(256);
  json::Writer w(body);
  w.begin_object();
  w.key("type").string(p.type);
  w.key("title").string(p.title);
  w.key("status").number(static_cast<int>(p.status));
  w.key("detail").string(detail);
  if (extras)
    extras(w);
  w.end_object();
  return response;
}

http::Response validation_problem(const std::vector<domain::FieldError>& errors,
                                  unsigned http_version) {
  std::string detail;
  for (const auto& e : errors) {
    if (!detail.empty())
      detail += "; ";
    detail += e.field + " " + e.message;
  }
  return problem(ProblemType::kValidation, detail, http_version, [&](json::Writer& w) {
    w.key("errors").begin_array();
    for (const auto& e : errors) {
      w.begin_object();
      w.key("field").string(e.field);
      w.key("message").string(e.message);
      w.end_object();
    }
    w.end_array();
  });
}

http::Response conflict_problem(const domain::Subscriber& existing, unsigned http_version) {
  auto response = problem(ProblemType::kAlreadyExists,
                          "a subscriber with this email already exists; it was not changed",
                          http_version, [&](json::Writer& w) {
                            w.key("subscriber");
                            write_subscriber(w, existing);
                          });
  response.set(bh::field::location, SubscriberLocation(existing.id).view());
  return response;
}

http::Response method_not_allowed(std::string_view allow, unsigned http_version) {
  auto response = problem(ProblemType::kMethodNotAllowed,
                          "this resource supports " + std::string(allow), http_version);
  response.set(bh::field::allow, allow);
  return response;
}

http::Response unavailable_problem(std::string_view detail, unsigned http_version) {
  auto response = problem(ProblemType::kServiceUnavailable, detail, http_version);
  response.set(bh::field::retry_after, "1");
  return response;
}

}  // namespace subscriberd::api
