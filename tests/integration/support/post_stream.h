#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// Several clients POSTing new subscribers until stopped; what each request was answered.
namespace subscriberd::testing {

class PostStream {
 public:
  PostStream(std::uint16_t port, int clients);
  ~PostStream();

  // Stops the clients; returns the e-mails acknowledged with 201.
  std::vector<std::string> finish();
  // Answers by status so far (0: no response, the connection failed).
  std::map<int, int> statuses() const;

 private:
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> acknowledged_;
  std::map<int, int> statuses_;
  std::vector<std::thread> threads_;
};

// Expects every e-mail to be found (200) on the server at `port`.
void expect_all_stored(std::uint16_t port, const std::vector<std::string>& emails);

}  // namespace subscriberd::testing
