#include "domain/email.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace subscriberd::domain {
namespace {

TEST(EmailProblem, AcceptsOrdinaryAddresses) {
  for (std::string_view ok :
       {"a@b.co", "ada@example.com", "first.last@example.com", "user+tag@sub.example.org",
        "ADA@EXAMPLE.COM", "a@123.456", "x@my-host.example", "a-b_c@a1-b2.c3",
        "!#$%&'*+-/=?^_`{|}~@example.com", "1234567890@example.com"}) {
    EXPECT_EQ(email_problem(ok), "") << ok;
  }
}

TEST(EmailProblem, EmptyIsRequired) {
  EXPECT_EQ(email_problem(""), "is required");
}

TEST(EmailProblem, NeedsExactlyOneAt) {
  EXPECT_EQ(email_problem("plainaddress"), "must contain an '@'");
  EXPECT_EQ(email_problem("a@b@example.com"), "must contain exactly one '@'");
  EXPECT_EQ(email_problem("a@@example.com"), "must contain exactly one '@'");
}

TEST(EmailProblem, LocalPartLength) {
  EXPECT_EQ(email_problem("@example.com"), "the part before '@' is empty");
  const std::string local64(kMaxLocalPartLength, 'a');
  EXPECT_EQ(email_problem(local64 + "@example.com"), "");
  EXPECT_EQ(email_problem(local64 + "a@example.com"),
            "the part before '@' is longer than 64 characters");
}

TEST(EmailProblem, QuotedLocalPartIsRefusedWithAClearMessage) {
  EXPECT_EQ(email_problem("\"john\"@example.com"), "quoted local parts are not supported");
  EXPECT_EQ(email_problem("\"john doe\"@example.com"), "quoted local parts are not supported");
}

TEST(EmailProblem, DotsInTheLocalPart) {
  EXPECT_EQ(email_problem(".ada@example.com"),
            "the part before '@' cannot start or end with a dot");
  EXPECT_EQ(email_problem("ada.@example.com"),
            "the part before '@' cannot start or end with a dot");
  EXPECT_EQ(email_problem(".@example.com"), "the part before '@' cannot start or end with a dot");
  EXPECT_EQ(email_problem("a..b@example.com"),
            "the part before '@' cannot contain two dots in a row");
  EXPECT_EQ(email_problem("a.b.c@example.com"), "");
}

TEST(EmailProblem, CharactersOutsideAtextInTheLocalPart) {
  for (std::string_view bad :
       {"a b@example.com", "a(b)@example.com", "a,b@example.com", "a\\b@example.com",
        "a:b@example.com", "a;b@example.com", "a<b>@example.com", "a[b]@example.com",
        "a\"b@example.com", "a\tb@example.com", "a\x7F@example.com"}) {
    EXPECT_EQ(email_problem(bad), "the part before '@' contains a character that is not allowed")
        << bad;
  }
}

TEST(EmailProblem, DomainLabels) {
  EXPECT_EQ(email_problem("a@"), "the domain after '@' is empty");
  EXPECT_EQ(email_problem("a@localhost"), "the domain needs at least two labels, like example.com");
  EXPECT_EQ(email_problem("a@example."), "the domain has an empty label (check the dots)");
  EXPECT_EQ(email_problem("a@.example.com"), "the domain has an empty label (check the dots)");
  EXPECT_EQ(email_problem("a@example..com"), "the domain has an empty label (check the dots)");
  EXPECT_EQ(email_problem("a@-example.com"), "a domain label cannot start or end with a hyphen");
  EXPECT_EQ(email_problem("a@example-.com"), "a domain label cannot start or end with a hyphen");
  EXPECT_EQ(email_problem("a@example.-com"), "a domain label cannot start or end with a hyphen");
}

TEST(EmailProblem, DomainCharacters) {
  for (std::string_view bad :
       {"a@exa_mple.com", "a@[127.0.0.1]", "a@exa mple.com", "a@example.com/", "a@example.c+m"}) {
    EXPECT_EQ(email_problem(bad), "the domain contains a character that is not allowed") << bad;
  }
}

TEST(EmailProblem, DomainLabelLength) {
  const std::string label63(kMaxDomainLabelLength, 'd');
  EXPECT_EQ(email_problem("a@" + label63 + ".com"), "");
  EXPECT_EQ(email_problem("a@example." + label63), "");
  EXPECT_EQ(email_problem("a@" + label63 + "d.com"), "a domain label is longer than 63 characters");
  EXPECT_EQ(email_problem("a@example." + label63 + "d"),
            "a domain label is longer than 63 characters");
}

TEST(EmailProblem, TotalLength) {
  // 64 + 1 + (63 + 1 + 63 + 1 + 61) = 254 characters.
  const std::string local(64, 'a');
  const std::string domain =
      std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(61, 'd');
  const std::string at_limit = local + "@" + domain;
  ASSERT_EQ(at_limit.size(), kMaxEmailLength);
  EXPECT_EQ(email_problem(at_limit), "");
  EXPECT_EQ(email_problem(at_limit + "d"), "is longer than 254 characters");
}

TEST(EmailProblem, NonAsciiIsRefusedWithAClearMessage) {
  EXPECT_EQ(email_problem("jos\xC3\xA9@example.com"), "non-ASCII addresses are not supported");
  EXPECT_EQ(email_problem("a@ex\xC3\xA4mple.com"), "non-ASCII addresses are not supported");
  EXPECT_EQ(email_problem("\xE6\x9D\x8E@example.com"), "non-ASCII addresses are not supported");
  EXPECT_EQ(email_problem("\xFF"), "non-ASCII addresses are not supported");
}

}  // namespace
}  // namespace subscriberd::domain
