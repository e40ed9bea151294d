#include "util/text.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace subscriberd::text {
namespace {

using namespace std::string_literals;

TEST(Trim, StripsAsciiWhitespaceFromBothEnds) {
  EXPECT_EQ(trim("  a b \t\r\n\f\v"), "a b");
  EXPECT_EQ(trim("\t\nvalue"), "value");
  EXPECT_EQ(trim("value \r\n"), "value");
  EXPECT_EQ(trim("no-space"), "no-space");
}

TEST(Trim, EmptyAndAllWhitespaceBecomeEmpty) {
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\r\n\f\v "), "");
}

TEST(Trim, KeepsInnerWhitespaceAndNonAsciiSpaces) {
  EXPECT_EQ(trim(" a \t b "), "a \t b");
  // U+00A0 (no-break space) is not ASCII white space.
  EXPECT_EQ(trim("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");
}

TEST(Trim, ReturnsAViewIntoTheInput) {
  const std::string input = "  abc  ";
  std::string_view trimmed = trim(input);
  EXPECT_EQ(trimmed.data(), input.data() + 2);
  EXPECT_EQ(trimmed.size(), 3u);
}

TEST(LowercaseAscii, LowersOnlyAsciiLetters) {
  const auto lowered = [](std::string s) {
    lowercase_ascii(s);
    return s;
  };
  EXPECT_EQ(lowered("Alice@Example.COM"), "alice@example.com");
  EXPECT_EQ(lowered("0-9_[]@^`{}"), "0-9_[]@^`{}");
  EXPECT_EQ(lowered("\xC3\x89T\xC3\x89"), "\xC3\x89t\xC3\x89");  // "ÉTÉ": É untouched
  EXPECT_EQ(lowered(""), "");
}

TEST(IEqualsAscii, ComparesIgnoringAsciiCase) {
  EXPECT_TRUE(iequals_ascii("Active", "ACTIVE"));
  EXPECT_TRUE(iequals_ascii("utf-8", "UTF-8"));
  EXPECT_TRUE(iequals_ascii("", ""));
  EXPECT_FALSE(iequals_ascii("active", "activ"));
  EXPECT_FALSE(iequals_ascii("a", "b"));
  EXPECT_FALSE(iequals_ascii("[", "{"));  // 0x5B and 0x7B differ by 0x20 but are not letters
}

TEST(PercentDecode, DecodesEscapes) {
  EXPECT_EQ(percent_decode("a%20b", false), "a b");
  EXPECT_EQ(percent_decode("%41%62c", false), "Abc");
  EXPECT_EQ(percent_decode("%e9%C3%a9", false), "\xE9\xC3\xA9");
  EXPECT_EQ(percent_decode("alice%40example.com", false), "alice@example.com");
  EXPECT_EQ(percent_decode("100%25", false), "100%");
  EXPECT_EQ(percent_decode("", false), "");
  EXPECT_EQ(percent_decode("plain", true), "plain");
}

TEST(PercentDecode, DecodesNulByte) {
  auto decoded = percent_decode("a%00b", false);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "a\0b"s);
}

TEST(PercentDecode, PlusIsSpaceOnlyInFormMode) {
  EXPECT_EQ(percent_decode("Mary+Jane", true), "Mary Jane");
  EXPECT_EQ(percent_decode("Mary+Jane", false), "Mary+Jane");
  EXPECT_EQ(percent_decode("a%2Bb", true), "a+b");
  EXPECT_EQ(percent_decode("++", true), "  ");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  for (std::string_view bad :
       {"%", "%4", "abc%", "abc%4", "%G1", "%1G", "%%41", "%zz", "a%-1", "%4 ", "% 4"}) {
    EXPECT_EQ(percent_decode(bad, false), std::nullopt) << bad;
    EXPECT_EQ(percent_decode(bad, true), std::nullopt) << bad;
  }
}

TEST(Utf8Length, CountsCodePoints) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("Jos\xC3\xA9"), 4u);       // José
  EXPECT_EQ(utf8_length("\xE6\x9D\x8E"), 1u);      // 李
  EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80"), 1u);  // U+1F600
  EXPECT_EQ(utf8_length("a\xC3\xA9\xE6\x9D\x8E\xF0\x9F\x98\x80z"), 5u);
  EXPECT_EQ(utf8_length("\0"s), 1u);
}

