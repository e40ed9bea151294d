#include "loadgen/driver.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <limits>
#include <memory>
#include <netinet/tcp.h>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "loadgen/http_response.h"

namespace subscriberd::bench {
namespace {

// How often a thread looks for requests older than the timeout.
constexpr auto kSweepPeriod = std::chrono::milliseconds(50);
// A closed loop whose server refuses connections waits this long before trying again.
constexpr auto kReconnectPause = std::chrono::milliseconds(10);
constexpr std::size_t kFirstBufferSize = 64 * 1024;
constexpr int kEventsPerWait = 64;

// A TCP socket with Nagle off (a request goes out whole, at once); -1 on failure.
int tcp_socket(int type_flags) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | type_flags, 0);
  const int on = 1;
  if (fd >= 0 && ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::uint32_t clamp_micros(Clock::duration d) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(micros, 0, std::numeric_limits<std::uint32_t>::max()));
}

// One keep-alive connection and the request it has in flight, if any.
struct Connection {
  Connection(const ScenarioSettings& scenario, std::uint32_t number,
             std::atomic<std::uint64_t>& get_all_next)
      : factory(scenario, number, get_all_next), buffer(kFirstBufferSize) {}
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void close() {
    if (fd >= 0)
      ::close(fd);  // also takes it out of the epoll set
    fd = -1;
    connecting = false;
    wants_write = false;
  }

  int fd = -1;
  RequestFactory factory;
  std::string request;
  std::vector<char> buffer;
  // The request in flight.
  bool in_flight = false;
  bool connecting = false;   // its connection is still being made; the request waits for it
  bool wants_write = false;  // EPOLLOUT is armed: connecting, or the kernel took part of it
  Op op = Op::kStatic;
  Clock::time_point intended{};
  Clock::time_point sent_at{};
  std::size_t written = 0;
  std::size_t used = 0;  // bytes of the response in `buffer`
  // A connection that could not connect rests until then before it is used again.
  Clock::time_point retry_at{};
};

class ThreadDriver {
 public:
  ThreadDriver(const DriverSettings& settings, Schedule& schedule, Stats& stats)
      : settings_(settings), schedule_(schedule), stats_(stats) {}
  ~ThreadDriver() {
    connections_.clear();
    if (epoll_ >= 0)
      ::close(epoll_);
  }
  ThreadDriver(const ThreadDriver&) = delete;
  ThreadDriver& operator=(const ThreadDriver&) = delete;

  bool run(unsigned first, unsigned step, unsigned count) {
    // epoll's timeout paces the open loop: without this, the kernel may wake the thread up to
    // 50 µs late (the default timer slack) to batch the wake with others.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      std::perror("loadgen: epoll_create1");
      return false;
    }
    for (unsigned number = first; number < count; number += step) {
      connections_.push_back(
          std::make_unique<Connection>(*settings_.scenario, number, schedule_.get_all_next));
      Connection& connection = *connections_.back();
      // Before the start, so the first requests pay no handshake; one that fails is made
      // again when it is first used.
      const int fd = connect_blocking(settings_.endpoint);
      if (fd < 0 || !watch(connection, fd, EPOLLIN))
        ++stats_.connect_errors;
      idle_.push_back(&connection);
    }
    std::this_thread::sleep_until(schedule_.start);

