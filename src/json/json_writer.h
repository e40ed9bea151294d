#pragma once

#include <array>
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
  // An unsigned integer as a JSON string of its decimal digits ("123").
  Writer& decimal_string(std::uint64_t value);
  // Milliseconds since the Unix epoch as an RFC 3339 string (format_rfc3339_millis).
  Writer& timestamp_millis(std::int64_t epoch_ms);
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

// The same text in a buffer of its own: what a response writes for every subscriber, so it
// costs no allocation. The view lasts until the next format() or the buffer's end.
class TimestampText {
 public:
  std::string_view format(std::int64_t epoch_ms);

 private:
  std::array<char, 48> buffer_;  // room for a year outside 0000-9999, printed in full
};

}  // namespace subscriberd::json
