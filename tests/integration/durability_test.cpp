// Nothing acknowledged is lost: across a clean restart, a SIGTERM mid-stream and a kill -9.
#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/json.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

using namespace std::chrono_literals;

// Several clients POST new subscribers until told to stop or the server goes away; returns
// the e-mails that were acknowledged with 201.
class PostStream {
 public:
  PostStream(std::uint16_t port, int clients) {
    for (int i = 0; i < clients; ++i) {
      threads_.emplace_back([this, port] {
        try {
          HttpClient c(port);
          while (!stop_.load()) {
            std::string email = unique_email("stream");
            auto r = c.post_json("/api/subscribers", R"({"email":")" + email + "\"}");
            if (r.status == 201) {
              std::lock_guard lock(mutex_);
              acknowledged_.push_back(email);
            }
          }
        } catch (const std::exception&) {
          // The server went away mid-request: that request was not acknowledged.
        }
      });
    }
  }
  std::vector<std::string> finish() {
    stop_ = true;
    for (auto& t : threads_)
      t.join();
    return acknowledged_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> acknowledged_;
  std::vector<std::thread> threads_;
};

void expect_all_stored(std::uint16_t port, const std::vector<std::string>& emails) {
  HttpClient c(port);
  std::size_t missing = 0;
  for (const auto& email : emails) {
    auto r = c.get("/api/subscribers/" + url_encode(email));
    if (r.status != 200)
      ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << emails.size() << " acknowledged subscribers";
}

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
