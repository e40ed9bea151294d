#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

// The little of HTTP/1.1 response parsing a load generator needs: the status, the length of the
// head and of the body, and whether the server will close the connection. Bodies must carry a
// Content-Length (both subscriberd and nginx send one); anything else is a protocol error.
namespace subscriberd::bench {

struct ResponseHead {
  unsigned status = 0;
  std::size_t head_length = 0;  // through the blank line
  std::size_t body_length = 0;
  bool close = false;  // "Connection: close", or HTTP/1.0 without keep-alive
};

enum class HeadParse : unsigned char { kIncomplete, kComplete, kInvalid };

// Parses the head at the start of `data`. kIncomplete: read more and call again.
HeadParse parse_response_head(std::string_view data, ResponseHead& head);

}  // namespace subscriberd::bench
