#include "cache/redis/redis_url.h"

#include "util/text.h"

namespace subscriberd::cache::redis {
namespace {

std::uint64_t number(std::string_view text, std::uint64_t min, std::uint64_t max,
                     std::string_view what) {
  if (const auto value = text::parse_bounded(text, min, max))
    return *value;
  throw UrlError("redis URL: " + text::bounds_message(what, min, max, text));
}

void apply_option(RedisUrl& url, std::string_view option) {
  const std::size_t eq = option.find('=');
  if (eq == std::string_view::npos) {
    throw UrlError("redis URL: option '" + std::string(option) + "' needs a value (name=value)");
  }
  const std::string_view name = option.substr(0, eq);
  const std::string_view value = option.substr(eq + 1);
  if (name == "timeout_ms") {
    url.timeout = std::chrono::milliseconds(number(value, 1, 60'000, name));
  } else if (name == "max_backoff_ms") {
    url.max_backoff = std::chrono::milliseconds(number(value, 1, 600'000, name));
  } else if (name == "local_mb") {
    url.local_mb = static_cast<std::size_t>(number(value, 0, 1 << 16, name));
  } else if (name == "batched_inserts") {
    url.batched_inserts = number(value, 0, 1, name) == 1;
  } else {
    throw UrlError("redis URL: unknown option '" + std::string(name) +
                   "' (known: timeout_ms, max_backoff_ms, local_mb, batched_inserts)");
  }
}

}  // namespace

RedisUrl parse_redis_url(std::string_view text) {
  constexpr std::string_view kScheme = "redis://";
  if (text.size() < kScheme.size() ||
      !text::iequals_ascii(text.substr(0, kScheme.size()), kScheme)) {
    throw UrlError("redis URL must start with redis://");
  }
  std::string_view rest = text.substr(kScheme.size());

  std::string_view query;
  if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  const std::string_view authority = rest;
  if (authority.find('@') != std::string_view::npos) {
    throw UrlError("redis URL: user names and passwords are not supported");
  }

  RedisUrl url;
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      throw UrlError("redis URL: missing ']' after IPv6 host");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        throw UrlError("redis URL: expected ':PORT' after ']'");
      port = after.substr(1);
      if (port.empty())
        throw UrlError("redis URL: empty port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':', colon + 1) != std::string_view::npos) {
        throw UrlError("redis URL: put an IPv6 host in brackets, e.g. redis://[::1]:6379");
      }
      port = authority.substr(colon + 1);
      if (port.empty())
        throw UrlError("redis URL: empty port");
    }
    url.host = std::string(authority.substr(0, colon));
  }
  if (url.host.empty())
    throw UrlError("redis URL needs a host, e.g. redis://127.0.0.1:6379");
  if (!port.empty())
    url.port = static_cast<std::uint16_t>(number(port, 1, 65535, "the port"));
  if (!path.empty()) {
    url.db = static_cast<std::uint32_t>(number(path, 0, 1'000'000, "the database number"));
  }

  for (std::string_view option : text::split(query, '&')) {
    if (!option.empty())
      apply_option(url, option);
  }
  return url;
}

std::string RedisUrl::describe() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
         std::to_string(db);
}

}  // namespace subscriberd::cache::redis
