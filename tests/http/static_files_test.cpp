#include "http/static_files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace subscriberd::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kIndex = "<!doctype html><title>subscribers</title>";
constexpr std::string_view kScript = "console.log('subscribers, subscribers, subscribers');\n";
constexpr std::string_view kIcon = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";

void write_file(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return std::move(content).str();
}

// A web root like the built page: index.html, a hashed asset with its gzip twin, an icon.
class StaticFilesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "subscriberd-web-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = new fs::path(pattern);
    write_file(*root_ / "index.html", kIndex);
    write_file(*root_ / "assets" / "x-1.js", kScript);
    write_file(*root_ / "favicon.svg", kIcon);
    const std::string command = "gzip -k '" + (*root_ / "assets" / "x-1.js").string() + "'";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    ASSERT_TRUE(fs::is_regular_file(*root_ / "assets" / "x-1.js.gz"));
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*root_, ec);
    delete root_;
    root_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(root_, nullptr) << "the web root could not be made"; }

  static const fs::path& root() { return *root_; }

 private:
  static inline fs::path* root_ = nullptr;
};

TEST_F(StaticFilesTest, LoadsEveryFileButTheGzipTwins) {
  StaticFiles files(root().string());
  EXPECT_FALSE(files.empty());
  EXPECT_EQ(files.size(), 3u);  // index.html, assets/x-1.js, favicon.svg
}

TEST_F(StaticFilesTest, RootServesIndex) {
  StaticFiles files(root().string());
  auto response = files.serve("/", "", 11);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->result(), beast_http::status::ok);
  EXPECT_EQ(response->version(), 11u);
  EXPECT_EQ(response->body(), kIndex);
  EXPECT_EQ((*response)[beast_http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ((*response)[beast_http::field::cache_control], "no-cache");
  EXPECT_EQ((*response)["Content-Security-Policy"], StaticFiles::kContentSecurityPolicy);
  EXPECT_EQ((*response)["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ((*response)["X-Frame-Options"], "DENY");
  EXPECT_EQ((*response)["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(response->count(beast_http::field::content_encoding), 0u);
}

TEST_F(StaticFilesTest, IndexByItsName) {
  StaticFiles files(root().string());
  auto response = files.serve("/index.html", "gzip", 10);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body(), kIndex);
  EXPECT_EQ(response->version(), 10u);
}

TEST_F(StaticFilesTest, PageRoutesFallBackToIndex) {
  StaticFiles files(root().string());
  for (std::string_view path :
       {"/subscribers/1", "/subscribers", "/subscribers/new", "/subscribers/ada@example.com",
        "/subscribers/a.b@example.org", "/v1.2/page"}) {
    auto response = files.serve(path, "", 11);
    ASSERT_TRUE(response.has_value()) << path;
    EXPECT_EQ(response->body(), kIndex) << path;
    EXPECT_EQ((*response)[beast_http::field::content_type], "text/html; charset=utf-8") << path;
  }
}

TEST_F(StaticFilesTest, MissingAssetIsNotThePage) {
  StaticFiles files(root().string());
  EXPECT_FALSE(files.serve("/assets/missing.js", "gzip", 11).has_value());
  EXPECT_FALSE(files.serve("/assets/", "", 11).has_value());
  EXPECT_FALSE(files.serve("/assets/subscribers", "", 11).has_value());
}

TEST_F(StaticFilesTest, MissingFileWithABuildExtensionIsNotThePage) {
  StaticFiles files(root().string());
  for (std::string_view path :
       {"/missing.js", "/favicon.ico", "/robots.txt", "/main.css", "/nowhere.html", "/x/y.map"}) {
    EXPECT_FALSE(files.serve(path, "", 11).has_value()) << path;
  }
}

TEST_F(StaticFilesTest, AssetWithGzipWhenAccepted) {
  StaticFiles files(root().string());
  auto response = files.serve("/assets/x-1.js", "br, gzip;q=0.5", 11);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ((*response)[beast_http::field::content_encoding], "gzip");
  EXPECT_EQ(response->body(), read_file(root() / "assets" / "x-1.js.gz"));
  EXPECT_NE(response->body(), kScript);
  EXPECT_EQ((*response)[beast_http::field::vary], "Accept-Encoding");
  EXPECT_EQ((*response)[beast_http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ((*response)[beast_http::field::cache_control], "public, max-age=31536000, immutable");
}

TEST_F(StaticFilesTest, AssetPlainWhenGzipIsNotAccepted) {
  StaticFiles files(root().string());
  for (std::string_view accept : {"", "identity", "br", "gzip;q=0", "deflate, gzip;q=0"}) {
    auto response = files.serve("/assets/x-1.js", accept, 11);
    ASSERT_TRUE(response.has_value()) << accept;
    EXPECT_EQ(response->body(), kScript) << accept;
    EXPECT_EQ(response->count(beast_http::field::content_encoding), 0u) << accept;
    EXPECT_EQ((*response)[beast_http::field::vary], "Accept-Encoding") << accept;
  }
}

TEST_F(StaticFilesTest, FileWithoutGzipTwinIsAlwaysPlain) {
  StaticFiles files(root().string());
  auto response = files.serve("/favicon.svg", "gzip", 11);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body(), kIcon);
  EXPECT_EQ((*response)[beast_http::field::content_type], "image/svg+xml");
  EXPECT_EQ(response->count(beast_http::field::content_encoding), 0u);
  EXPECT_EQ(response->count(beast_http::field::vary), 0u);
  EXPECT_EQ((*response)[beast_http::field::cache_control], "no-cache");
}

TEST_F(StaticFilesTest, GzipTwinsAreNotServedByName) {
  StaticFiles files(root().string());
  auto response = files.serve("/assets/x-1.js.gz", "gzip", 11);
  EXPECT_FALSE(response.has_value());
}

TEST(StaticFiles, MissingRootServesNothing) {
  StaticFiles files("/nonexistent/subscriberd/web/root");
  EXPECT_TRUE(files.empty());
  EXPECT_EQ(files.size(), 0u);
  EXPECT_FALSE(files.serve("/", "", 11).has_value());
  EXPECT_FALSE(files.serve("/subscribers/1", "", 11).has_value());
}

TEST(StaticFiles, EmptyRootPathServesNothing) {
  StaticFiles files("");
  EXPECT_TRUE(files.empty());
}

// --- accepts_gzip -------------------------------------------------------------------------

TEST(AcceptsGzip, Accepted) {
  for (std::string_view header :
       {"gzip", "GZIP", "Gzip", "br, gzip;q=0.5", "gzip, deflate, br", "deflate,gzip", " gzip ",
        "*", "gzip;q=1", "gzip;q=0.001", "br;q=1.0, gzip;q=0.8, *;q=0.1"}) {
    EXPECT_TRUE(accepts_gzip(header)) << header;
  }
}

TEST(AcceptsGzip, Refused) {
  for (std::string_view header :
       {"", "identity", "br", "deflate, br", "gzip;q=0", "gzip; q=0", "gzip;q=0.0", "gzip;q=0.000",
        "*;q=0", "gzipx", "x-gzip2", "identity;q=1, br"}) {
    EXPECT_FALSE(accepts_gzip(header)) << header;
  }
}

}  // namespace
}  // namespace subscriberd::http
