// Nothing acknowledged is lost: across a clean restart, a SIGTERM mid-stream and a kill -9.
#include <thread>

#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/post_stream.h"
#include "support/json.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

using namespace std::chrono_literals;

TEST(DurabilityTest, DataIsKeptAcrossARestart) {
  TestServer server;
  const std::string email = unique_email("restart");
  std::string created;
  {
    HttpClient c(server.port());
    auto r = c.post_json("/api/subscribers", R"({"email":")" + email + R"(","name":"Kept"})");
    ASSERT_EQ(r.status, 201);
    created = r.body;
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
  server.start();
  HttpClient c(server.port());
  auto r = c.get("/api/subscribers/" + url_encode(email));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, created);
  EXPECT_EQ(c.post_json("/api/subscribers", R"({"email":")" + email + "\"}").status, 409);
}

TEST(DurabilityTest, SigtermFinishesInFlightRequestsAndExitsZero) {
  TestServer server;
  PostStream stream(server.port(), 8);
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(server.stop(), 0) << server.log();
  auto acknowledged = stream.finish();
  ASSERT_FALSE(acknowledged.empty());
  server.start({{}, "none"});  // read from the store itself, not a cache
  expect_all_stored(server.port(), acknowledged);
}

TEST(DurabilityTest, KillMinus9LosesNoAcknowledgedSubscriber) {
  TestServer server;
  PostStream stream(server.port(), 8);
  std::this_thread::sleep_for(1500ms);
  server.kill9();
  auto acknowledged = stream.finish();
  ASSERT_FALSE(acknowledged.empty());
  server.start({{}, "none"});
  expect_all_stored(server.port(), acknowledged);
}

}  // namespace
}  // namespace subscriberd::testing
