#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

#include "http/server.h"

namespace subscriberd::http {

// One client connection: read a request, let the handler answer it, write the response,
// repeat while the connection is kept alive. Requests are handled one at a time, so
// pipelined requests are answered in order. Every wait for the peer has a deadline, which
// the loop's sweep enforces (Server): a timer per read and write would cost a timer-queue
// insertion, a cancellation and a queued completion on every request.
class Session {
 public:
  Session(Server& server, Server::Loop& loop, boost::asio::ip::tcp::socket socket);

  // The connection's life; the coroutine frame owns the Session.
  static boost::asio::awaitable<void> serve(Server& server, Server::Loop& loop,
                                            boost::asio::ip::tcp::socket socket);

  // Called on the session's loop when the server drains: an idle connection is closed at
  // once, a busy one after its current response.
  void interrupt_if_idle();
  void close_now();
  // Called by the loop's periodic sweep: closes the connection if a wait has overrun.
  using Clock = std::chrono::steady_clock;
  void close_if_overdue(Clock::time_point now);

 private:
  using RequestParser = beast_http::request_parser<beast_http::string_body>;
  enum class ReadResult : std::uint8_t {
    kComplete,         // the parser holds a whole request
    kPeerGone,         // closed, reset or timed out: nothing to answer
    kMalformed,        // 400
    kHeadersTooLarge,  // 431
    kBodyTooLarge,     // 413
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<ReadResult> read_request(RequestParser& parser);
  boost::asio::awaitable<bool> write(Response& response, bool head_only);
  // Writes all of `buffers`; false when the connection failed or timed out.
  boost::asio::awaitable<bool> send(std::array<boost::asio::const_buffer, 2> buffers);
  boost::asio::awaitable<void> reject_and_close(ProtocolError error, unsigned version);
  // Stops sending, then discards what the peer still sends for a short while, so that the
  // last response is not destroyed by a reset (see the definition).
  boost::asio::awaitable<void> linger();
  // Drops the empty lines a client may send before a request line (RFC 9112, 2.2). True when
  // all that is left is a CR whose LF has not arrived yet: more input decides what it starts.
  bool skip_empty_lines();

  Server& server_;
  Server::Loop& loop_;
  static constexpr Clock::time_point kNoDeadline = Clock::time_point::max();

  boost::asio::ip::tcp::socket socket_;
  Clock::time_point deadline_ = kNoDeadline;  // of the wait in progress, if any
  boost::beast::flat_buffer buffer_;
  std::string head_;  // the response head being written; its capacity is reused
  bool idle_ = true;
};

}  // namespace subscriberd::http
