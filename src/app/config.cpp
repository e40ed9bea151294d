#include "app/config.h"

#include <charconv>
#include <functional>
#include <sstream>

namespace subscriberd::app {
namespace {

struct Flag {
  std::string_view name;
  std::string_view value_name;
  std::string_view help;
  std::function<bool(Config&, const std::string&)> apply;
  std::function<std::string(const Config&)> show_default;
};

template <typename T>
bool parse_number(const std::string& text, T& out, T min, T max) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

bool parse_seconds(const std::string& text, std::chrono::seconds& out) {
  long long value = 0;
  if (!parse_number<long long>(text, value, 1, 86'400))
    return false;
  out = std::chrono::seconds(value);
  return true;
}

const std::vector<Flag>& flags() {
  static const std::vector<Flag> kFlags = {
      {"listen", "HOST:PORT", "address to serve HTTP on; port 0 picks a free port",
       [](Config& c, const std::string& v) {
         std::string host;
         std::uint16_t port = 0;
         if (!split_host_port(v, host, port))
           return false;
         c.listen = v;
         return true;
       },
       [](const Config& c) { return c.listen; }},
      {"store", "URL",
       "store of record: sqlite:PATH | mysql://USER:PASSWORD@HOST:PORT/DATABASE\n"
       "      (or mysql://USER:PASSWORD@localhost/DATABASE?socket=PATH; percent-encode\n"
       "      special characters; options: writers=N, connect_timeout=S, io_timeout=S,\n"
       "      batch_wait_us=N); sqlite options: synchronous=normal|full, checkpoint_pages=N,\n"
       "      batch_wait_us=N, writer_cache_mb=N",
       [](Config& c, const std::string& v) {
         c.store = v;
         return !v.empty();
       },
       [](const Config& c) { return c.store; }},
      {"cache", "URL",
       "read cache: memory | none | redis://HOST:PORT[/DB][?timeout_ms=100&max_backoff_ms=2000"
       "&local_mb=MB] (see docs/cache.md)",
       [](Config& c, const std::string& v) {
         c.cache = v;
         return !v.empty();
       },
       [](const Config& c) { return c.cache; }},
      {"cache-size", "MB",
       "in-process cache budget in MiB: the memory cache, or the tier in front of Redis "
       "(unless its URL sets local_mb)",
       [](Config& c, const std::string& v) {
         return parse_number<std::size_t>(v, c.cache_size_mb, 1, 1 << 20);
       },
       [](const Config& c) { return std::to_string(c.cache_size_mb); }},
      {"threads", "N", "network threads (0: one per core)",
       [](Config& c, const std::string& v) {
         return parse_number<std::size_t>(v, c.threads, 0, 256);
       },
       [](const Config&) { return std::string("number of cores"); }},
      {"store-readers", "N", "read connections (and threads) of the store",
       [](Config& c, const std::string& v) {
         return parse_number<std::size_t>(v, c.store_readers, 1, 256);
       },
       [](const Config& c) { return std::to_string(c.store_readers); }},
      {"max-batch", "N", "most inserts committed in one transaction",
       [](Config& c, const std::string& v) {
         return parse_number<std::size_t>(v, c.max_batch, 1, 100'000);
       },
       [](const Config& c) { return std::to_string(c.max_batch); }},
      {"node-id", "N", "0-1023, unique per instance sharing a database (part of every id)",
       [](Config& c, const std::string& v) {
         return parse_number<std::uint32_t>(v, c.node_id, 0, 1023);
       },
       [](const Config& c) { return std::to_string(c.node_id); }},
      {"web-root", "DIR", "directory of the built web page",
       [](Config& c, const std::string& v) {
         c.web_root = v;
         return true;
       },
       [](const Config& c) { return c.web_root; }},
      {"idle-timeout", "SECONDS", "close a kept-alive connection idle this long",
       [](Config& c, const std::string& v) { return parse_seconds(v, c.idle_timeout); },
       [](const Config& c) { return std::to_string(c.idle_timeout.count()); }},
      {"io-timeout", "SECONDS", "longest time to receive one request or send one response",
       [](Config& c, const std::string& v) { return parse_seconds(v, c.io_timeout); },
       [](const Config& c) { return std::to_string(c.io_timeout.count()); }},
      {"shutdown-grace", "SECONDS", "on SIGTERM, how long in-flight requests may take",
       [](Config& c, const std::string& v) { return parse_seconds(v, c.shutdown_grace); },
       [](const Config& c) { return std::to_string(c.shutdown_grace.count()); }},
      {"negative-ttl-ms", "MS",
       "how long the cache remembers that a subscriber is absent (0: never)",
       [](Config& c, const std::string& v) {
         long long ms = 0;
         if (!parse_number<long long>(v, ms, 0, 3'600'000))
           return false;
         c.negative_ttl = std::chrono::milliseconds(ms);
         return true;
       },
       [](const Config& c) { return std::to_string(c.negative_ttl.count()); }},
      {"log-level", "LEVEL", "debug | info | warn | error",
       [](Config& c, const std::string& v) { return log::parse_level(v, c.log_level); },
       [](const Config&) { return std::string("info"); }},
      {"log-format", "FORMAT", "text | json",
       [](Config& c, const std::string& v) { return log::parse_format(v, c.log_format); },
       [](const Config&) { return std::string("text"); }},
  };
  return kFlags;
}

std::string env_name(std::string_view flag) {
  std::string name = "SUBSCRIBERD_";
  for (char c : flag)
    name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return name;
}

const Flag* find_flag(std::string_view name) {
  for (const Flag& f : flags()) {
    if (f.name == name)
      return &f;
  }
  return nullptr;
}

}  // namespace

bool split_host_port(const std::string& listen, std::string& host, std::uint16_t& port) {
  std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return parse_number<std::uint16_t>(listen.substr(colon + 1), port, 0, 65535) && !host.empty();
}

ParseResult parse_config(
    const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&)>& environment) {
  ParseResult result;
  auto fail = [&](std::string message) {
    result.action = ParseResult::Action::kError;
    result.error = std::move(message);
    return result;
  };

  for (const Flag& f : flags()) {
    if (auto value = environment(env_name(f.name))) {
      if (!f.apply(result.config, *value)) {
        return fail("invalid value for " + env_name(f.name) + ": '" + *value + "'");
      }
    }
  }

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      result.action = ParseResult::Action::kHelp;
      return result;
    }
    if (arg == "--version") {
      result.action = ParseResult::Action::kVersion;
      return result;
    }
    if (!arg.starts_with("--"))
      return fail("unexpected argument '" + std::string(arg) + "'");
    arg.remove_prefix(2);
    std::string value;
    std::size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    const Flag* flag = find_flag(name);
    if (flag == nullptr)
      return fail("unknown flag --" + std::string(name) + " (see --help)");
    if (eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return fail("flag --" + std::string(name) + " needs a value");
    }
    if (!flag->apply(result.config, value)) {
      return fail("invalid value for --" + std::string(name) + ": '" + value + "'");
    }
  }
  return result;
}

std::string help_text() {
  std::ostringstream out;
  out << "subscriberd " SUBSCRIBERD_VERSION " - stores and serves e-mail subscribers over HTTP\n\n"
      << "Usage: subscriberd [--flag VALUE]...\n\n"
      << "Every flag can also be set by the environment variable shown beside it;\n"
      << "the command line wins.\n\n";
  const Config defaults;
  for (const Flag& f : flags()) {
    out << "  --" << f.name << ' ' << f.value_name << "\n      " << f.help << "\n      env "
        << env_name(f.name) << ", default: " << f.show_default(defaults) << "\n";
  }
  out << "  --help, --version\n";
  return out.str();
}

}  // namespace subscriberd::app
