#include "cache/redis/redis_cache.h"

#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <netdb.h>
#include <sys/socket.h>
#include <utility>

#include <boost/asio/post.hpp>
#include <hiredis/hiredis.h>

#include "cache/redis/redis_batch_cache.h"
#include "cache/redis/subscriber_codec.h"
#include "util/async_bridge.h"
#include "util/event_loop.h"
#include "util/log.h"

namespace subscriberd::cache::redis {

namespace asio = boost::asio;

namespace {

std::atomic<std::uint64_t> g_next_cache_id{1};
std::atomic<bool> g_warned_off_loop{false};

// The connection used last on this thread: saves the registry look-up on every call.
struct ConnectionMemo {
  const asio::io_context* loop = nullptr;
  std::uint64_t owner = 0;
  std::uint64_t generation = 0;
  Connection* connection = nullptr;
};
thread_local ConnectionMemo t_memo;

// A numeric address for hiredis, whose own resolution would block the event loop.
// IPv4 first: the shipped Redis configuration binds 127.0.0.1 only.
std::string resolve_address(const std::string& host) {
  in6_addr probe{};
  if (inet_pton(AF_INET, host.c_str(), &probe) == 1 ||
      inet_pton(AF_INET6, host.c_str(), &probe) == 1) {
    return host;
  }
  std::string failure;
  for (int family : {AF_INET, AF_INET6}) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
      failure = gai_strerror(rc);
      continue;
    }
    char text[INET6_ADDRSTRLEN] = {};
    const void* address =
        family == AF_INET ? static_cast<const void*>(
                                &reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr)
                          : static_cast<const void*>(
                                &reinterpret_cast<const sockaddr_in6*>(found->ai_addr)->sin6_addr);
    const bool ok = inet_ntop(family, address, text, sizeof text) != nullptr;
    freeaddrinfo(found);
    if (ok)
      return text;
  }
  throw UrlError("redis URL: cannot resolve host '" + host + "': " + failure);
}

// Completes an awaiting coroutine with what `convert` makes of the reply.
template <typename Result, typename Convert>
class Completing final : public ReplyHandler {
 public:
  Completing(util::Completion<Result> done, Convert convert)
      : done_(std::move(done)), convert_(std::move(convert)) {}

  void on_reply(const redisReply* reply) override { std::move(done_).complete(convert_(reply)); }

 private:
  util::Completion<Result> done_;
  Convert convert_;
};

template <typename Result, typename Convert>
std::unique_ptr<ReplyHandler> completing(util::Completion<Result> done, Convert convert) {
  return std::make_unique<Completing<Result, Convert>>(std::move(done), std::move(convert));
}

// A write nobody waits for: only a failure is of interest.
class CountFailure final : public ReplyHandler {
 public:
  explicit CountFailure(metrics::Counter& errors) : errors_(errors) {}

  void on_reply(const redisReply* reply) override {
    if (reply == nullptr) {
      errors_.inc();
    } else if (reply->type == REDIS_REPLY_ERROR) {
      errors_.inc();
      log::debug("redis cache write refused",
                 {{"error", std::string_view(reply->str, reply->len)}});
    }
  }

 private:
  metrics::Counter& errors_;
};

bool entry_matches(const domain::LookupKey& key, const domain::Subscriber& subscriber) {
  return key.kind == domain::LookupKey::Kind::kEmail ? subscriber.email == key.email
                                                     : subscriber.id == key.id;
}

}  // namespace

RedisCache::RedisCache(Options options, metrics::Registry& metrics)
    : id_(g_next_cache_id.fetch_add(1, std::memory_order_relaxed)),
      options_(std::move(options)),
      metrics_(metrics) {
  connection_options_.address = resolve_address(options_.url.host);
  connection_options_.port = options_.url.port;
  connection_options_.db = options_.url.db;
  connection_options_.timeout = options_.url.timeout;
  connection_options_.max_backoff = options_.url.max_backoff;
  connection_options_.first_backoff =
      std::min(connection_options_.first_backoff, options_.url.max_backoff);
  connection_options_.name = options_.url.describe();
}

RedisCache::~RedisCache() {
  // Loops that are still there close our connection on their own thread.
  std::lock_guard lock(loops_mutex_);
  for (auto& [loop, connection] : loops_) {
    if (connection.expired())
      continue;
    asio::post(*loop,
               [loop = loop, id = id_] { asio::use_service<ConnectionRegistry>(*loop).close(id); });
  }
}

