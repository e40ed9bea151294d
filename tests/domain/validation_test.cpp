#include "domain/validation.h"

#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace subscriberd::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::string_literals;

RawField null_field() {
  return RawField{RawField::Kind::kNull, {}};
}
RawField not_a_string() {
  return RawField{RawField::Kind::kNotAString, {}};
}

SubscriberInput with_email(std::string email) {
  SubscriberInput input;
  input.email = RawField::string(std::move(email));
  return input;
}

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i)
    out += piece;
  return out;
}

// --- e-mail -------------------------------------------------------------------------------

TEST(Validate, AcceptsACompleteInput) {
  SubscriberInput input;
  input.email = RawField::string("ada@example.com");
  input.name = RawField::string("Ada");
  input.last_name = RawField::string("Lovelace");
  input.status = RawField::string("unconfirmed");
  ValidationResult result = validate(input);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.subscriber.email, "ada@example.com");
  EXPECT_EQ(result.subscriber.name, "Ada");
  EXPECT_EQ(result.subscriber.last_name, "Lovelace");
  EXPECT_EQ(result.subscriber.status, Status::kUnconfirmed);
}

TEST(Validate, TrimsAndLowercasesTheEmail) {
  ValidationResult result = validate(with_email(" \t Ada.Lovelace@Example.COM \r\n"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.subscriber.email, "ada.lovelace@example.com");
}

TEST(Validate, AcceptsGoodEmails) {
  for (std::string email :
       {"a@b.co", "first.last@example.com", "user+tag@sub.example.org", "o'brien@example.ie",
        "x_y-z@a-b.example", "1@2.3", "!#$%&'*+-/=?^_`{|}~@example.com"}) {
    ValidationResult result = validate(with_email(email));
    EXPECT_TRUE(result.ok()) << email;
    EXPECT_EQ(result.subscriber.email, email);
  }
}

struct BadEmail {
  std::string email;
  std::string message;
};

class ValidateBadEmail : public ::testing::TestWithParam<BadEmail> {};

TEST_P(ValidateBadEmail, IsReportedOnTheEmailField) {
  ValidationResult result = validate(with_email(GetParam().email));
  EXPECT_THAT(result.errors, ElementsAre(FieldError{"email", GetParam().message}));
  EXPECT_EQ(result.subscriber.email, "");
}

INSTANTIATE_TEST_SUITE_P(
    Rfc5321Subset, ValidateBadEmail,
    ::testing::Values(
        BadEmail{"", "is required"}, BadEmail{"   ", "is required"},
        BadEmail{"ada.example.com", "must contain an '@'"},
        BadEmail{"a@b@example.com", "must contain exactly one '@'"},
        BadEmail{"@example.com", "the part before '@' is empty"},
        BadEmail{std::string(65, 'a') + "@example.com",
                 "the part before '@' is longer than 64 characters"},
        BadEmail{".ada@example.com", "the part before '@' cannot start or end with a dot"},
        BadEmail{"ada.@example.com", "the part before '@' cannot start or end with a dot"},
        BadEmail{"a..da@example.com", "the part before '@' cannot contain two dots in a row"},
        BadEmail{"a da@example.com",
                 "the part before '@' contains a character that is not allowed"},
        BadEmail{"a,da@example.com",
                 "the part before '@' contains a character that is not allowed"},
        BadEmail{"\"ada\"@example.com", "quoted local parts are not supported"},
        BadEmail{"ada@", "the domain after '@' is empty"},
        BadEmail{"ada@localhost", "the domain needs at least two labels, like example.com"},
        BadEmail{"ada@example..com", "the domain has an empty label (check the dots)"},
        BadEmail{"ada@example.com.", "the domain has an empty label (check the dots)"},
        BadEmail{"ada@-example.com", "a domain label cannot start or end with a hyphen"},
        BadEmail{"ada@example-.com", "a domain label cannot start or end with a hyphen"},
        BadEmail{"ada@exa_mple.com", "the domain contains a character that is not allowed"},
        BadEmail{"ada@" + std::string(64, 'x') + ".com",
                 "a domain label is longer than 63 characters"},
        BadEmail{std::string(64, 'a') + "@" + std::string(63, 'b') + "." + std::string(63, 'c') +
                     "." + std::string(62, 'd'),
                 "is longer than 254 characters"},
        BadEmail{"jos\xC3\xA9@example.com", "non-ASCII addresses are not supported"},
        BadEmail{"ada@b\xC3\xBC"
                 "cher.example",
                 "non-ASCII addresses are not supported"}));

TEST(Validate, EmailAtTheLengthLimitIsAccepted) {
  const std::string email = std::string(64, 'a') + "@" + std::string(63, 'b') + "." +
                            std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(email.size(), 254u);
  EXPECT_TRUE(validate(with_email(email)).ok());
  // Surrounding white space does not count towards the limit.
  EXPECT_TRUE(validate(with_email("  " + email + "  ")).ok());
}

TEST(Validate, MissingEmail) {
  SubscriberInput absent;
  EXPECT_THAT(validate(absent).errors, ElementsAre(FieldError{"email", "is required"}));

  SubscriberInput null_email;
  null_email.email = null_field();
  EXPECT_THAT(validate(null_email).errors, ElementsAre(FieldError{"email", "is required"}));
}

TEST(Validate, EmailThatIsNotAString) {
  SubscriberInput input;
  input.email = not_a_string();
  EXPECT_THAT(validate(input).errors, ElementsAre(FieldError{"email", "must be a string"}));
}

TEST(NormalizeEmail, TrimsAndLowercases) {
  EXPECT_EQ(normalize_email("  Ada@Example.COM\n"), "ada@example.com");
  EXPECT_EQ(normalize_email("ada@example.com"), "ada@example.com");
  EXPECT_EQ(normalize_email(" \t "), "");
}

// --- names ------------------------------------------------------------------------------

TEST(Validate, AcceptsNamesOfEveryScript) {
  for (std::string name : {"O'Brien"s, "Mary-Jane"s, "Jos\xC3\xA9"s, "\xE6\x9D\x8E"s,
                           "Ada Lovelace"s, "\xF0\x9F\x98\x80"s, ""s}) {
    SubscriberInput input = with_email("a@example.com");
    input.name = RawField::string(name);
    input.last_name = RawField::string(name);
    ValidationResult result = validate(input);
    EXPECT_TRUE(result.ok()) << name;
    EXPECT_EQ(result.subscriber.name, name);
    EXPECT_EQ(result.subscriber.last_name, name);
  }
}

TEST(Validate, NameLengthIsCountedInCodePoints) {
  SubscriberInput input = with_email("a@example.com");
  input.name = RawField::string(repeat("\xE6\x9D\x8E", 255));  // 255 x 李 = 765 bytes
  input.last_name = RawField::string(std::string(255, 'x'));
  ValidationResult result = validate(input);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.subscriber.name.size(), 765u);

  input.name = RawField::string(repeat("\xE6\x9D\x8E", 256));
  input.last_name = RawField::string(std::string(256, 'x'));
  EXPECT_THAT(validate(input).errors,
              ElementsAre(FieldError{"name", "is longer than 255 characters"},
                          FieldError{"last_name", "is longer than 255 characters"}));
}

