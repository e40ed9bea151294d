// Keyset pagination over HTTP: forward and back, with a filter, and while inserts go on.
#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/json.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

struct PageView {
  std::vector<std::uint64_t> ids;
  std::vector<std::string> statuses;
  std::int64_t total = 0;
  std::string next, prev;  // empty: null
};

PageView fetch(HttpClient& c, const std::string& query) {
  auto r = c.get("/api/subscribers?" + query);
  if (r.status != 200)
    throw std::runtime_error("list failed: " + r.body);
  JsonDoc doc(r.body);
  PageView page;
  page.total = doc.num("/total");
  const std::size_t n = doc.array_size("/data");
  for (std::size_t i = 0; i < n; ++i) {
    page.ids.push_back(std::stoull(doc.str("/data/" + std::to_string(i) + "/id")));
    page.statuses.push_back(doc.str("/data/" + std::to_string(i) + "/status"));
  }
  if (!doc.is_null("/next_cursor"))
    page.next = doc.str("/next_cursor");
  if (!doc.is_null("/prev_cursor"))
    page.prev = doc.str("/prev_cursor");
  return page;
}

std::vector<std::uint64_t> create_many(HttpClient& c, const std::string& tag, int count,
                                       const std::string& status) {
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < count; ++i) {
    auto r = c.post_json("/api/subscribers",
                         R"({"email":")" + unique_email(tag) + R"(","status":")" + status + "\"}");
    if (r.status != 201)
      throw std::runtime_error("create failed: " + r.body);
    ids.push_back(std::stoull(JsonDoc(r.body).str("/id")));
  }
  return ids;
}

class PagingTest : public ::testing::Test {
 protected:
  TestServer server_;
};

TEST_F(PagingTest, WalksForwardAndBackVisitingEveryoneOnce) {
  HttpClient c(server_.port());
  const std::int64_t total_before = fetch(c, "limit=1").total;
  auto ours = create_many(c, "paging", 230, "active");
  const std::string filter = "limit=25";

  std::vector<PageView> forward;
  forward.push_back(fetch(c, filter));
  EXPECT_TRUE(forward.front().prev.empty());
  EXPECT_EQ(forward.front().total, total_before + 230);
  while (!forward.back().next.empty()) {
    forward.push_back(fetch(c, filter + "&cursor=" + forward.back().next));
  }
  std::vector<std::uint64_t> all;
  for (const auto& p : forward)
    all.insert(all.end(), p.ids.begin(), p.ids.end());
  EXPECT_EQ(static_cast<std::int64_t>(all.size()), total_before + 230);
  for (std::size_t i = 1; i < all.size(); ++i)
    ASSERT_GT(all[i - 1], all[i]) << "newest first, no repeats";
  std::set<std::uint64_t> seen(all.begin(), all.end());
  for (auto id : ours)
    EXPECT_TRUE(seen.contains(id));

  // Back from the last page with prev_cursor: the same pages in reverse.
  std::size_t index = forward.size() - 1;
  PageView page = forward.back();
  while (!page.prev.empty()) {
    page = fetch(c, filter + "&cursor=" + page.prev);
    ASSERT_GT(index, 0u);
    --index;
    EXPECT_EQ(page.ids, forward[index].ids) << "page " << index;
  }
  EXPECT_EQ(index, 0u);
}

TEST_F(PagingTest, StatusFilterAndItsTotal) {
  HttpClient c(server_.port());
  const std::int64_t before = fetch(c, "status=unsubscribed&limit=1").total;
  auto ours = create_many(c, "filter", 40, "unsubscribed");
  create_many(c, "other", 10, "bounced");

  std::vector<std::uint64_t> walked;
  PageView page = fetch(c, "status=unsubscribed&limit=7");
  EXPECT_EQ(page.total, before + 40);
  for (;;) {
    for (const auto& s : page.statuses)
      EXPECT_EQ(s, "unsubscribed");
    walked.insert(walked.end(), page.ids.begin(), page.ids.end());
    if (page.next.empty())
      break;
    page = fetch(c, "status=unsubscribed&limit=7&cursor=" + page.next);
  }
  EXPECT_EQ(static_cast<std::int64_t>(walked.size()), before + 40);
  std::set<std::uint64_t> seen(walked.begin(), walked.end());
  for (auto id : ours)
    EXPECT_TRUE(seen.contains(id));
}

TEST_F(PagingTest, ForwardWalkIsExactWhileInsertsGoOn) {
  HttpClient c(server_.port());
  auto existing = create_many(c, "steady", 120, "active");
  const std::int64_t total_at_start = fetch(c, "limit=1").total;

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    HttpClient w(server_.port());
    try {
      while (!stop.load())
        create_many(w, "concurrent", 1, "active");
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  });
  std::vector<std::uint64_t> walked;
  PageView page = fetch(c, "limit=20");
  for (;;) {
    walked.insert(walked.end(), page.ids.begin(), page.ids.end());
    if (page.next.empty())
      break;
    page = fetch(c, "limit=20&cursor=" + page.next);
  }
  stop = true;
  writer.join();

  for (std::size_t i = 1; i < walked.size(); ++i)
    ASSERT_GT(walked[i - 1], walked[i]);
  std::set<std::uint64_t> seen(walked.begin(), walked.end());
  for (auto id : existing)
    EXPECT_TRUE(seen.contains(id));
  // Everything that existed when the walk began was seen; new rows only add to the top.
  EXPECT_GE(static_cast<std::int64_t>(walked.size()), total_at_start);
}

}  // namespace
}  // namespace subscriberd::testing
