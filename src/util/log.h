#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

// Line-oriented logging to stderr, as plain text or one JSON object per line.
namespace subscriberd::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

// Parses "debug", "info", "warn", "error" / "text", "json".
bool parse_level(std::string_view name, Level& out);
bool parse_format(std::string_view name, Format& out);

void configure(Level min_level, Format format);
bool enabled(Level level);

using Field = std::pair<std::string_view, std::string_view>;

// Writes one line atomically (a single write(2)), so lines from threads never interleave.
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::kDebug))
    write(Level::kDebug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, m, f);
}
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, m, f);
}
inline void error(std::string_view m, std::initializer_list<Field> f = {}) {
  write(Level::kError, m, f);
}

}  // namespace subscriberd::log
