#include "util/text.h"

#include <charconv>

namespace subscriberd::text {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

void lowercase_ascii(std::string& s) {
  for (char& c : s)
    c = lower(c);
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    // Copy each run without escapes in one append (a path's e-mail has one "%40" at most).
    const std::size_t special = plus_as_space ? s.find_first_of("%+", i) : s.find('%', i);
    const std::size_t run_end = special == std::string_view::npos ? s.size() : special;
    out.append(s.data() + i, run_end - i);
    i = run_end;
    if (i == s.size())
      break;
    if (s[i] == '+') {
      out.push_back(' ');
      ++i;
      continue;
    }
    if (i + 2 >= s.size())
      return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 3;
  }
  return out;
}

std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t count = 0;
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  while (i < s.size()) {
    unsigned char b0 = byte(i);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (b0 < 0x80) {
      cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      extra = 1;
      cp = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      extra = 2;
      cp = b0 & 0x0Fu;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      extra = 3;
      cp = b0 & 0x07u;
    } else {
      return std::nullopt;
    }
    if (i + extra >= s.size())
      return std::nullopt;
    for (std::size_t k = 1; k <= extra; ++k) {
      unsigned char b = byte(i + k);
      if ((b & 0xC0u) != 0x80u)
        return std::nullopt;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    // Reject overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    i += extra + 1;
    ++count;
  }
  return count;
}

bool has_control_characters(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F)
      return true;
    // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
    if (b == 0xC2 && i + 1 < s.size()) {
      auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F)
        return true;
    }
  }
  return false;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> pieces;
  for (;;) {
    const std::size_t at = s.find(separator);
    pieces.push_back(s.substr(0, at));
    if (at == std::string_view::npos)
      return pieces;
    s.remove_prefix(at + 1);
  }
}

std::optional<std::uint64_t> parse_uint64(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s.front() == '0'))
    return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parse_bounded(std::string_view s, std::uint64_t min,
                                           std::uint64_t max) {
  const std::optional<std::uint64_t> value = parse_uint64(s);
  if (!value || *value < min || *value > max)
    return std::nullopt;
  return value;
}

std::string bounds_message(std::string_view what, std::uint64_t min, std::uint64_t max,
                           std::string_view s) {
  return std::string(what) + " must be a number from " + std::to_string(min) + " to " +
         std::to_string(max) + ", not '" + std::string(s) + "'";
}

}  // namespace subscriberd::text
