#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/redis/backoff.h"
#include "metrics/metrics.h"
#include "store/stored_row_cache.h"

struct redisContext;

// Redis as a store's writer sees it: the stored-row cache a writer thread consults and fills a
// batch at a time (store/stored_row_cache.h), over one blocking hiredis connection of its own.
//
// A batch's look-up is one MGET of its e-mails' positive keys; its fill is one MSET of every
// row it learned, by e-mail and by id, in the value format of subscriber_codec.h. The fill is
// sent without waiting for its answer, which is read before the next look-up's: a writer waits
// for Redis once a batch, not twice.
//
// Every wait on Redis (connecting, each write and read) is bounded by the timeout; a call waits
// a few times at most. Any failure (refused, timed out, garbage) drops the connection, counts
// once in metrics.cache_errors and starts a backoff (doubling up to max_backoff, with jitter,
// reset only by an answer) during which calls return at once: look-ups know nothing, fills are
// dropped. So a Redis that is down or stalled holds a writer a few timeouts a backoff at most.
// hiredis writes with write(): the process must ignore SIGPIPE (app::run does).
namespace subscriberd::cache::redis {

class RedisBatchCache final : public store::StoredRowCache {
 public:
  struct Options {
    std::string address;  // numeric IPv4 or IPv6 address
    std::uint16_t port = 6379;
    std::uint32_t db = 0;
    std::chrono::milliseconds timeout{100};
    std::chrono::milliseconds first_backoff{100};
    std::chrono::milliseconds max_backoff{2000};
    std::string name;  // for logs, e.g. redis://127.0.0.1:6379/0
  };

  RedisBatchCache(Options options, metrics::Registry& metrics);
  ~RedisBatchCache() override;
  RedisBatchCache(const RedisBatchCache&) = delete;
  RedisBatchCache& operator=(const RedisBatchCache&) = delete;

  void find(std::span<const std::string_view> emails,
            std::vector<std::optional<domain::Subscriber>>& known) override;
  void remember(std::span<const domain::Subscriber* const> rows) override;

 private:
  using Clock = std::chrono::steady_clock;

  // A connection ready for commands, or false while backing off or when connecting failed.
  bool connected();
  // Reads the answers of fills sent earlier; false (after fail()) if one did not come.
  bool read_unread_fills();
  // The server answered: the backoff starts again from its first step.
  void note_answered();
  // `answer`: the server's error text, when it answered with one.
  void fail(std::string_view what, std::string_view answer = {});

  const Options options_;
  metrics::Registry& metrics_;
  redisContext* context_ = nullptr;
  std::size_t unread_fills_ = 0;  // fills sent whose answers are still to be read
  Clock::time_point retry_at_{};
  Backoff backoff_;
  bool failing_ = false;  // a failure was logged and no connection succeeded since

  // Reused from batch to batch: the look-up's keys and the fill's arguments.
  std::vector<std::string> keys_;
  std::vector<std::string> values_;
  std::vector<const char*> argv_;
  std::vector<std::size_t> argv_lengths_;
};

}  // namespace subscriberd::cache::redis