TEST(Validate, NamesWithControlCharactersAreRefused) {
  for (std::string bad : {"a\nb"s, "a\tb"s, "\r"s, "a\0b"s, "\x1B[31m"s, "DEL\x7F"s,
                          "next\xC2\x85line"s, "\xC2\x80"s, "\xC2\x9F"s}) {
    SubscriberInput input = with_email("a@example.com");
    input.name = RawField::string(bad);
    input.last_name = RawField::string(bad);
    EXPECT_THAT(validate(input).errors,
                ElementsAre(FieldError{"name", "must not contain control characters"},
                            FieldError{"last_name", "must not contain control characters"}))
        << bad;
  }
}

TEST(Validate, NamesThatAreNotUtf8AreRefused) {
  for (std::string bad :
       {"\xFF"s, "Jos\xE9"s, "\xC3\x28"s, "\xC0\xAF"s, "\xED\xA0\x80"s, "\xE6\x9D"s}) {
    SubscriberInput input = with_email("a@example.com");
    input.name = RawField::string(bad);
    input.last_name = RawField::string(bad);
    EXPECT_THAT(validate(input).errors, ElementsAre(FieldError{"name", "is not valid UTF-8"},
                                                    FieldError{"last_name", "is not valid UTF-8"}))
        << bad;
  }
}

