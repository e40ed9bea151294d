#include "api/router.h"

#include <chrono>
#include <exception>

#include "api/problem.h"
#include "api/request_decoding.h"
#include "api/response_encoding.h"
#include "util/log.h"

namespace subscriberd::embedded {
extern const std::string_view kOpenApiYaml;
}

namespace subscriberd::api {
namespace {

namespace bh = boost::beast::http;
using boost::asio::awaitable;
using metrics::Route;

http::Response json_response(bh::status status, std::string body, unsigned version) {
  http::Response response{status, version};
  response.set(bh::field::content_type, "application/json");
  response.set(bh::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

http::Response text_response(std::string_view content_type, std::string body, unsigned version) {
  http::Response response{bh::status::ok, version};
  response.set(bh::field::content_type, content_type);
  response.set(bh::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

http::Response failure_response(service::Failure failure, unsigned version) {
  if (failure == service::Failure::kUnavailable) {
    return unavailable_problem("the subscriber store is unavailable; retry shortly", version);
  }
  return problem(ProblemType::kInternal, "the request could not be completed", version);
}

bool is_read(bh::verb verb) {
  return verb == bh::verb::get || verb == bh::verb::head;
}

}  // namespace

Router::Router(service::SubscriberService& service, metrics::Registry& metrics,
               const http::StaticFiles& web)
    : service_(service), metrics_(metrics), web_(web) {}

awaitable<http::Response> Router::handle(http::Request request) {
  const auto started = std::chrono::steady_clock::now();
  const metrics::Method method = metrics::method_from(request.method_string());
  const unsigned version = request.version();
  Route route = Route::kUnmatched;
  http::Response response;
  try {
    response = co_await dispatch(request, route);
  } catch (const std::exception& e) {
    log::error("request failed", {{"target", request.target()}, {"error", e.what()}});
    response = problem(ProblemType::kInternal, "the request could not be completed", version);
  }
  metrics_.record_request(
      route, method, response.result_int(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  co_return response;
}

awaitable<http::Response> Router::dispatch(http::Request& request, Route& route) {
  const std::string_view target = request.target();
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
  const bh::verb verb = request.method();
  const unsigned version = request.version();

  if (path == kSubscribersPath) {
    if (verb == bh::verb::post) {
      route = Route::kSubscribersCreate;
      co_return co_await create(request);
    }
    route = Route::kSubscribersList;
    if (is_read(verb))
      co_return co_await list(query, version);
    co_return method_not_allowed("GET, HEAD, POST", version);
  }
  if (path.starts_with(kSubscribersPath) && path[kSubscribersPath.size()] == '/') {
    route = Route::kSubscribersGet;
    if (!is_read(verb))
      co_return method_not_allowed("GET, HEAD", version);
    co_return co_await get_one(path.substr(kSubscribersPath.size() + 1), version);
  }
  if (path == "/api/openapi.yaml") {
    route = Route::kOpenApi;
    if (!is_read(verb))
      co_return method_not_allowed("GET, HEAD", version);
    co_return text_response("application/yaml", std::string(embedded::kOpenApiYaml), version);
  }
  if (path == "/api" || path.starts_with("/api/")) {
    co_return problem(ProblemType::kNotFound, "no API resource at " + std::string(path), version);
  }
  if (path == "/healthz") {
    route = Route::kHealthz;
    if (!is_read(verb))
      co_return method_not_allowed("GET, HEAD", version);
    co_return json_response(bh::status::ok, R"({"status":"ok"})", version);
  }
  if (path == "/readyz") {
    route = Route::kReadyz;
    if (!is_read(verb))
      co_return method_not_allowed("GET, HEAD", version);
    co_return co_await ready(version);
  }
  if (path == "/metrics") {
    route = Route::kMetrics;
    if (!is_read(verb))
      co_return method_not_allowed("GET, HEAD", version);
    co_return text_response("text/plain; version=0.0.4; charset=utf-8", metrics_.render(), version);
  }
  route = Route::kWebPage;
  if (!is_read(verb))
    co_return method_not_allowed("GET, HEAD", version);
  co_return web_page(request, path);
}

awaitable<http::Response> Router::create(http::Request& request) {
  const unsigned version = request.version();
  DecodedBody decoded = decode_subscriber_body(request[bh::field::content_type], request.body());
  switch (decoded.error) {
    case DecodedBody::Error::kUnsupportedMediaType:
      co_return problem(ProblemType::kUnsupportedMedia, decoded.detail, version);
    case DecodedBody::Error::kMalformed:
      co_return problem(ProblemType::kInvalidBody, decoded.detail, version);
    case DecodedBody::Error::kNone:
      break;
  }
  domain::ValidationResult valid = domain::validate(std::move(decoded.input));
  if (!valid.ok())
    co_return validation_problem(valid.errors, version);

  service::CreateResult result = co_await service_.create(std::move(valid.subscriber));
  switch (result.kind) {
    case service::CreateResult::Kind::kCreated: {
      auto response =
          json_response(bh::status::created, subscriber_json(result.subscriber), version);
      response.set(bh::field::location, SubscriberLocation(result.subscriber.id).view());
      co_return response;
    }
    case service::CreateResult::Kind::kDuplicate:
      co_return conflict_problem(result.subscriber, version);
    case service::CreateResult::Kind::kFailed:
      break;
  }
  co_return failure_response(result.failure, version);
}

awaitable<http::Response> Router::list(std::string_view query, unsigned version) {
  auto params = parse_query(query);
  if (!params)
    co_return problem(ProblemType::kInvalidBody, "query string has a bad % escape", version);
  DecodedListRequest decoded = decode_list_request(*params);
  if (!decoded.errors.empty())
    co_return validation_problem(decoded.errors, version);
  if (decoded.bad_cursor) {
    co_return problem(ProblemType::kInvalidCursor,
                      "cursor is not one this service issued; start again without a cursor",
                      version);
  }
  service::ListResult result = co_await service_.list(decoded.request);
  if (result.failure != service::Failure::kNone)
    co_return failure_response(result.failure, version);
  co_return json_response(bh::status::ok, page_json(result.page), version);
}

awaitable<http::Response> Router::get_one(std::string_view raw_key, unsigned version) {
  auto key = decode_lookup_key(raw_key);
  if (!key) {
    co_return problem(ProblemType::kNotFound,
                      "a subscriber is named by its email or its numeric id", version);
  }
  service::FindResult result = co_await service_.find(std::move(*key));
  switch (result.kind) {
    case service::FindResult::Kind::kFound:
      co_return json_response(bh::status::ok, subscriber_json(result.subscriber), version);
    case service::FindResult::Kind::kNotFound:
      co_return problem(ProblemType::kNotFound, "no subscriber with this email or id", version);
    case service::FindResult::Kind::kFailed:
      break;
  }
  co_return failure_response(result.failure, version);
}

awaitable<http::Response> Router::ready(unsigned version) {
  service::Readiness readiness = co_await service_.readiness();
  if (!readiness.ready)
    co_return unavailable_problem(readiness.failing, version);
  co_return json_response(bh::status::ok, R"({"status":"ready"})", version);
}

http::Response Router::web_page(const http::Request& request, std::string_view path) {
  auto response = web_.serve(path, request[bh::field::accept_encoding], request.version());
  if (response)
    return std::move(*response);
  return problem(ProblemType::kNotFound,
                 web_.empty() ? "the web page is not built (see README: run)"
                              : "no such file: " + std::string(path),
                 request.version());
}

http::Response Router::reject(http::ProtocolError error, unsigned http_version) {
  Route route = Route::kUnmatched;
  http::Response response;
  switch (error) {
    case http::ProtocolError::kHeadersTooLarge:
      response =
          problem(ProblemType::kHeadersTooLarge, "request headers exceed 16 KiB", http_version);
      break;
    case http::ProtocolError::kBodyTooLarge:
      route = Route::kSubscribersCreate;
      response =
          problem(ProblemType::kPayloadTooLarge, "request body exceeds 64 KiB", http_version);
      break;
    case http::ProtocolError::kMalformed:
      response = problem(ProblemType::kMalformedRequest, "the request is not valid HTTP/1.1",
                         http_version);
      break;
  }
  metrics_.record_request(route, metrics::Method::kOther, response.result_int(), 0);
  return response;
}

}  // namespace subscriberd::api