TEST(Utf8Length, AcceptsBoundaryCodePoints) {
  EXPECT_EQ(utf8_length("\x7F"), 1u);              // U+007F
  EXPECT_EQ(utf8_length("\xC2\x80"), 1u);          // U+0080
  EXPECT_EQ(utf8_length("\xDF\xBF"), 1u);          // U+07FF
  EXPECT_EQ(utf8_length("\xE0\xA0\x80"), 1u);      // U+0800
  EXPECT_EQ(utf8_length("\xED\x9F\xBF"), 1u);      // U+D7FF, just below the surrogates
  EXPECT_EQ(utf8_length("\xEE\x80\x80"), 1u);      // U+E000, just above them
  EXPECT_EQ(utf8_length("\xEF\xBF\xBF"), 1u);      // U+FFFF
  EXPECT_EQ(utf8_length("\xF0\x90\x80\x80"), 1u);  // U+10000
  EXPECT_EQ(utf8_length("\xF4\x8F\xBF\xBF"), 1u);  // U+10FFFF
}

TEST(Utf8Length, RejectsOverlongForms) {
  EXPECT_EQ(utf8_length("\xC0\x80"), std::nullopt);          // NUL in two bytes
  EXPECT_EQ(utf8_length("\xC1\xBF"), std::nullopt);          // U+007F in two bytes
  EXPECT_EQ(utf8_length("\xE0\x80\xAF"), std::nullopt);      // '/' in three bytes
  EXPECT_EQ(utf8_length("\xE0\x9F\xBF"), std::nullopt);      // U+07FF in three bytes
  EXPECT_EQ(utf8_length("\xF0\x82\x82\xAC"), std::nullopt);  // U+20AC in four bytes
  EXPECT_EQ(utf8_length("\xF0\x8F\xBF\xBF"), std::nullopt);  // U+FFFF in four bytes
}

TEST(Utf8Length, RejectsSurrogatesAndOutOfRange) {
  EXPECT_EQ(utf8_length("\xED\xA0\x80"), std::nullopt);              // U+D800
  EXPECT_EQ(utf8_length("\xED\xBF\xBF"), std::nullopt);              // U+DFFF
  EXPECT_EQ(utf8_length("\xED\xA0\xBD\xED\xB8\x80"), std::nullopt);  // CESU-8 pair
  EXPECT_EQ(utf8_length("\xF4\x90\x80\x80"), std::nullopt);          // U+110000
  EXPECT_EQ(utf8_length("\xF5\x80\x80\x80"), std::nullopt);          // lead byte F5
  EXPECT_EQ(utf8_length("\xF8\x88\x80\x80\x80"), std::nullopt);      // five-byte form
  EXPECT_EQ(utf8_length("\xFE"), std::nullopt);
  EXPECT_EQ(utf8_length("\xFF"), std::nullopt);
}

TEST(Utf8Length, RejectsTruncatedAndBrokenSequences) {
  EXPECT_EQ(utf8_length("\xC3"), std::nullopt);
  EXPECT_EQ(utf8_length("a\xC3"), std::nullopt);
  EXPECT_EQ(utf8_length("\xE6\x9D"), std::nullopt);      // 李 without its last byte
  EXPECT_EQ(utf8_length("\xF0\x9F\x98"), std::nullopt);  // emoji without its last byte
  EXPECT_EQ(utf8_length("\xC3\x28"), std::nullopt);      // continuation replaced by '('
  EXPECT_EQ(utf8_length("\xE6\x9Dx"), std::nullopt);
  EXPECT_EQ(utf8_length("\x80"), std::nullopt);  // lone continuation byte
  EXPECT_EQ(utf8_length("abc\xBF"), std::nullopt);
}

TEST(HasControlCharacters, FindsC0ControlsAndDel) {
  EXPECT_TRUE(has_control_characters("a\tb"));
  EXPECT_TRUE(has_control_characters("line\n"));
  EXPECT_TRUE(has_control_characters("\r"));
  EXPECT_TRUE(has_control_characters("\x01"));
  EXPECT_TRUE(has_control_characters("\x1F"));
  EXPECT_TRUE(has_control_characters("\x7F"));
  EXPECT_TRUE(has_control_characters("a\0b"s));
}

