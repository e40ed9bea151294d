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

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "loadgen/http_response.h"
#include "loadgen/scenario.h"

namespace {

namespace asio = boost::asio;
namespace bench = subscriberd::bench;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

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

struct Shared {
  Shared(const Options& o, const bench::Mix& m, const bench::ScenarioSettings& s, tcp::endpoint e)
      : options(o), mix(m), settings(s), endpoint(std::move(e)) {}

  const Options& options;
  const bench::Mix& mix;
  const bench::ScenarioSettings& settings;
  tcp::endpoint endpoint;
  bool open_loop = false;
  Clock::time_point start;
  Clock::time_point end;
  Clock::time_point drain_deadline;
  double period_ns = 0;
  std::uint64_t total_slots = 0;
  std::atomic<std::uint64_t> next_slot{0};
  std::atomic<std::uint64_t> get_all_next{0};
};

struct Stats {
  std::vector<std::uint32_t> latency_us;  // every complete response
  // The same latencies by request kind: which kind makes the tail.
  std::array<std::vector<std::uint32_t>, bench::kOpCount> latency_us_by_op;
  // With --timeline: when each answered request was due, and how long it took. Shows whether
  // the slow requests are spread out or clustered in stalls.
  struct TimelinePoint {
    std::uint32_t intended_us;  // from the start of the run
    std::uint32_t latency_us;
    bench::Op op;
  };
  std::vector<TimelinePoint> timeline;
  std::map<unsigned, std::uint64_t> statuses;
  std::uint64_t connect_errors = 0;
  std::uint64_t io_errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t protocol_errors = 0;
  Clock::time_point last_completion{};
};

// The connections of one thread, and a watchdog that closes a connection whose request has
// waited longer than --timeout (one periodic timer per thread, not one timer per request).
class Connection;
struct ThreadState {
  std::vector<Connection*> connections;
  std::size_t running = 0;
};

class Connection {
 public:
  Connection(asio::io_context& io, Shared& shared, Stats& stats, ThreadState& thread,
             std::uint32_t number)
      : shared_(shared),
        stats_(stats),
        thread_(thread),
        socket_(io),
        pacer_(io),
        factory_(shared.settings, number, shared.get_all_next) {
    buffer_.resize(64 * 1024);
  }

  asio::awaitable<void> run() {
    co_await connect();  // before the start, so the first requests pay no handshake
    pacer_.expires_at(shared_.start);
    co_await pacer_.async_wait(kNoThrow);

    for (;;) {
      Clock::time_point intended;
      if (shared_.open_loop) {
        if (Clock::now() > shared_.drain_deadline)
          break;
        const std::uint64_t slot = shared_.next_slot.fetch_add(1, std::memory_order_relaxed);
        if (slot >= shared_.total_slots)
          break;
        intended = shared_.start + std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(
                                       static_cast<double>(slot) * shared_.period_ns)));
        if (intended > Clock::now()) {
          pacer_.expires_at(intended);
          co_await pacer_.async_wait(kNoThrow);
        }
      } else {
        intended = Clock::now();
        if (intended >= shared_.end)
          break;
      }

