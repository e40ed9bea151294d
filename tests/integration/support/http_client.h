#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

// A small blocking HTTP/1.1 client for the integration tests: one kept-alive connection.
namespace subscriberd::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;

  std::string header(const std::string& lowercase_name) const;
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port);

  HttpResponse get(std::string_view target,
                   std::vector<std::pair<std::string, std::string>> headers = {});
  HttpResponse post(std::string_view target, std::string body, std::string_view content_type);
  HttpResponse post_json(std::string_view target, std::string body) {
    return post(target, std::move(body), "application/json");
  }
  HttpResponse request(std::string_view method, std::string_view target, std::string body,
                       std::vector<std::pair<std::string, std::string>> headers);

 private:
  void connect();

  std::uint16_t port_;
  boost::asio::io_context context_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
  std::string buffer_;
};

// Raw bytes on a fresh connection, for the protocol edge cases a client library would not send.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  void send(std::string_view bytes);
  // Reads until `count` complete responses arrived (Content-Length framed) or the peer closed.
  std::vector<HttpResponse> read_responses(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Whatever bytes arrive within `timeout`, unparsed.
  std::string read_raw(std::chrono::milliseconds timeout);
  // True when the server closed the connection within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout);
  // True when the server ended the stream in order (end of file) within `timeout`: not by a
  // reset, which may discard a response in flight.
  bool ended_in_order(std::chrono::milliseconds timeout);

 private:
  boost::asio::io_context context_;
  boost::asio::ip::tcp::socket socket_;
  std::string buffer_;
};

// Percent-encodes for a path segment or a query value.
std::string url_encode(std::string_view s);

// A metric's value in a /metrics body (the first sample of that exact name, labels included),
// or -1 when there is none.
double metric_value(std::string_view metrics_body, std::string_view name);

}  // namespace subscriberd::testing
