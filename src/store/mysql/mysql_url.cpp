#include "store/mysql/mysql_url.h"

#include "util/text.h"

namespace subscriberd::store::mysql {
namespace {

constexpr std::string_view kScheme = "mysql://";

// Percent-encodes what would otherwise end a URL component (for describe()).
std::string encode_component(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0F]);
    }
  }
  return out;
}

bool apply_option(Endpoint& endpoint, std::string_view name, const std::string& value,
                  std::string& error) {
  if (name == "socket") {
    if (value.empty()) {
      error = "option 'socket' needs a path";
      return false;
    }
    endpoint.socket = value;
    return true;
  }
  if (name == "writers") {
    const auto writers = text::parse_bounded(value, 1, 16);
    if (!writers) {
      error = "option 'writers' must be a number from 1 to 16";
      return false;
    }
    endpoint.writers = static_cast<std::size_t>(*writers);
    return true;
  }
  if (name == "connect_timeout" || name == "io_timeout") {
    const auto seconds = text::parse_bounded(value, 1, 3600);
    if (!seconds) {
      error = "option '" + std::string(name) + "' must be a number of seconds from 1 to 3600";
      return false;
    }
    (name == "connect_timeout" ? endpoint.connect_timeout : endpoint.io_timeout) =
        std::chrono::seconds(*seconds);
    return true;
  }
  if (name == "batch_wait_us") {
    const auto micros = text::parse_bounded(value, 0, 100'000);
    if (!micros) {
      error = "option 'batch_wait_us' must be a number of microseconds from 0 to 100000";
      return false;
    }
    endpoint.batch_wait = std::chrono::microseconds(*micros);
    return true;
  }
  error = "unknown option '" + std::string(name) +
          "' (known: socket, writers, connect_timeout, io_timeout, batch_wait_us)";
  return false;
}

bool parse_options(Endpoint& endpoint, std::string_view query, std::string& error) {
  for (std::string_view pair : text::split(query, '&')) {
    if (pair.empty())
      continue;
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      error = "option '" + std::string(pair) + "' needs a value (NAME=VALUE)";
      return false;
    }
    auto name = text::percent_decode(pair.substr(0, eq), false);
    auto value = text::percent_decode(pair.substr(eq + 1), false);
    if (!name || !value) {
      error = "malformed percent-encoding in the options";
      return false;
    }
    if (!apply_option(endpoint, *name, *value, error))
      return false;
  }
  return true;
}

}  // namespace

std::string Endpoint::describe() const {
  std::string out(kScheme);
  out += encode_component(user);
  out += '@';
  if (host.find(':') != std::string::npos) {
    out += '[' + host + ']';
  } else {
    out += host;
  }
  if (socket.empty())
    out += ':' + std::to_string(port);
  out += '/';
  out += encode_component(database);
  if (!socket.empty())
    out += "?socket=" + socket;
  return out;
}

std::optional<Endpoint> parse_url(std::string_view url, std::string& error) {
  if (!url.starts_with(kScheme)) {
    error = "a MySQL store URL starts with mysql://";
    return std::nullopt;
  }
  std::string_view rest = url.substr(kScheme.size());
  Endpoint endpoint;

  // Options first: a socket path may contain '/' and '@'.
  if (const std::size_t question = rest.find('?'); question != std::string_view::npos) {
    if (!parse_options(endpoint, rest.substr(question + 1), error))
      return std::nullopt;
    rest = rest.substr(0, question);
  }

  // The credentials end at the last '@', so an unencoded '@' or '/' in the password still
  // parses; the path (the database) starts at the first '/' after it.
  const std::size_t last_at = rest.rfind('@');
  const std::size_t slash = rest.find('/', last_at == std::string_view::npos ? 0 : last_at);
  if (slash == std::string_view::npos) {
    error = "the URL needs a database name: mysql://USER:PASSWORD@HOST:PORT/DATABASE";
    return std::nullopt;
  }
  std::string_view authority = rest.substr(0, slash);
  auto database = text::percent_decode(rest.substr(slash + 1), false);
  if (!database || database->empty() || database->find('/') != std::string::npos) {
    error = "the URL needs a database name: mysql://USER:PASSWORD@HOST:PORT/DATABASE";
    return std::nullopt;
  }
  endpoint.database = std::move(*database);

  const std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) {
    error = "the URL needs a user: mysql://USER:PASSWORD@HOST:PORT/DATABASE";
    return std::nullopt;
  }
  std::string_view credentials = authority.substr(0, at);
  std::string_view host_port = authority.substr(at + 1);

  const std::size_t colon = credentials.find(':');
  auto user = text::percent_decode(credentials.substr(0, colon), false);
  std::optional<std::string> password = std::string();
  if (colon != std::string_view::npos) {
    password = text::percent_decode(credentials.substr(colon + 1), false);
  }
  if (!user || !password) {
    error = "malformed percent-encoding in the user or password";
    return std::nullopt;
  }
  if (user->empty()) {
    error = "the URL needs a user: mysql://USER:PASSWORD@HOST:PORT/DATABASE";
    return std::nullopt;
  }
  endpoint.user = std::move(*user);
  endpoint.password = std::move(*password);

  std::string_view port_text;
  if (host_port.starts_with('[')) {
    const std::size_t close = host_port.find(']');
    if (close == std::string_view::npos) {
      error = "unterminated IPv6 address in the host";
      return std::nullopt;
    }
    endpoint.host = std::string(host_port.substr(1, close - 1));
    std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) {
        error = "unexpected text after the IPv6 address";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    const std::size_t port_colon = host_port.rfind(':');
    endpoint.host = std::string(host_port.substr(0, port_colon));
    if (port_colon != std::string_view::npos)
      port_text = host_port.substr(port_colon + 1);
  }
  if (endpoint.host.empty() && endpoint.socket.empty()) {
    error = "the URL needs a host (or a socket option)";
    return std::nullopt;
  }
  if (!port_text.empty() || host_port.ends_with(':')) {
    const auto port = text::parse_bounded(port_text, 1, 65535);
    if (!port) {
      error = "the port must be a number from 1 to 65535";
      return std::nullopt;
    }
    endpoint.port = static_cast<std::uint16_t>(*port);
  }
  return endpoint;
}

}  // namespace subscriberd::store::mysql
