#include "domain/email.h"

#include <string_view>

namespace subscriberd::domain {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// RFC 5322 atext: letters, digits and these symbols.
bool is_atext(char c) {
  if (is_alpha(c) || is_digit(c))
    return true;
  constexpr std::string_view kSymbols = "!#$%&'*+-/=?^_`{|}~";
  return kSymbols.find(c) != std::string_view::npos;
}

std::string_view local_part_problem(std::string_view local) {
  if (local.empty())
    return "the part before '@' is empty";
  if (local.size() > kMaxLocalPartLength)
    return "the part before '@' is longer than 64 characters";
  if (local.front() == '"')
    return "quoted local parts are not supported";
  if (local.front() == '.' || local.back() == '.') {
    return "the part before '@' cannot start or end with a dot";
  }
  char previous = 0;
  for (char c : local) {
    if (c == '.') {
      if (previous == '.')
        return "the part before '@' cannot contain two dots in a row";
    } else if (!is_atext(c)) {
      return "the part before '@' contains a character that is not allowed";
    }
    previous = c;
  }
  return {};
}

std::string_view domain_problem(std::string_view domain) {
  if (domain.empty())
    return "the domain after '@' is empty";
  std::size_t labels = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty())
      return "the domain has an empty label (check the dots)";
    if (label.size() > kMaxDomainLabelLength)
      return "a domain label is longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') {
      return "a domain label cannot start or end with a hyphen";
    }
    for (char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') {
        return "the domain contains a character that is not allowed";
      }
    }
    ++labels;
    if (dot == std::string_view::npos)
      break;
    start = dot + 1;
  }
  if (labels < 2)
    return "the domain needs at least two labels, like example.com";
  return {};
}

}  // namespace

std::string_view email_problem(std::string_view address) {
  if (address.empty())
    return "is required";
  for (char c : address) {
    if (static_cast<unsigned char>(c) >= 0x80)
      return "non-ASCII addresses are not supported";
  }
  if (address.size() > kMaxEmailLength)
    return "is longer than 254 characters";
  std::size_t at = address.find('@');
  if (at == std::string_view::npos)
    return "must contain an '@'";
  if (address.find('@', at + 1) != std::string_view::npos)
    return "must contain exactly one '@'";
  if (auto p = local_part_problem(address.substr(0, at)); !p.empty())
    return p;
  return domain_problem(address.substr(at + 1));
}

}  // namespace subscriberd::domain