TEST(HasControlCharacters, FindsC1Controls) {
  EXPECT_TRUE(has_control_characters("\xC2\x80"));    // U+0080
  EXPECT_TRUE(has_control_characters("a\xC2\x85z"));  // U+0085 NEXT LINE
  EXPECT_TRUE(has_control_characters("\xC2\x9F"));    // U+009F
}

TEST(HasControlCharacters, AcceptsPrintableText) {
  EXPECT_FALSE(has_control_characters(""));
  EXPECT_FALSE(has_control_characters(" !~"));
  EXPECT_FALSE(has_control_characters("O'Brien"));
  EXPECT_FALSE(has_control_characters("\xC2\xA0"));          // U+00A0, first after the C1 block
  EXPECT_FALSE(has_control_characters("Jos\xC3\xA9"));       // José
  EXPECT_FALSE(has_control_characters("\xE6\x9D\x8E"));      // 李
  EXPECT_FALSE(has_control_characters("\xE2\x80\xA8"));      // U+2028 is not C0/C1
  EXPECT_FALSE(has_control_characters("\xF0\x9F\x98\x80"));  // U+1F600
}

TEST(ParseUint64, ParsesCanonicalDecimals) {
  EXPECT_EQ(parse_uint64("0"), 0u);
  EXPECT_EQ(parse_uint64("7"), 7u);
  EXPECT_EQ(parse_uint64("42"), 42u);
  EXPECT_EQ(parse_uint64("7253351292715016193"), 7253351292715016193u);
  EXPECT_EQ(parse_uint64("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
}

TEST(ParseUint64, RejectsLeadingZeros) {
  EXPECT_EQ(parse_uint64("00"), std::nullopt);
  EXPECT_EQ(parse_uint64("01"), std::nullopt);
  EXPECT_EQ(parse_uint64("007"), std::nullopt);
}

TEST(ParseUint64, RejectsOverflow) {
  EXPECT_EQ(parse_uint64("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_uint64("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_uint64("123456789012345678901234567890"), std::nullopt);
}

TEST(ParseUint64, RejectsAnythingElse) {
  for (std::string_view bad :
       {"", "-1", "+1", " 1", "1 ", "1a", "a1", "0x10", "1.0", "1e3", "-0"}) {
    EXPECT_EQ(parse_uint64(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(ParseBounded, TakesTheBoundsThemselvesAndWhatLiesBetween) {
  EXPECT_EQ(parse_bounded("1", 1, 16), 1u);
  EXPECT_EQ(parse_bounded("9", 1, 16), 9u);
  EXPECT_EQ(parse_bounded("16", 1, 16), 16u);
  EXPECT_EQ(parse_bounded("0", 0, 0), 0u);
}

TEST(ParseBounded, RefusesWhatLiesOutsideOrIsNoCanonicalNumber) {
  EXPECT_EQ(parse_bounded("0", 1, 16), std::nullopt);
  EXPECT_EQ(parse_bounded("17", 1, 16), std::nullopt);
  EXPECT_EQ(parse_bounded("08", 1, 16), std::nullopt);
  EXPECT_EQ(parse_bounded("", 0, 16), std::nullopt);
  EXPECT_EQ(parse_bounded("-1", 0, 16), std::nullopt);
  EXPECT_EQ(parse_bounded("18446744073709551616", 0, std::numeric_limits<std::uint64_t>::max()),
            std::nullopt);
}

TEST(BoundsMessage, NamesWhatTheBoundsAndTheValue) {
  EXPECT_EQ(bounds_message("writer_cache_mb", 1, 2047, "4096"),
            "writer_cache_mb must be a number from 1 to 2047, not '4096'");
}

TEST(Split, GivesThePiecesBetweenSeparatorsEmptyOnesIncluded) {
  using Pieces = std::vector<std::string_view>;
  EXPECT_EQ(split("a=1&b=2", '&'), (Pieces{"a=1", "b=2"}));
  EXPECT_EQ(split("a&&b&", '&'), (Pieces{"a", "", "b", ""}));
  EXPECT_EQ(split("", '&'), (Pieces{""}));
  EXPECT_EQ(split("plain", '&'), (Pieces{"plain"}));
}

}  // namespace
}  // namespace subscriberd::text
