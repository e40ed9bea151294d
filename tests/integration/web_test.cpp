// The web page's files: content types, caching, precompressed gzip, history-mode fallback, CSP.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

class WebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string web = server_.data_dir() + "/web";
    std::filesystem::create_directories(web + "/assets");
    std::ofstream(web + "/index.html") << "<!doctype html><title>subscribers</title>";
    std::ofstream(web + "/assets/app-3f2a.js") << "console.log('subscribers');\n";
    ASSERT_EQ(std::system(("gzip -k -9 " + web + "/assets/app-3f2a.js").c_str()), 0);
    server_.stop();
    server_.start();  // files are read at start-up
  }
  TestServer server_;
};

TEST_F(WebTest, ServesTheIndexWithStrictHeaders) {
  HttpClient c(server_.port());
  auto r = c.get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("cache-control"), "no-cache");
  EXPECT_NE(r.header("content-security-policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(r.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_NE(r.body.find("<title>subscribers</title>"), std::string::npos);
}

TEST_F(WebTest, PageRoutesFallBackToTheIndex) {
  HttpClient c(server_.port());
  for (const char* path : {"/subscribers/a%40b.co", "/subscribers?page=3", "/new"}) {
    auto r = c.get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_NE(r.body.find("<title>subscribers</title>"), std::string::npos) << path;
  }
  EXPECT_EQ(c.get("/assets/missing-1234.js").status, 404);
  EXPECT_EQ(c.get("/missing.js").status, 404);
  EXPECT_EQ(c.get("/subscribers/ada%40example.com").status, 200);
  EXPECT_EQ(c.get("/api/not-a-page").status, 404);
}

TEST_F(WebTest, HashedAssetsAreImmutableAndPrecompressed) {
  HttpClient c(server_.port());
  auto plain = c.get("/assets/app-3f2a.js");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(plain.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(plain.header("content-encoding"), "");
  EXPECT_EQ(plain.body, "console.log('subscribers');\n");

  auto gz = c.get("/assets/app-3f2a.js", {{"Accept-Encoding", "br, gzip"}});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_EQ(gz.header("vary"), "Accept-Encoding");
  ASSERT_GE(gz.body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz.body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz.body[1]), 0x8b);

  auto refused = c.get("/assets/app-3f2a.js", {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(refused.header("content-encoding"), "");
}

TEST_F(WebTest, FilesLargerThanTheSocketBufferArriveWhole) {
  // More than the kernel takes in one write: the rest must follow as the client reads.
  std::string big(24u << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096)
    big[i] = static_cast<char>('a' + (i / 4096) % 26);
  const std::string web = server_.data_dir() + "/web";
  std::ofstream(web + "/assets/big-77aa.js", std::ios::binary) << big;
  server_.stop();
  server_.start();

  HttpClient c(server_.port());
  auto r = c.get("/assets/big-77aa.js");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.body.size(), big.size());
  EXPECT_TRUE(r.body == big);
  EXPECT_EQ(c.get("/healthz").status, 200);  // and the connection is still usable
}

TEST(WebTimeouts, AClientThatStopsReadingIsCutOff) {
  TestServer server({{"--io-timeout", "1"}, ""});
  const std::string web = server.data_dir() + "/web";
  std::filesystem::create_directories(web + "/assets");
  std::ofstream(web + "/index.html") << "<!doctype html><title>subscribers</title>";
  const std::string big(24u << 20, 'x');
  std::ofstream(web + "/assets/big-77aa.js", std::ios::binary) << big;
  server.stop();
  server.start();

  RawConnection raw(server.port());
  raw.send("GET /assets/big-77aa.js HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::seconds(3));  // past the write's deadline
  const std::string received = raw.read_raw(std::chrono::seconds(2));
  EXPECT_TRUE(received.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_LT(received.size(), big.size()) << "the whole file was sent to a client that stalled";
}

}  // namespace
}  // namespace subscriberd::testing
