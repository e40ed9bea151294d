#include "cache/redis/subscriber_codec.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace subscriberd::cache::redis {
namespace {

domain::Subscriber sample() {
  domain::Subscriber s;
  s.id = 384344768529825792ull;
  s.email = "zoe.nandu@example.com";
  s.name = "Zoë";
  s.last_name = "Ñandú 山田 🦜";
  s.status = domain::Status::kUnsubscribed;
  s.created_at_ms = 1795702133598;
  return s;
}

TEST(SubscriberCodec, RoundTripsEveryField) {
  const domain::Subscriber s = sample();
  const std::string value = encode_subscriber(s);
  EXPECT_EQ(static_cast<std::uint8_t>(value.front()), kValueFormat);
  auto decoded = decode_subscriber(value);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, s);
}

TEST(SubscriberCodec, RoundTripsEveryStatusAndExtremeNumbers) {
  for (domain::Status status : domain::kAllStatuses) {
    for (std::uint64_t id :
         {std::uint64_t{0}, std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max()}) {
      for (std::int64_t created :
           {std::int64_t{0}, std::int64_t{-1}, std::numeric_limits<std::int64_t>::min(),
            std::numeric_limits<std::int64_t>::max()}) {
        domain::Subscriber s = sample();
        s.status = status;
        s.id = id;
        s.created_at_ms = created;
        auto decoded = decode_subscriber(encode_subscriber(s));
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(*decoded, s);
      }
    }
  }
}

TEST(SubscriberCodec, RoundTripsEmptyAndLongestNames) {
  domain::Subscriber s = sample();
  s.name.clear();
  s.last_name.clear();
  ASSERT_EQ(decode_subscriber(encode_subscriber(s)), s);

  s.name.clear();
  for (int i = 0; i < 255; ++i)
    s.name += "😀";  // 255 code points, 4 bytes each
  s.last_name = s.name;
  s.email = std::string(64, 'a') + "@" + std::string(189, 'b');  // 254 bytes
  ASSERT_EQ(decode_subscriber(encode_subscriber(s)), s);
}

TEST(SubscriberCodec, IsCompact) {
  // A typical record costs its text plus about a dozen bytes; JSON would double that.
  const domain::Subscriber s = sample();
  const std::size_t text = s.email.size() + s.name.size() + s.last_name.size();
  EXPECT_LE(encode_subscriber(s).size(), text + 20);
}

TEST(SubscriberCodec, RejectsEveryTruncationAndTrailingBytes) {
  const std::string value = encode_subscriber(sample());
  for (std::size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(decode_subscriber(value.substr(0, n)).has_value()) << "prefix of " << n;
  }
  EXPECT_FALSE(decode_subscriber(value + '\0').has_value());
  EXPECT_FALSE(decode_subscriber(value + value).has_value());
}

TEST(SubscriberCodec, RejectsOtherFormatsAndForeignValues) {
  std::string value = encode_subscriber(sample());
  value[0] = 2;
  EXPECT_FALSE(decode_subscriber(value).has_value());
  EXPECT_FALSE(decode_subscriber("").has_value());
  EXPECT_FALSE(decode_subscriber("1").has_value());
  EXPECT_FALSE(decode_subscriber(R"({"id":1,"email":"a@b.c"})").has_value());
  EXPECT_FALSE(decode_subscriber("garbage").has_value());
}

// Builds a format-1 value field by field, so single fields can be made wrong.
std::string value_with(std::string_view status_byte, std::string_view email, std::string_view name,
                       std::string_view id_varint = "\x01") {
  std::string v;
  v.push_back(1);
  v.append(id_varint);
  v.push_back(0x02);  // created_at 1
  v.append(status_byte);
  v.push_back(static_cast<char>(email.size()));
  v.append(email);
  v.push_back(static_cast<char>(name.size()));
  v.append(name);
  v.push_back(0);
  return v;
}

TEST(SubscriberCodec, RejectsOutOfRangeFields) {
  ASSERT_TRUE(decode_subscriber(value_with("\x04", "a@b.c", "x")).has_value());
  EXPECT_FALSE(decode_subscriber(value_with("\x05", "a@b.c", "x")).has_value());  // status
  EXPECT_FALSE(decode_subscriber(value_with("\xff", "a@b.c", "x")).has_value());
  EXPECT_FALSE(decode_subscriber(value_with("\x00", "", "x")).has_value());          // empty e-mail
  EXPECT_FALSE(decode_subscriber(value_with("\x00", "a@b.c", "\xc3")).has_value());  // cut UTF-8
  EXPECT_FALSE(
      decode_subscriber(value_with("\x00", "a@b.c", "\xed\xa0\x80")).has_value());  // surrogate
  // An id varint longer than 64 bits.
  EXPECT_FALSE(decode_subscriber(
                   value_with("\x00", "a@b.c", "x", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"))
                   .has_value());
  EXPECT_FALSE(decode_subscriber(
                   value_with("\x00", "a@b.c", "x", "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"))
                   .has_value());
  // A length beyond the value.
  std::string v = value_with("\x00", "a@b.c", "x");
  v[4] = 100;
  EXPECT_FALSE(decode_subscriber(v).has_value());
}

TEST(SubscriberCodec, RejectsOversizedEmail) {
  domain::Subscriber s = sample();
  s.email = std::string(255, 'a');
  EXPECT_FALSE(decode_subscriber(encode_subscriber(s)).has_value());
}

TEST(SubscriberCodec, SurvivesRandomAndMutatedInput) {
  std::mt19937_64 random(20240101);
  const std::string valid = encode_subscriber(sample());
  for (int round = 0; round < 20000; ++round) {
    std::string garbage(random() % 64, '\0');
    for (char& c : garbage)
      c = static_cast<char>(random());
    if (auto s = decode_subscriber(garbage)) {
      EXPECT_FALSE(s->email.empty());
    }

    std::string mutated = valid;
    mutated[random() % mutated.size()] = static_cast<char>(random());
    if (auto s = decode_subscriber(mutated)) {
      EXPECT_FALSE(s->email.empty());
    }
  }
}

TEST(SubscriberCodec, KeyNames) {
  EXPECT_EQ(email_key("a@b.c"), "sub:e:a@b.c");
  EXPECT_EQ(id_key(42), "sub:i:42");
  EXPECT_EQ(positive_key(domain::LookupKey::by_email("a@b.c")), "sub:e:a@b.c");
  EXPECT_EQ(positive_key(domain::LookupKey::by_id(42)), "sub:i:42");
  EXPECT_EQ(negative_key(domain::LookupKey::by_email("a@b.c")), "sub:n:e:a@b.c");
  EXPECT_EQ(negative_key(domain::LookupKey::by_id(42)), "sub:n:i:42");
}

}  // namespace
}  // namespace subscriberd::cache::redis
