#include "domain/cursor.h"

#include <array>
#include <cstdint>

namespace subscriberd::domain {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kOlderTag = 0x01;  // version 0, direction "older"
constexpr std::uint8_t kNewerTag = 0x02;  // version 0, direction "newer"
constexpr std::size_t kRawBytes = 9;      // tag + 8 bytes of anchor
constexpr std::size_t kEncodedLength = 12;

int alphabet_index(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

}  // namespace

std::string encode_cursor(const Cursor& cursor) {
  std::array<std::uint8_t, kRawBytes> raw{};
  raw[0] = cursor.direction == Cursor::Direction::kOlder ? kOlderTag : kNewerTag;
  for (int i = 0; i < 8; ++i) {
    raw[static_cast<std::size_t>(1 + i)] = static_cast<std::uint8_t>(cursor.anchor >> (56 - 8 * i));
  }
  std::string out;
  out.reserve(kEncodedLength);
  for (std::size_t i = 0; i < kRawBytes; i += 3) {
    std::uint32_t group =
        (std::uint32_t{raw[i]} << 16) | (std::uint32_t{raw[i + 1]} << 8) | raw[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6)
      out.push_back(kAlphabet[(group >> shift) & 0x3F]);
  }
  return out;
}

std::optional<Cursor> decode_cursor(std::string_view text) {
  if (text.size() != kEncodedLength)
    return std::nullopt;
  std::array<std::uint8_t, kRawBytes> raw{};
  for (std::size_t g = 0; g < kRawBytes / 3; ++g) {
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int v = alphabet_index(text[g * 4 + k]);
      if (v < 0)
        return std::nullopt;
      group = (group << 6) | static_cast<std::uint32_t>(v);
    }
    raw[g * 3] = static_cast<std::uint8_t>(group >> 16);
    raw[g * 3 + 1] = static_cast<std::uint8_t>(group >> 8);
    raw[g * 3 + 2] = static_cast<std::uint8_t>(group);
  }
  Cursor cursor;
  if (raw[0] == kOlderTag) {
    cursor.direction = Cursor::Direction::kOlder;
  } else if (raw[0] == kNewerTag) {
    cursor.direction = Cursor::Direction::kNewer;
  } else {
    return std::nullopt;
  }
  for (std::size_t i = 1; i < kRawBytes; ++i)
    cursor.anchor = (cursor.anchor << 8) | raw[i];
  return cursor;
}

}  // namespace subscriberd::domain
