#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/subscriber.h"

// Turns the raw fields of a create request into a NewSubscriber, or into the list of every
// field that is wrong. Independent of the wire format (JSON or form) the fields came in.
namespace subscriberd::domain {

inline constexpr std::size_t kMaxNameLength = 255;  // code points

// One field as the decoder found it.
struct RawField {
  enum class Kind : std::uint8_t { kAbsent, kNull, kString, kNotAString };
  Kind kind = Kind::kAbsent;
  std::string value;

  static RawField string(std::string v) { return {Kind::kString, std::move(v)}; }
};

struct SubscriberInput {
  RawField email;
  RawField name;
  RawField last_name;
  RawField status;
};

struct FieldError {
  std::string field;
  std::string message;

  friend bool operator==(const FieldError&, const FieldError&) = default;
};

struct ValidationResult {
  NewSubscriber subscriber;        // meaningful only when errors is empty
  std::vector<FieldError> errors;  // every failing field, in field order

  bool ok() const { return errors.empty(); }
};

ValidationResult validate(SubscriberInput input);

// Normalises an e-mail used as a look-up key: trimmed and lowercased, in the string it is
// given (a request's e-mail is normalised once, on every POST and GET by e-mail).
std::string normalize_email(std::string raw);

}  // namespace subscriberd::domain
