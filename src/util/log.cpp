#include "util/log.h"

#include <atomic>
#include <chrono>
#include <ctime>
#include <unistd.h>

#include "json/json_writer.h"

namespace subscriberd::log {
namespace {

std::atomic<Level> g_min_level{Level::kInfo};
std::atomic<Format> g_format{Format::kText};

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return json::format_rfc3339_millis(ms);
}

}  // namespace

bool parse_level(std::string_view name, Level& out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

bool parse_format(std::string_view name, Format& out) {
  if (name == "text") {
    out = Format::kText;
  } else if (name == "json") {
    out = Format::kJson;
  } else {
    return false;
  }
  return true;
}

void configure(Level min_level, Format format) {
  g_min_level.store(min_level);
  g_format.store(format);
}

bool enabled(Level level) {
  return level >= g_min_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level))
    return;
  std::string line;
  line.reserve(128);
  if (g_format.load(std::memory_order_relaxed) == Format::kJson) {
    json::Writer w(line);
    w.begin_object();
    w.key("ts").string(timestamp_now());
    w.key("level").string(level_name(level));
    w.key("msg").string(message);
    for (const auto& [k, v] : fields)
      w.key(k).string(v);
    w.end_object();
  } else {
    line += timestamp_now();
    line += ' ';
    line += level_name(level);
    line += ' ';
    line += message;
    for (const auto& [k, v] : fields) {
      line += ' ';
      line += k;
      line += '=';
      line += v;
    }
  }
  line += '\n';
  // A short write to stderr is not worth retrying: logging must never stall a request.
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace subscriberd::log
