#pragma once

#include <string_view>

namespace subscriberd::domain {

inline constexpr std::size_t kMaxEmailLength = 254;
inline constexpr std::size_t kMaxLocalPartLength = 64;
inline constexpr std::size_t kMaxDomainLabelLength = 63;

// Checks a trimmed address against a pragmatic subset of RFC 5321: dot-atom local part of
// 1-64 characters, a domain of two or more LDH labels. Returns an empty view when the
// address is acceptable, otherwise a message fit to show the person who typed it.
std::string_view email_problem(std::string_view address);

}  // namespace subscriberd::domain
