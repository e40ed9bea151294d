#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/types.h"

namespace subscriberd::http {

// What the connection layer could not parse, so the application layer can word the answer.
enum class ProtocolError : std::uint8_t {
  kMalformed,        // 400: not HTTP/1.1 as we understand it
  kHeadersTooLarge,  // 431
  kBodyTooLarge,     // 413
};

// The seam between the HTTP transport (sessions, timeouts, keep-alive) and the application.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Never throws: every failure becomes a response.
  virtual boost::asio::awaitable<Response> handle(Request request) = 0;
  virtual Response reject(ProtocolError error, unsigned http_version) = 0;
};

}  // namespace subscriberd::http
