#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/subscriber.h"

namespace subscriberd::domain {

// A keyset-pagination position. Pages are ordered newest first (highest id first):
//  - kOlder: the page of subscribers with id < anchor (what "next" means);
//  - kNewer: the page of subscribers with id > anchor (what "previous" means).
struct Cursor {
  enum class Direction : std::uint8_t { kOlder, kNewer };
  Direction direction = Direction::kOlder;
  SubscriberId anchor = 0;

  friend bool operator==(const Cursor&, const Cursor&) = default;
};

// Opaque to clients: 12 characters of base64url over a version/direction byte and the
// big-endian anchor.
std::string encode_cursor(const Cursor& cursor);
// nullopt for anything encode_cursor could not have produced.
std::optional<Cursor> decode_cursor(std::string_view text);

}  // namespace subscriberd::domain
