#include "cache/redis/subscriber_codec.h"

#include "domain/email.h"
#include "domain/validation.h"
#include "util/text.h"

namespace subscriberd::cache::redis {
namespace {

// A name is at most kMaxNameLength code points of at most 4 bytes each.
constexpr std::size_t kMaxNameBytes = domain::kMaxNameLength * 4;

// The status byte is the enumerator's value, which is its index in kAllStatuses.
static_assert(static_cast<std::size_t>(domain::Status::kJunk) == domain::kAllStatuses.size() - 1);

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

void put_text(std::string& out, std::string_view text) {
  put_varint(out, text.size());
  out.append(text);
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool byte(std::uint8_t& out) {
    if (rest_.empty())
      return false;
    out = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return true;
  }

  // At most 10 bytes; the tenth may only carry the top bit of a 64-bit value.
  bool varint(std::uint64_t& out) {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = 0;
      if (!byte(b))
        return false;
      if (shift == 63 && b > 1)
        return false;
      value |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        out = value;
        return true;
      }
    }
    return false;
  }

  bool text(std::string& out, std::size_t max_bytes) {
    std::uint64_t length = 0;
    if (!varint(length) || length > max_bytes || length > rest_.size())
      return false;
    out.assign(rest_.data(), static_cast<std::size_t>(length));
    rest_.remove_prefix(static_cast<std::size_t>(length));
    return text::utf8_length(out).has_value();
  }

  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

std::string email_key(std::string_view email) {
  std::string key = "sub:e:";
  key.append(email);
  return key;
}

std::string id_key(domain::SubscriberId id) {
  return "sub:i:" + std::to_string(id);
}

std::string negative_key(const domain::LookupKey& key) {
  if (key.kind == domain::LookupKey::Kind::kEmail)
    return "sub:n:e:" + key.email;
  return "sub:n:i:" + std::to_string(key.id);
}

std::string positive_key(const domain::LookupKey& key) {
  if (key.kind == domain::LookupKey::Kind::kEmail)
    return email_key(key.email);
  return id_key(key.id);
}

std::string encode_subscriber(const domain::Subscriber& s) {
  std::string out;
  out.reserve(1 + 10 + 10 + 1 + 3 * 2 + s.email.size() + s.name.size() + s.last_name.size());
  out.push_back(static_cast<char>(kValueFormat));
  put_varint(out, s.id);
  put_varint(out, zigzag(s.created_at_ms));
  out.push_back(static_cast<char>(s.status));
  put_text(out, s.email);
  put_text(out, s.name);
  put_text(out, s.last_name);
  return out;
}

std::optional<domain::Subscriber> decode_subscriber(std::string_view value) {
  Reader in(value);
  domain::Subscriber s;
  std::uint8_t format = 0;
  std::uint64_t created = 0;
  std::uint8_t status = 0;
  if (!in.byte(format) || format != kValueFormat)
    return std::nullopt;
  if (!in.varint(s.id) || !in.varint(created) || !in.byte(status))
    return std::nullopt;
  if (status >= domain::kAllStatuses.size())
    return std::nullopt;
  s.created_at_ms = unzigzag(created);
  s.status = domain::kAllStatuses[status];
  if (!in.text(s.email, domain::kMaxEmailLength) || s.email.empty())
    return std::nullopt;
  if (!in.text(s.name, kMaxNameBytes) || !in.text(s.last_name, kMaxNameBytes)) {
    return std::nullopt;
  }
  if (!in.done())
    return std::nullopt;
  return s;
}

}  // namespace subscriberd::cache::redis
