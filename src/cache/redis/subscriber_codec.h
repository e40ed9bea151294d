#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/subscriber.h"

// How a subscriber is kept in Redis: the key names and a compact, versioned binary value.
//
//   sub:e:<email>     -> value          (positive entry by e-mail; no TTL)
//   sub:i:<id>        -> value          (positive entry by id, decimal; no TTL)
//   sub:n:e:<email>   -> "1", PX ttl    (negative entry: the store had no such e-mail)
//   sub:n:i:<id>      -> "1", PX ttl    (negative entry: the store had no such id)
//
// Value, format 1 (all integers are unsigned LEB128 varints unless noted):
//   u8 format (1) | id | zigzag(created_at_ms) | u8 status |
//   len email | email | len name | name | len last_name | last_name
// A value that does not parse exactly (unknown format, truncated, trailing bytes, a status
// out of range, text that is not UTF-8, oversized fields) decodes to nullopt.
namespace subscriberd::cache::redis {

inline constexpr std::uint8_t kValueFormat = 1;

std::string email_key(std::string_view email);
std::string id_key(domain::SubscriberId id);
// The negative entry for a look-up key.
std::string negative_key(const domain::LookupKey& key);
// The positive entry for a look-up key.
std::string positive_key(const domain::LookupKey& key);

std::string encode_subscriber(const domain::Subscriber& subscriber);
std::optional<domain::Subscriber> decode_subscriber(std::string_view value);

}  // namespace subscriberd::cache::redis
