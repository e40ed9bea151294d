#include "api/request_decoding.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/cursor.h"

namespace subscriberd::api {
namespace {

using domain::FieldError;
using domain::RawField;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using Kind = domain::RawField::Kind;
using namespace std::string_literals;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kForm = "application/x-www-form-urlencoded";

DecodedBody decode(std::string_view content_type, std::string body) {
  return decode_subscriber_body(content_type, body);
}

void expect_string(const RawField& field, std::string_view value) {
  EXPECT_EQ(field.kind, Kind::kString);
  EXPECT_EQ(field.value, value);
}

// --- JSON bodies --------------------------------------------------------------------------

TEST(DecodeJsonBody, ReadsEveryField) {
  DecodedBody d = decode(
      kJson,
      R"({"email":"Ada@Example.com","name":"Ada","last_name":"Lovelace","status":"active"})");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone) << d.detail;
  EXPECT_EQ(d.detail, "");
  expect_string(d.input.email, "Ada@Example.com");  // normalising is validation's job
  expect_string(d.input.name, "Ada");
  expect_string(d.input.last_name, "Lovelace");
  expect_string(d.input.status, "active");
}

TEST(DecodeJsonBody, MissingFieldsAreAbsent) {
  DecodedBody d = decode(kJson, R"({"email":"a@b.co"})");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.email, "a@b.co");
  EXPECT_EQ(d.input.name.kind, Kind::kAbsent);
  EXPECT_EQ(d.input.last_name.kind, Kind::kAbsent);
  EXPECT_EQ(d.input.status.kind, Kind::kAbsent);

  DecodedBody empty = decode(kJson, "{}");
  ASSERT_EQ(empty.error, DecodedBody::Error::kNone);
  EXPECT_EQ(empty.input.email.kind, Kind::kAbsent);
}

TEST(DecodeJsonBody, NullFields) {
  DecodedBody d = decode(kJson, R"({"email":null,"name":null,"last_name":null,"status":null})");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  EXPECT_EQ(d.input.email.kind, Kind::kNull);
  EXPECT_EQ(d.input.name.kind, Kind::kNull);
  EXPECT_EQ(d.input.last_name.kind, Kind::kNull);
  EXPECT_EQ(d.input.status.kind, Kind::kNull);
}

TEST(DecodeJsonBody, NonStringFields) {
  DecodedBody d =
      decode(kJson, R"({"email":42,"name":true,"last_name":["x"],"status":{"v":"active"}})");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  EXPECT_EQ(d.input.email.kind, Kind::kNotAString);
  EXPECT_EQ(d.input.name.kind, Kind::kNotAString);
  EXPECT_EQ(d.input.last_name.kind, Kind::kNotAString);
  EXPECT_EQ(d.input.status.kind, Kind::kNotAString);

  DecodedBody more = decode(kJson, R"({"email":1.5,"name":false,"last_name":{},"status":-1})");
  ASSERT_EQ(more.error, DecodedBody::Error::kNone);
  EXPECT_EQ(more.input.email.kind, Kind::kNotAString);
  EXPECT_EQ(more.input.name.kind, Kind::kNotAString);
  EXPECT_EQ(more.input.last_name.kind, Kind::kNotAString);
  EXPECT_EQ(more.input.status.kind, Kind::kNotAString);
}

TEST(DecodeJsonBody, UnknownFieldsAreIgnored) {
  DecodedBody d = decode(
      kJson, R"({"id":"1","email":"a@b.co","Email":"x","extra":{"name":"nested"},"tags":[1]})");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.email, "a@b.co");
  EXPECT_EQ(d.input.name.kind, Kind::kAbsent);
}

TEST(DecodeJsonBody, UnescapesStrings) {
  DecodedBody d = decode(
      kJson,
      R"({"name":"Jos\u00e9","last_name":"\u674e \ud83d\ude00","status":"a\"b\\c\/d\n","email":"\u0061@b.co"})");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone) << d.detail;
  expect_string(d.input.name, "Jos\xC3\xA9");
  expect_string(d.input.last_name, "\xE6\x9D\x8E \xF0\x9F\x98\x80");
  expect_string(d.input.status, "a\"b\\c/d\n");
  expect_string(d.input.email, "a@b.co");
}

TEST(DecodeJsonBody, RawUtf8IsKept) {
  DecodedBody d = decode(kJson, "{\"name\":\"Jos\xC3\xA9 \xE6\x9D\x8E\"}");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.name, "Jos\xC3\xA9 \xE6\x9D\x8E");
}

