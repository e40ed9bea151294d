#include "json/json_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace subscriberd::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if it is malformed.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
  } else {
    return 0;
  }
  if (i + len > s.size())
    return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0u) != 0x80u)
      return 0;
  }
  auto b1 = static_cast<unsigned char>(s[i + 1]);
  if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
      (b0 == 0xF4 && b1 > 0x8F)) {
    return 0;  // overlong, surrogate or beyond U+10FFFF
  }
  return len;
}

bool is_plain_ascii(unsigned char c) {
  return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

// is_plain_ascii for eight bytes at once (the SWAR tests of "Bit Twiddling Hacks"): a
// response is mostly plain text, and this scans it a word, not a byte, at a time.
bool all_plain_ascii(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101u;
  constexpr std::uint64_t kHigh = 0x8080808080808080u;
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  const auto has_below = [&](std::uint64_t x, std::uint64_t n) {
    return (x - kOnes * n) & ~x & kHigh;
  };
  const auto has_byte = [&](std::uint64_t b) { return has_below(v ^ (kOnes * b), 1); };
  return ((v & kHigh) | has_below(v, 0x20) | has_byte('"') | has_byte('\\') | has_byte(0x7F)) == 0;
}

// Length of the run of plain ASCII at the start of `s`.
std::size_t plain_ascii_prefix(std::string_view s) {
  std::size_t i = 0;
  while (i + 8 <= s.size() && all_plain_ascii(s.data() + i))
    i += 8;
  while (i < s.size() && is_plain_ascii(static_cast<unsigned char>(s[i])))
    ++i;
  return i;
}

// Two decimal digits, zero-padded.
char* put2(char* p, unsigned value) {
  p[0] = static_cast<char>('0' + value / 10);
  p[1] = static_cast<char>('0' + value % 10);
  return p + 2;
}

}  // namespace

std::string_view TimestampText::format(std::int64_t epoch_ms) {
  constexpr int kLongest = static_cast<int>(std::tuple_size_v<decltype(buffer_)>) - 1;
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{epoch_ms}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    // Outside RFC 3339's four-digit years; no id this service mints gets here.
    const int length = std::snprintf(
        buffer_.data(), buffer_.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year,
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
        static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
    // A year of chrono's range fits; the bound only guards the view.
    return {buffer_.data(), static_cast<std::size_t>(std::clamp(length, 0, kLongest))};
  }
  // Formatted by hand: this runs for every subscriber in every response, and snprintf's
  // format parsing showed up in profiles.
  char* p = put2(buffer_.data(), static_cast<unsigned>(year / 100));
  p = put2(p, static_cast<unsigned>(year % 100));
  *p++ = '-';
  p = put2(p, static_cast<unsigned>(ymd.month()));
  *p++ = '-';
  p = put2(p, static_cast<unsigned>(ymd.day()));
  *p++ = 'T';
  p = put2(p, static_cast<unsigned>(hms.hours().count()));
  *p++ = ':';
  p = put2(p, static_cast<unsigned>(hms.minutes().count()));
  *p++ = ':';
  p = put2(p, static_cast<unsigned>(hms.seconds().count()));
  *p++ = '.';
  const auto millis = static_cast<unsigned>(hms.subseconds().count());
  *p++ = static_cast<char>('0' + millis / 100);
  p = put2(p, millis % 100);
  *p++ = 'Z';
  return {buffer_.data(), static_cast<std::size_t>(p - buffer_.data())};
}

void append_quoted(std::string& out, std::string_view value) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < value.size()) {
    // Most text needs no escaping: copy each run of plain ASCII in one append.
    const std::size_t plain = i + plain_ascii_prefix(value.substr(i));
    if (plain > i) {
      out.append(value.data() + i, plain - i);
      i = plain;
      continue;
    }
    auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      std::size_t len = utf8_sequence_length(value, i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(value.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

std::string format_rfc3339_millis(std::int64_t epoch_ms) {
  TimestampText text;
  return std::string(text.format(epoch_ms));
}

void Writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (need_comma_)
    out_.push_back(',');
}

Writer& Writer::begin_object() {
  separate();
  out_.push_back('{');
  need_comma_ = false;
  return *this;
}

Writer& Writer::end_object() {
  out_.push_back('}');
  need_comma_ = true;
  return *this;
}

Writer& Writer::begin_array() {
  separate();
  out_.push_back('[');
  need_comma_ = false;
  return *this;
}

Writer& Writer::end_array() {
  out_.push_back(']');
  need_comma_ = true;
  return *this;
}

Writer& Writer::key(std::string_view name) {
  separate();
  append_quoted(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

Writer& Writer::string(std::string_view value) {
  separate();
  append_quoted(out_, value);
  need_comma_ = true;
  return *this;
}

Writer& Writer::number(std::int64_t value) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, end);
  need_comma_ = true;
  return *this;
}

Writer& Writer::decimal_string(std::uint64_t value) {
  separate();
  std::array<char, 22> buffer;  // the quotes and at most 20 digits
  buffer[0] = '"';
  auto [end, ec] = std::to_chars(buffer.data() + 1, buffer.data() + buffer.size() - 1, value);
  *end++ = '"';
  out_.append(buffer.data(), end);
  need_comma_ = true;
  return *this;
}

Writer& Writer::timestamp_millis(std::int64_t epoch_ms) {
  TimestampText text;
  return string(text.format(epoch_ms));
}

Writer& Writer::null() {
  separate();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

Writer& Writer::boolean(bool value) {
  separate();
  out_ += value ? "true" : "false";
  need_comma_ = true;
  return *this;
}

}  // namespace subscriberd::json
