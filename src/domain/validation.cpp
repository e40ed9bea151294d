#include "domain/validation.h"

#include <utility>

#include "domain/email.h"
#include "util/text.h"

namespace subscriberd::domain {
namespace {

// Validates an optional free-text field; returns the error message or empty.
std::string_view name_problem(const RawField& field) {
  if (field.kind == RawField::Kind::kNotAString)
    return "must be a string";
  if (field.kind != RawField::Kind::kString)
    return {};
  auto length = text::utf8_length(field.value);
  if (!length)
    return "is not valid UTF-8";
  if (*length > kMaxNameLength)
    return "is longer than 255 characters";
  if (text::has_control_characters(field.value))
    return "must not contain control characters";
  return {};
}

}  // namespace

std::string normalize_email(std::string raw) {
  const std::string_view kept = text::trim(raw);
  const auto start = static_cast<std::size_t>(kept.data() - raw.data());
  raw.erase(start + kept.size());
  raw.erase(0, start);
  text::lowercase_ascii(raw);
  return raw;
}

ValidationResult validate(SubscriberInput input) {
  ValidationResult result;
  auto fail = [&](std::string_view field, std::string_view message) {
    result.errors.push_back({std::string(field), std::string(message)});
  };

  switch (input.email.kind) {
    case RawField::Kind::kAbsent:
    case RawField::Kind::kNull:
      fail("email", "is required");
      break;
    case RawField::Kind::kNotAString:
      fail("email", "must be a string");
      break;
    case RawField::Kind::kString: {
      std::string email = normalize_email(std::move(input.email.value));
      if (auto p = email_problem(email); !p.empty()) {
        fail("email", p);
      } else {
        result.subscriber.email = std::move(email);
      }
      break;
    }
  }

  if (auto p = name_problem(input.name); !p.empty()) {
    fail("name", p);
  } else if (input.name.kind == RawField::Kind::kString) {
    result.subscriber.name = std::move(input.name.value);
  }

  if (auto p = name_problem(input.last_name); !p.empty()) {
    fail("last_name", p);
  } else if (input.last_name.kind == RawField::Kind::kString) {
    result.subscriber.last_name = std::move(input.last_name.value);
  }

  switch (input.status.kind) {
    case RawField::Kind::kAbsent:
    case RawField::Kind::kNull:
      result.subscriber.status = Status::kActive;
      break;
    case RawField::Kind::kNotAString:
      fail("status", "must be a string");
      break;
    case RawField::Kind::kString:
      if (auto s = parse_status(text::trim(input.status.value))) {
        result.subscriber.status = *s;
      } else {
        fail("status", "must be one of active, unsubscribed, unconfirmed, bounced, junk");
      }
      break;
  }
  return result;
}

}  // namespace subscriberd::domain