      const bench::Op op = shared_.mix.pick(factory_.rng());
      if (!factory_.build(op, request_))
        break;  // get_all is complete
      if (!socket_.is_open() && !co_await connect()) {
        if (!shared_.open_loop) {  // do not spin on a refused port
          pacer_.expires_after(std::chrono::milliseconds(10));
          co_await pacer_.async_wait(kNoThrow);
        }
        continue;
      }
      co_await exchange(op, intended);
    }
    close_socket();
    --thread_.running;
  }

  // Called by the watchdog: ends the request in flight if it is overdue.
  void check_deadline(Clock::time_point now, Clock::duration timeout) {
    if (in_flight_ && now - sent_at_ > timeout) {
      timed_out_ = true;
      close_socket();
    }
  }

 private:
  asio::awaitable<bool> connect() {
    close_socket();
    auto [ec] = co_await socket_.async_connect(shared_.endpoint, kNoThrow);
    if (ec) {
      ++stats_.connect_errors;
      close_socket();
      co_return false;
    }
    socket_.set_option(tcp::no_delay(true));
    socket_.non_blocking(true);
    co_return true;
  }

  void close_socket() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  void fail() {
    if (timed_out_) {
      ++stats_.timeouts;
    } else {
      ++stats_.io_errors;
    }
    in_flight_ = false;
    close_socket();
  }

  asio::awaitable<void> exchange(bench::Op op, Clock::time_point intended) {
    in_flight_ = true;
    timed_out_ = false;
    sent_at_ = Clock::now();
    auto [write_ec, written] =
        co_await asio::async_write(socket_, asio::buffer(request_), kNoThrow);
    if (write_ec) {
      fail();
      co_return;
    }
    std::size_t used = 0;
    bench::ResponseHead head;
    for (;;) {
      const auto state = bench::parse_response_head(std::string_view(buffer_.data(), used), head);
      if (state == bench::HeadParse::kInvalid) {
        in_flight_ = false;
        ++stats_.protocol_errors;
        close_socket();
        co_return;
      }
      if (state == bench::HeadParse::kComplete && used >= head.head_length + head.body_length)
        break;
      if (state == bench::HeadParse::kComplete &&
          buffer_.size() < head.head_length + head.body_length)
        buffer_.resize(head.head_length + head.body_length);
      if (used == buffer_.size())
        buffer_.resize(buffer_.size() * 2);
      // async_read_some, not async_wait and then a read: Asio re-arms epoll (an epoll_ctl
      // call) for every async_wait, while a read that last drained the socket waits for epoll's
      // next edge without trying first.
      auto [read_ec, n] = co_await socket_.async_read_some(
          asio::buffer(buffer_.data() + used, buffer_.size() - used), kNoThrow);
      if (read_ec) {
        fail();
        co_return;
      }
      used += n;
    }
    in_flight_ = false;
    const Clock::time_point done = Clock::now();
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(done - intended);
    const auto latency = static_cast<std::uint32_t>(
        std::clamp<std::int64_t>(micros.count(), 0, std::numeric_limits<std::uint32_t>::max()));
    stats_.latency_us.push_back(latency);
    stats_.latency_us_by_op[static_cast<std::size_t>(op)].push_back(latency);
    if (!shared_.options.timeline_file.empty()) {
      const auto due =
          std::chrono::duration_cast<std::chrono::microseconds>(intended - shared_.start);
      stats_.timeline.push_back(
          {static_cast<std::uint32_t>(std::max<std::int64_t>(0, due.count())), latency, op});
    }
    ++stats_.statuses[head.status];
    stats_.last_completion = std::max(stats_.last_completion, done);
    if (head.close || used != head.head_length + head.body_length)
      close_socket();  // the server closes, or sent more than asked for: start afresh
  }

  Shared& shared_;
  Stats& stats_;
  ThreadState& thread_;
  tcp::socket socket_;
  asio::steady_timer pacer_;
  bench::RequestFactory factory_;
  std::string request_;
  std::vector<char> buffer_;
  Clock::time_point sent_at_{};
  bool in_flight_ = false;
  bool timed_out_ = false;
};

asio::awaitable<void> watchdog(asio::io_context& io, ThreadState& thread, Clock::duration timeout) {
  asio::steady_timer tick(io);
  while (thread.running > 0) {
    tick.expires_after(std::chrono::milliseconds(50));
    co_await tick.async_wait(kNoThrow);
    const Clock::time_point now = Clock::now();
    for (Connection* c : thread.connections)
      c->check_deadline(now, timeout);
  }
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

}  // namespace

