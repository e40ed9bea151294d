#include "store/sqlite/page_cache.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <new>

#include <sqlite3.h>

namespace subscriberd::store::sqlite {
namespace {

// The byte SQLite locks files at (PENDING_BYTE), 1 GiB in: the page holding it is never a
// database page.
constexpr unsigned kLockByteOffset = 0x40000000;

// SQLite's own page cache, which every call below ends in, and this one's methods once
// SQLite took them (xCreate stays null until then).
sqlite3_pcache_methods2 g_inner{};
sqlite3_pcache_methods2 g_installed{};

std::atomic<std::uint64_t> g_skipped{0};
std::atomic<std::uint64_t> g_passed_on{0};

// One connection's cache. SQLite calls a cache from one thread at a time (its connection's).
struct FilteredCache {
  sqlite3_pcache* inner = nullptr;
  unsigned lock_byte_page = 0;
  bool lock_byte_page_held = false;
  unsigned bound = 0;  // no page held has a larger number, the lock-byte page's apart

  void saw(unsigned page) {
    if (page == lock_byte_page)
      lock_byte_page_held = true;
    else
      bound = std::max(bound, page);
  }
};

FilteredCache* filtered(sqlite3_pcache* cache) {
  return reinterpret_cast<FilteredCache*>(cache);
}

sqlite3_pcache* create(int page_size, int extra_size, int purgeable) {
  sqlite3_pcache* inner = g_inner.xCreate(page_size, extra_size, purgeable);
  if (inner == nullptr)
    return nullptr;
  auto* cache = new (std::nothrow) FilteredCache;
  if (cache == nullptr) {
    g_inner.xDestroy(inner);
    return nullptr;
  }
  cache->inner = inner;
  cache->lock_byte_page = kLockByteOffset / static_cast<unsigned>(page_size) + 1;
  return reinterpret_cast<sqlite3_pcache*>(cache);
}

void set_size(sqlite3_pcache* cache, int pages) {
  g_inner.xCachesize(filtered(cache)->inner, pages);
}

int page_count(sqlite3_pcache* cache) {
  return g_inner.xPagecount(filtered(cache)->inner);
}

sqlite3_pcache_page* fetch(sqlite3_pcache* cache, unsigned page, int create_flag) {
  FilteredCache* c = filtered(cache);
  c->saw(page);  // counted whether or not it is found or made: the bound may only be too high
  return g_inner.xFetch(c->inner, page, create_flag);
}

void unpin(sqlite3_pcache* cache, sqlite3_pcache_page* page, int discard) {
  g_inner.xUnpin(filtered(cache)->inner, page, discard);
}

void rekey(sqlite3_pcache* cache, sqlite3_pcache_page* page, unsigned from, unsigned to) {
  FilteredCache* c = filtered(cache);
  // SQLite drops any page already at `to` before it moves one there, so at most one page
  // holds the lock-byte page's number.
  if (from == c->lock_byte_page && to != c->lock_byte_page)
    c->lock_byte_page_held = false;
  c->saw(to);
  g_inner.xRekey(c->inner, page, from, to);
}

void truncate(sqlite3_pcache* cache, unsigned limit) {
  FilteredCache* c = filtered(cache);
  const bool lock_byte_page_dropped = c->lock_byte_page_held && c->lock_byte_page >= limit;
  if (c->bound < limit && !lock_byte_page_dropped) {
    g_skipped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_passed_on.fetch_add(1, std::memory_order_relaxed);
  g_inner.xTruncate(c->inner, limit);
  if (c->lock_byte_page >= limit)
    c->lock_byte_page_held = false;
  c->bound = limit == 0 ? 0 : std::min(c->bound, limit - 1);
}

void destroy(sqlite3_pcache* cache) {
  FilteredCache* c = filtered(cache);
  g_inner.xDestroy(c->inner);
  delete c;
}

void shrink(sqlite3_pcache* cache) {
  g_inner.xShrink(filtered(cache)->inner);
}

void install() {
  if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &g_inner) != SQLITE_OK)
    return;
  sqlite3_pcache_methods2 methods = g_inner;  // xInit, xShutdown and pArg stay SQLite's
  methods.xCreate = create;
  methods.xCachesize = set_size;
  methods.xPagecount = page_count;
  methods.xFetch = fetch;
  methods.xUnpin = unpin;
  methods.xRekey = rekey;
  methods.xTruncate = truncate;
  methods.xDestroy = destroy;
  methods.xShrink = shrink;
  if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK)
    g_installed = methods;
}

std::mutex g_install_mutex;
bool g_tried = false;

}  // namespace

bool install_page_cache() {
  std::lock_guard lock(g_install_mutex);
  if (!g_tried) {
    g_tried = true;
    install();
  }
  return g_installed.xCreate != nullptr;
}

const sqlite3_pcache_methods2* installed_page_cache_methods() {
  std::lock_guard lock(g_install_mutex);
  return g_installed.xCreate != nullptr ? &g_installed : nullptr;
}

PageCacheCounts page_cache_counts() {
  return {g_skipped.load(std::memory_order_relaxed), g_passed_on.load(std::memory_order_relaxed)};
}

}  // namespace subscriberd::store::sqlite
