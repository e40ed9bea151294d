// loadgen: the benchmark's HTTP load generator.
//
// Open loop (--rate R > 0): requests are due at fixed intended times, start + k/R, shared by all
// connections; a free connection takes the next due request, waits for its time if it is still
// ahead, or sends it at once if it is already late. Latency is measured from the intended time,
// so a stalled server is charged for every request that queued behind the stall (no coordinated
// omission). Requests still unsent when the schedule ends are drained for --drain seconds; those
// never sent are counted as errors ("unsent").
//
// Closed loop (--rate 0): every connection sends its next request as soon as the previous answer
// arrived, until --duration passes (or, for get_all, the preloaded set is covered).
//
// One request per connection at a time (no pipelining), connections kept alive, every request
// bounded by --timeout. Prints a human summary and one machine-readable "RESULT k=v ..." line.
// The engine (driver.h) is one epoll loop per thread, so the load generator takes as little of
// the machine's CPU as it can from the server it measures.

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "loadgen/driver.h"
#include "loadgen/http_response.h"
#include "loadgen/scenario.h"

namespace {

namespace bench = subscriberd::bench;
using bench::Clock;

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  unsigned connections = 64;
  unsigned threads = 1;
  double duration_s = 10;
  double rate = 0;  // requests per second over all connections; 0: closed loop
  std::string mix = "get_existing";
  std::uint64_t preloaded = 1'000'000;
  std::string nonce = "0";
  std::string cursors_file;
  std::string list_query = "limit=25";
  std::string static_path = "/";
  std::set<unsigned> expect;  // statuses that count as success; empty: derived from the mix
  double timeout_s = 5;
  double drain_s = 2;
  std::string label = "run";
  std::string timeline_file;   // when set: every response's intended time, latency and kind
  std::size_t walk_pages = 0;  // > 0: walk list pages and print their cursors instead
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "loadgen: " << problem << "\n"
            << "usage: loadgen --url http://127.0.0.1:PORT [--connections N] [--threads N]\n"
               "               [--duration S] [--rate R|0] [--mix op=w,...] [--preloaded N]\n"
               "               [--nonce TEXT] [--cursors FILE] [--list-query Q] [--static-path P]\n"
               "               [--expect 200,201,...] [--timeout S] [--drain S] [--label TEXT]\n"
               "               [--timeline FILE]\n"
               "       loadgen --url ... --walk PAGES [--list-query Q]   (prints list cursors)\n"
               "ops: post_new post_existing get_existing get_absent list static get_all\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  bool have_url = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage(std::string(arg) + " needs a value");
      return argv[++i];
    };
    try {
      if (arg == "--url") {
        std::string url = value();
        constexpr std::string_view kScheme = "http://";
        if (!url.starts_with(kScheme))
          usage("only http:// URLs");
        url.erase(0, kScheme.size());
        if (!url.empty() && url.back() == '/')
          url.pop_back();
        const std::size_t colon = url.rfind(':');
        if (colon == std::string::npos)
          usage("the URL needs a port");
        o.host = url.substr(0, colon);
        o.port = static_cast<std::uint16_t>(std::stoul(url.substr(colon + 1)));
        have_url = true;
      } else if (arg == "--connections") {
        o.connections = static_cast<unsigned>(std::stoul(value()));
      } else if (arg == "--threads") {
        o.threads = static_cast<unsigned>(std::stoul(value()));
      } else if (arg == "--duration") {
        o.duration_s = std::stod(value());
      } else if (arg == "--rate") {
        o.rate = std::stod(value());
      } else if (arg == "--mix") {
        o.mix = value();
      } else if (arg == "--preloaded") {
        o.preloaded = std::stoull(value());
      } else if (arg == "--nonce") {
        o.nonce = value();
      } else if (arg == "--cursors") {
        o.cursors_file = value();
      } else if (arg == "--list-query") {
        o.list_query = value();
      } else if (arg == "--static-path") {
        o.static_path = value();
      } else if (arg == "--expect") {
        std::string list = value();
        std::size_t start = 0;
        while (start < list.size()) {
          std::size_t comma = list.find(',', start);
          if (comma == std::string::npos)
            comma = list.size();
          o.expect.insert(static_cast<unsigned>(std::stoul(list.substr(start, comma - start))));
          start = comma + 1;
        }
      } else if (arg == "--timeout") {
        o.timeout_s = std::stod(value());
      } else if (arg == "--timeline") {
        o.timeline_file = value();
      } else if (arg == "--drain") {
        o.drain_s = std::stod(value());
      } else if (arg == "--walk") {
        o.walk_pages = std::stoull(value());
      } else if (arg == "--label") {
        o.label = value();
      } else {
        usage("unknown argument " + std::string(arg));
      }
    } catch (const std::logic_error&) {
      usage("bad value for " + std::string(arg));
    }
  }
  if (!have_url)
    usage("--url is required");
  if (o.connections == 0 || o.threads == 0 || o.duration_s <= 0 || o.duration_s > 3600 ||
      o.rate < 0 || o.preloaded == 0 || o.timeout_s <= 0) {
    usage("connections, threads, duration (<= 3600 s), preloaded and timeout must be positive");
  }
  o.threads = std::min(o.threads, o.connections);
  return o;
}

