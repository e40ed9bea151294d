#include "cache/memory_cache.h"

#include <cstring>
#include <functional>
#include <mutex>

namespace subscriberd::cache {

struct MemoryCache::Entry {
  Entry* prev = nullptr;
  Entry* next = nullptr;
  domain::SubscriberId id = 0;
  std::int64_t created_at_ms = 0;
  std::unique_ptr<char[]> text;  // e-mail, name and last name back to back: one allocation
  std::uint16_t email_length = 0;
  std::uint16_t name_length = 0;
  std::uint16_t last_name_length = 0;
  domain::Status status = domain::Status::kActive;
  mutable std::atomic<bool> referenced{false};

  std::string_view email() const { return {text.get(), email_length}; }
  std::size_t text_length() const {
    return std::size_t{email_length} + name_length + last_name_length;
  }

  domain::Subscriber to_subscriber() const {
    const char* p = text.get();
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
  // Beyond the entry and its text: two hash nodes, their buckets and allocator headers.
  constexpr std::size_t kIndexOverheadBytes = 96;
  return sizeof(Entry) + text_length + kIndexOverheadBytes;
}

std::size_t MemoryCache::EmailHash::operator()(std::string_view email) const {
  return std::hash<std::string_view>{}(email);
}
std::size_t MemoryCache::EmailHash::operator()(const Entry* entry) const {
  return (*this)(entry->email());
}
bool MemoryCache::EmailEqual::operator()(const Entry* a, const Entry* b) const {
  return a->email() == b->email();
}
bool MemoryCache::EmailEqual::operator()(std::string_view a, const Entry* b) const {
  return a == b->email();
}
bool MemoryCache::EmailEqual::operator()(const Entry* a, std::string_view b) const {
  return a->email() == b;
}

MemoryCache::MemoryCache(Options options) : options_(options) {
  // Buckets for as many entries as the budget can hold, allocated now: growing a table of a
  // million entries rehashes all of them under the unique lock, and every look-up on every
  // thread would wait the 100 ms or more that takes. They are part of entry_cost's index
  // overhead, so the budget still bounds the total; they are just paid up front (about 9% of
  // the budget: 24 MB of the default 256 MiB).
  constexpr std::size_t kShortText = 24;
  const std::size_t most_entries = options_.capacity_bytes / entry_cost(kShortText);
  by_id_.reserve(most_entries);
  by_email_.reserve(most_entries);
}

MemoryCache::~MemoryCache() {
  for (auto& [id, entry] : by_id_)
    delete entry;
}

std::string MemoryCache::negative_key(const domain::LookupKey& key) {
  if (key.kind == domain::LookupKey::Kind::kEmail)
    return "e:" + key.email;
  return "i:" + std::to_string(key.id);
}

CacheLookup MemoryCache::lookup(const domain::LookupKey& key) const {
  {
    std::shared_lock lock(mutex_);
    const Entry* entry = nullptr;
    if (key.kind == domain::LookupKey::Kind::kEmail) {
      auto it = by_email_.find(std::string_view(key.email));
      if (it != by_email_.end())
        entry = *it;
    } else {
      auto it = by_id_.find(key.id);
      if (it != by_id_.end())
        entry = it->second;
    }
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
  if (negative_.empty())
    return CacheLookup{};
  auto it = negative_.find(negative_key(key));
  if (it == negative_.end())
    return CacheLookup{};
  if (it->second < std::chrono::steady_clock::now()) {
    negative_.erase(it);
    return CacheLookup{};
  }
  return CacheLookup{CacheLookup::Kind::kAbsent, std::nullopt};
}

boost::asio::awaitable<CacheLookup> MemoryCache::find(domain::LookupKey key) {
  co_return lookup(key);
}

void MemoryCache::remember(const domain::Subscriber& subscriber) {
  const std::size_t text_length =
      subscriber.email.size() + subscriber.name.size() + subscriber.last_name.size();
  const std::size_t cost = entry_cost(text_length);
  if (cost > options_.capacity_bytes)
    return;

  auto entry = std::make_unique<Entry>();
  entry->id = subscriber.id;
  entry->created_at_ms = subscriber.created_at_ms;
  entry->status = subscriber.status;
  entry->email_length = static_cast<std::uint16_t>(subscriber.email.size());
  entry->name_length = static_cast<std::uint16_t>(subscriber.name.size());
  entry->last_name_length = static_cast<std::uint16_t>(subscriber.last_name.size());
  entry->text = std::make_unique_for_overwrite<char[]>(text_length);
  char* p = entry->text.get();
  std::memcpy(p, subscriber.email.data(), subscriber.email.size());
  std::memcpy(p + entry->email_length, subscriber.name.data(), subscriber.name.size());
  std::memcpy(p + entry->email_length + entry->name_length, subscriber.last_name.data(),
              subscriber.last_name.size());

  {
    std::unique_lock lock(mutex_);
    if (by_email_.find(subscriber.email) != by_email_.end() || by_id_.contains(subscriber.id)) {
      return;  // insert-only data: what is cached is already right
    }
    while (used_bytes_ + cost > options_.capacity_bytes && hand_ != nullptr)
      evict_one();

    Entry* raw = entry.release();
    by_email_.insert(raw);
    by_id_.emplace(raw->id, raw);
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
  if (!negative_.empty()) {
    negative_.erase("e:" + subscriber.email);
    negative_.erase("i:" + std::to_string(subscriber.id));
  }
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
  by_id_.erase(victim->id);
  used_bytes_ -= entry_cost(victim->text_length());
  delete victim;
}

void MemoryCache::remember_absent(const domain::LookupKey& key) {
  if (options_.negative_ttl.count() <= 0)
    return;
  auto deadline = std::chrono::steady_clock::now() + options_.negative_ttl;
  std::lock_guard lock(negative_mutex_);
  if (negative_.size() >= options_.max_negative_entries)
    negative_.clear();
  negative_.insert_or_assign(negative_key(key), deadline);
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

}  // namespace subscriberd::cache
