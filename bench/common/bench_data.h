#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

// The data set the benchmark preloads and then addresses: shared by the preload tool and the
// load generator (bench/lua/mix.lua repeats the same formats for wrk). Subscriber number i
// (0 <= i < N) is deterministic, so no file of e-mails has to be written or read.
namespace subscriberd::bench {

// "p<i>@preload.example.com": the e-mail of preloaded subscriber i.
inline std::string preloaded_email(std::uint64_t index) {
  return "p" + std::to_string(index) + "@preload.example.com";
}

inline constexpr std::array<std::string_view, 16> kFirstNames = {
    "Ada",   "Alan",    "Grace", "Edsger", "Barbara",  "Donald", "Frances", "John",
    "Karen", "Niklaus", "Radia", "Ken",    "Margaret", "Dennis", "Hedy",    "Tim"};
inline constexpr std::array<std::string_view, 16> kLastNames = {
    "Lovelace", "Turing", "Hopper",  "Dijkstra", "Liskov",   "Knuth",   "Allen",  "Backus",
    "Jones",    "Wirth",  "Perlman", "Thompson", "Hamilton", "Ritchie", "Lamarr", "Berners-Lee"};

inline std::string_view preloaded_name(std::uint64_t index) {
  return kFirstNames[index % kFirstNames.size()];
}
inline std::string_view preloaded_last_name(std::uint64_t index) {
  return kLastNames[(index / kFirstNames.size()) % kLastNames.size()];
}

// Status mix of the preloaded set: 80% active, 8% unconfirmed, 6% unsubscribed, 4% bounced,
// 2% junk (wire names, as in the schemas).
inline std::string_view preloaded_status(std::uint64_t index) {
  const std::uint64_t bucket = (index * 7) % 50;  // spread, not in runs of one status
  if (bucket < 40)
    return "active";
  if (bucket < 44)
    return "unconfirmed";
  if (bucket < 47)
    return "unsubscribed";
  if (bucket < 49)
    return "bounced";
  return "junk";
}

}  // namespace subscriberd::bench
