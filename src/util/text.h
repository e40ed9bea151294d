#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Small byte-level text helpers shared by the HTTP and domain layers.
namespace subscriberd::text {

// Strips ASCII whitespace (space, tab, CR, LF, FF, VT) from both ends.
std::string_view trim(std::string_view s);

// ASCII-only lowercasing, in place: e-mail addresses are ASCII by our rules, so no locale is
// involved.
void lowercase_ascii(std::string& s);
bool iequals_ascii(std::string_view a, std::string_view b);

// Percent-decoding per RFC 3986; with `plus_as_space` also the form-urlencoded `+` rule.
// Returns nullopt for a malformed escape ("%G1", a trailing "%").
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space);

// Counts code points of well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
// Returns nullopt when `s` is not well-formed UTF-8.
std::optional<std::size_t> utf8_length(std::string_view s);

// True when `s` (well-formed UTF-8) holds a C0 or C1 control character or DEL.
bool has_control_characters(std::string_view s);

// The pieces of `s` between occurrences of `separator`, empty ones included ("a&&b" gives "a",
// "", "b"; "" gives one empty piece). Views into `s`.
std::vector<std::string_view> split(std::string_view s, char separator);

// Parses a canonical unsigned decimal ("0" or no leading zeros), rejecting overflow.
std::optional<std::uint64_t> parse_uint64(std::string_view s);

// parse_uint64, and from `min` to `max`; nullopt otherwise. The configuration's numbers.
std::optional<std::uint64_t> parse_bounded(std::string_view s, std::uint64_t min,
                                           std::uint64_t max);

// Why parse_bounded refused `s`: "<what> must be a number from <min> to <max>, not '<s>'".
std::string bounds_message(std::string_view what, std::uint64_t min, std::uint64_t max,
                           std::string_view s);

}  // namespace subscriberd::text
