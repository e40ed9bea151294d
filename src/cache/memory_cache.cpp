#include "cache/memory_cache.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <mutex>
#include <new>

namespace subscriberd::cache {

// The header, then the text in the same allocation: e-mail, name and last name back to back.
// The e-mail comes first, so comparing it reads the header's cache line or the next one.
struct MemoryCache::Entry {
  Entry* prev = nullptr;
  Entry* next = nullptr;
  domain::SubscriberId id = 0;
  std::int64_t created_at_ms = 0;
  std::uint16_t email_length = 0;
  std::uint16_t name_length = 0;
  std::uint16_t last_name_length = 0;
  domain::Status status = domain::Status::kActive;
  mutable std::atomic<bool> referenced{false};

  static Entry* create(const domain::Subscriber& subscriber) {
    static_assert(alignof(Entry) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    const std::size_t text_length =
        subscriber.email.size() + subscriber.name.size() + subscriber.last_name.size();
    auto* entry = new (::operator new(sizeof(Entry) + text_length)) Entry;
    entry->id = subscriber.id;
    entry->created_at_ms = subscriber.created_at_ms;
    entry->status = subscriber.status;
    entry->email_length = static_cast<std::uint16_t>(subscriber.email.size());
    entry->name_length = static_cast<std::uint16_t>(subscriber.name.size());
    entry->last_name_length = static_cast<std::uint16_t>(subscriber.last_name.size());
    char* p = entry->text();
    std::memcpy(p, subscriber.email.data(), subscriber.email.size());
    std::memcpy(p + entry->email_length, subscriber.name.data(), subscriber.name.size());
    std::memcpy(p + entry->email_length + entry->name_length, subscriber.last_name.data(),
                subscriber.last_name.size());
    return entry;
  }
  static void destroy(Entry* entry) {
    const std::size_t bytes = sizeof(Entry) + entry->text_length();
    entry->~Entry();
    ::operator delete(entry, bytes);
  }
  struct Destroy {
    void operator()(Entry* entry) const { destroy(entry); }
  };

  char* text() { return reinterpret_cast<char*>(this) + sizeof(Entry); }
  const char* text() const { return reinterpret_cast<const char*>(this) + sizeof(Entry); }
  std::string_view email() const { return {text(), email_length}; }
  std::size_t text_length() const {
    return std::size_t{email_length} + name_length + last_name_length;
  }

  domain::Subscriber to_subscriber() const {
    const char* p = text();
    domain::Subscriber s;
    s.id = id;
    s.created_at_ms = created_at_ms;
    s.status = status;
    s.email.assign(p, email_length);
    s.name.assign(p + email_length, name_length);
    s.last_name.assign(p + email_length + name_length, last_name_length);
    return s;
  }
};

std::size_t MemoryCache::entry_cost(std::size_t text_length) {
  // The allocator rounds the entry up to its size class (jemalloc's are 16 bytes apart up to
  // 128 bytes): 8 bytes on average. The entry's index slots are charged with the indexes.
  constexpr std::size_t kAllocatorRoundingBytes = 8;
  return sizeof(Entry) + text_length + kAllocatorRoundingBytes;
}

MemoryCache::EmailKey::Key MemoryCache::EmailKey::key_of(const Entry& entry) {
  return entry.email();
}
std::uint64_t MemoryCache::EmailKey::hash(Key email) {
  return std::hash<std::string_view>{}(email);
}
MemoryCache::IdKey::Key MemoryCache::IdKey::key_of(const Entry& entry) {
  return entry.id;
}
std::uint64_t MemoryCache::IdKey::hash(Key id) {
  return detail::mix64(id);
}

namespace {

// The text of a short entry: real ones are nearly all longer.
constexpr std::size_t kShortText = 24;

}  // namespace

// Slots for each of the two indexes: as few as take, without growing, all the entries the rest
// of the budget holds when every entry is short. S slots in each index take 16 S bytes of the
// budget and hold 3 S / 4 entries, so S >= capacity / (16 + 3/4 of a short entry's cost).
// That is 23% of the budget (58.5 MiB of the default 256 MiB).
detail::IndexSlots MemoryCache::index_slots(std::size_t capacity_bytes) {
  constexpr std::size_t kSlotBytes = 2 * sizeof(std::uint64_t);  // one slot in each index
  const std::size_t slots = capacity_bytes * 4 / (4 * kSlotBytes + 3 * entry_cost(kShortText)) + 1;
  return {std::clamp(slots, detail::kMinIndexSlots, detail::kMaxIndexSlots)};
}

// The index slots are allocated now, for the whole budget, and charged to it from the start:
// growing an index of a million entries rereads all of them under the unique lock, and every
// look-up on every thread would wait the 100 ms or more that takes. So the cache is bounded by
// bytes (its entries plus these slots) and by count (what the indexes take without growing),
// and only entries shorter than kShortText reach the count first.
MemoryCache::MemoryCache(Options options)
    : options_(options),
      by_id_(index_slots(options.capacity_bytes)),
      by_email_(detail::IndexSlots{by_id_.slot_count()}),
      max_entries_(by_id_.capacity()),
      entry_budget_(options.capacity_bytes - std::min(options.capacity_bytes, index_bytes())),
      used_bytes_(index_bytes()) {}

MemoryCache::~MemoryCache() {
  published_.clear();  // off the metrics page before the entries go
  if (hand_ == nullptr)
    return;
  hand_->prev->next = nullptr;  // open the ring, then free it from the hand on
  for (Entry* entry = hand_; entry != nullptr;) {
    Entry* next = entry->next;
    Entry::destroy(entry);
    entry = next;
  }
}

bool MemoryCache::held_absent(const domain::LookupKey& key) const {
  const auto check = [](auto& absent, const auto& wanted) {
    if (absent.empty())
      return false;  // the usual case: no hash computed
    const auto it = absent.find(wanted);
    if (it == absent.end())
      return false;
    if (it->second < std::chrono::steady_clock::now()) {
      absent.erase(it);
      return false;
    }
    return true;
  };
  if (key.kind == domain::LookupKey::Kind::kEmail)
    return check(absent_emails_, std::string_view(key.email));
  return check(absent_ids_, key.id);
}

CacheLookup MemoryCache::lookup(const domain::LookupKey& key) const {
  {
    std::shared_lock lock(mutex_);
    const Entry* entry = key.kind == domain::LookupKey::Kind::kEmail ? by_email_.find(key.email)
                                                                     : by_id_.find(key.id);
    if (entry != nullptr) {
      // Write the flag only when it changes: a store on every hit would bounce the entry's
      // cache line between the cores of the event loops.
      if (!entry->referenced.load(std::memory_order_relaxed)) {
        entry->referenced.store(true, std::memory_order_relaxed);
      }
      return CacheLookup{CacheLookup::Kind::kHit, entry->to_subscriber()};
    }
  }
  std::lock_guard lock(negative_mutex_);
  if (!held_absent(key))
    return CacheLookup{};
  return CacheLookup{CacheLookup::Kind::kAbsent, std::nullopt};
}

boost::asio::awaitable<CacheLookup> MemoryCache::find(domain::LookupKey key) {
  co_return lookup(key);
}

void MemoryCache::remember(const domain::Subscriber& subscriber) {
  const std::size_t text_length =
      subscriber.email.size() + subscriber.name.size() + subscriber.last_name.size();
  const std::size_t cost = entry_cost(text_length);
  if (cost > entry_budget_)
    return;  // it could not fit even in an empty cache

  std::unique_ptr<Entry, Entry::Destroy> entry(Entry::create(subscriber));
  {
    std::unique_lock lock(mutex_);
    if (by_email_.find(subscriber.email) != nullptr || by_id_.find(subscriber.id) != nullptr) {
      return;  // insert-only data: what is cached is already right
    }
    while ((used_bytes_ + cost > options_.capacity_bytes || by_id_.size() >= max_entries_) &&
           hand_ != nullptr) {
      evict_one();
    }

    Entry* raw = entry.release();
    by_email_.insert(raw);
    by_id_.insert(raw);
    // Join the ring just behind the hand, so the newest entry is the last one it reaches.
    if (hand_ == nullptr) {
      raw->prev = raw->next = raw;
      hand_ = raw;
    } else {
      raw->next = hand_;
      raw->prev = hand_->prev;
      hand_->prev->next = raw;
      hand_->prev = raw;
    }
    used_bytes_ += cost;
  }

  std::lock_guard lock(negative_mutex_);
  if (!absent_emails_.empty()) {
    if (const auto it = absent_emails_.find(std::string_view(subscriber.email));
        it != absent_emails_.end()) {
      absent_emails_.erase(it);
    }
  }
  if (!absent_ids_.empty())
    absent_ids_.erase(subscriber.id);
}

void MemoryCache::evict_one() {
  // Second chance: a referenced entry loses its flag and survives one more turn of the hand.
  // Bounded: when most entries are referenced (a full cache that GETs keep warm), an unbounded
  // hand would walk up to every entry, a cache miss each, under the unique lock that every
  // look-up waits for; past kMostSecondChances the entry under the hand goes anyway.
  constexpr int kMostSecondChances = 32;
  for (int i = 0;
       i < kMostSecondChances && hand_->referenced.exchange(false, std::memory_order_relaxed);
       ++i) {
    hand_ = hand_->next;
  }
  Entry* victim = hand_;
  if (victim->next == victim) {
    hand_ = nullptr;
  } else {
    victim->prev->next = victim->next;
    victim->next->prev = victim->prev;
    hand_ = victim->next;
  }
  by_email_.erase(victim);
  by_id_.erase(victim);
  used_bytes_ -= entry_cost(victim->text_length());
  ++evictions_;
  Entry::destroy(victim);
}

void MemoryCache::remember_absent(const domain::LookupKey& key) {
  if (options_.negative_ttl.count() <= 0)
    return;
  auto deadline = std::chrono::steady_clock::now() + options_.negative_ttl;
  std::lock_guard lock(negative_mutex_);
  if (absent_emails_.size() + absent_ids_.size() >= options_.max_negative_entries) {
    absent_emails_.clear();
    absent_ids_.clear();
  }
  if (key.kind == domain::LookupKey::Kind::kEmail) {
    absent_emails_.insert_or_assign(key.email, deadline);
  } else {
    absent_ids_.insert_or_assign(key.id, deadline);
  }
}

boost::asio::awaitable<bool> MemoryCache::check_health() {
  co_return true;
}

std::string MemoryCache::describe() const {
  return "memory(" + std::to_string(options_.capacity_bytes >> 20) + " MiB)";
}

std::size_t MemoryCache::size() const {
  std::shared_lock lock(mutex_);
  return by_id_.size();
}

std::size_t MemoryCache::used_bytes() const {
  std::shared_lock lock(mutex_);
  return used_bytes_;
}

std::uint64_t MemoryCache::evictions() const {
  std::shared_lock lock(mutex_);
  return evictions_;
}

void MemoryCache::publish_metrics(metrics::Registry& registry) {
  using metrics::SeriesType;
  published_.push_back(registry.sample("subscriberd_cache_memory_entries", SeriesType::kGauge,
                                       "Subscribers held in the in-process cache.",
                                       [this] { return size(); }));
  published_.push_back(registry.sample(
      "subscriberd_cache_memory_used_bytes", SeriesType::kGauge,
      "Bytes of the in-process cache's budget in use: its index slots, allocated at start, "
      "and its entries.",
      [this] { return used_bytes(); }));
  published_.push_back(registry.sample(
      "subscriberd_cache_memory_capacity_bytes", SeriesType::kGauge,
      "The in-process cache's budget in bytes (--cache-size, or local_mb in front of Redis).",
      [this] { return options_.capacity_bytes; }));
  published_.push_back(
      registry.sample("subscriberd_cache_memory_evictions_total", SeriesType::kCounter,
                      "Subscribers evicted from the in-process cache to keep within its budget.",
                      [this] { return evictions(); }));
}

}  // namespace subscriberd::cache