TEST(DecodeJsonBody, EscapedNulIsKeptForValidationToRefuse) {
  DecodedBody d = decode(kJson, R"({"name":"a\u0000b"})");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.name, "a\0b"s);
}

TEST(DecodeJsonBody, NotAnObject) {
  for (std::string body : {"[]", R"(["email"])", R"("a@b.co")", "42", "null", "true"}) {
    DecodedBody d = decode(kJson, body);
    EXPECT_EQ(d.error, DecodedBody::Error::kMalformed) << body;
    EXPECT_EQ(d.detail, "body must be a JSON object") << body;
  }
}

TEST(DecodeJsonBody, InvalidJson) {
  for (std::string body :
       {"", " ", "{", R"({"email":)", R"({email:"a@b.co"})", R"({"email":"a@b.co",})",
        R"({'email':'a@b.co'})", "nul", R"({"email":"a@b.co")", R"({"name":"unterminated})"}) {
    DecodedBody d = decode(kJson, body);
    EXPECT_EQ(d.error, DecodedBody::Error::kMalformed) << body;
    EXPECT_THAT(d.detail, StartsWith("body is not valid JSON: ")) << body;
  }
}

TEST(DecodeJsonBody, TrailingGarbage) {
  for (std::string body : {R"({"email":"a@b.co"} x)", "{}{}", "{} []", R"({"email":"a@b.co"},)"}) {
    DecodedBody d = decode(kJson, body);
    EXPECT_EQ(d.error, DecodedBody::Error::kMalformed) << body;
    EXPECT_THAT(d.detail, StartsWith("body is not valid JSON: ")) << body;
  }
}

TEST(DecodeJsonBody, SurroundingWhitespaceIsFine) {
  DecodedBody d = decode(kJson, " \n\t{\"email\" : \"a@b.co\"}\r\n ");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone) << d.detail;
  expect_string(d.input.email, "a@b.co");
}

TEST(DecodeJsonBody, InvalidUtf8IsMalformed) {
  DecodedBody d = decode(kJson, "{\"name\":\"Jos\xE9\"}");
  EXPECT_EQ(d.error, DecodedBody::Error::kMalformed);
}

TEST(DecodeJsonBody, LeavesTheBodyTextAlone) {
  std::string body = R"({"email":"a@b.co"})";
  const std::string original = body;
  DecodedBody d = decode_subscriber_body(kJson, body);
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  EXPECT_EQ(body, original);
}

TEST(DecodeJsonBody, ParsesRepeatedlyOnOneThread) {
  // The parser is reused per thread: a large body followed by a small one must not mix.
  std::string big = R"({"name":")" + std::string(10'000, 'x') + R"(","email":"big@b.co"})";
  ASSERT_EQ(decode(kJson, big).error, DecodedBody::Error::kNone);
  DecodedBody small = decode(kJson, R"({"email":"s@b.co"})");
  ASSERT_EQ(small.error, DecodedBody::Error::kNone);
  expect_string(small.input.email, "s@b.co");
  EXPECT_EQ(small.input.name.kind, Kind::kAbsent);
}

// --- form bodies --------------------------------------------------------------------------

TEST(DecodeFormBody, ReadsEveryField) {
  DecodedBody d =
      decode(kForm, "email=Ada%40Example.com&name=Mary+Jane&last_name=O%27Brien&status=Active");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone) << d.detail;
  expect_string(d.input.email, "Ada@Example.com");
  expect_string(d.input.name, "Mary Jane");
  expect_string(d.input.last_name, "O'Brien");
  expect_string(d.input.status, "Active");
}

TEST(DecodeFormBody, PlusIsSpaceAndEscapedPlusIsPlus) {
  DecodedBody d = decode(kForm, "email=a%2Btag%40b.co&name=a+b+%2B+c");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.email, "a+tag@b.co");
  expect_string(d.input.name, "a b + c");
}

TEST(DecodeFormBody, PercentEscapedUtf8) {
  DecodedBody d = decode(kForm, "name=Jos%C3%A9&last_name=%E6%9D%8E");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.name, "Jos\xC3\xA9");
  expect_string(d.input.last_name, "\xE6\x9D\x8E");
}

