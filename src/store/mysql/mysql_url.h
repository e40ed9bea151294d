#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The address of a MySQL or MariaDB database, as given by a store URL:
//
//   mysql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?OPTION=VALUE&...]
//   mysql://USER[:PASSWORD]@localhost/DATABASE?socket=/run/mysqld/mysqld.sock
//
// USER, PASSWORD, DATABASE and option values are percent-decoded. HOST may be an IPv6 literal
// in brackets. Options: socket (a unix socket path; the host is then ignored), writers
// (writer connections, 1-16), connect_timeout and io_timeout (seconds, 1-3600), batch_wait_us
// (0-100000: how long a writer may wait for a fuller batch while inserts arrive concurrently).
namespace subscriberd::store::mysql {

struct Endpoint {
  std::string user;
  std::string password;
  std::string host;  // without brackets
  std::uint16_t port = 3306;
  std::string database;
  std::string socket;  // non-empty: connect through this unix socket
  std::size_t writers = 1;
  std::chrono::seconds connect_timeout{2};
  std::chrono::seconds io_timeout{10};  // a read or write on the socket longer than this fails
  std::chrono::microseconds batch_wait{1000};

  // The URL without the password: safe for logs.
  std::string describe() const;
};

// nullopt with `error` set when the URL is not a mysql:// URL of the form above.
std::optional<Endpoint> parse_url(std::string_view url, std::string& error);

}  // namespace subscriberd::store::mysql
