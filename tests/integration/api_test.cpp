// The subscriber API over real HTTP: every status code the API promises, and the duplicate race.
#include <atomic>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/json.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  HttpClient client() { return HttpClient(server_->port()); }
  static TestServer* server_;
};
TestServer* ApiTest::server_ = nullptr;

std::string subscriber_body(const std::string& email, const std::string& extra = "") {
  return R"({"email":")" + email + R"(")" + extra + "}";
}

TEST_F(ApiTest, CreateReturns201WithTheStoredSubscriber) {
  auto c = client();
  const std::string email = unique_email("create");
  std::string upper = email;
  for (char& ch : upper)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto r =
      c.post_json("/api/subscribers",
                  R"({"email":"  )" + upper +
                      R"(  ","name":"José","last_name":"O'Brien","status":"UNCONFIRMED","x":1})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  JsonDoc doc(r.body);
  EXPECT_EQ(doc.str("/email"), email);
  EXPECT_EQ(doc.str("/name"), "José");
  EXPECT_EQ(doc.str("/last_name"), "O'Brien");
  EXPECT_EQ(doc.str("/status"), "unconfirmed");
  EXPECT_EQ(r.header("location"), "/api/subscribers/" + doc.str("/id"));
  EXPECT_TRUE(std::regex_match(doc.str("/created_at"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  EXPECT_FALSE(doc.has("/x"));

  auto by_id = c.get(r.header("location"));
  ASSERT_EQ(by_id.status, 200);
  EXPECT_EQ(by_id.body, r.body);
  auto by_email = c.get("/api/subscribers/" + url_encode(upper));
  ASSERT_EQ(by_email.status, 200);
  EXPECT_EQ(by_email.body, r.body);
}

TEST_F(ApiTest, FormBodiesAreAccepted) {
  auto c = client();
  const std::string email = unique_email("form");
  auto r = c.post("/api/subscribers",
                  "email=" + url_encode(email) + "&name=Mary-Jane&last_name=%E6%9D%8E&status=junk",
                  "application/x-www-form-urlencoded");
  ASSERT_EQ(r.status, 201) << r.body;
  JsonDoc doc(r.body);
  EXPECT_EQ(doc.str("/name"), "Mary-Jane");
  EXPECT_EQ(doc.str("/last_name"), "李");
  EXPECT_EQ(doc.str("/status"), "junk");
}

TEST_F(ApiTest, DuplicateIsA409CarryingTheUnchangedOriginal) {
  auto c = client();
  const std::string email = unique_email("dup");
  auto first = c.post_json("/api/subscribers", subscriber_body(email, R"(,"name":"First")"));
  ASSERT_EQ(first.status, 201);
  auto second = c.post_json("/api/subscribers", subscriber_body(email, R"(,"name":"Second")"));
  ASSERT_EQ(second.status, 409) << second.body;
  EXPECT_EQ(second.header("content-type"), "application/problem+json");
  JsonDoc problem(second.body);
  EXPECT_EQ(problem.str("/type"), "/problems/already-exists");
  EXPECT_EQ(problem.num("/status"), 409);
  EXPECT_EQ(problem.str("/subscriber/name"), "First");
  EXPECT_EQ(problem.str("/subscriber/id"), JsonDoc(first.body).str("/id"));
  EXPECT_EQ(c.get("/api/subscribers/" + url_encode(email)).body, first.body);
}

TEST_F(ApiTest, ValidationErrorsNameEveryField) {
  auto c = client();
  auto r = c.post_json("/api/subscribers", R"({"email":"not-an-email","name":")" +
                                               std::string(256, 'a') +
                                               R"(","last_name":7,"status":"gone"})");
  ASSERT_EQ(r.status, 422) << r.body;
  JsonDoc doc(r.body);
  EXPECT_EQ(doc.str("/type"), "/problems/validation-error");
  ASSERT_EQ(doc.array_size("/errors"), 4u);
  EXPECT_EQ(doc.str("/errors/0/field"), "email");
  EXPECT_EQ(doc.str("/errors/1/field"), "name");
  EXPECT_EQ(doc.str("/errors/2/field"), "last_name");
  EXPECT_EQ(doc.str("/errors/3/field"), "status");
  EXPECT_EQ(c.post_json("/api/subscribers", "{}").status, 422);
  EXPECT_EQ(c.post_json("/api/subscribers", R"({"email":"a@b.c","name":"tab\there"})").status, 422);
}

