// HTTP/1.1 behaviour of the server: keep-alive, pipelining, limits and timeouts.
#include <thread>

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

TEST_F(HttpProtocolTest, PipelinedRequestsAreAnsweredInOrder) {
  RawConnection raw(server_->port());
  const std::string email = unique_email("pipeline");
  const std::string body = R"({"email":")" + email + R"("})";
  raw.send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /api/subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body + "GET /api/subscribers/" +
      url_encode(email) +
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
    raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
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
  const std::string request =
      "POST /api/subscribers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
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

TEST_F(HttpProtocolTest, UnknownPathsAreProblems) {
  HttpClient c(server_->port());
  auto r = c.get("/api/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(JsonDoc(r.body).str("/type"), "/problems/not-found");
}

}  // namespace
}  // namespace subscriberd::testing
