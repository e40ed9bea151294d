#include "domain/paging.h"

#include <cstdint>
#include <optional>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace subscriberd::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using Direction = Cursor::Direction;

std::vector<Subscriber> rows(std::initializer_list<SubscriberId> ids) {
  std::vector<Subscriber> out;
  for (SubscriberId id : ids) {
    Subscriber s;
    s.id = id;
    s.email = "s" + std::to_string(id) + "@example.com";
    out.push_back(s);
  }
  return out;
}

std::vector<SubscriberId> ids_of(const Page& page) {
  std::vector<SubscriberId> out;
  for (const Subscriber& s : page.data)
    out.push_back(s.id);
  return out;
}

PageRequest request(std::size_t limit, std::optional<Cursor> cursor = std::nullopt) {
  PageRequest r;
  r.limit = limit;
  r.cursor = cursor;
  return r;
}

// --- keyset_query_for ---------------------------------------------------------------------

TEST(KeysetQueryFor, FirstPageStartsAtTheNewestRow) {
  KeysetQuery query = keyset_query_for(PageRequest{});
  EXPECT_EQ(query.direction, Direction::kOlder);
  EXPECT_EQ(query.anchor, std::nullopt);
  EXPECT_EQ(query.status, std::nullopt);
  EXPECT_EQ(query.fetch_limit, kDefaultPageSize + 1);
}

TEST(KeysetQueryFor, ForwardCursor) {
  PageRequest r = request(10, Cursor{Direction::kOlder, 500});
  r.status = Status::kBounced;
  KeysetQuery query = keyset_query_for(r);
  EXPECT_EQ(query.direction, Direction::kOlder);
  EXPECT_EQ(query.anchor, 500u);
  EXPECT_EQ(query.status, Status::kBounced);
  EXPECT_EQ(query.fetch_limit, 11u);
}

TEST(KeysetQueryFor, BackwardCursor) {
  KeysetQuery query = keyset_query_for(request(1, Cursor{Direction::kNewer, 0}));
  EXPECT_EQ(query.direction, Direction::kNewer);
  EXPECT_EQ(query.anchor, 0u);
  EXPECT_EQ(query.status, std::nullopt);
  EXPECT_EQ(query.fetch_limit, 2u);
}

TEST(KeysetQueryFor, LargestPage) {
  EXPECT_EQ(keyset_query_for(request(kMaxPageSize)).fetch_limit, kMaxPageSize + 1);
}

// --- make_page: first page ------------------------------------------------------------------

TEST(MakePage, FirstPageWithMore) {
  Page page = make_page(request(3), rows({10, 9, 8, 7}), 42);
  EXPECT_THAT(ids_of(page), ElementsAre(10u, 9u, 8u));
  EXPECT_EQ(page.total, 42u);
  EXPECT_EQ(page.next, (Cursor{Direction::kOlder, 8}));
  EXPECT_EQ(page.prev, std::nullopt);
}

TEST(MakePage, FirstPageThatIsAlsoTheLast) {
  Page page = make_page(request(3), rows({10, 9, 8}), 3);
  EXPECT_THAT(ids_of(page), ElementsAre(10u, 9u, 8u));
  EXPECT_EQ(page.total, 3u);
  EXPECT_EQ(page.next, std::nullopt);
  EXPECT_EQ(page.prev, std::nullopt);
}

TEST(MakePage, KeepsTheRowsIntact) {
  auto input = rows({10, 9});
  Page page = make_page(request(3), input, 2);
  EXPECT_THAT(page.data, ElementsAreArray(input));
}

// --- make_page: walking forward (older) -----------------------------------------------------

TEST(MakePage, ForwardPageWithMore) {
  Page page = make_page(request(3, Cursor{Direction::kOlder, 11}), rows({10, 9, 8, 7}), 100);
  EXPECT_THAT(ids_of(page), ElementsAre(10u, 9u, 8u));
  EXPECT_EQ(page.next, (Cursor{Direction::kOlder, 8}));
  EXPECT_EQ(page.prev, (Cursor{Direction::kNewer, 10}));
}

