#include "cache/redis/redis_batch_cache.h"

#include <sys/time.h>
#include <utility>

#include <hiredis/hiredis.h>

#include "cache/redis/subscriber_codec.h"
#include "util/log.h"

namespace subscriberd::cache::redis {

namespace {

timeval to_timeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// The next answer on the connection, or nullptr when hiredis gave up on it.
ReplyPtr next_reply(redisContext* context) {
  void* reply = nullptr;
  if (redisGetReply(context, &reply) != REDIS_OK)
    return nullptr;
  return ReplyPtr(static_cast<redisReply*>(reply));
}

}  // namespace

RedisBatchCache::RedisBatchCache(Options options, metrics::Registry& metrics)
    : options_(std::move(options)),
      metrics_(metrics),
      backoff_(options_.first_backoff, options_.max_backoff) {}

RedisBatchCache::~RedisBatchCache() {
  if (context_ != nullptr)
    redisFree(context_);
}

bool RedisBatchCache::connected() {
  if (context_ != nullptr)
    return true;
  if (Clock::now() < retry_at_)
    return false;
  context_ = redisConnectWithTimeout(options_.address.c_str(), options_.port,
                                     to_timeval(options_.timeout));
  if (context_ == nullptr || context_->err != 0) {
    fail("cannot connect");
    return false;
  }
  if (redisSetTimeout(context_, to_timeval(options_.timeout)) != REDIS_OK) {
    fail("cannot set the timeout");
    return false;
  }
  if (options_.db != 0) {
    const std::string db = std::to_string(options_.db);
    const char* argv[] = {"SELECT", db.c_str()};
    const std::size_t lengths[] = {6, db.size()};
    auto* reply = static_cast<redisReply*>(redisCommandArgv(context_, 2, argv, lengths));
    const ReplyPtr owned(reply);
    if (!owned || owned->type != REDIS_REPLY_STATUS) {
      fail("SELECT " + db + " refused", owned && owned->type == REDIS_REPLY_ERROR
                                            ? std::string_view(owned->str, owned->len)
                                            : std::string_view());
      return false;
    }
  }
  return true;
}

void RedisBatchCache::note_answered() {
  // Only an answer proves the server is back: one that accepts connections but does not
  // answer (stalled, loading its data) keeps the backoff growing.
  backoff_.reset();
  if (failing_) {
    failing_ = false;
    log::info("redis cache answers a store writer again", {{"cache", options_.name}});
  }
}

void RedisBatchCache::fail(std::string_view what, std::string_view answer) {
  metrics_.cache_errors.inc();
  const std::string_view error = context_ != nullptr && context_->err != 0 ? context_->errstr
                                 : answer.empty()                          ? "unexpected answer"
                                                                           : answer;
  // One warning per outage and writer; the attempts that follow are debug lines.
  if (!failing_) {
    failing_ = true;
    log::warn("redis cache unavailable to a store writer; its batches go to the database alone",
              {{"cache", options_.name}, {"what", what}, {"error", error}});
  } else {
    log::debug("redis cache still unavailable to a store writer",
               {{"cache", options_.name}, {"what", what}, {"error", error}});
  }
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
  unread_fills_ = 0;
  retry_at_ = Clock::now() + backoff_.next();
}

bool RedisBatchCache::read_unread_fills() {
  for (; unread_fills_ > 0; --unread_fills_) {
    const ReplyPtr reply = next_reply(context_);
    if (!reply) {
      fail("no answer to MSET");
      return false;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      // Refused (out of memory with noeviction, say): the rows are not cached, nothing more.
      metrics_.cache_errors.inc();
      log::debug("redis cache write refused",
                 {{"error", std::string_view(reply->str, reply->len)}});
    }
  }
  return true;
}

void RedisBatchCache::find(std::span<const std::string_view> emails,
                           std::vector<std::optional<domain::Subscriber>>& known) {
  known.assign(emails.size(), std::nullopt);
  if (emails.empty() || !connected())
    return;

  keys_.clear();
  argv_.assign(1, "MGET");
  argv_lengths_.assign(1, 4);
  for (std::string_view email : emails)
    keys_.push_back(email_key(email));
  for (const std::string& key : keys_) {
    argv_.push_back(key.data());
    argv_lengths_.push_back(key.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(argv_.size()), argv_.data(),
                             argv_lengths_.data()) != REDIS_OK) {
    fail("cannot send MGET");
    return;
  }
  if (!read_unread_fills())
    return;
  const ReplyPtr reply = next_reply(context_);
  if (!reply) {
    fail("no answer to MGET");
    return;
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != emails.size()) {
    const bool refused = reply->type == REDIS_REPLY_ERROR;
    fail(refused ? "MGET refused" : "MGET answered out of turn",
         refused ? std::string_view(reply->str, reply->len) : std::string_view());
    return;
  }
  note_answered();
  for (std::size_t i = 0; i < emails.size(); ++i) {
    const redisReply* value = reply->element[i];
    if (value->type == REDIS_REPLY_NIL)
      continue;
    std::optional<domain::Subscriber> row;
    if (value->type == REDIS_REPLY_STRING)
      row = decode_subscriber(std::string_view(value->str, value->len));
    if (row && row->email == emails[i]) {
      known[i] = std::move(row);
    } else {
      // Corrupt or foreign: not known, so the database decides, and the fill overwrites it.
      metrics_.cache_errors.inc();
    }
  }
}

void RedisBatchCache::remember(std::span<const domain::Subscriber* const> rows) {
  if (rows.empty() || !connected())
    return;

  // Insert-only rows never change: no TTL; allkeys-lru evicts what is not read.
  keys_.clear();
  values_.clear();
  for (const domain::Subscriber* row : rows) {
    values_.push_back(encode_subscriber(*row));
    keys_.push_back(email_key(row->email));
    keys_.push_back(id_key(row->id));
  }
  argv_.assign(1, "MSET");
  argv_lengths_.assign(1, 4);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (const std::string* key : {&keys_[2 * i], &keys_[2 * i + 1]}) {
      argv_.push_back(key->data());
      argv_lengths_.push_back(key->size());
      argv_.push_back(values_[i].data());
      argv_lengths_.push_back(values_[i].size());
    }
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(argv_.size()), argv_.data(),
                             argv_lengths_.data()) != REDIS_OK) {
    fail("cannot send MSET");
    return;
  }
  // Sent now, answered later: the next look-up reads the answer before its own.
  for (int done = 0; done == 0;) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) {
      fail("cannot send MSET");
      return;
    }
  }
  ++unread_fills_;
}

}  // namespace subscriberd::cache::redis
