#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <netinet/in.h>
#include <vector>

#include "loadgen/scenario.h"

// The load generator's engine: each thread drives its connections from one epoll loop of its
// own. A request costs the thread one send, one receive and a share of one epoll wait; the wait's
// timeout (nanoseconds, epoll_pwait2) paces an open loop, so no timer is re-armed per request.
namespace subscriberd::bench {

using Clock = std::chrono::steady_clock;

// When requests are due, shared by every thread.
struct Schedule {
  bool open_loop = false;
  Clock::time_point start;           // the first request is due
  Clock::time_point end;             // closed loop: no request starts after it
  Clock::time_point drain_deadline;  // open loop: no late request starts after it
  double period_ns = 0;              // open loop: between two due times
  std::uint64_t total_slots = 0;     // open loop: requests in the schedule
  std::atomic<std::uint64_t> next_slot{0};
  std::atomic<std::uint64_t> get_all_next{0};

  Clock::time_point due(std::uint64_t slot) const;
};

struct Stats {
  std::vector<std::uint32_t> latency_us;  // every complete response
  // The same latencies by request kind: which kind makes the tail.
  std::array<std::vector<std::uint32_t>, kOpCount> latency_us_by_op;
  // With a timeline: when each answered request was due, and how long it took. Shows whether
  // the slow requests are spread out or clustered in stalls.
  struct TimelinePoint {
    std::uint32_t intended_us;  // from the start of the run
    std::uint32_t latency_us;
    Op op;
  };
  std::vector<TimelinePoint> timeline;
  std::map<unsigned, std::uint64_t> statuses;
  std::uint64_t connect_errors = 0;
  std::uint64_t io_errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t protocol_errors = 0;
  Clock::time_point last_completion{};

  void merge(const Stats& other);
};

struct DriverSettings {
  sockaddr_in endpoint{};
  const Mix* mix = nullptr;
  const ScenarioSettings* scenario = nullptr;
  Clock::duration timeout{};
  bool record_timeline = false;
};

// Runs connections numbered first, first + step, ... below `connections` until the schedule is
// over and every request in flight has been answered or has timed out. Returns false (with a
// message on stderr) only when the thread could not set itself up.
bool drive(const DriverSettings& settings, Schedule& schedule, unsigned first, unsigned step,
           unsigned connections, Stats& stats);

// A blocking TCP connection to `endpoint` with Nagle off; -1 when it cannot be made.
int connect_blocking(const sockaddr_in& endpoint);

}  // namespace subscriberd::bench