TEST(DecodeFormBody, MalformedEscape) {
  for (std::string body :
       {"email=%G1", "name=abc%", "name=%4", "email=a@b.co&name=%zz", "na%XXme=x"}) {
    DecodedBody d = decode(kForm, body);
    EXPECT_EQ(d.error, DecodedBody::Error::kMalformed) << body;
    EXPECT_THAT(d.detail, HasSubstr("% escape")) << body;
  }
}

TEST(DecodeFormBody, UnknownAndEmptyPairs) {
  DecodedBody d = decode(kForm, "&submit=Save&&email=a%40b.co&name&");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.email, "a@b.co");
  expect_string(d.input.name, "");  // present without '=': an empty string
  EXPECT_EQ(d.input.last_name.kind, Kind::kAbsent);
  EXPECT_EQ(d.input.status.kind, Kind::kAbsent);
}

TEST(DecodeFormBody, EmptyBodyHasNoFields) {
  DecodedBody d = decode(kForm, "");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  EXPECT_EQ(d.input.email.kind, Kind::kAbsent);
}

TEST(DecodeFormBody, LastValueWins) {
  DecodedBody d = decode(kForm, "name=first&name=second");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.name, "second");
}

TEST(DecodeFormBody, EscapedFieldNames) {
  DecodedBody d = decode(kForm, "last%5Fname=Lee&e%6Dail=a%40b.co");
  ASSERT_EQ(d.error, DecodedBody::Error::kNone);
  expect_string(d.input.last_name, "Lee");
  expect_string(d.input.email, "a@b.co");
}

// --- content types ------------------------------------------------------------------------

TEST(DecodeSubscriberBody, AcceptsUtf8CharsetParameterInAnyCase) {
  for (std::string_view type :
       {"application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON",
        "APPLICATION/JSON; CHARSET=Utf-8", "application/json; charset=\"utf-8\"",
        " application/json ; charset = utf-8 ", "application/json; foo=bar",
        "application/json; foo=bar; charset=utf-8"}) {
    DecodedBody d = decode(type, R"({"email":"a@b.co"})");
    EXPECT_EQ(d.error, DecodedBody::Error::kNone) << type << ": " << d.detail;
    expect_string(d.input.email, "a@b.co");
  }
  for (std::string_view type :
       {"application/x-www-form-urlencoded; charset=utf-8", "Application/X-WWW-Form-Urlencoded",
        "application/x-www-form-urlencoded;charset=UTF-8"}) {
    DecodedBody d = decode(type, "email=a%40b.co");
    EXPECT_EQ(d.error, DecodedBody::Error::kNone) << type << ": " << d.detail;
    expect_string(d.input.email, "a@b.co");
  }
}

TEST(DecodeSubscriberBody, OtherCharsetsAre415) {
  for (std::string_view type :
       {"application/json; charset=latin1", "application/json; charset=iso-8859-1",
        "application/x-www-form-urlencoded; charset=latin1", "application/json; charset=utf-16",
        "application/json; charset=utf8"}) {
    DecodedBody d = decode(type, R"({"email":"a@b.co"})");
    EXPECT_EQ(d.error, DecodedBody::Error::kUnsupportedMediaType) << type;
    EXPECT_THAT(d.detail, HasSubstr(std::string(type))) << type;
    EXPECT_EQ(d.input.email.kind, Kind::kAbsent) << type;
  }
}

TEST(DecodeSubscriberBody, OtherMediaTypesAre415) {
  for (std::string_view type :
       {"text/plain", "multipart/form-data; boundary=x", "application/xml",
        "application/json-patch+json", "application/problem+json", "json", "*/*"}) {
    DecodedBody d = decode(type, R"({"email":"a@b.co"})");
    EXPECT_EQ(d.error, DecodedBody::Error::kUnsupportedMediaType) << type;
  }
  DecodedBody text = decode("text/plain", "x");
  EXPECT_EQ(text.detail,
            "Content-Type text/plain is not supported; send application/json or "
            "application/x-www-form-urlencoded (UTF-8)");
}

TEST(DecodeSubscriberBody, MissingContentTypeIs415) {
  DecodedBody d = decode("", R"({"email":"a@b.co"})");
  EXPECT_EQ(d.error, DecodedBody::Error::kUnsupportedMediaType);
  EXPECT_THAT(d.detail, StartsWith("Content-Type is missing"));
}

// --- parse_query --------------------------------------------------------------------------