TEST_F(ApiTest, MalformedBodiesAre400) {
  auto c = client();
  for (const std::string body :
       {"", "{", "[1,2]", "\"text\"", "{\"email\":\"a@b.co\"} x", "{\"email\":\"\xff@b.co\"}"}) {
    auto r = c.post_json("/api/subscribers", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(JsonDoc(r.body).str("/type"), "/problems/invalid-body");
  }
  EXPECT_EQ(c.post("/api/subscribers", "email=%zz", "application/x-www-form-urlencoded").status,
            400);
}

TEST_F(ApiTest, OtherContentTypesAre415) {
  auto c = client();
  EXPECT_EQ(c.post("/api/subscribers", "email=a@b.co", "text/plain").status, 415);
  EXPECT_EQ(c.post("/api/subscribers", "{}", "application/json; charset=latin1").status, 415);
  auto r = c.request("POST", "/api/subscribers", "{}", {});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(JsonDoc(r.body).str("/type"), "/problems/unsupported-media-type");
}

TEST_F(ApiTest, BodiesOver64KiBAre413) {
  auto c = client();
  std::string big = R"({"email":"a@b.co","name":")" + std::string(70 * 1024, 'x') + "\"}";
  auto r = c.post_json("/api/subscribers", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(JsonDoc(r.body).str("/type"), "/problems/payload-too-large");
}

TEST_F(ApiTest, UnknownSubscribersAndPathsAre404) {
  auto c = client();
  for (const char* target :
       {"/api/subscribers/nobody%40example.com", "/api/subscribers/1", "/api/subscribers/not-a-key",
        "/api/nothing-here", "/api/subscribers/1/2"}) {
    auto r = c.get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << target;
  }
}

TEST_F(ApiTest, WrongMethodsAre405WithAllow) {
  auto c = client();
  auto r = c.request("DELETE", "/api/subscribers", "", {});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, HEAD, POST");
  auto one = c.request("PUT", "/api/subscribers/1", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(one.status, 405);
  EXPECT_EQ(one.header("allow"), "GET, HEAD");
  EXPECT_EQ(c.request("POST", "/healthz", "", {}).status, 405);
}

TEST_F(ApiTest, ListParametersAreChecked) {
  auto c = client();
  for (const char* q : {"limit=0", "limit=101", "limit=abc", "limit=-1", "status=gone"}) {
    EXPECT_EQ(c.get(std::string("/api/subscribers?") + q).status, 422) << q;
  }
  for (const char* q : {"cursor=garbage", "cursor=AAAAAAAAAAAA", "cursor=%zz"}) {
    auto r = c.get(std::string("/api/subscribers?") + q);
    EXPECT_EQ(r.status, 400) << q;
  }
  auto page = c.get("/api/subscribers?limit=1");
  ASSERT_EQ(page.status, 200);
  EXPECT_LE(JsonDoc(page.body).array_size("/data"), 1u);
}

TEST_F(ApiTest, ConcurrentCreatesOfOneEmailYieldExactlyOne201) {
  const std::string email = unique_email("race");
  constexpr int kClients = 32;
  std::atomic<int> created{0}, conflicts{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c(server_->port());
      c.get("/healthz");  // connect before the start line
      while (!go.load())
        std::this_thread::yield();
      auto r =
          c.post_json("/api/subscribers",
                      subscriber_body(email, R"(,"name":"client )" + std::to_string(i) + "\""));
      (r.status == 201 ? created : r.status == 409 ? conflicts : other)++;
    });
  }
  go = true;
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), kClients - 1);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(ApiTest, CreatedAndDuplicatesMoveTheMetrics) {
  auto c = client();
  auto before = c.get("/metrics").body;
  const std::string email = unique_email("metrics");
  ASSERT_EQ(c.post_json("/api/subscribers", subscriber_body(email)).status, 201);
  ASSERT_EQ(c.post_json("/api/subscribers", subscriber_body(email)).status, 409);
  auto after = c.get("/metrics").body;
  EXPECT_EQ(metric_value(after, "subscriberd_subscribers_created_total") -
                metric_value(before, "subscriberd_subscribers_created_total"),
            1);
  EXPECT_EQ(metric_value(after, "subscriberd_duplicates_rejected_total") -
                metric_value(before, "subscriberd_duplicates_rejected_total"),
            1);
}

}  // namespace
}  // namespace subscriberd::testing
