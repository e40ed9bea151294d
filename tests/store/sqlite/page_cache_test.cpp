#include "store/sqlite/page_cache.h"

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "scratch_dir.h"
#include "store/sqlite/sqlite_handle.h"

namespace subscriberd::store::sqlite {
namespace {

// SQLite takes a page cache only before it initializes: installed here, before main and so
// before any test in this binary uses SQLite, as the store installs it before its first
// connection.
const bool kPageCacheInstalled = install_page_cache();

class PageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(kPageCacheInstalled); }

  Connection open() {
    Connection db = open_connection(path_, false);
    exec(db.get(),
         "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, k TEXT NOT NULL);"
         "CREATE UNIQUE INDEX IF NOT EXISTS t_k ON t (k)");
    return db;
  }

  // Rows whose keys land all over the index, as new e-mails do, so that leaves split.
  static void insert_rows(sqlite3* db, std::string_view prefix, int first, int count) {
    Statement insert(db, "INSERT INTO t (k) VALUES (?)");
    for (int i = first; i < first + count; ++i) {
      const std::string key =
          std::to_string((i * 7919) % 100'003) + "-" + std::string(prefix) + std::to_string(i);
      sqlite3_stmt* stmt = insert.fresh();
      insert.bind(1, key);
      ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
      sqlite3_reset(stmt);
    }
  }

  static std::string integrity(sqlite3* db) {
    Statement check(db, "PRAGMA integrity_check");
    sqlite3_stmt* stmt = check.fresh();
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sqlite3_errmsg(db);
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    return text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }

  test_support::ScratchDir dir_{"page-cache"};
  std::string path_ = dir_.file("test.db");
};

TEST_F(PageCacheTest, SkipsTheTruncationsAtTheEndOfCommitsThatSplitPages) {
  Connection db = open();
  const PageCacheCounts before = page_cache_counts();
  for (int batch = 0; batch < 500; ++batch) {
    exec(db.get(), "BEGIN IMMEDIATE");
    insert_rows(db.get(), "k", batch * 40, 40);
    exec(db.get(), "COMMIT");
  }
  const PageCacheCounts after = page_cache_counts();

  // Each of those commits ended with a truncation that could drop no page.
  EXPECT_GE(after.truncations_skipped - before.truncations_skipped, 500U);
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM t"), 20'000);
  EXPECT_EQ(integrity(db.get()), "ok");
}

TEST_F(PageCacheTest, PassesOnTheTruncationThatDropsARolledBackGrowth) {
  Connection db = open();
  exec(db.get(), "BEGIN IMMEDIATE");
  insert_rows(db.get(), "kept-", 0, 2'000);
  exec(db.get(), "COMMIT");
  const std::int64_t pages = query_int(db.get(), "PRAGMA page_count");

  // Grows the file by many pages in the cache alone, then gives them up.
  const PageCacheCounts before = page_cache_counts();
  exec(db.get(), "BEGIN IMMEDIATE");
  insert_rows(db.get(), "rolled-back-", 2'000, 20'000);
  EXPECT_GT(query_int(db.get(), "PRAGMA page_count"), pages + 100);
  exec(db.get(), "ROLLBACK");
  const PageCacheCounts after = page_cache_counts();
  EXPECT_GT(after.truncations_passed_on, before.truncations_passed_on);
  EXPECT_EQ(query_int(db.get(), "PRAGMA page_count"), pages);

  // Pages numbered as the dropped ones were are made afresh, not found in the cache.
  exec(db.get(), "BEGIN IMMEDIATE");
  insert_rows(db.get(), "later-", 22'000, 5'000);
  exec(db.get(), "COMMIT");
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM t"), 7'000);
  EXPECT_EQ(query_int(db.get(), "SELECT count(*) FROM t WHERE k LIKE '%rolled-back-%'"), 0);
  EXPECT_EQ(integrity(db.get()), "ok");

  // And another connection, with a cache of its own, reads the same.
  Connection other = open_connection(path_, true);
  EXPECT_EQ(query_int(other.get(), "SELECT count(*) FROM t"), 7'000);
  EXPECT_EQ(integrity(other.get()), "ok");
}

// Drives one cache through the installed methods, as SQLite would, at random: pages made,
// dropped, renumbered (the lock-byte page's number among the others, as page splits use it)
// and truncated. After each truncation the cache below must hold exactly the pages a cache
// that never skips would: none at or beyond the limit.
TEST_F(PageCacheTest, NeverSkipsATruncationThatWouldDropAPage) {
  const sqlite3_pcache_methods2* methods = installed_page_cache_methods();
  ASSERT_NE(methods, nullptr);
  constexpr int kPageSize = 4096;
  constexpr unsigned kLockBytePage = 0x40000000 / kPageSize + 1;
  sqlite3_pcache* cache = methods->xCreate(kPageSize, 8, 0);  // not purgeable: never evicts
  ASSERT_NE(cache, nullptr);

  std::mt19937 random(20261128);
  auto any_page = [&] { return random() % 8 == 0 ? kLockBytePage : 1 + random() % 64; };
  std::set<unsigned> held;  // what the cache below should hold
  auto drop = [&](unsigned page_number) {
    sqlite3_pcache_page* page = methods->xFetch(cache, page_number, 0);
    ASSERT_NE(page, nullptr);
    methods->xUnpin(cache, page, 1);
    held.erase(page_number);
  };
  for (int step = 0; step < 20'000; ++step) {
    switch (random() % 4) {
      case 0: {
        const unsigned page_number = any_page();
        sqlite3_pcache_page* page = methods->xFetch(cache, page_number, 2);
        ASSERT_NE(page, nullptr);
        methods->xUnpin(cache, page, 0);
        held.insert(page_number);
        break;
      }
      case 1:
        if (const unsigned page_number = any_page(); held.count(page_number) != 0)
          drop(page_number);
        break;
      case 2: {
        const unsigned from = any_page();
        const unsigned to = any_page();
        if (held.count(from) == 0 || from == to)
          break;
        if (held.count(to) != 0)
          drop(to);  // SQLite drops a page already at the new number before it moves one there
        sqlite3_pcache_page* page = methods->xFetch(cache, from, 0);
        ASSERT_NE(page, nullptr);
        methods->xRekey(cache, page, from, to);
        methods->xUnpin(cache, page, 0);
        held.erase(from);
        held.insert(to);
        break;
      }
      default: {
        const unsigned limit =
            random() % 4 == 0 ? kLockBytePage - 1 + random() % 3 : 1 + random() % 72;
        methods->xTruncate(cache, limit);
        held.erase(held.lower_bound(limit), held.end());
        ASSERT_EQ(methods->xPagecount(cache), static_cast<int>(held.size()))
            << "after truncating to " << limit << " at step " << step;
      }
    }
  }
  methods->xDestroy(cache);
}

}  // namespace
}  // namespace subscriberd::store::sqlite
