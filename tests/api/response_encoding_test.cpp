#include "api/response_encoding.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "domain/cursor.h"

namespace subscriberd::api {
namespace {

using domain::Cursor;
using Direction = domain::Cursor::Direction;

domain::Subscriber ada() {
  domain::Subscriber s;
  s.id = 7253351292715016193u;
  s.email = "ada@example.com";
  s.name = "Ada";
  s.last_name = "Lovelace";
  s.status = domain::Status::kActive;
  s.created_at_ms = 1795700701123;  // 2026-11-26T13:45:01.123Z
  return s;
}

constexpr const char* kAdaJson =
    R"({"id":"7253351292715016193","email":"ada@example.com","name":"Ada",)"
    R"("last_name":"Lovelace","status":"active","created_at":"2026-11-26T13:45:01.123Z"})";

TEST(SubscriberLocation, IsTheSubscribersPath) {
  EXPECT_EQ(SubscriberLocation(ada().id).view(), "/api/subscribers/7253351292715016193");
  EXPECT_EQ(SubscriberLocation(0).view(), "/api/subscribers/0");
  EXPECT_EQ(SubscriberLocation(std::numeric_limits<domain::SubscriberId>::max()).view(),
            "/api/subscribers/18446744073709551615");
}

TEST(SubscriberJson, ExactString) {
  EXPECT_EQ(subscriber_json(ada()), kAdaJson);
}

TEST(SubscriberJson, IdIsADecimalStringEvenPast2To53) {
  domain::Subscriber s = ada();
  s.id = 18446744073709551615u;
  EXPECT_NE(subscriber_json(s).find(R"("id":"18446744073709551615")"), std::string::npos);
  s.id = 0;
  EXPECT_NE(subscriber_json(s).find(R"("id":"0")"), std::string::npos);
}

TEST(SubscriberJson, EmptyNamesEscapesAndStatus) {
  domain::Subscriber s;
  s.id = 1;
  s.email = "o'brien@example.ie";
  s.name = "Se\xC3\xA1n \"Jack\"";
  s.last_name = "";
  s.status = domain::Status::kUnsubscribed;
  s.created_at_ms = 0;
  EXPECT_EQ(subscriber_json(s),
            "{\"id\":\"1\",\"email\":\"o'brien@example.ie\",\"name\":\"Se\xC3\xA1n \\\"Jack\\\"\","
            "\"last_name\":\"\",\"status\":\"unsubscribed\","
            "\"created_at\":\"1970-01-01T00:00:00.000Z\"}");
}

TEST(SubscriberJson, EveryStatusIsLowercase) {
  const std::pair<domain::Status, const char*> cases[] = {
      {domain::Status::kActive, "active"},
      {domain::Status::kUnsubscribed, "unsubscribed"},
      {domain::Status::kUnconfirmed, "unconfirmed"},
      {domain::Status::kBounced, "bounced"},
      {domain::Status::kJunk, "junk"},
  };
  for (const auto& [status, name] : cases) {
    domain::Subscriber s = ada();
    s.status = status;
    EXPECT_NE(subscriber_json(s).find(std::string(R"("status":")") + name + "\""),
              std::string::npos)
        << name;
  }
}

TEST(WriteSubscriber, NestsInsideOtherJson) {
  std::string out;
  json::Writer w(out);
  w.begin_object().key("subscriber");
  write_subscriber(w, ada());
  w.key("next").null().end_object();
  EXPECT_EQ(out, std::string(R"({"subscriber":)") + kAdaJson + R"(,"next":null})");
}

TEST(PageJson, EmptyPageHasNullCursors) {
  EXPECT_EQ(page_json(domain::Page{}),
            R"({"data":[],"total":0,"next_cursor":null,"prev_cursor":null})");
}

TEST(PageJson, BothCursors) {
  domain::Page page;
  domain::Subscriber second = ada();
  second.id = 5;
  second.email = "b@example.com";
  second.name = "";
  second.last_name = "";
  second.status = domain::Status::kJunk;
  second.created_at_ms = 1709210096789;
  page.data = {ada(), second};
  page.total = 42;
  page.next = Cursor{Direction::kOlder, 5};
  page.prev = Cursor{Direction::kNewer, 7253351292715016193u};
  const std::string expected =
      std::string(R"({"data":[)") + kAdaJson +
      R"(,{"id":"5","email":"b@example.com","name":"","last_name":"","status":"junk",)"
      R"("created_at":"2024-02-29T12:34:56.789Z"}],"total":42,"next_cursor":")" +
      domain::encode_cursor(*page.next) + R"(","prev_cursor":")" +
      domain::encode_cursor(*page.prev) + R"("})";
  EXPECT_EQ(page_json(page), expected);
}

TEST(PageJson, OnlyNextCursor) {
  domain::Page page;
  page.data = {ada()};
  page.total = 3;
  page.next = Cursor{Direction::kOlder, 0};
  EXPECT_EQ(page_json(page), std::string(R"({"data":[)") + kAdaJson +
                                 R"(],"total":3,"next_cursor":"AQAAAAAAAAAA","prev_cursor":null})");
}

TEST(PageJson, OnlyPrevCursor) {
  domain::Page page;
  page.data = {ada()};
  page.total = 3;
  page.prev = Cursor{Direction::kNewer, 0};
  EXPECT_EQ(page_json(page), std::string(R"({"data":[)") + kAdaJson +
                                 R"(],"total":3,"next_cursor":null,"prev_cursor":"AgAAAAAAAAAA"})");
}

TEST(PageJson, CursorsDecodeBackToThePagesCursors) {
  domain::Page page;
  page.next = Cursor{Direction::kOlder, 123456789};
  page.prev = Cursor{Direction::kNewer, 987654321};
  const std::string json = page_json(page);
  const auto extract = [&](const std::string& name) {
    const std::string marker = "\"" + name + "\":\"";
    const std::size_t start = json.find(marker) + marker.size();
    return json.substr(start, json.find('"', start) - start);
  };
  EXPECT_EQ(domain::decode_cursor(extract("next_cursor")), page.next);
  EXPECT_EQ(domain::decode_cursor(extract("prev_cursor")), page.prev);
}

}  // namespace
}  // namespace subscriberd::api
