#include "loadgen/scenario.h"

#include <array>
#include <charconv>
#include <functional>

#include "common/bench_data.h"

namespace subscriberd::bench {
namespace {

constexpr std::array<std::pair<Op, std::string_view>, 7> kNames = {{
    {Op::kPostNew, "post_new"},
    {Op::kPostExisting, "post_existing"},
    {Op::kGetExisting, "get_existing"},
    {Op::kGetAbsent, "get_absent"},
    {Op::kList, "list"},
    {Op::kStatic, "static"},
    {Op::kGetAll, "get_all"},
}};

}  // namespace

std::optional<Op> op_from_name(std::string_view name) {
  for (const auto& [op, text] : kNames) {
    if (text == name)
      return op;
  }
  return std::nullopt;
}

std::string_view op_name(Op op) {
  for (const auto& [candidate, text] : kNames) {
    if (candidate == op)
      return text;
  }
  return "?";
}

std::optional<Mix> Mix::parse(std::string_view text) {
  std::vector<std::pair<Op, double>> weights;
  double total = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const std::size_t equals = item.find('=');
    const std::string_view name = item.substr(0, equals);
    double weight = 1;
    if (equals != std::string_view::npos) {
      const std::string_view number = item.substr(equals + 1);
      auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), weight);
      if (ec != std::errc{} || end != number.data() + number.size() || weight < 0)
        return std::nullopt;
    }
    auto op = op_from_name(name);
    if (!op)
      return std::nullopt;
    if (weight > 0)
      weights.emplace_back(*op, weight);
    total += weight;
  }
  if (weights.empty() || total <= 0)
    return std::nullopt;
  Mix mix;
  double running = 0;
  for (const auto& [op, weight] : weights) {
    running += weight / total;
    mix.cumulative_.emplace_back(op, running);
  }
  mix.cumulative_.back().second = 1.0;
  return mix;
}

Op Mix::pick(std::mt19937_64& rng) const {
  if (cumulative_.size() == 1)
    return cumulative_.front().first;
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  for (const auto& [op, bound] : cumulative_) {
    if (u < bound)
      return op;
  }
  return cumulative_.back().first;
}

bool Mix::contains(Op op) const {
  for (const auto& [candidate, bound] : cumulative_) {
    if (candidate == op)
      return true;
  }
  return false;
}

RequestFactory::RequestFactory(const ScenarioSettings& settings, std::uint32_t connection,
                               std::atomic<std::uint64_t>& get_all_next)
    : settings_(settings),
      connection_(connection),
      get_all_next_(get_all_next),
      rng_(std::hash<std::string>{}(settings.nonce) ^ (0x9e3779b97f4a7c15ULL * (connection + 1))) {}

std::uint64_t RequestFactory::random_preloaded() {
  return std::uniform_int_distribution<std::uint64_t>(0, settings_.preloaded - 1)(rng_);
}

void RequestFactory::made_up_email(std::string_view kind, std::string_view domain) {
  scratch_ = 'p';
  scratch_ += std::to_string(random_preloaded());
  scratch_ += '-';
  scratch_ += kind;
  scratch_ += '-';
  scratch_ += settings_.nonce;
  scratch_ += '-';
  scratch_ += std::to_string(connection_);
  scratch_ += '-';
  scratch_ += std::to_string(counter_++);
  scratch_ += '@';
  scratch_ += domain;
}

void RequestFactory::get(std::string_view target, std::string& out) const {
  out += "GET ";
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += settings_.host_header;
  out += "\r\nAccept: application/json\r\n\r\n";
}

void RequestFactory::post_json(std::string_view email, std::string_view name,
                               std::string_view last_name, std::string& out) const {
  std::string body;
  body.reserve(128);
  body += R"({"email":")";
  body += email;
  body += R"(","name":")";
  body += name;
  body += R"(","last_name":")";
  body += last_name;
  body += R"(","status":"active"})";
  out += "POST /api/subscribers HTTP/1.1\r\nHost: ";
  out += settings_.host_header;
  out += "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
}

bool RequestFactory::build(Op op, std::string& out) {
  out.clear();
  switch (op) {
    case Op::kPostNew:
      made_up_email("n", "bench.example.com");
      post_json(scratch_, "Bench", "New", out);
      return true;
    case Op::kPostExisting: {
      const std::uint64_t i = random_preloaded();
      post_json(preloaded_email(i), preloaded_name(i), preloaded_last_name(i), out);
      return true;
    }
    case Op::kGetExisting:
      get("/api/subscribers/" + preloaded_email(random_preloaded()), out);
      return true;
    case Op::kGetAbsent:
      made_up_email("a", "absent.example.com");
      get("/api/subscribers/" + scratch_, out);
      return true;
    case Op::kList: {
      std::string target = "/api/subscribers?" + settings_.list_query;
      if (!settings_.cursors.empty()) {
        const auto pick =
            std::uniform_int_distribution<std::size_t>(0, settings_.cursors.size() - 1)(rng_);
        target += "&cursor=";
        target += settings_.cursors[pick];
      }
      get(target, out);
      return true;
    }
    case Op::kStatic:
      get(settings_.static_path, out);
      return true;
    case Op::kGetAll: {
      const std::uint64_t i = get_all_next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= settings_.preloaded)
        return false;
      get("/api/subscribers/" + preloaded_email(i), out);
      return true;
    }
  }
  return false;
}

}  // namespace subscriberd::bench
