// HTTP/1.1 behaviour of the server: keep-alive, pipelining, limits and timeouts.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/json.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

using namespace std::chrono_literals;

class HttpProtocolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new TestServer({{"--idle-timeout", "2", "--io-timeout", "1"}, ""});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static TestServer* server_;
};
TestServer* HttpProtocolTest::server_ = nullptr;

// A whole GET of the health check, the shortest request the server answers 200.
const std::string kHealthCheck = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

// A whole POST of a new subscriber with a JSON body, framed by Content-Length.
std::string post_of(const std::string& body) {
  return "POST /api/subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(HttpProtocolTest, PipelinedRequestsAreAnsweredInOrder) {
  RawConnection raw(server_->port());
  const std::string email = unique_email("pipeline");
  const std::string body = R"({"email":")" + email + R"("})";
  raw.send(kHealthCheck + post_of(body) + "GET /api/subscribers/" + url_encode(email) +
           " HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET /nope-api/../api/x HTTP/1.1\r\nHost: x\r\n\r\n");
  auto responses = raw.read_responses(4);
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[1].status, 201);
  EXPECT_EQ(responses[2].status, 200);
  EXPECT_EQ(JsonDoc(responses[2].body).str("/email"), email);
}

TEST_F(HttpProtocolTest, ConnectionsAreKeptAlive) {
  RawConnection raw(server_->port());
  for (int i = 0; i < 3; ++i) {
    raw.send(kHealthCheck);
    auto r = raw.read_responses(1);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, 200);
  }
  raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw.read_responses(1).size(), 1u);
  EXPECT_TRUE(raw.closed_by_peer(1s));
}

TEST_F(HttpProtocolTest, HeadersOver16KiBAre431) {
  RawConnection raw(server_->port());
  raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(17 * 1024, 'a') +
           "\r\n\r\n");
  auto r = raw.read_responses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 431);
  EXPECT_EQ(JsonDoc(r[0].body).str("/type"), "/problems/headers-too-large");
}

TEST_F(HttpProtocolTest, AnEndlessChunkHeaderIs400) {
  // Beast bounds the header, not a chunk's framing: the session bounds what it buffers.
  RawConnection raw(server_->port());
  raw.send(
      "POST /api/subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5;ext=" +
      std::string(64 * 1024, 'a'));
  auto r = raw.read_responses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 400);
  EXPECT_TRUE(raw.closed_by_peer(2s));
}

TEST_F(HttpProtocolTest, GarbageIs400) {
  RawConnection raw(server_->port());
  raw.send("THIS IS NOT HTTP\r\n\r\n");
  auto r = raw.read_responses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 400);
}

TEST_F(HttpProtocolTest, ExpectContinueGetsTheGoAhead) {
  RawConnection raw(server_->port());
  const std::string body = R"({"email":")" + unique_email("expect") + R"("})";
  raw.send(
      "POST /api/subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  raw.send(body);
  auto r = raw.read_responses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 201);
}

TEST_F(HttpProtocolTest, RequestsArrivingInPiecesAreAnswered) {
  RawConnection raw(server_->port());
  const std::string body = R"({"email":")" + unique_email("pieces") + R"("})";
  const std::string request = post_of(body);
  // Cut inside the request line, inside a header, between header and body, inside the body.
  const std::size_t cuts[] = {7, 40, request.size() - body.size(), request.size() - 5};
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    raw.send(std::string_view(request).substr(from, cut - from));
    from = cut;
    std::this_thread::sleep_for(50ms);
  }
  raw.send(std::string_view(request).substr(from));
  auto r = raw.read_responses(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 201);
}

TEST_F(HttpProtocolTest, HeadAnswersHeadersOnly) {
  RawConnection raw(server_->port());
  raw.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string bytes = raw.read_raw(500ms);
  EXPECT_TRUE(bytes.starts_with("HTTP/1.1 200 OK\r\n")) << bytes;
  EXPECT_NE(bytes.find("Content-Length: 15\r\n"), std::string::npos) << bytes;
  EXPECT_TRUE(bytes.ends_with("\r\n\r\n")) << "a body followed the headers: " << bytes;
}

TEST_F(HttpProtocolTest, SlowClientsAreCutOff) {
  RawConnection raw(server_->port());
  raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes the header
  EXPECT_TRUE(raw.closed_by_peer(4s));
}

TEST_F(HttpProtocolTest, IdleConnectionsAreClosed) {
  RawConnection raw(server_->port());
  EXPECT_FALSE(raw.closed_by_peer(1s));
  EXPECT_TRUE(raw.closed_by_peer(4s));
}

