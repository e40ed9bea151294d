#include "loadgen/http_response.h"

#include <charconv>

namespace subscriberd::bench {
namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i]))
      return false;
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size())
    return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle))
      return true;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

HeadParse parse_response_head(std::string_view data, ResponseHead& head) {
  const std::size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos)
    return data.size() > 64 * 1024 ? HeadParse::kInvalid : HeadParse::kIncomplete;
  head = ResponseHead{};
  head.head_length = end + 4;

  // Status line: HTTP/1.x SP 3DIGIT SP reason
  const std::size_t line_end = data.find("\r\n");
  const std::string_view status_line = data.substr(0, line_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1."))
    return HeadParse::kInvalid;
  const bool http10 = status_line[7] == '0';
  const std::string_view code = status_line.substr(9, 3);
  auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), head.status);
  if (ec != std::errc{} || ptr != code.data() + code.size())
    return HeadParse::kInvalid;

  bool have_length = false;
  bool keep_alive_10 = false;
  std::size_t pos = line_end + 2;
  while (pos < end) {
    std::size_t next = data.find("\r\n", pos);
    const std::string_view line = data.substr(pos, next - pos);
    pos = next + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return HeadParse::kInvalid;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), head.body_length);
      if (e != std::errc{} || p != value.data() + value.size())
        return HeadParse::kInvalid;
      have_length = true;
    } else if (iequals(name, "transfer-encoding")) {
      return HeadParse::kInvalid;  // not produced by the servers under test
    } else if (iequals(name, "connection")) {
      if (icontains(value, "close"))
        head.close = true;
      if (icontains(value, "keep-alive"))
        keep_alive_10 = true;
    }
  }
  if (http10 && !keep_alive_10)
    head.close = true;
  // 1xx, 204 and 304 have no body; every other response here must say how long it is.
  const bool bodiless = head.status < 200 || head.status == 204 || head.status == 304;
  if (!have_length && !bodiless)
    return HeadParse::kInvalid;
  return HeadParse::kComplete;
}

}  // namespace subscriberd::bench