TEST(Validate, NullOrAbsentNamesAreEmpty) {
  SubscriberInput input = with_email("a@example.com");
  input.name = null_field();
  ValidationResult result = validate(input);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.subscriber.name, "");
  EXPECT_EQ(result.subscriber.last_name, "");
}

TEST(Validate, NamesThatAreNotStringsAreRefused) {
  SubscriberInput input = with_email("a@example.com");
  input.name = not_a_string();
  input.last_name = not_a_string();
  EXPECT_THAT(validate(input).errors, ElementsAre(FieldError{"name", "must be a string"},
                                                  FieldError{"last_name", "must be a string"}));
}

TEST(Validate, NamesAreKeptAsTyped) {
  SubscriberInput input = with_email("a@example.com");
  input.name = RawField::string("  Ada ");
  ValidationResult result = validate(input);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.subscriber.name, "  Ada ");
}

// --- status -----------------------------------------------------------------------------

TEST(Validate, StatusDefaultsToActive) {
  EXPECT_EQ(validate(with_email("a@example.com")).subscriber.status, Status::kActive);
  SubscriberInput input = with_email("a@example.com");
  input.status = null_field();
  ValidationResult result = validate(input);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.subscriber.status, Status::kActive);
}

TEST(Validate, StatusIsCaseInsensitiveAndTrimmed) {
  const std::vector<std::pair<std::string, Status>> cases = {
      {"active", Status::kActive},
      {"UNSUBSCRIBED", Status::kUnsubscribed},
      {"Unconfirmed", Status::kUnconfirmed},
      {"bOuNcEd", Status::kBounced},
      {"junk", Status::kJunk},
      {" junk\t", Status::kJunk},
  };
  for (const auto& [text, expected] : cases) {
    SubscriberInput input = with_email("a@example.com");
    input.status = RawField::string(text);
    ValidationResult result = validate(input);
    EXPECT_TRUE(result.ok()) << text;
    EXPECT_EQ(result.subscriber.status, expected) << text;
  }
}

TEST(Validate, UnknownStatusesAreRefused) {
  for (std::string bad : {"deleted", "activ", "actives", "", "1", "act ive", "\xC3\xA1\x63tive"}) {
    SubscriberInput input = with_email("a@example.com");
    input.status = RawField::string(bad);
    EXPECT_THAT(validate(input).errors,
                ElementsAre(FieldError{"status",
                                       "must be one of active, unsubscribed, unconfirmed, "
                                       "bounced, junk"}))
        << bad;
  }
}

TEST(Validate, StatusThatIsNotAStringIsRefused) {
  SubscriberInput input = with_email("a@example.com");
  input.status = not_a_string();
  EXPECT_THAT(validate(input).errors, ElementsAre(FieldError{"status", "must be a string"}));
}

// --- several fields -------------------------------------------------------------------------

TEST(Validate, ReportsEveryFailingFieldInFieldOrder) {
  SubscriberInput input;
  input.email = RawField::string("not-an-address");
  input.name = not_a_string();
  input.last_name = RawField::string("\xFF");
  input.status = RawField::string("gone");
  ValidationResult result = validate(input);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(
      result.errors,
      ElementsAre(
          FieldError{"email", "must contain an '@'"}, FieldError{"name", "must be a string"},
          FieldError{"last_name", "is not valid UTF-8"},
          FieldError{"status", "must be one of active, unsubscribed, unconfirmed, bounced, junk"}));
}

TEST(Validate, ReportsOnlyTheFailingFields) {
  SubscriberInput input = with_email("ada@example.com");
  input.name = RawField::string("Ada");
  input.last_name = RawField::string("a\nb");
  input.status = not_a_string();
  EXPECT_THAT(validate(input).errors,
              ElementsAre(FieldError{"last_name", "must not contain control characters"},
                          FieldError{"status", "must be a string"}));
}

TEST(Validate, ValidInputHasNoErrors) {
  ValidationResult result = validate(with_email("ada@example.com"));
  EXPECT_TRUE(result.ok());
  EXPECT_THAT(result.errors, IsEmpty());
}

}  // namespace
}  // namespace subscriberd::domain