TEST_F(HttpProtocolTest, EmptyLinesBeforeARequestAreIgnored) {
  // Some clients end a POST body with an extra CRLF (RFC 9112, 2.2).
  RawConnection raw(server_->port());
  const std::string body = R"({"email":")" + unique_email("crlf") + R"("})";
  raw.send("\r\n" + post_of(body) + "\r\n");
  auto first = raw.read_responses(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].status, 201);
  raw.send("\r\n");  // an empty line on its own, then the next request
  std::this_thread::sleep_for(50ms);
  raw.send(kHealthCheck);
  auto second = raw.read_responses(1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].status, 200);
  raw.send("\r");  // an empty line split between two reads
  std::this_thread::sleep_for(50ms);
  raw.send("\n" + kHealthCheck);
  auto third = raw.read_responses(1);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].status, 200);
  EXPECT_EQ(raw.read_raw(200ms), "") << "an answer nobody asked for";
}

TEST_F(HttpProtocolTest, ACarriageReturnThatEndsNoLineIsA400) {
  RawConnection raw(server_->port());
  raw.send("\r");
  std::this_thread::sleep_for(50ms);
  raw.send(kHealthCheck);
  auto r = raw.read_responses(2, 1s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 400);
  EXPECT_TRUE(raw.closed_by_peer(3s));
}

TEST_F(HttpProtocolTest, RequestsWhoseLengthCannotBeKnownAre400AndClose) {
  const std::string post =
      "POST /api/subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  const std::string requests[] = {
      // Transfer codings that do not end in chunked (RFC 9112, 6.3): the body must not be
      // read as a next request.
      post + "Transfer-Encoding: gzip\r\n\r\n" + kHealthCheck,
      // HTTP/1.0 has no transfer codings: the framing is faulty (6.1).
      "POST /api/subscribers HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
  };
  for (const std::string& request : requests) {
    RawConnection raw(server_->port());
    raw.send(request);
    auto r = raw.read_responses(2, 1s);
    ASSERT_EQ(r.size(), 1u) << request;
    EXPECT_EQ(r[0].status, 400) << request;
    EXPECT_TRUE(raw.closed_by_peer(3s)) << request;
  }
}

TEST_F(HttpProtocolTest, RequestsPipelinedBehindOneThatClosesAreNotAnswered) {
  // More than the server reads at once follows the request that asks to close: the server
  // answers that one, stops sending, and discards the rest until the client goes.
  RawConnection raw(server_->port());
  std::string requests = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  while (requests.size() < 64 * 1024)
    requests += kHealthCheck;
  raw.send(requests);
  auto r = raw.read_responses(2, 1s);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  raw.send(kHealthCheck);  // still sending after the answer
  EXPECT_TRUE(raw.ended_in_order(3s)) << "reset with requests unread";
}

TEST(HttpOverloadTest, OutOfDescriptorsPausesAcceptingAndRecovers) {
  TestServer server;
  const std::string pid = std::to_string(server.pid());
  auto set_open_files = [&](const std::string& limit) {
    const std::string command = "prlimit --pid " + pid + " --nofile=" + limit;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  };
  std::string hard;
  {
    std::ifstream limits("/proc/" + pid + "/limits");
    for (std::string line; std::getline(limits, line);) {
      if (line.starts_with("Max open files")) {
        std::istringstream fields(line.substr(std::string_view("Max open files").size()));
        std::string soft;
        fields >> soft >> hard;
      }
    }
  }
  ASSERT_FALSE(hard.empty());
  int highest = -1, open = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + pid + "/fd")) {
    highest = std::max(highest, std::stoi(entry.path().filename().string()));
    ++open;
  }
  const int holes = highest + 1 - open;

  // No descriptor above the highest in use: once the holes below it are taken, the server
  // cannot accept another connection.
  const auto limited_at = std::chrono::steady_clock::now();
  set_open_files(std::to_string(highest + 1) + ":" + hard);
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < holes + 3; ++i) {
    clients.push_back(std::make_unique<RawConnection>(server.port()));
    clients.back()->send(kHealthCheck);
  }
  std::this_thread::sleep_for(1s);
  std::vector<RawConnection*> waiting;
  for (auto& client : clients) {
    if (client->read_responses(1, 50ms).empty())
      waiting.push_back(client.get());
  }
  EXPECT_GE(waiting.size(), 3u);
  const std::string log = server.log();
  std::size_t failures = 0;
  for (std::size_t at = log.find("accept failed"); at != std::string::npos;
       at = log.find("accept failed", at + 1))
    ++failures;
  EXPECT_GE(failures, 1u) << log.substr(0, 2000);
  // Paused between attempts (100 ms), not retried in a loop: about one per 100 ms since the
  // limit was set (twice that allowed), where a loop makes thousands.
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - limited_at);
  EXPECT_LE(failures, static_cast<std::size_t>(elapsed / 50ms) + 5) << "accept retried in a loop";

  // Descriptors again: the connections that waited are served.
  set_open_files(hard + ":" + hard);
  for (RawConnection* client : waiting) {
    auto r = client->read_responses(1, 3s);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].status, 200);
  }
}

TEST_F(HttpProtocolTest, UnknownPathsAreProblems) {
  HttpClient c(server_->port());
  auto r = c.get("/api/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(JsonDoc(r.body).str("/type"), "/problems/not-found");
}

}  // namespace
}  // namespace subscriberd::testing
