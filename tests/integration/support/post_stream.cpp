#include "support/post_stream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "support/http_client.h"
#include "support/test_server.h"

namespace subscriberd::testing {

PostStream::PostStream(std::uint16_t port, int clients) {
  for (int i = 0; i < clients; ++i) {
    threads_.emplace_back([this, port] {
      std::optional<HttpClient> client;
      while (!stop_.load()) {
        std::string email = unique_email("stream");
        int status = 0;
        try {
          if (!client) client.emplace(port);
          status = client->post_json("/api/subscribers", R"({"email":")" + email + "\"}").status;
        } catch (const std::exception&) {
          // No answer (server gone or restarting): not acknowledged. Retry on a new connection.
          client.reset();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::lock_guard lock(mutex_);
        ++statuses_[status];
        if (status == 201) acknowledged_.push_back(std::move(email));
      }
    });
  }
}

PostStream::~PostStream() { finish(); }

std::vector<std::string> PostStream::finish() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(mutex_);
  return acknowledged_;
}

std::map<int, int> PostStream::statuses() const {
  std::lock_guard lock(mutex_);
  return statuses_;
}

void expect_all_stored(std::uint16_t port, const std::vector<std::string>& emails) {
  HttpClient c(port);
  std::size_t missing = 0;
  for (const auto& email : emails) {
    if (c.get("/api/subscribers/" + url_encode(email)).status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << emails.size() << " acknowledged subscribers";
}

}  // namespace subscriberd::testing
