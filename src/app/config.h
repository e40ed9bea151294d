#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/log.h"

namespace subscriberd::app {

// Everything the binary can be told. Each flag --name also reads SUBSCRIBERD_NAME from the
// environment (dashes become underscores); a flag on the command line wins.
struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string store = "sqlite:./var/subscribers.db";
  std::string cache = "memory";
  std::size_t cache_size_mb = 256;
  std::size_t threads = 0;  // 0: one per core
  std::size_t store_readers = 2;
  std::size_t max_batch = 1024;
  std::uint32_t node_id = 0;
  std::string web_root = SUBSCRIBERD_DEFAULT_WEB_ROOT;
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds io_timeout{10};
  std::chrono::seconds shutdown_grace{10};
  std::chrono::milliseconds negative_ttl{5000};
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kText;
};

struct ParseResult {
  enum class Action : std::uint8_t { kRun, kHelp, kVersion, kError };
  Action action = Action::kRun;
  Config config;
  std::string error;
};

// `environment` is a lookup (getenv in production, a map in tests).
ParseResult parse_config(
    const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&)>& environment);

std::string help_text();

// "127.0.0.1:8080" / "[::1]:0" -> host and port.
bool split_host_port(const std::string& listen, std::string& host, std::uint16_t& port);

}  // namespace subscriberd::app