    Clock::time_point next_sweep = Clock::now() + kSweepPeriod;
    std::array<epoll_event, kEventsPerWait> events{};
    for (;;) {
      issue(Clock::now());
      if (done_issuing_ && in_flight_ == 0)
        return true;
      const Clock::time_point now = Clock::now();
      if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + kSweepPeriod;
      }
      const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::max(next_wake(next_sweep) - now, {}));
      const timespec timeout{static_cast<time_t>(wait.count() / 1'000'000'000),
                             static_cast<long>(wait.count() % 1'000'000'000)};
      const int ready = ::epoll_pwait2(epoll_, events.data(), kEventsPerWait, &timeout, nullptr);
      if (ready < 0) {
        if (errno == EINTR)
          continue;
        std::perror("loadgen: epoll_pwait2");
        return false;
      }
      for (int i = 0; i < ready; ++i)
        on_event(*static_cast<Connection*>(events[i].data.ptr), events[i].events);
    }
  }

 private:
  // When the loop must wake even if no socket has news: the next sweep, the held slot's due
  // time when a connection is free to send it, or the end of a connection's rest.
  Clock::time_point next_wake(Clock::time_point next_sweep) const {
    Clock::time_point wake = next_sweep;
    if (holds_slot_ && !idle_.empty())
      wake = std::min(wake, pending_due_);
    if (!done_issuing_) {
      for (const Connection* connection : resting_)
        wake = std::min(wake, connection->retry_at);
    }
    return wake;
  }

  // Sends every request that is due on an idle connection, the one idle longest first: the
  // load spreads over all the connections, as it would over independent clients.
  void issue(Clock::time_point now) {
    for (std::size_t i = 0; i < resting_.size();) {
      if (resting_[i]->retry_at <= now) {
        idle_.push_back(resting_[i]);
        resting_[i] = resting_.back();
        resting_.pop_back();
      } else {
        ++i;
      }
    }
    if (!schedule_.open_loop && finished_ == connections_.size())
      done_issuing_ = true;
    while (!idle_.empty() && !done_issuing_) {
      Clock::time_point intended;
      if (schedule_.open_loop) {
        if (!holds_slot_) {
          const std::uint64_t slot =
              now > schedule_.drain_deadline
                  ? schedule_.total_slots
                  : schedule_.next_slot.fetch_add(1, std::memory_order_relaxed);
          if (slot >= schedule_.total_slots) {
            done_issuing_ = true;
            return;
          }
          pending_due_ = schedule_.due(slot);
          holds_slot_ = true;
        }
        if (pending_due_ > now)
          return;  // epoll's timeout wakes the thread when it is due
        intended = pending_due_;
        holds_slot_ = false;
      } else {
        if (now >= schedule_.end) {
          done_issuing_ = true;
          return;
        }
        intended = now;
      }

      Connection& connection = *idle_.front();
      idle_.pop_front();
      const Op op = settings_.mix->pick(connection.factory.rng());
      if (!connection.factory.build(op, connection.request)) {
        ++finished_;  // get_all is complete: this connection is done
        if (finished_ == connections_.size())
          done_issuing_ = true;
        continue;
      }
      start(connection, op, intended, now);
    }
  }

  void start(Connection& connection, Op op, Clock::time_point intended, Clock::time_point now) {
    connection.in_flight = true;
    connection.op = op;
    connection.intended = intended;
    connection.sent_at = now;
    connection.written = 0;
    connection.used = 0;
    ++in_flight_;
    if (connection.fd >= 0) {
      write_request(connection);
    } else if (!begin_connect(connection)) {
      connect_failed(connection);
    } else if (!connection.connecting) {
      write_request(connection);  // connected at once
    }
  }

  // Registers a socket with epoll, non-blocking: the loop must never wait in a send or a
  // receive (the first connections are made with a blocking connect, before the start).
  bool watch(Connection& connection, int fd, std::uint32_t events) {
    epoll_event interest{};
    interest.events = events;
    interest.data.ptr = &connection;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &interest) != 0) {
      ::close(fd);
      return false;
    }
    connection.fd = fd;
    connection.wants_write = (events & EPOLLOUT) != 0;
    return true;
  }

  // Starts a connection without waiting for it: the loop goes on with the others, and the
  // request goes out when epoll reports the socket writable (or the sweep times it out).
  bool begin_connect(Connection& connection) {
    const int fd = tcp_socket(SOCK_NONBLOCK);
    if (fd < 0)
      return false;
    const sockaddr_in& endpoint = settings_.endpoint;
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&endpoint), sizeof endpoint);
    if (rc != 0 && errno != EINPROGRESS) {
      ::close(fd);
      return false;
    }
    if (!watch(connection, fd, EPOLLIN | EPOLLOUT))
      return false;
    connection.connecting = rc != 0;
    return true;
  }

  void connect_failed(Connection& connection) {
    ++stats_.connect_errors;
    connection.close();
    connection.in_flight = false;
    --in_flight_;
    connection.retry_at = Clock::now() + kReconnectPause;  // do not spin on a refused port
    resting_.push_back(&connection);
  }

  void set_write_interest(Connection& connection, bool wanted) {
    epoll_event interest{};
    interest.events = wanted ? EPOLLIN | EPOLLOUT : EPOLLIN;
    interest.data.ptr = &connection;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, connection.fd, &interest);
    connection.wants_write = wanted;
  }

  void write_request(Connection& connection) {
    const std::string& request = connection.request;
    while (connection.written < request.size()) {
      const ssize_t n = ::send(connection.fd, request.data() + connection.written,
                               request.size() - connection.written, MSG_NOSIGNAL);
      if (n >= 0) {
        connection.written += static_cast<std::size_t>(n);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!connection.wants_write)
          set_write_interest(connection, true);  // the rest goes when there is room
        return;
      } else if (errno != EINTR) {
        fail(connection, stats_.io_errors);
        return;
      }
    }
    if (connection.wants_write)
      set_write_interest(connection, false);
  }

  void on_event(Connection& connection, std::uint32_t events) {
    constexpr std::uint32_t kReadable = EPOLLIN | EPOLLERR | EPOLLHUP;
    if (!connection.in_flight) {
      // An idle connection is readable only when the server closed it (a keep-alive timeout)
      // or sent bytes nobody asked for. Either way it starts afresh when next used.
      if ((events & kReadable) == 0)
        return;
      char byte;
      if (::recv(connection.fd, &byte, 1, 0) > 0)
        ++stats_.protocol_errors;
      connection.close();
      return;
    }
    if (connection.connecting) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
        return;
      int error = 0;
      socklen_t length = sizeof error;
      if (::getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
        connect_failed(connection);
        return;
      }
      connection.connecting = false;
      write_request(connection);
      return;
    }
    if ((events & EPOLLOUT) != 0 && connection.written < connection.request.size())
      write_request(connection);
    if (connection.in_flight && (events & kReadable) != 0)
      read_response(connection);
  }

  void read_response(Connection& connection) {
    std::vector<char>& buffer = connection.buffer;
    for (;;) {
      if (connection.used == buffer.size())
        buffer.resize(buffer.size() * 2);
      const std::size_t room = buffer.size() - connection.used;
      const ssize_t n = ::recv(connection.fd, buffer.data() + connection.used, room, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        fail(connection, stats_.io_errors);  // closed or broken before the answer was whole
        return;
      }
      if (n < 0) {
        if (errno == EINTR)
          continue;
        return;  // the rest is still on its way: epoll reports it
      }
      connection.used += static_cast<std::size_t>(n);
      ResponseHead head;
      const HeadParse state =
          parse_response_head(std::string_view(buffer.data(), connection.used), head);
      if (state == HeadParse::kInvalid) {
        fail(connection, stats_.protocol_errors);
        return;
      }
      if (state == HeadParse::kComplete) {
        const std::size_t total = head.head_length + head.body_length;
        if (connection.used >= total) {
          complete(connection, head, total);
          return;
        }
        if (buffer.size() < total)
          buffer.resize(total);
      }
      if (static_cast<std::size_t>(n) < room)
        return;  // the socket is drained: wait for the rest
    }
  }

  void complete(Connection& connection, const ResponseHead& head, std::size_t total) {
    const Clock::time_point done = Clock::now();
    const std::uint32_t latency = clamp_micros(done - connection.intended);
    stats_.latency_us.push_back(latency);
    stats_.latency_us_by_op[static_cast<std::size_t>(connection.op)].push_back(latency);
    if (settings_.record_timeline) {
      stats_.timeline.push_back(
          {clamp_micros(connection.intended - schedule_.start), latency, connection.op});
    }
    ++stats_.statuses[head.status];
    stats_.last_completion = std::max(stats_.last_completion, done);
    end_request(connection);
    // Start afresh when the server closes, sent more than the answer, or answered before it
    // had the whole request.
    if (head.close || connection.used != total || connection.written < connection.request.size()) {
      connection.close();
    }
  }

  // Counts the request in flight as an error of the kind `errors` counts, and drops the
  // connection: it starts afresh when next used.
  void fail(Connection& connection, std::uint64_t& errors) {
    ++errors;
    end_request(connection);
    connection.close();
  }

  void end_request(Connection& connection) {
    connection.in_flight = false;
    --in_flight_;
    idle_.push_back(&connection);
  }

  // Ends every request (or connection attempt) that has waited longer than the timeout.
  void sweep(Clock::time_point now) {
    for (const auto& connection : connections_) {
      if (connection->in_flight && now - connection->sent_at > settings_.timeout)
        fail(*connection, stats_.timeouts);
    }
  }

  const DriverSettings& settings_;
  Schedule& schedule_;
  Stats& stats_;
  int epoll_ = -1;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::deque<Connection*> idle_;      // first in, first out
  std::vector<Connection*> resting_;  // could not connect; back to idle_ at their retry_at
  std::size_t in_flight_ = 0;
  std::size_t finished_ = 0;  // connections that covered their share of get_all
  bool done_issuing_ = false;
  // Open loop: the slot this thread took for its next request, while it is not yet due.
  bool holds_slot_ = false;
  Clock::time_point pending_due_{};
};

}  // namespace

