#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// A minimal streaming JSON writer appending to a caller-owned string, so a response body is
// built in one buffer without intermediate trees. Commas are placed automatically.
namespace subscriberd::json {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view name);
  Writer& string(std::string_view value);
  Writer& number(std::int64_t value);
  Writer& null();
  Writer& boolean(bool value);

 private:
  void separate();

  std::string& out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

// Appends `value` as a quoted JSON string; control characters and invalid UTF-8 bytes are
// escaped (the latter as U+FFFD) so the output is always valid JSON.
void append_quoted(std::string& out, std::string_view value);

// "2026-11-26T13:45:01.123Z" for milliseconds since the Unix epoch.
std::string format_rfc3339_millis(std::int64_t epoch_ms);

}  // namespace subscriberd::json