// Follows next_cursor from the newest page for `pages` pages, one request at a time, and prints
// every cursor it was given (one a line): the list scenario then asks for them at random.
int walk(const Options& options, const tcp::endpoint& endpoint) {
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(endpoint, ec);
  if (ec) {
    std::cerr << "loadgen: cannot connect: " << ec.message() << "\n";
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
    asio::write(socket, asio::buffer(request), ec);
    std::size_t used = 0;
    bench::ResponseHead head;
    bench::HeadParse state = bench::HeadParse::kIncomplete;
    while (!ec) {
      state = bench::parse_response_head(std::string_view(buffer.data(), used), head);
      if (state == bench::HeadParse::kInvalid ||
          (state == bench::HeadParse::kComplete && used >= head.head_length + head.body_length))
        break;
      if (used == buffer.size())
        buffer.resize(buffer.size() * 2);
      used += socket.read_some(asio::buffer(buffer.data() + used, buffer.size() - used), ec);
    }
    if (ec || state != bench::HeadParse::kComplete || head.status != 200) {
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

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.host, ec);
  if (ec)
    usage("--url needs a numeric IP address (loopback), not " + options.host);
  if (!address.is_loopback())
    usage("the load generator only targets loopback addresses");

  if (options.walk_pages > 0)
    return walk(options, tcp::endpoint(address, options.port));

  Shared shared(options, *mix, settings, tcp::endpoint(address, options.port));
  shared.open_loop = options.rate > 0;
  const auto duration = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.duration_s));
  // Leave time for every connection to be made before the first request is due.
  shared.start = Clock::now() + std::chrono::milliseconds(300);
  shared.end = shared.start + duration;
  shared.drain_deadline = shared.end + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options.drain_s));
  if (shared.open_loop) {
    shared.period_ns = 1e9 / options.rate;
    shared.total_slots =
        static_cast<std::uint64_t>(std::llround(options.rate * options.duration_s));
  }

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<Stats> stats(options.threads);
  std::vector<std::unique_ptr<Connection>> connections;
  for (unsigned t = 0; t < options.threads; ++t) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    if (shared.open_loop) {
      stats[t].latency_us.reserve(shared.total_slots / options.threads + 1024);
      for (std::size_t op = 0; op < bench::kOpCount; ++op) {
        if (mix->contains(static_cast<bench::Op>(op)))
          stats[t].latency_us_by_op[op].reserve(shared.total_slots / options.threads + 1024);
      }
    }
  }
  std::vector<ThreadState> thread_states(options.threads);
  for (unsigned c = 0; c < options.connections; ++c) {
    const unsigned t = c % options.threads;
    connections.push_back(
        std::make_unique<Connection>(*contexts[t], shared, stats[t], thread_states[t], c));
    thread_states[t].connections.push_back(connections.back().get());
    ++thread_states[t].running;
    asio::co_spawn(*contexts[t], connections.back()->run(), asio::detached);
  }
  const auto timeout =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.timeout_s));
  for (unsigned t = 0; t < options.threads; ++t)
    asio::co_spawn(*contexts[t], watchdog(*contexts[t], thread_states[t], timeout), asio::detached);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < options.threads; ++t)
    threads.emplace_back([&, t] { contexts[t]->run(); });
  for (auto& thread : threads)
    thread.join();

  // Merge.
  Stats total;
  for (auto& s : stats) {
    total.latency_us.insert(total.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
    total.timeline.insert(total.timeline.end(), s.timeline.begin(), s.timeline.end());
    for (std::size_t op = 0; op < bench::kOpCount; ++op) {
      auto& into = total.latency_us_by_op[op];
      into.insert(into.end(), s.latency_us_by_op[op].begin(), s.latency_us_by_op[op].end());
    }
    for (const auto& [status, n] : s.statuses)
      total.statuses[status] += n;
    total.connect_errors += s.connect_errors;
    total.io_errors += s.io_errors;
    total.timeouts += s.timeouts;
    total.protocol_errors += s.protocol_errors;
    total.last_completion = std::max(total.last_completion, s.last_completion);
  }
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
        << std::chrono::duration_cast<std::chrono::nanoseconds>(shared.start.time_since_epoch())
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
  if (shared.open_loop) {
    const std::uint64_t taken = std::min(shared.next_slot.load(), shared.total_slots);
    unsent = shared.total_slots - taken;
  }
  const std::uint64_t errors = total.connect_errors + total.io_errors + total.timeouts +
                               total.protocol_errors + unsent + unexpected;

  // Throughput: open loop over the schedule's length; closed loop over the time actually used.
  double elapsed_s = options.duration_s;
  if (!shared.open_loop && completed > 0) {
    elapsed_s = std::chrono::duration<double>(total.last_completion - shared.start).count();
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
              shared.open_loop ? "open" : "closed", options.connections, options.threads,
              options.duration_s, options.mix.c_str());
  if (shared.open_loop)
    std::printf("  target %.0f req/s, %llu scheduled\n", options.rate,
                static_cast<unsigned long long>(shared.total_slots));
  std::printf("  %llu responses, %.0f req/s\n", static_cast<unsigned long long>(completed), rps);
  std::printf("  latency%s ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n",
              shared.open_loop ? " (from intended send time)" : "",
              percentile_ms(total.latency_us, 0.50), percentile_ms(total.latency_us, 0.90),
              percentile_ms(total.latency_us, 0.99), percentile_ms(total.latency_us, 0.999),
              percentile_ms(total.latency_us, 1.0), mean_ms);
  if (shared.mix.kinds() > 1) {
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
      options.label.c_str(), shared.open_loop ? "open" : "closed", options.rate,
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