Clock::time_point Schedule::due(std::uint64_t slot) const {
  return start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                     std::llround(static_cast<double>(slot) * period_ns)));
}

void Stats::merge(const Stats& other) {
  latency_us.insert(latency_us.end(), other.latency_us.begin(), other.latency_us.end());
  timeline.insert(timeline.end(), other.timeline.begin(), other.timeline.end());
  for (std::size_t op = 0; op < kOpCount; ++op) {
    latency_us_by_op[op].insert(latency_us_by_op[op].end(), other.latency_us_by_op[op].begin(),
                                other.latency_us_by_op[op].end());
  }
  for (const auto& [status, n] : other.statuses)
    statuses[status] += n;
  connect_errors += other.connect_errors;
  io_errors += other.io_errors;
  timeouts += other.timeouts;
  protocol_errors += other.protocol_errors;
  last_completion = std::max(last_completion, other.last_completion);
}

int connect_blocking(const sockaddr_in& endpoint) {
  const int fd = tcp_socket(0);
  if (fd >= 0 &&
      ::connect(fd, reinterpret_cast<const sockaddr*>(&endpoint), sizeof endpoint) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool drive(const DriverSettings& settings, Schedule& schedule, unsigned first, unsigned step,
           unsigned connections, Stats& stats) {
  ThreadDriver driver(settings, schedule, stats);
  return driver.run(first, step, connections);
}

}  // namespace subscriberd::bench
