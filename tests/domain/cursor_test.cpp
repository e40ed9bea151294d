#include "domain/cursor.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace subscriberd::domain {
namespace {

using Direction = Cursor::Direction;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

class CursorRoundTrip : public ::testing::TestWithParam<Cursor> {};

TEST_P(CursorRoundTrip, DecodesWhatWasEncoded) {
  const std::string text = encode_cursor(GetParam());
  EXPECT_EQ(text.size(), 12u);
  EXPECT_EQ(text.find_first_not_of(kAlphabet), std::string::npos) << text;
  EXPECT_EQ(decode_cursor(text), GetParam()) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Anchors, CursorRoundTrip,
    ::testing::Values(Cursor{Direction::kOlder, 0}, Cursor{Direction::kNewer, 0},
                      Cursor{Direction::kOlder, 1}, Cursor{Direction::kNewer, 1},
                      Cursor{Direction::kOlder, 255}, Cursor{Direction::kNewer, 256},
                      Cursor{Direction::kOlder, 7253351292715016193u},
                      Cursor{Direction::kNewer, 7253351292715016193u},
                      Cursor{Direction::kOlder, 0x0123456789ABCDEFu},
                      Cursor{Direction::kNewer, 0xFEDCBA9876543210u},
                      Cursor{Direction::kOlder, std::numeric_limits<std::int64_t>::max()},
                      Cursor{Direction::kOlder, std::numeric_limits<std::uint64_t>::max()},
                      Cursor{Direction::kNewer, std::numeric_limits<std::uint64_t>::max()}));

TEST(EncodeCursor, IsStableAcrossReleases) {
  // Clients keep cursors in URLs; the wire form must not change by accident.
  EXPECT_EQ(encode_cursor({Direction::kOlder, 0}), "AQAAAAAAAAAA");
  EXPECT_EQ(encode_cursor({Direction::kNewer, 0}), "AgAAAAAAAAAA");
  EXPECT_EQ(encode_cursor({Direction::kOlder, std::numeric_limits<std::uint64_t>::max()}),
            "Af__________");
  EXPECT_EQ(encode_cursor({Direction::kNewer, 1}), "AgAAAAAAAAAB");
}

TEST(EncodeCursor, DirectionAndAnchorBothMatter) {
  EXPECT_NE(encode_cursor({Direction::kOlder, 42}), encode_cursor({Direction::kNewer, 42}));
  EXPECT_NE(encode_cursor({Direction::kOlder, 42}), encode_cursor({Direction::kOlder, 43}));
}

TEST(DecodeCursor, RejectsWrongLength) {
  const std::string good = encode_cursor({Direction::kOlder, 12345});
  EXPECT_EQ(decode_cursor(""), std::nullopt);
  EXPECT_EQ(decode_cursor(good.substr(0, 11)), std::nullopt);
  EXPECT_EQ(decode_cursor(good + "A"), std::nullopt);
  EXPECT_EQ(decode_cursor(good + good), std::nullopt);
  EXPECT_EQ(decode_cursor(good + "="), std::nullopt);  // padded base64
}

TEST(DecodeCursor, RejectsCharactersOutsideBase64Url) {
  const std::string good = encode_cursor({Direction::kNewer, 987654321});
  ASSERT_TRUE(decode_cursor(good).has_value());
  for (char bad : {'+', '/', '=', ' ', '.', '%', '~', '\0', '\x80'}) {
    for (std::size_t position : {0u, 5u, 11u}) {
      std::string text = good;
      text[position] = bad;
      EXPECT_EQ(decode_cursor(text), std::nullopt) << "char " << int(bad) << " at " << position;
    }
  }
}

TEST(DecodeCursor, RejectsUnknownTagBytes) {
  EXPECT_EQ(decode_cursor("AAAAAAAAAAAA"), std::nullopt);  // tag 0x00
  EXPECT_EQ(decode_cursor("AwAAAAAAAAAA"), std::nullopt);  // tag 0x03
  EXPECT_EQ(decode_cursor("EQAAAAAAAAAA"), std::nullopt);  // tag 0x11: another version
  EXPECT_EQ(decode_cursor("_wAAAAAAAAAA"), std::nullopt);  // tag 0xFF
  // The same anchor bytes with a known tag decode.
  EXPECT_EQ(decode_cursor("AQAAAAAAAAAA"), (Cursor{Direction::kOlder, 0}));
  EXPECT_EQ(decode_cursor("AgAAAAAAAAAA"), (Cursor{Direction::kNewer, 0}));
}

TEST(DecodeCursor, RejectsGarbage) {
  for (std::string_view garbage :
       {"abcdefghijkl", "hello world!", "############", "____________", "------------",
        "000000000000", "null", "undefined", "eyJpZCI6MX0=", "12345678901234567890"}) {
    EXPECT_EQ(decode_cursor(garbage), std::nullopt) << garbage;
  }
}

}  // namespace
}  // namespace subscriberd::domain