Connection* RedisCache::connection_here() {
  asio::io_context* loop = util::this_thread_loop();
  if (loop == nullptr) {
    if (!g_warned_off_loop.exchange(true)) {
      log::error("redis cache called outside an event loop thread; the call is skipped");
    }
    return nullptr;
  }
  const std::uint64_t generation = ConnectionRegistry::generation();
  if (t_memo.loop == loop && t_memo.owner == id_ && t_memo.generation == generation) {
    return t_memo.connection;
  }
  auto& registry = asio::use_service<ConnectionRegistry>(*loop);
  std::shared_ptr<Connection> connection = registry.find(id_);
  if (!connection) {
    connection = std::make_shared<Connection>(*loop, connection_options_);
    registry.add(id_, connection);
    std::lock_guard lock(loops_mutex_);
    loops_.push_back({loop, connection});
  }
  t_memo = {loop, id_, generation, connection.get()};
  return connection.get();
}

asio::awaitable<CacheLookup> RedisCache::find(domain::LookupKey key) {
  Connection* connection = connection_here();
  if (connection == nullptr || !connection->accepting()) {
    metrics_.cache_errors.inc();
    co_return CacheLookup{};
  }
  const std::string positive = positive_key(key);
  const std::string negative = negative_key(key);
  auto convert = [&metrics = metrics_, key](const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
      metrics.cache_errors.inc();
      return CacheLookup{};
    }
    const redisReply* value = reply->element[0];
    if (value->type == REDIS_REPLY_STRING) {
      auto subscriber = decode_subscriber(std::string_view(value->str, value->len));
      if (subscriber && entry_matches(key, *subscriber)) {
        return CacheLookup{CacheLookup::Kind::kHit, std::move(subscriber)};
      }
      // Corrupt or foreign: a miss, and the store read that follows overwrites it.
      metrics.cache_errors.inc();
      return CacheLookup{};
    }
    if (value->type != REDIS_REPLY_NIL) {
      metrics.cache_errors.inc();
      return CacheLookup{};
    }
    if (reply->element[1]->type != REDIS_REPLY_NIL) {
      return CacheLookup{CacheLookup::Kind::kAbsent, std::nullopt};
    }
    return CacheLookup{};
  };
  co_return co_await util::complete_elsewhere<CacheLookup>([&](util::Completion<CacheLookup> done) {
    const std::array<std::string_view, 3> args = {"MGET", positive, negative};
    connection->send(args, completing(std::move(done), std::move(convert)));
  });
}

void RedisCache::remember(const domain::Subscriber& subscriber) {
  Connection* connection = connection_here();
  if (connection == nullptr || !connection->accepting()) {
    metrics_.cache_errors.inc();
    return;
  }
  // Insert-only records never change: no TTL; allkeys-lru evicts what is not read.
  const std::string value = encode_subscriber(subscriber);
  const std::string by_email = email_key(subscriber.email);
  const std::string by_id = id_key(subscriber.id);
  const std::array<std::string_view, 5> args = {"MSET", by_email, value, by_id, value};
  connection->send(args, std::make_unique<CountFailure>(metrics_.cache_errors));
}

void RedisCache::remember_absent(const domain::LookupKey& key) {
  if (options_.negative_ttl.count() <= 0)
    return;
  Connection* connection = connection_here();
  if (connection == nullptr || !connection->accepting()) {
    metrics_.cache_errors.inc();
    return;
  }
  // A positive entry wins over a negative one when both exist, so an insert elsewhere needs
  // no DEL here: it shows as soon as its MSET lands.
  const std::string negative = negative_key(key);
  const std::string ttl = std::to_string(options_.negative_ttl.count());
  const std::array<std::string_view, 5> args = {"SET", negative, "1", "PX", ttl};
  connection->send(args, std::make_unique<CountFailure>(metrics_.cache_errors));
}

asio::awaitable<bool> RedisCache::check_health() {
  Connection* connection = connection_here();
  if (connection == nullptr || !connection->accepting())
    co_return false;
  co_return co_await util::complete_elsewhere<bool>([&](util::Completion<bool> done) {
    const std::array<std::string_view, 1> args = {"PING"};
    connection->send(args, completing(std::move(done), [](const redisReply* reply) {
                       return reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
                              std::string_view(reply->str, reply->len) == "PONG";
                     }));
  });
}

store::StoredRowCacheFactory RedisCache::for_store_writers() const {
  const RedisBatchCache::Options options{connection_options_.address,
                                         connection_options_.port,
                                         connection_options_.db,
                                         connection_options_.timeout,
                                         connection_options_.first_backoff,
                                         connection_options_.max_backoff,
                                         connection_options_.name};
  return [options, &metrics = metrics_] {
    return std::make_unique<RedisBatchCache>(options, metrics);
  };
}

std::string RedisCache::describe() const {
  return options_.url.describe();
}

}  // namespace subscriberd::cache::redis
