#pragma once

#include <string_view>

#include "http/request_handler.h"
#include "http/static_files.h"
#include "metrics/metrics.h"
#include "service/subscriber_service.h"

namespace subscriberd::api {

// Maps each request to its endpoint, turns the service's results into HTTP responses and
// records the request metrics. The routes:
//   POST /api/subscribers            create
//   GET  /api/subscribers            list (keyset pages, newest first)
//   GET  /api/subscribers/{key}      one subscriber by e-mail or id
//   GET  /api/openapi.yaml           the API description
//   GET  /healthz /readyz /metrics   operations
//   GET  anything else               the web page (history-mode fallback to index.html)
class Router final : public http::RequestHandler {
 public:
  Router(service::SubscriberService& service, metrics::Registry& metrics,
         const http::StaticFiles& web);

  boost::asio::awaitable<http::Response> handle(http::Request request) override;
  http::Response reject(http::ProtocolError error, unsigned http_version) override;

 private:
  boost::asio::awaitable<http::Response> dispatch(http::Request& request, metrics::Route& route);
  boost::asio::awaitable<http::Response> create(http::Request& request);
  boost::asio::awaitable<http::Response> list(std::string_view query, unsigned version);
  boost::asio::awaitable<http::Response> get_one(std::string_view raw_key, unsigned version);
  boost::asio::awaitable<http::Response> ready(unsigned version);
  http::Response web_page(const http::Request& request, std::string_view path);

  service::SubscriberService& service_;
  metrics::Registry& metrics_;
  const http::StaticFiles& web_;
};

}  // namespace subscriberd::api
