#pragma once

#include <cstdint>

#include <sqlite3.h>

// SQLite's own page cache with one difference: truncations that cannot drop a page are skipped.
//
// At the end of every write transaction SQLite truncates its page cache to the database's
// size. Its cache keeps the largest page number it has held, and when that lies far beyond the
// limit it walks every bucket and every cached page to find the ones to drop. A page
// split renumbers a page through the lock-byte page's number (the page holding the byte
// SQLite locks, PENDING_BYTE, at 1 GiB: never a database page); the cache then remembers that
// number as its largest, and the next truncation walks the whole cache to drop nothing. With new
// e-mails all over the index most commits split a page, and those walks were 15% of the writer's
// time (docs/performance-history.md, fifteenth round).
//
// This layer keeps a bound of its own: the largest page number fetched or renumbered to since
// the last truncation it passed on, apart from the lock-byte page's, of which it remembers
// whether a page holds it now. It passes a truncation on whenever a page could lie at or beyond
// the limit, and never drops or keeps a page itself: at worst it passes on one that finds
// nothing, as SQLite's cache would walk for nothing anyway.
namespace subscriberd::store::sqlite {

// Makes this page cache SQLite's for the whole process; later calls return the first one's
// answer. SQLite accepts a page cache only before it initializes, that is before its first
// connection or VFS, and no other SQLite call may run meanwhile: returns false, leaving
// SQLite's own cache in place, when that moment has passed.
bool install_page_cache();

// The methods installed, or nullptr if none were: for tests, which drive a cache directly.
const sqlite3_pcache_methods2* installed_page_cache_methods();

// Truncations skipped and passed on since start, over all connections: for tests.
struct PageCacheCounts {
  std::uint64_t truncations_skipped = 0;
  std::uint64_t truncations_passed_on = 0;
};
PageCacheCounts page_cache_counts();

}  // namespace subscriberd::store::sqlite