TEST(ParseQuery, SplitsAndDecodesPairs) {
  auto params = parse_query("a=1&b=x%20y&c=p+q&d=e=f");
  ASSERT_TRUE(params.has_value());
  EXPECT_THAT(*params, ElementsAre(std::pair<std::string, std::string>{"a", "1"},
                                   std::pair<std::string, std::string>{"b", "x y"},
                                   std::pair<std::string, std::string>{"c", "p q"},
                                   std::pair<std::string, std::string>{"d", "e=f"}));
}

TEST(ParseQuery, EmptyPiecesAndBareNames) {
  auto params = parse_query("&&flag&=v&x=&");
  ASSERT_TRUE(params.has_value());
  EXPECT_THAT(*params, ElementsAre(std::pair<std::string, std::string>{"flag", ""},
                                   std::pair<std::string, std::string>{"", "v"},
                                   std::pair<std::string, std::string>{"x", ""}));
  EXPECT_THAT(*parse_query(""), IsEmpty());
}

TEST(ParseQuery, MalformedEscape) {
  EXPECT_EQ(parse_query("a=%ZZ"), std::nullopt);
  EXPECT_EQ(parse_query("a=1&b=%"), std::nullopt);
  EXPECT_EQ(parse_query("%=1"), std::nullopt);
}

// --- decode_list_request ------------------------------------------------------------------

QueryParams params(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  return QueryParams(pairs);
}

TEST(DecodeListRequest, Defaults) {
  DecodedListRequest d = decode_list_request({});
  EXPECT_EQ(d.request.limit, domain::kDefaultPageSize);
  EXPECT_EQ(d.request.cursor, std::nullopt);
  EXPECT_EQ(d.request.status, std::nullopt);
  EXPECT_THAT(d.errors, IsEmpty());
  EXPECT_FALSE(d.bad_cursor);
}

TEST(DecodeListRequest, LimitWithinBounds) {
  for (auto [text, value] :
       {std::pair<std::string, std::size_t>{"1", 1}, std::pair<std::string, std::size_t>{"25", 25},
        std::pair<std::string, std::size_t>{"100", 100}}) {
    DecodedListRequest d = decode_list_request(params({{"limit", text}}));
    EXPECT_THAT(d.errors, IsEmpty()) << text;
    EXPECT_EQ(d.request.limit, value) << text;
  }
}

TEST(DecodeListRequest, LimitOutOfBoundsOrNotANumber) {
  for (std::string bad : {"0", "101", "1000", "-1", "abc", "1.5", "10 ", "+5", "007", "0x10",
                          "18446744073709551616", "99999999999999999999999"}) {
    DecodedListRequest d = decode_list_request(params({{"limit", bad}}));
    EXPECT_THAT(d.errors, ElementsAre(FieldError{"limit", "must be an integer from 1 to 100"}))
        << bad;
    EXPECT_EQ(d.request.limit, domain::kDefaultPageSize) << bad;
  }
}

TEST(DecodeListRequest, StatusFilterIsCaseInsensitive) {
  DecodedListRequest d = decode_list_request(params({{"status", "Bounced"}}));
  EXPECT_THAT(d.errors, IsEmpty());
  EXPECT_EQ(d.request.status, domain::Status::kBounced);
  EXPECT_EQ(decode_list_request(params({{"status", "JUNK"}})).request.status,
            domain::Status::kJunk);
  EXPECT_EQ(decode_list_request(params({{"status", "active"}})).request.status,
            domain::Status::kActive);
}

TEST(DecodeListRequest, UnknownStatus) {
  DecodedListRequest d = decode_list_request(params({{"status", "deleted"}}));
  EXPECT_THAT(d.errors,
              ElementsAre(FieldError{
                  "status", "must be one of active, unsubscribed, unconfirmed, bounced, junk"}));
  EXPECT_EQ(d.request.status, std::nullopt);
}

TEST(DecodeListRequest, Cursor) {
  const domain::Cursor cursor{domain::Cursor::Direction::kNewer, 777};
  DecodedListRequest d = decode_list_request(params({{"cursor", domain::encode_cursor(cursor)}}));
  EXPECT_FALSE(d.bad_cursor);
  EXPECT_THAT(d.errors, IsEmpty());
  EXPECT_EQ(d.request.cursor, cursor);
}