TEST(MakePage, ForwardPageWithoutMore) {
  Page page = make_page(request(3, Cursor{Direction::kOlder, 6}), rows({5, 4}), 100);
  EXPECT_THAT(ids_of(page), ElementsAre(5u, 4u));
  EXPECT_EQ(page.next, std::nullopt);
  EXPECT_EQ(page.prev, (Cursor{Direction::kNewer, 5}));
}

TEST(MakePage, ForwardPageExactlyFull) {
  Page page = make_page(request(2, Cursor{Direction::kOlder, 6}), rows({5, 4}), 100);
  EXPECT_THAT(ids_of(page), ElementsAre(5u, 4u));
  EXPECT_EQ(page.next, std::nullopt);
  EXPECT_EQ(page.prev, (Cursor{Direction::kNewer, 5}));
}

// --- make_page: walking back (newer) --------------------------------------------------------

TEST(MakePage, BackwardPageWithMore) {
  // The store returns rows above the anchor in ascending order, one more than the page.
  Page page = make_page(request(3, Cursor{Direction::kNewer, 4}), rows({5, 6, 7, 8}), 100);
  EXPECT_THAT(ids_of(page), ElementsAre(7u, 6u, 5u));
  EXPECT_EQ(page.next, (Cursor{Direction::kOlder, 5}));
  EXPECT_EQ(page.prev, (Cursor{Direction::kNewer, 7}));
}

TEST(MakePage, BackwardPageWithoutMoreIsTheFirstPage) {
  Page page = make_page(request(3, Cursor{Direction::kNewer, 4}), rows({5, 6}), 100);
  EXPECT_THAT(ids_of(page), ElementsAre(6u, 5u));
  EXPECT_EQ(page.next, (Cursor{Direction::kOlder, 5}));
  EXPECT_EQ(page.prev, std::nullopt);
}

TEST(MakePage, BackwardPageExactlyFull) {
  Page page = make_page(request(3, Cursor{Direction::kNewer, 4}), rows({5, 6, 7}), 100);
  EXPECT_THAT(ids_of(page), ElementsAre(7u, 6u, 5u));
  EXPECT_EQ(page.next, (Cursor{Direction::kOlder, 5}));
  EXPECT_EQ(page.prev, std::nullopt);
}

TEST(MakePage, SingleRowPages) {
  Page first = make_page(request(1), rows({9, 8}), 2);
  EXPECT_THAT(ids_of(first), ElementsAre(9u));
  EXPECT_EQ(first.next, (Cursor{Direction::kOlder, 9}));
  EXPECT_EQ(first.prev, std::nullopt);

  Page second = make_page(request(1, *first.next), rows({8}), 2);
  EXPECT_THAT(ids_of(second), ElementsAre(8u));
  EXPECT_EQ(second.next, std::nullopt);
  EXPECT_EQ(second.prev, (Cursor{Direction::kNewer, 8}));

  Page back = make_page(request(1, *second.prev), rows({9}), 2);
  EXPECT_THAT(ids_of(back), ElementsAre(9u));
  EXPECT_EQ(back.next, (Cursor{Direction::kOlder, 9}));
  EXPECT_EQ(back.prev, std::nullopt);
}

// --- make_page: nothing to show -------------------------------------------------------------

TEST(MakePage, EmptyRowsHaveNoCursors) {
  for (std::optional<Cursor> cursor :
       {std::optional<Cursor>{}, std::optional<Cursor>{Cursor{Direction::kOlder, 5}},
        std::optional<Cursor>{Cursor{Direction::kNewer, 5}}}) {
    Page page = make_page(request(25, cursor), {}, 0);
    EXPECT_TRUE(page.data.empty());
    EXPECT_EQ(page.total, 0u);
    EXPECT_EQ(page.next, std::nullopt);
    EXPECT_EQ(page.prev, std::nullopt);
  }
}

TEST(MakePage, EmptyRowsKeepTheTotal) {
  Page page = make_page(request(25, Cursor{Direction::kOlder, 1}), {}, 7);
  EXPECT_EQ(page.total, 7u);
}

}  // namespace
}  // namespace subscriberd::domain
