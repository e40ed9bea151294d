#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cache/redis/backoff.h"

struct redisAsyncContext;
struct redisReply;

// One hiredis asynchronous connection driven by an Asio event loop.
//
// hiredis 0.14 ships no Asio adapter; it asks its event library, through five hooks, to watch
// the socket for reading or writing and calls back when told the socket is ready. Here the
// hooks arm async_wait on a non-owning stream_descriptor (hiredis owns and closes the file
// descriptor; ours is released before that). Everything happens on the loop's thread: a
// Connection is never shared between threads.
//
// On top of the adapter: a deadline for every command (a watchdog drops the connection when the
// oldest unanswered command is late, so a stalled Redis cannot hold a request longer than the
// timeout), and reconnection with exponential backoff and jitter. While backing off the
// connection refuses commands at once, so callers fall back to the store without waiting.
namespace subscriberd::cache::redis {

// Receives the answer to one command. Called exactly once, on the loop's thread: with the
// reply, or with nullptr when there will be none (the connection failed, timed out, closed,
// or did not take the command). The reply is valid only during the call.
class ReplyHandler {
 public:
  virtual ~ReplyHandler() = default;
  virtual void on_reply(const redisReply* reply) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Options {
    std::string address;  // numeric IPv4 or IPv6 address
    std::uint16_t port = 6379;
    std::uint32_t db = 0;
    std::chrono::milliseconds timeout{100};        // per command, and for connecting
    std::chrono::milliseconds first_backoff{100};  // first pause after a failure
    std::chrono::milliseconds max_backoff{2000};
    std::size_t max_in_flight = 4096;  // beyond this, commands are refused
    std::string name;                  // for logs, e.g. redis://127.0.0.1:6379/0
  };

  enum class State : std::uint8_t {
    kIdle,        // never connected: the first command starts connecting
    kConnecting,  // commands are held, and sent once the database is selected
    kReady,
    kBackingOff,  // after a failure: commands are refused until the next attempt
    kClosed,
  };

  static constexpr std::size_t kMaxArgs = 8;

  Connection(boost::asio::io_context& loop, Options options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Whether a command sent now would be queued. Starts connecting when idle.
  bool accepting();

  // Queues a command (at most kMaxArgs arguments, binary-safe); commands are pipelined and
  // answered in order. Returns false, after calling the handler with nullptr, when the command
  // is refused. A null handler sends the command without waiting for its answer.
  bool send(std::span<const std::string_view> args, std::unique_ptr<ReplyHandler> handler);

  // Frees the hiredis context (pending handlers get nullptr) and stops reconnecting.
  void close();

  State state() const { return state_; }
  std::size_t in_flight() const { return deadlines_.size() + held_.size(); }

 private:
  class Hello;
  using Clock = std::chrono::steady_clock;

  // A command sent while connecting, waiting for its connection's SELECT to succeed.
  struct Held {
    std::vector<std::string> args;
    std::unique_ptr<ReplyHandler> handler;
    Clock::time_point deadline;
  };

  // Hands a command to hiredis; false, after calling the handler with nullptr, if it refuses.
  bool issue(std::span<const std::string_view> args, std::unique_ptr<ReplyHandler> handler,
             Clock::time_point deadline);

  void connect();
  void connect_failed(std::string_view error);
  void on_ready();
  void on_context_gone();
  void drop(std::string_view reason);
  void drop_later(std::string reason);
  void schedule_reconnect();
  void note_failure(std::string_view what, std::string_view error);
  void arm_watchdog();
  void on_watchdog();
  void wait_readable();
  void wait_writable();

  // hiredis hooks and callbacks; `data` and ac->data are the Connection.
  static void hook_add_read(void* data);
  static void hook_del_read(void* data);
  static void hook_add_write(void* data);
  static void hook_del_write(void* data);
  static void hook_cleanup(void* data);
  static void on_command_reply(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::io_context& loop_;
  const Options options_;
  boost::asio::posix::stream_descriptor socket_;  // non-owning view of hiredis's socket
  boost::asio::steady_timer watchdog_;
  boost::asio::steady_timer reconnect_timer_;
  redisAsyncContext* context_ = nullptr;
  State state_ = State::kIdle;

  // Which hiredis context the socket waits belong to; a wait for an older one is ignored.
  std::uint64_t epoch_ = 0;
  bool read_wanted_ = false;
  bool write_wanted_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool flushing_ = false;  // inside a posted flush: a further write must wait for epoll

  // Deadlines of the commands awaiting an answer, oldest first (answers come in order).
  std::deque<std::chrono::steady_clock::time_point> deadlines_;
  // Commands sent while connecting. Pipelined behind the SELECT they would run in database 0
  // should it fail (a database number the server does not have).
  std::vector<Held> held_;
  bool watchdog_armed_ = false;

  Backoff backoff_;
  bool failing_ = false;   // a failure was logged and no connection succeeded since
  bool dropping_ = false;  // we are freeing the context ourselves (and said why)
};

// The connections of one event loop, one per cache instance, kept as a service of the loop's
// io_context: they are created lazily on the loop's thread and closed when the io_context
// shuts down, while its reactor is still there to release their sockets.
class ConnectionRegistry final : public boost::asio::execution_context::service {
 public:
  static inline boost::asio::execution_context::id id;

  explicit ConnectionRegistry(boost::asio::execution_context& context);

  // On the loop's thread only.
  std::shared_ptr<Connection> find(std::uint64_t owner) const;
  void add(std::uint64_t owner, std::shared_ptr<Connection> connection);
  void close(std::uint64_t owner);

  // Changes whenever a registry shuts down, so per-thread memos of a Connection* can tell that
  // the loop they were taken from may be gone.
  static std::uint64_t generation();

 private:
  void shutdown() override;

  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> connections_;
};

}  // namespace subscriberd::cache::redis