TEST(DecodeListRequest, BadCursorIsFlagged) {
  for (std::string bad : {"garbage", "AAAAAAAAAAAA", "AQAAAAAAAAA", "AQAAAAAAAAAA=", "1"}) {
    DecodedListRequest d = decode_list_request(params({{"cursor", bad}}));
    EXPECT_TRUE(d.bad_cursor) << bad;
    EXPECT_EQ(d.request.cursor, std::nullopt) << bad;
    EXPECT_THAT(d.errors, IsEmpty()) << bad;
  }
}

TEST(DecodeListRequest, EmptyValuesAreIgnored) {
  DecodedListRequest d =
      decode_list_request(params({{"limit", ""}, {"status", ""}, {"cursor", ""}}));
  EXPECT_THAT(d.errors, IsEmpty());
  EXPECT_FALSE(d.bad_cursor);
  EXPECT_EQ(d.request.limit, domain::kDefaultPageSize);
  EXPECT_EQ(d.request.status, std::nullopt);
  EXPECT_EQ(d.request.cursor, std::nullopt);
}

TEST(DecodeListRequest, UnknownParametersAreIgnored) {
  DecodedListRequest d = decode_list_request(params({{"page", "3"}, {"LIMIT", "5000"}}));
  EXPECT_THAT(d.errors, IsEmpty());
  EXPECT_EQ(d.request.limit, domain::kDefaultPageSize);
}

TEST(DecodeListRequest, EveryBadParameterIsReported) {
  DecodedListRequest d =
      decode_list_request(params({{"limit", "0"}, {"status", "nope"}, {"cursor", "x"}}));
  EXPECT_THAT(
      d.errors,
      ElementsAre(
          FieldError{"limit", "must be an integer from 1 to 100"},
          FieldError{"status", "must be one of active, unsubscribed, unconfirmed, bounced, junk"}));
  EXPECT_TRUE(d.bad_cursor);
}

TEST(DecodeListRequest, FromAQueryString) {
  auto query = parse_query("limit=10&status=Un%63onfirmed&cursor=" +
                           domain::encode_cursor({domain::Cursor::Direction::kOlder, 99}));
  ASSERT_TRUE(query.has_value());
  DecodedListRequest d = decode_list_request(*query);
  EXPECT_THAT(d.errors, IsEmpty());
  EXPECT_EQ(d.request.limit, 10u);
  EXPECT_EQ(d.request.status, domain::Status::kUnconfirmed);
  EXPECT_EQ(d.request.cursor, (domain::Cursor{domain::Cursor::Direction::kOlder, 99}));
}

// --- decode_lookup_key --------------------------------------------------------------------

TEST(DecodeLookupKey, EmailIsPercentDecodedTrimmedAndLowercased) {
  for (auto [raw, email] :
       {std::pair<std::string_view, std::string_view>{"ada@example.com", "ada@example.com"},
        {"Ada%40Example.COM", "ada@example.com"},
        {"ADA@EXAMPLE.COM", "ada@example.com"},
        {"%20ada@example.com%20", "ada@example.com"},
        {"a+tag@example.com", "a+tag@example.com"},
        {"a%2Btag@example.com", "a+tag@example.com"}}) {
    auto key = decode_lookup_key(raw);
    ASSERT_TRUE(key.has_value()) << raw;
    EXPECT_EQ(key->kind, domain::LookupKey::Kind::kEmail) << raw;
    EXPECT_EQ(key->email, email) << raw;
  }
}

TEST(DecodeLookupKey, AnythingWithAnAtIsAnEmail) {
  auto key = decode_lookup_key("not an address@");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->kind, domain::LookupKey::Kind::kEmail);
  EXPECT_EQ(key->email, "not an address@");
}

TEST(DecodeLookupKey, Id) {
  for (auto [raw, id] : {std::pair<std::string_view, std::uint64_t>{"0", 0},
                         {"1", 1},
                         {"7253351292715016193", 7253351292715016193u},
                         {"18446744073709551615", 18446744073709551615u},
                         {"%31%32", 12}}) {
    auto key = decode_lookup_key(raw);
    ASSERT_TRUE(key.has_value()) << raw;
    EXPECT_EQ(key->kind, domain::LookupKey::Kind::kId) << raw;
    EXPECT_EQ(key->id, id) << raw;
  }
}

TEST(DecodeLookupKey, RejectsEverythingElse) {
  for (std::string_view bad : {"", "%", "%4", "%G0", "0123", "00", "-1", "+1", "12a", "abc", "1.0",
                               " 1", "18446744073709551616", "%00", "ada%40example%"}) {
    EXPECT_EQ(decode_lookup_key(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace subscriberd::api
