#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The subscriber record and its vocabulary. Pure data: no I/O, no framework types.
namespace subscriberd::domain {

enum class Status : std::uint8_t { kActive, kUnsubscribed, kUnconfirmed, kBounced, kJunk };

inline constexpr std::array<Status, 5> kAllStatuses = {
    Status::kActive, Status::kUnsubscribed, Status::kUnconfirmed, Status::kBounced, Status::kJunk};

// Lowercase wire name ("active", ...).
std::string_view to_string(Status status);
// Case-insensitive parse of a wire name.
std::optional<Status> parse_status(std::string_view name);

using SubscriberId = std::uint64_t;

struct Subscriber {
  SubscriberId id = 0;
  std::string email;  // trimmed and lowercased
  std::string name;
  std::string last_name;
  Status status = Status::kActive;
  std::int64_t created_at_ms = 0;  // Unix epoch milliseconds, UTC

  friend bool operator==(const Subscriber&, const Subscriber&) = default;
};

// A validated request to create a subscriber, before it has an id.
struct NewSubscriber {
  std::string email;
  std::string name;
  std::string last_name;
  Status status = Status::kActive;
};

// How a client names one subscriber: by e-mail (lowercased) or by id.
struct LookupKey {
  enum class Kind : std::uint8_t { kEmail, kId };
  Kind kind = Kind::kEmail;
  std::string email;
  SubscriberId id = 0;

  static LookupKey by_email(std::string lowercased_email) {
    return {Kind::kEmail, std::move(lowercased_email), 0};
  }
  static LookupKey by_id(SubscriberId id) { return {Kind::kId, {}, id}; }
};

}  // namespace subscriberd::domain