std::set<unsigned> expected_statuses(const bench::Mix& mix) {
  std::set<unsigned> expect;
  if (mix.contains(bench::Op::kPostNew))
    expect.insert(201);
  if (mix.contains(bench::Op::kPostExisting))
    expect.insert(409);
  if (mix.contains(bench::Op::kGetAbsent))
    expect.insert(404);
  if (mix.contains(bench::Op::kGetExisting) || mix.contains(bench::Op::kList) ||
      mix.contains(bench::Op::kStatic) || mix.contains(bench::Op::kGetAll)) {
    expect.insert(200);
  }
  return expect;
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double q) {
  if (sorted.empty())
    return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1] / 1000.0;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  if (!in) {
    std::cerr << "loadgen: cannot read " << path << "\n";
    std::exit(2);
  }
  for (std::string line; std::getline(in, line);) {
    if (!line.empty())
      lines.push_back(line);
  }
  return lines;
}

// Sends all of `data` on a blocking socket.
bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

// Follows next_cursor from the newest page for `pages` pages, one request at a time, and prints
// every cursor it was given (one a line): the list scenario then asks for them at random.
int walk(const Options& options, const sockaddr_in& endpoint) {
  const int fd = bench::connect_blocking(endpoint);
  if (fd < 0) {
    std::perror("loadgen: cannot connect");
    return 1;
  }
  const std::string host = options.host + ":" + std::to_string(options.port);
  std::string cursor;
  std::vector<char> buffer(1 << 20);
  std::size_t walked = 0;
  for (; walked < options.walk_pages; ++walked) {
    std::string request = "GET /api/subscribers?" + options.list_query;
    if (!cursor.empty())
      request += "&cursor=" + cursor;
    request += " HTTP/1.1\r\nHost: " + host + "\r\nAccept: application/json\r\n\r\n";
    bool ok = send_all(fd, request);
    std::size_t used = 0;
    bench::ResponseHead head;
    bench::HeadParse state = bench::HeadParse::kIncomplete;
    while (ok) {
      state = bench::parse_response_head(std::string_view(buffer.data(), used), head);
      if (state == bench::HeadParse::kInvalid ||
          (state == bench::HeadParse::kComplete && used >= head.head_length + head.body_length))
        break;
      if (used == buffer.size())
        buffer.resize(buffer.size() * 2);
      const ssize_t n = ::recv(fd, buffer.data() + used, buffer.size() - used, 0);
      if (n < 0 && errno == EINTR)
        continue;
      ok = n > 0;
      used += ok ? static_cast<std::size_t>(n) : 0;
    }
    if (!ok || state != bench::HeadParse::kComplete || head.status != 200) {
      std::cerr << "loadgen: walk stopped at page " << walked + 1 << "\n";
      break;
    }
    const std::string_view body(buffer.data() + head.head_length, head.body_length);
    constexpr std::string_view kKey = "\"next_cursor\":\"";
    const std::size_t at = body.find(kKey);
    if (at == std::string_view::npos)
      break;  // null: the oldest page
    const std::size_t end = body.find('"', at + kKey.size());
    cursor = std::string(body.substr(at + kKey.size(), end - at - kKey.size()));
    std::printf("%s\n", cursor.c_str());
  }
  ::close(fd);
  std::cerr << "loadgen: walked " << walked << " pages\n";
  return 0;
}

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const std::optional<bench::Mix> mix = bench::Mix::parse(options.mix);
  if (!mix)
    usage("bad --mix " + options.mix);
  const std::set<unsigned> expect =
      options.expect.empty() ? expected_statuses(*mix) : options.expect;

  bench::ScenarioSettings settings;
  settings.host_header = options.host + ":" + std::to_string(options.port);
  settings.nonce = options.nonce;
  settings.preloaded = options.preloaded;
  settings.list_query = options.list_query;
  settings.static_path = options.static_path;
  if (!options.cursors_file.empty())
    settings.cursors = read_lines(options.cursors_file);

  sockaddr_in endpoint{};
  endpoint.sin_family = AF_INET;
  endpoint.sin_port = htons(options.port);
  if (::inet_pton(AF_INET, options.host.c_str(), &endpoint.sin_addr) != 1)
    usage("--url needs a numeric IPv4 address (loopback), not " + options.host);
  if ((ntohl(endpoint.sin_addr.s_addr) >> 24) != 127)
    usage("the load generator only targets loopback addresses");

  if (options.walk_pages > 0)
    return walk(options, endpoint);

  bench::Schedule schedule;
  schedule.open_loop = options.rate > 0;
  const auto duration = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.duration_s));
  // Leave time for every connection to be made before the first request is due.
  schedule.start = Clock::now() + std::chrono::milliseconds(300);
  // The same instant on the wall clock, to line the timeline up with the server's log.
  const auto start_wall = std::chrono::system_clock::now() + std::chrono::milliseconds(300);
  schedule.end = schedule.start + duration;
  schedule.drain_deadline = schedule.end + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(options.drain_s));
  if (schedule.open_loop) {
    schedule.period_ns = 1e9 / options.rate;
    schedule.total_slots =
        static_cast<std::uint64_t>(std::llround(options.rate * options.duration_s));
  }

  bench::DriverSettings driver;
  driver.endpoint = endpoint;
  driver.mix = &*mix;
  driver.scenario = &settings;
  driver.timeout =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.timeout_s));
  driver.record_timeline = !options.timeline_file.empty();

  std::vector<bench::Stats> stats(options.threads);
  if (schedule.open_loop) {  // no reallocation while the schedule runs
    for (auto& s : stats) {
      s.latency_us.reserve(schedule.total_slots / options.threads + 1024);
      if (driver.record_timeline)
        s.timeline.reserve(schedule.total_slots / options.threads + 1024);
      for (std::size_t op = 0; op < bench::kOpCount; ++op) {
        if (mix->contains(static_cast<bench::Op>(op)))
          s.latency_us_by_op[op].reserve(schedule.total_slots / options.threads + 1024);
      }
    }
  }
  std::vector<std::thread> threads;
  std::vector<char> thread_ok(options.threads, 0);
  for (unsigned t = 0; t < options.threads; ++t) {
    threads.emplace_back([&, t] {
      thread_ok[t] =
          bench::drive(driver, schedule, t, options.threads, options.connections, stats[t]);
    });
  }
  for (auto& thread : threads)
    thread.join();
  if (std::find(thread_ok.begin(), thread_ok.end(), 0) != thread_ok.end())
    return 1;

  bench::Stats total;
  for (const auto& s : stats)
    total.merge(s);
  std::sort(total.latency_us.begin(), total.latency_us.end());
  if (!options.timeline_file.empty()) {
    std::sort(total.timeline.begin(), total.timeline.end(),
              [](const auto& a, const auto& b) { return a.intended_us < b.intended_us; });
    std::ofstream out(options.timeline_file);
    if (!out)
      std::cerr << "loadgen: cannot write " << options.timeline_file << "\n";
    out << std::fixed << std::setprecision(3);
    // The start on the monotonic clock, to line the timeline up with other traces.
    out << "# start_monotonic_ns "
        << std::chrono::duration_cast<std::chrono::nanoseconds>(schedule.start.time_since_epoch())
               .count()
        << "\n# start_unix_ms "
        << std::chrono::duration_cast<std::chrono::milliseconds>(start_wall.time_since_epoch())
               .count()
        << "\n# intended_ms latency_ms kind\n";
    for (const auto& point : total.timeline) {
      out << point.intended_us / 1000.0 << ' ' << point.latency_us / 1000.0 << ' '
          << bench::op_name(point.op) << '\n';
    }
  }
  const std::uint64_t completed = total.latency_us.size();
  std::uint64_t unexpected = 0;
  for (const auto& [status, n] : total.statuses) {
    if (!expect.contains(status))
      unexpected += n;
  }
  std::uint64_t unsent = 0;
  if (schedule.open_loop) {
    const std::uint64_t taken = std::min(schedule.next_slot.load(), schedule.total_slots);
    unsent = schedule.total_slots - taken;
  }
  const std::uint64_t errors = total.connect_errors + total.io_errors + total.timeouts +
                               total.protocol_errors + unsent + unexpected;

  // Throughput: open loop over the schedule's length; closed loop over the time actually used.
  double elapsed_s = options.duration_s;
  if (!schedule.open_loop && completed > 0) {
    elapsed_s = std::chrono::duration<double>(total.last_completion - schedule.start).count();
    elapsed_s = std::max(elapsed_s, 1e-3);
  }
  const double rps = static_cast<double>(completed) / elapsed_s;
  double sum_ms = 0;
  for (auto us : total.latency_us)
    sum_ms += us / 1000.0;
  const double mean_ms = completed > 0 ? sum_ms / static_cast<double>(completed) : 0;

  std::string statuses;
  for (const auto& [status, n] : total.statuses) {
    if (!statuses.empty())
      statuses += ',';
    statuses += std::to_string(status) + ":" + std::to_string(n);
  }
  if (statuses.empty())
    statuses = "none";

  std::printf("%s: %s loop, %u connections, %u threads, %.1f s, mix %s\n", options.label.c_str(),
              schedule.open_loop ? "open" : "closed", options.connections, options.threads,
              options.duration_s, options.mix.c_str());
  if (schedule.open_loop)
    std::printf("  target %.0f req/s, %llu scheduled\n", options.rate,
                static_cast<unsigned long long>(schedule.total_slots));
  std::printf("  %llu responses, %.0f req/s\n", static_cast<unsigned long long>(completed), rps);
  std::printf("  latency%s ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n",
              schedule.open_loop ? " (from intended send time)" : "",
              percentile_ms(total.latency_us, 0.50), percentile_ms(total.latency_us, 0.90),
              percentile_ms(total.latency_us, 0.99), percentile_ms(total.latency_us, 0.999),
              percentile_ms(total.latency_us, 1.0), mean_ms);
  if (mix->kinds() > 1) {
    for (std::size_t op = 0; op < bench::kOpCount; ++op) {
      auto& latencies = total.latency_us_by_op[op];
      if (latencies.empty())
        continue;
      std::sort(latencies.begin(), latencies.end());
      const std::string name(bench::op_name(static_cast<bench::Op>(op)));
      std::printf("    %-14s %9zu responses, ms: p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
                  name.c_str(), latencies.size(), percentile_ms(latencies, 0.50),
                  percentile_ms(latencies, 0.99), percentile_ms(latencies, 0.999),
                  percentile_ms(latencies, 1.0));
    }
  }
  std::printf(
      "  statuses %s; errors %llu (connect %llu, io %llu, timeout %llu, protocol %llu, "
      "unsent %llu, unexpected status %llu)\n",
      statuses.c_str(), static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(total.connect_errors),
      static_cast<unsigned long long>(total.io_errors),
      static_cast<unsigned long long>(total.timeouts),
      static_cast<unsigned long long>(total.protocol_errors),
      static_cast<unsigned long long>(unsent), static_cast<unsigned long long>(unexpected));
  std::printf(
      "RESULT label=%s mode=%s rate=%.0f connections=%u duration=%.3f requests=%llu rps=%.1f "
      "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f errors=%llu "
      "connect_errors=%llu io_errors=%llu timeouts=%llu protocol_errors=%llu unsent=%llu "
      "unexpected=%llu statuses=%s\n",
      options.label.c_str(), schedule.open_loop ? "open" : "closed", options.rate,
      options.connections, elapsed_s, static_cast<unsigned long long>(completed), rps,
      percentile_ms(total.latency_us, 0.50), percentile_ms(total.latency_us, 0.90),
      percentile_ms(total.latency_us, 0.99), percentile_ms(total.latency_us, 0.999),
      percentile_ms(total.latency_us, 1.0), mean_ms, static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(total.connect_errors),
      static_cast<unsigned long long>(total.io_errors),
      static_cast<unsigned long long>(total.timeouts),
      static_cast<unsigned long long>(total.protocol_errors),
      static_cast<unsigned long long>(unsent), static_cast<unsigned long long>(unexpected),
      statuses.c_str());
  return 0;
}
