#include "api/request_decoding.h"

#include <simdjson.h>

#include "util/text.h"

namespace subscriberd::api {
namespace {

using domain::RawField;

// "application/json; charset=utf-8" -> media type "application/json", charset "utf-8".
struct MediaType {
  std::string_view type;
  std::string_view charset;
};

MediaType parse_media_type(std::string_view header) {
  MediaType media;
  std::size_t semicolon = header.find(';');
  media.type = text::trim(header.substr(0, semicolon));
  while (semicolon != std::string_view::npos) {
    std::size_t next = header.find(';', semicolon + 1);
    std::string_view param = text::trim(header.substr(semicolon + 1, next == std::string_view::npos
                                                                         ? std::string_view::npos
                                                                         : next - semicolon - 1));
    std::size_t eq = param.find('=');
    if (eq != std::string_view::npos &&
        text::iequals_ascii(text::trim(param.substr(0, eq)), "charset")) {
      std::string_view value = text::trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      media.charset = value;
    }
    semicolon = next;
  }
  return media;
}

RawField* field_for(domain::SubscriberInput& input, std::string_view name) {
  if (name == "email")
    return &input.email;
  if (name == "name")
    return &input.name;
  if (name == "last_name")
    return &input.last_name;
  if (name == "status")
    return &input.status;
  return nullptr;  // unknown fields are ignored
}

DecodedBody decode_json(std::string& body) {
  DecodedBody decoded;
  // One parser per thread: its buffers are reused, so parsing allocates nothing once warm.
  thread_local simdjson::dom::parser parser;
  const std::size_t length = body.size();
  body.reserve(length + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  auto error = parser.parse(body.data(), length, false).get(root);
  if (error) {
    decoded.error = DecodedBody::Error::kMalformed;
    decoded.detail = std::string("body is not valid JSON: ") + simdjson::error_message(error);
    return decoded;
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    decoded.error = DecodedBody::Error::kMalformed;
    decoded.detail = "body must be a JSON object";
    return decoded;
  }
  for (auto [key, value] : object) {
    RawField* field = field_for(decoded.input, key);
    if (field == nullptr)
      continue;
    std::string_view text;
    if (value.is_null()) {
      *field = RawField{RawField::Kind::kNull, {}};
    } else if (!value.get_string().get(text)) {
      *field = RawField::string(std::string(text));
    } else {
      *field = RawField{RawField::Kind::kNotAString, {}};
    }
  }
  return decoded;
}

DecodedBody decode_form(std::string_view body) {
  DecodedBody decoded;
  auto params = parse_query(body);
  if (!params) {
    decoded.error = DecodedBody::Error::kMalformed;
    decoded.detail = "body is not valid application/x-www-form-urlencoded (bad % escape)";
    return decoded;
  }
  for (auto& [name, value] : *params) {
    if (RawField* field = field_for(decoded.input, name))
      *field = RawField::string(std::move(value));
  }
  return decoded;
}

}  // namespace

DecodedBody decode_subscriber_body(std::string_view content_type, std::string& body) {
  const MediaType media = parse_media_type(content_type);
  const bool utf8 = media.charset.empty() || text::iequals_ascii(media.charset, "utf-8");
  if (text::iequals_ascii(media.type, "application/json") && utf8)
    return decode_json(body);
  if (text::iequals_ascii(media.type, "application/x-www-form-urlencoded") && utf8) {
    return decode_form(body);
  }
  DecodedBody decoded;
  decoded.error = DecodedBody::Error::kUnsupportedMediaType;
  decoded.detail = content_type.empty() ? "Content-Type is missing; send application/json or "
                                          "application/x-www-form-urlencoded"
                                        : "Content-Type " + std::string(content_type) +
                                              " is not supported; send application/json or "
                                              "application/x-www-form-urlencoded (UTF-8)";
  return decoded;
}

std::optional<QueryParams> parse_query(std::string_view query) {
  QueryParams params;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t amp = query.find('&', start);
    std::string_view pair =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      auto name = text::percent_decode(pair.substr(0, eq), true);
      auto value = text::percent_decode(
          eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
      if (!name || !value)
        return std::nullopt;
      params.emplace_back(std::move(*name), std::move(*value));
    }
    if (amp == std::string_view::npos)
      break;
    start = amp + 1;
  }
  return params;
}

DecodedListRequest decode_list_request(const QueryParams& params) {
  DecodedListRequest decoded;
  for (const auto& [name, value] : params) {
    if (name == "limit" && !value.empty()) {
      auto limit = text::parse_uint64(value);
      if (!limit || *limit < 1 || *limit > domain::kMaxPageSize) {
        decoded.errors.push_back({"limit", "must be an integer from 1 to 100"});
      } else {
        decoded.request.limit = static_cast<std::size_t>(*limit);
      }
    } else if (name == "status" && !value.empty()) {
      if (auto status = domain::parse_status(value)) {
        decoded.request.status = status;
      } else {
        decoded.errors.push_back(
            {"status", "must be one of active, unsubscribed, unconfirmed, bounced, junk"});
      }
    } else if (name == "cursor" && !value.empty()) {
      decoded.request.cursor = domain::decode_cursor(value);
      decoded.bad_cursor = !decoded.request.cursor.has_value();
    }
  }
  return decoded;
}

std::optional<domain::LookupKey> decode_lookup_key(std::string_view raw) {
  auto key = text::percent_decode(raw, false);
  if (!key || key->empty())
    return std::nullopt;
  if (key->find('@') != std::string::npos) {
    return domain::LookupKey::by_email(domain::normalize_email(std::move(*key)));
  }
  if (auto id = text::parse_uint64(*key))
    return domain::LookupKey::by_id(*id);
  return std::nullopt;
}

}  // namespace subscriberd::api
