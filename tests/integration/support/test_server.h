#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

// Runs the real subscriberd binary for a test: its own data directory, a free port, and the
// store and cache of the configuration under test (SUBSCRIBERD_TEST_CONFIG).
namespace subscriberd::testing {

// "sqlite+memory" (default), "mysql+redis" or "mysql+none". The MariaDB and Redis addresses
// come from SUBSCRIBERD_TEST_MYSQL_URL and SUBSCRIBERD_TEST_REDIS_URL.
struct TestConfig {
  std::string name;
  bool mysql = false;
  std::string cache;  // memory | none | redis://...

  static const TestConfig& current();
  std::string store_url(const std::string& data_dir) const;
};

class TestServer {
 public:
  struct Options {
    std::vector<std::string> extra_args;
    std::string cache_override;  // empty: the configuration's cache
  };

  TestServer();
  explicit TestServer(Options options);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log() const;

  // SIGTERM and wait; returns the exit status (or -signal).
  int stop(std::chrono::seconds timeout = std::chrono::seconds(20));
  // SIGKILL and reap: a crash.
  void kill9();
  // Starts again on the same data directory (new port), optionally with other options.
  void start();
  void start(Options options);
  bool running() const { return pid_ > 0; }

 private:
  Options options_;
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// An e-mail no other test (or earlier run against a shared database) has used.
std::string unique_email(const std::string& tag);

}  // namespace subscriberd::testing
