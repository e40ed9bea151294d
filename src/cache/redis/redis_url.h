#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

// `--cache redis://HOST:PORT[/DB][?option=value&...]`
//
//   HOST      an IPv4 address, [IPv6] in brackets, or a name (resolved once, at start)
//   PORT      default 6379
//   DB        the logical database (SELECT), default 0
//   options   timeout_ms=N       longest wait for one Redis call, and for connecting (100)
//             max_backoff_ms=N   longest pause between reconnection attempts (2000)
//             local_mb=N         in-process tier in front of Redis, in MiB; 0: none
//                                (default: the --cache-size budget)
//             batched_inserts=B  1 (default): with a MySQL store, its writers look up and
//                                fill Redis for a POST, a batch at a time; 0: each POST does
namespace subscriberd::cache::redis {

class UrlError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RedisUrl {
  std::string host;
  std::uint16_t port = 6379;
  std::uint32_t db = 0;
  std::chrono::milliseconds timeout{100};
  std::chrono::milliseconds max_backoff{2000};
  std::optional<std::size_t> local_mb;  // unset: the instance's in-process cache budget
  bool batched_inserts = true;

  // redis://host:port/db (brackets around an IPv6 host); no options.
  std::string describe() const;
};

// Throws UrlError with a message fit for the operator.
RedisUrl parse_redis_url(std::string_view url);

}  // namespace subscriberd::cache::redis
