#include "http/server.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/session.h"
#include "util/event_loop.h"
#include "util/log.h"
#include "util/thread_name.h"
#include "util/thread_slot.h"

namespace subscriberd::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// How long accepting pauses after a failed accept (out of descriptors, buffers or memory).
constexpr std::chrono::milliseconds kAcceptPause{100};
}  // namespace

Server::Server(ServerOptions options, RequestHandler& handler)
    : options_(std::move(options)), handler_(handler) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.threads); ++i) {
    loops_.push_back(std::make_unique<Loop>());
  }
}

Server::~Server() {
  join();
  // Now, while every member is alive: the sessions left suspended on a loop report to this
  // server when the loop's context destroys them. Loop 0 goes first: an accept it still holds
  // may own a socket made for another loop.
  acceptor_.reset();
  for (auto& loop : loops_)
    loop.reset();
}

tcp::endpoint Server::start() {
  tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
  acceptor_.emplace(loops_.front()->context);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(tcp::acceptor::reuse_address(true));
  acceptor_->bind(endpoint);
  acceptor_->listen(asio::socket_base::max_listen_connections);
  const tcp::endpoint bound = acceptor_->local_endpoint();

  asio::co_spawn(loops_.front()->context, accept_loop(), asio::detached);
  for (std::size_t number = 0; number < loops_.size(); ++number) {
    Loop& loop = *loops_[number];
    asio::co_spawn(loop.context, sweep_deadlines(loop), asio::detached);
    loop.guard.emplace(loop.context.get_executor());
    loop.thread = std::thread([&context = loop.context, number] {
      util::name_this_thread("net-" + std::to_string(number));
      util::set_this_thread_loop(&context);
      util::set_this_thread_slot(number);  // each its own slot of the per-request state
      context.run();
    });
  }
  return bound;
}

asio::awaitable<void> Server::accept_loop() {
  std::size_t next = 0;
  for (;;) {
    Loop& loop = *loops_[next];
    next = (next + 1) % loops_.size();
    auto [ec, socket] =
        co_await acceptor_->async_accept(loop.context, asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor_->is_open())
      co_return;
    if (ec) {
      // Out of descriptors and the like: keep serving the connections we have, and pause
      // before accepting again. The connection that failed is still queued, so an immediate
      // retry would fail the same way, in a loop that takes a CPU and floods the log.
      log::warn("accept failed; pausing new connections",
                {{"error", ec.message()}, {"pause_ms", std::to_string(kAcceptPause.count())}});
      asio::steady_timer pause(loops_.front()->context, kAcceptPause);
      auto [pause_ec] = co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      if (pause_ec || !acceptor_->is_open())
        co_return;
      continue;
    }
    asio::co_spawn(loop.context, Session::serve(*this, loop, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::sweep_deadlines(Loop& loop) {
  // A deadline is enforced within one interval after it passes: an eighth of the shorter
  // timeout, at least 10 ms and at most a second.
  const auto shorter = std::min(options_.idle_timeout, options_.io_timeout);
  const auto interval = std::clamp<std::chrono::milliseconds>(
      shorter / 8, std::chrono::milliseconds(10), std::chrono::seconds(1));
  asio::steady_timer timer(loop.context);
  for (;;) {
    timer.expires_after(interval);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec)
      co_return;
    const auto now = std::chrono::steady_clock::now();
    // Closing only cancels the session's pending operation; it leaves the set later, when
    // its coroutine resumes, so iterating the set here is safe.
    for (Session* session : loop.sessions)
      session->close_if_overdue(now);
  }
}

void Server::session_started(Loop& loop, Session* session) {
  active_sessions_.fetch_add(1, std::memory_order_relaxed);
  loop.sessions.insert(session);
  if (stopping())
    session->interrupt_if_idle();
}

void Server::session_finished(Loop& loop, Session* session) {
  loop.sessions.erase(session);
  active_sessions_.fetch_sub(1, std::memory_order_release);
}

void Server::drain(std::chrono::milliseconds grace) {
  stopping_.store(true);
  asio::post(loops_.front()->context, [this] {
    boost::system::error_code ignored;
    if (acceptor_)
      acceptor_->close(ignored);
  });
  for (auto& loop : loops_) {
    asio::post(loop->context, [l = loop.get()] {
      // Copy: closing a session may let it finish and leave the set.
      std::vector<Session*> sessions(l->sessions.begin(), l->sessions.end());
      for (Session* s : sessions)
        s->interrupt_if_idle();
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (active_sessions_.load(std::memory_order_acquire) > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (active_sessions_.load() > 0) {
    log::warn("grace period over; closing remaining connections",
              {{"connections", std::to_string(active_sessions_.load())}});
    for (auto& loop : loops_) {
      asio::post(loop->context, [l = loop.get()] {
        std::vector<Session*> sessions(l->sessions.begin(), l->sessions.end());
        for (Session* s : sessions)
          s->close_now();
      });
    }
  }
}

void Server::join() {
  if (joined_)
    return;
  joined_ = true;
  for (auto& loop : loops_) {
    loop->guard.reset();
    loop->context.stop();
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable())
      loop->thread.join();
  }
}

}  // namespace subscriberd::http
