#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// What the load generator sends: the benchmark's scenarios as request kinds, a weighted mix of
// them, and the bytes of each request.
namespace subscriberd::bench {

enum class Op : std::uint8_t {
  kPostNew,       // POST a subscriber whose e-mail was never sent before (201)
  kPostExisting,  // POST a preloaded subscriber again (409)
  kGetExisting,   // GET a preloaded subscriber at random (200)
  kGetAbsent,     // GET an e-mail that was never stored, never asked twice (404)
  kList,          // GET a list page at a random pre-walked cursor (200)
  kStatic,        // GET / (the nginx reference)
  kGetAll,        // GET every preloaded subscriber once, in order (cache warm-up)
};
inline constexpr std::size_t kOpCount = static_cast<std::size_t>(Op::kGetAll) + 1;

std::optional<Op> op_from_name(std::string_view name);
std::string_view op_name(Op op);

// "post_new=35,post_existing=15,get_existing=50" -> weighted ops.
class Mix {
 public:
  static std::optional<Mix> parse(std::string_view text);
  Op pick(std::mt19937_64& rng) const;
  bool contains(Op op) const;
  std::size_t kinds() const { return cumulative_.size(); }

 private:
  std::vector<std::pair<Op, double>> cumulative_;  // upper bounds in [0, 1]
};

struct ScenarioSettings {
  std::string host_header;  // "127.0.0.1:8080"
  std::string nonce;        // makes new e-mails unique across runs
  std::uint64_t preloaded = 1'000'000;
  std::vector<std::string> cursors;  // for kList; none: the first page
  std::string list_query = "limit=25";
  std::string static_path = "/";
};

// Builds requests for one connection. E-mails it makes up (kPostNew, kGetAbsent) carry the run's
// nonce, the connection number and a counter, so they never repeat across connections or runs.
class RequestFactory {
 public:
  RequestFactory(const ScenarioSettings& settings, std::uint32_t connection,
                 std::atomic<std::uint64_t>& get_all_next);

  // Writes the request into `out`; false when kGetAll has covered the whole preloaded set.
  bool build(Op op, std::string& out);
  std::mt19937_64& rng() { return rng_; }

 private:
  // Into scratch_: p<i>-<kind>-<nonce>-<connection>-<counter>@<domain>, i a random preloaded
  // subscriber. It sorts right beside p<i>@preload.example.com, so made-up e-mails land all over
  // the store's e-mail index, as real sign-ups and look-ups do, not in a few pages of their own.
  void made_up_email(std::string_view kind, std::string_view domain);
  void get(std::string_view target, std::string& out) const;
  void post_json(std::string_view email, std::string_view name, std::string_view last_name,
                 std::string& out) const;
  std::uint64_t random_preloaded();

  const ScenarioSettings& settings_;
  std::uint32_t connection_;
  std::atomic<std::uint64_t>& get_all_next_;
  std::uint64_t counter_ = 0;
  std::mt19937_64 rng_;
  std::string scratch_;
};

}  // namespace subscriberd::bench
