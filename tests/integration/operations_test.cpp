// Health, readiness, metrics (checked by promtool) and the served API description.
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/json.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

TEST(OperationsTest, HealthAndReadiness) {
  TestServer server;
  HttpClient c(server.port());
  auto health = c.get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(JsonDoc(health.body).str("/status"), "ok");
  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
}

TEST(OperationsTest, MetricsPassPromtool) {
  TestServer server;
  HttpClient c(server.port());
  const std::string email = unique_email("promtool");
  c.post_json("/api/subscribers", R"({"email":")" + email + "\"}");
  c.post_json("/api/subscribers", R"({"email":")" + email + "\"}");
  c.get("/api/subscribers/" + url_encode(email));
  c.get("/api/subscribers/absent%40example.com");
  c.get("/api/subscribers?limit=5");
  auto metrics = c.get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_TRUE(metrics.header("content-type").starts_with("text/plain; version=0.0.4"));
  for (const char* name :
       {"subscriberd_http_requests_total{route=\"subscribers_create\",method=\"POST\",status="
        "\"201\"}",
        "subscriberd_http_requests_total{route=\"subscribers_create\",method=\"POST\",status="
        "\"409\"}",
        "subscriberd_http_request_duration_seconds_bucket{route=\"subscribers_get\"",
        "subscriberd_subscribers_created_total", "subscriberd_duplicates_rejected_total",
        "subscriberd_cache_hits_total", "subscriberd_cache_misses_total",
        "subscriberd_store_batch_size_bucket", "subscriberd_store_commit_duration_seconds_count",
        "subscriberd_store_queue_wait_seconds_count", "subscriberd_build_info{version="}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }
  // The in-process cache (alone, or as the tier in front of Redis) shows its size and budget.
  if (TestConfig::current().cache != "none") {
    for (const char* name :
         {"\nsubscriberd_cache_memory_entries ", "\nsubscriberd_cache_memory_used_bytes ",
          "\nsubscriberd_cache_memory_capacity_bytes ",
          "\nsubscriberd_cache_memory_evictions_total 0\n"}) {
      EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
    }
  }

  const std::string path = server.data_dir() + "/metrics.txt";
  std::ofstream(path) << metrics.body;
  const std::string command = "promtool check metrics < " + path + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char chunk[512];
  while (std::fgets(chunk, sizeof chunk, pipe) != nullptr)
    output += chunk;
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << "promtool (from Debian's prometheus package) said:\n" << output;
}

TEST(OperationsTest, ServesTheOpenApiDescription) {
  TestServer server;
  HttpClient c(server.port());
  auto r = c.get("/api/openapi.yaml");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/yaml");
  EXPECT_TRUE(r.body.starts_with("openapi: 3.1")) << r.body.substr(0, 80);
}

}  // namespace
}  // namespace subscriberd::testing
