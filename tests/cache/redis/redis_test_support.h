// What the Redis tests share: an event loop on a thread, a plain blocking connection for
// setting up and inspecting keys, private redis-server processes, and the shared server's URL.
#pragma once

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <random>
#include <signal.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "cache/redis/redis_url.h"
#include "cache/subscriber_cache.h"
#include "domain/subscriber.h"
#include "util/event_loop.h"

namespace subscriberd::cache::redis::test_support {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// An event loop on its own thread, registered as that thread's loop like the server's.
class LoopThread {
 public:
  LoopThread()
      : guard_(asio::make_work_guard(context_)), thread_([this] {
          util::set_this_thread_loop(&context_);
          context_.run();
        }) {}
  ~LoopThread() { stop(); }

  void stop() {
    guard_.reset();
    context_.stop();
    if (thread_.joinable())
      thread_.join();
  }

  template <typename T>
  T await(asio::awaitable<T> work, std::chrono::seconds limit = 10s) {
    auto future = asio::co_spawn(context_, std::move(work), asio::use_future);
    if (future.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << "no answer within " << limit.count() << "s";
      std::abort();  // the coroutine still refers to the test's objects
    }
    return future.get();
  }

  void run(std::function<void()> work) {
    std::promise<void> done;
    asio::post(context_, [&] {
      work();
      done.set_value();
    });
    done.get_future().wait();
  }

  asio::io_context& context() { return context_; }

 private:
  asio::io_context context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

inline asio::awaitable<CacheLookup> find_in(SubscriberCache& cache, domain::LookupKey key) {
  co_return co_await cache.find(key);
}

inline asio::awaitable<bool> health_of(SubscriberCache& cache) {
  co_return co_await cache.check_health();
}

// A plain blocking connection for setting up and inspecting keys.
class Admin {
 public:
  Admin(const std::string& host, std::uint16_t port, std::uint32_t db = 0) {
    const timeval timeout{2, 0};
    context_ = redisConnectWithTimeout(host.c_str(), port, timeout);
    if (context_ == nullptr || context_->err != 0) {
      error_ = context_ != nullptr ? context_->errstr : "out of memory";
      return;
    }
    redisSetTimeout(context_, timeout);
    command({"SELECT", std::to_string(db)});
  }
  ~Admin() {
    if (context_ != nullptr)
      redisFree(context_);
  }
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // The reply as text: strings and statuses as they are, nil as "(nil)", integers in decimal,
  // errors as "ERR: ...".
  std::string command(const std::vector<std::string>& args) {
    if (context_ == nullptr)
      return "ERR: not connected";
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data()));
    if (reply == nullptr)
      return "ERR: " + std::string(context_->errstr);
    std::string text;
    switch (reply->type) {
      case REDIS_REPLY_STRING:
      case REDIS_REPLY_STATUS:
        text.assign(reply->str, reply->len);
        break;
      case REDIS_REPLY_ERROR:
        text = "ERR: " + std::string(reply->str, reply->len);
        break;
      case REDIS_REPLY_INTEGER:
        text = std::to_string(reply->integer);
        break;
      case REDIS_REPLY_NIL:
        text = "(nil)";
        break;
      default:
        text = "(array)";
    }
    freeReplyObject(reply);
    return text;
  }

 private:
  redisContext* context_ = nullptr;
  std::string error_;
};

inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// A redis-server of this test's own, on loopback, without persistence.
class PrivateRedis {
 public:
  PrivateRedis() : port_(free_port()) {}
  ~PrivateRedis() { stop(); }

  // `extra`: more configuration, e.g. {"--maxmemory", "2mb"}.
  bool start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no",     "--daemonize",         "no"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (std::freopen("/dev/null", "w", stdout) == nullptr)
        ::_exit(126);
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      Admin probe("127.0.0.1", port_);
      if (probe.ok() && probe.command({"PING"}) == "PONG")
        return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  void stop() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view options = "") const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/0" + std::string(options);
  }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

inline constexpr const char* kNoRedis =
    "SUBSCRIBERD_TEST_REDIS_URL is not set: these tests need a Redis server, e.g. "
    "SUBSCRIBERD_TEST_REDIS_URL=redis://127.0.0.1:6379/0 (scripts/services up writes it to its "
    "env file)";

// The shared server; nullopt when the variable is missing.
inline const std::optional<RedisUrl>& shared_url() {
  static const std::optional<RedisUrl> url = []() -> std::optional<RedisUrl> {
    const char* text = std::getenv("SUBSCRIBERD_TEST_REDIS_URL");
    if (text == nullptr || *text == '\0')
      return std::nullopt;
    return parse_redis_url(text);
  }();
  return url;
}

// Keys no earlier run (against a long-lived shared server) has used.
inline std::string run_tag() {
  static const std::string tag = [] {
    std::random_device device;
    return std::to_string(::getpid()) + "-" + std::to_string(device());
  }();
  return tag;
}

inline domain::Subscriber make_subscriber(const std::string& label) {
  static std::atomic<std::uint64_t> sequence{1};
  static const std::uint64_t base = std::random_device{}() * 1'000'000ull;
  domain::Subscriber s;
  s.id = base + sequence.fetch_add(1);
  s.email = label + "." + run_tag() + "@example.com";
  s.name = "Zoë";
  s.last_name = "Ñandú-Łukasz 山田 🦜";
  s.status = domain::Status::kUnconfirmed;
  s.created_at_ms = 1'795'702'133'598;
  return s;
}

// A test against the shared server, with a plain connection to it for setting up and
// inspecting keys. Fails when SUBSCRIBERD_TEST_REDIS_URL is unset or its server does not answer.
class SharedRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(shared_url().has_value()) << kNoRedis;
    const RedisUrl& url = *shared_url();
    admin_ = std::make_unique<Admin>(url.host, url.port, url.db);
    ASSERT_TRUE(admin_->ok()) << "cannot reach " << url.describe() << ": " << admin_->error();
  }

  std::unique_ptr<Admin> admin_;
};

}  // namespace subscriberd::cache::redis::test_support
