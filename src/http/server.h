#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/request_handler.h"

namespace subscriberd::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t threads = 2;
  // Longest wait for the first byte of the next request on a kept-alive connection.
  std::chrono::milliseconds idle_timeout{30'000};
  // Longest time from a request's first byte to its last, and for writing a response.
  std::chrono::milliseconds io_timeout{10'000};
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 64 * 1024;
};

class Session;

// An HTTP/1.1 server: one event loop per thread, an acceptor that deals connections out to
// the loops in turn, and one coroutine per connection (see session.h).
class Server {
 public:
  Server(ServerOptions options, RequestHandler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Returns the bound address (port 0 resolved).
  boost::asio::ip::tcp::endpoint start();

  // Graceful stop: no new connections; idle ones are closed; requests in flight finish
  // and get their responses (with Connection: close) until `grace` runs out, then the
  // remaining connections are closed. Blocks until the sessions are gone.
  void drain(std::chrono::milliseconds grace);
  // Stops the event loops and joins their threads; call after drain() and after the
  // components the sessions wait on have finished.
  void join();

  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  const ServerOptions& options() const { return options_; }
  RequestHandler& handler() { return handler_; }

  // Connection bookkeeping, called by sessions on their own loop's thread.
  struct Loop {
    // Declared before the context, so that it outlives it: destroying the context destroys
    // the coroutines of sessions still suspended on it (after a grace period ran out), and
    // each of them leaves the set as it goes.
    std::unordered_set<Session*> sessions;  // touched only on this loop's thread
    boost::asio::io_context context{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::thread thread;
  };
  void session_started(Loop& loop, Session* session);
  void session_finished(Loop& loop, Session* session);

 private:
  boost::asio::awaitable<void> accept_loop();
  // Closes the loop's connections whose wait for the peer has overrun its deadline.
  boost::asio::awaitable<void> sweep_deadlines(Loop& loop);

  ServerOptions options_;
  RequestHandler& handler_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> active_sessions_{0};
  bool joined_ = false;
};

}  // namespace subscriberd::http
