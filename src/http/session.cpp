#include "http/session.h"

#include <array>
#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/error.hpp>

#include "util/log.h"
#include "util/text.h"

namespace subscriberd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadSize = 4096;  // bytes asked for by each read
// Empty lines ignored before a request line: one is what RFC 9112 asks servers to accept
// (some clients end a body with an extra CRLF); a few more cost nothing.
constexpr int kMaxEmptyLines = 4;

// Whether the body's length is known. RFC 9112 has a request whose transfer codings do not
// end in chunked refused with a 400 (6.3), and an HTTP/1.0 request with any treated as faulty
// (6.1); Beast would read the first as having no body, and take the second as chunked.
bool body_length_is_known(const beast_http::request_parser<beast_http::string_body>& parser) {
  if (parser.get().count(beast_http::field::transfer_encoding) == 0)
    return true;
  return parser.chunked() && parser.get().version() >= 11;
}

// Whether a response of this status has a body, and so a Content-Length. RFC 9110 8.6 forbids
// one in a 1xx or 204 response; a 304 may carry its 200's length, but none is sent here: it has
// no body either (RFC 9110 15.4.5).
bool has_body(beast_http::status status) {
  const auto code = static_cast<unsigned>(status);
  return code >= 200 && status != beast_http::status::no_content &&
         status != beast_http::status::not_modified;
}

}  // namespace

Session::Session(Server& server, Server::Loop& loop, asio::ip::tcp::socket socket)
    : server_(server), loop_(loop), socket_(std::move(socket)) {}

asio::awaitable<void> Session::serve(Server& server, Server::Loop& loop,
                                     asio::ip::tcp::socket socket) {
  Session session(server, loop, std::move(socket));
  server.session_started(loop, &session);
  // The loop's set must forget the session however run() ends, an exception included: the
  // deadline sweep visits every session in it.
  struct Finished {
    Server& server;
    Server::Loop& loop;
    Session* session;
    ~Finished() { server.session_finished(loop, session); }
  } finished{server, loop, &session};
  co_await session.run();
}

void Session::interrupt_if_idle() {
  if (idle_)
    close_now();
}

void Session::close_if_overdue(Clock::time_point now) {
  if (now >= deadline_)
    close_now();
}

void Session::close_now() {
  beast::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

asio::awaitable<void> Session::run() {
  const ServerOptions& options = server_.options();
  // Synchronous writes on this socket return would_block instead of waiting; see send().
  // (Both fail only on a socket already closed, by a drain that began before the session.)
  beast::error_code setup_ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), setup_ec);
  if (!setup_ec)
    socket_.non_blocking(true, setup_ec);
  if (setup_ec) {
    close_now();
    co_return;
  }

  bool line_end_due = false;  // the buffer holds a CR that may begin an empty line
  while (!server_.stopping()) {
    // Idle: wait for the first byte of the next request, unless it is already buffered.
    if (buffer_.size() == 0 || line_end_due) {
      idle_ = true;
      deadline_ = Clock::now() + options.idle_timeout;
      auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadSize), kNoThrow);
      deadline_ = kNoDeadline;
      idle_ = false;
      if (ec)
        break;
      buffer_.commit(n);
    }
    idle_ = false;
    line_end_due = skip_empty_lines();
    if (buffer_.size() == 0 || line_end_due)
      continue;

    RequestParser parser;
    parser.eager(true);  // the body in the same pass as the header
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(options.body_limit);
    const ReadResult read = co_await read_request(parser);
    if (read == ReadResult::kPeerGone)
      break;
    if (read != ReadResult::kComplete) {
      const unsigned version = parser.get().version();  // 11 until a start line is parsed
      co_await reject_and_close(read == ReadResult::kHeadersTooLarge
                                    ? ProtocolError::kHeadersTooLarge
                                : read == ReadResult::kBodyTooLarge ? ProtocolError::kBodyTooLarge
                                                                    : ProtocolError::kMalformed,
                                version);
      break;
    }

    // Closed by a drain or the deadline sweep while the request was read: nobody would get
    // the answer.
    if (!socket_.is_open())
      break;
    Request request = parser.release();
    const bool keep_alive = request.keep_alive();
    const bool head_only = request.method() == beast_http::verb::head;
    Response response = co_await server_.handler().handle(std::move(request));
    response.keep_alive(keep_alive && !server_.stopping());
    if (!co_await write(response, head_only))
      break;
    if (!response.keep_alive()) {
      // Unread requests behind this one would make the close a reset.
      beast::error_code ignored;
      if (buffer_.size() > 0 || socket_.available(ignored) > 0)
        co_await linger();
      break;
    }
  }
  close_now();
}

bool Session::skip_empty_lines() {
  const auto* data = static_cast<const char*>(buffer_.data().data());
  const std::size_t size = buffer_.size();
  std::size_t at = 0;
  int line = 0;
  for (; line < kMaxEmptyLines; ++line) {
    if (at < size && data[at] == '\n') {
      at += 1;
    } else if (at + 1 < size && data[at] == '\r' && data[at + 1] == '\n') {
      at += 2;
    } else {
      break;
    }
  }
  // A CRLF split between two reads: parsed now, the CR would make the request line a 400.
  const bool lone_cr_left = line < kMaxEmptyLines && size - at == 1 && data[at] == '\r';
  buffer_.consume(at);
  return lone_cr_left;
}

asio::awaitable<Session::ReadResult> Session::read_request(RequestParser& parser) {
  // The parser is fed straight from the buffer: a request that arrived whole (the usual case)
  // is parsed without a queued operation or a timer. Only a request still arriving waits, and
  // then the whole of it must arrive within io_timeout.
  bool go_ahead_considered = false;
  bool framing_checked = false;
  for (;;) {
    beast::error_code ec;
    buffer_.consume(parser.put(buffer_.data(), ec));
    if (!framing_checked && parser.is_header_done()) {
      framing_checked = true;
      if (!body_length_is_known(parser))
        co_return ReadResult::kMalformed;
    }
    if (parser.is_done()) {
      deadline_ = kNoDeadline;
      co_return ReadResult::kComplete;
    }
    if (ec == beast_http::error::header_limit)
      co_return ReadResult::kHeadersTooLarge;
    if (ec == beast_http::error::body_limit)
      co_return ReadResult::kBodyTooLarge;
    if (ec && ec != beast_http::error::need_more)
      co_return ReadResult::kMalformed;

    if (parser.is_header_done() && !go_ahead_considered) {
      go_ahead_considered = true;
      // A client that asked before sending its body gets the go-ahead.
      // (HTTP/1.0 has no such thing: RFC 9110 has a server ignore it there.)
      if (parser.get().version() >= 11 &&
          text::iequals_ascii(parser.get()[beast_http::field::expect], "100-continue")) {
        constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!co_await send({asio::buffer(kContinue), asio::const_buffer()}))
          co_return ReadResult::kPeerGone;
      }
    }

    // What the parser has not consumed is part of a header line (bounded by header_limit) or
    // of a chunk's framing, which Beast does not bound: bound the buffer here.
    if (buffer_.size() > server_.options().header_limit + kReadSize) {
      co_return parser.is_header_done() ? ReadResult::kMalformed : ReadResult::kHeadersTooLarge;
    }
    if (deadline_ == kNoDeadline)
      deadline_ = Clock::now() + server_.options().io_timeout;
    auto [read_ec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadSize), kNoThrow);
    if (read_ec)
      co_return ReadResult::kPeerGone;  // closed mid-request, reset, or too slow
    buffer_.commit(n);
  }
}

asio::awaitable<bool> Session::write(Response& response, bool head_only) {
  // The head is formatted into a buffer the session keeps, and goes out with the body in one
  // gather write. Beast's generic serializer cost a third of a cached GET's instructions.
  head_.clear();
  head_ += "HTTP/1.1 ";
  head_ += std::to_string(response.result_int());
  head_ += ' ';
  head_ += beast_http::obsolete_reason(response.result());
  head_ += "\r\n";
  for (const auto& field : response) {
    // The body's own length is written below, and it is never chunked: whatever framing a
    // handler set would contradict it (RFC 9112 6.2, 6.3).
    if (field.name() == beast_http::field::content_length ||
        field.name() == beast_http::field::transfer_encoding) {
      continue;
    }
    head_ += field.name_string();
    head_ += ": ";
    head_ += field.value();
    head_ += "\r\n";
  }
  // Content-Length from the body, written here rather than added to the response's fields
  // (each field is an allocation); HEAD gets the length its GET would have (RFC 9110 9.3.2).
  const bool body_allowed = has_body(response.result());
  if (body_allowed) {
    std::array<char, 24> digits;
    const char* end =
        std::to_chars(digits.data(), digits.data() + digits.size(), response.body().size()).ptr;
    head_ += "Content-Length: ";
    head_.append(digits.data(), static_cast<std::size_t>(end - digits.data()));
    head_ += "\r\n";
  }
  head_ += "\r\n";
  // HEAD: the same headers as GET, Content-Length included, and no body.
  const bool send_body = body_allowed && !head_only;
  co_return co_await send(
      {asio::buffer(head_), send_body ? asio::buffer(response.body()) : asio::const_buffer()});
}

asio::awaitable<bool> Session::send(std::array<asio::const_buffer, 2> buffers) {
  // Try at once: a response nearly always fits the socket's send buffer, and then costs one
  // system call, with no operation queued on the loop and no timer. Only what the kernel did
  // not take waits, within io_timeout.
  beast::error_code ec;
  const std::size_t total = asio::buffer_size(buffers);
  const std::size_t sent = socket_.write_some(buffers, ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again)
    co_return false;
  if (!ec && sent == total)
    co_return true;

  beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(buffers);
  rest.consume(ec ? 0 : sent);
  const Clock::time_point outer_deadline = deadline_;  // a request's, around a go-ahead
  deadline_ = Clock::now() + server_.options().io_timeout;
  auto [write_ec, n] = co_await asio::async_write(socket_, rest, kNoThrow);
  deadline_ = outer_deadline;
  co_return !write_ec;
}

asio::awaitable<void> Session::reject_and_close(ProtocolError error, unsigned version) {
  Response response = server_.handler().reject(error, version);
  response.keep_alive(false);
  if (co_await write(response, false))
    co_await linger();
}

asio::awaitable<void> Session::linger() {
  // Let the client read the answer before the connection goes: stop sending, then discard
  // what it still sends (an oversized body, pipelined requests) for a short while. Closing
  // with unread data would reset the connection and could destroy the response in flight.
  beast::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  deadline_ = Clock::now() + std::chrono::seconds(2);
  std::array<char, 4096> sink;
  for (std::size_t drained = 0; drained < 1024 * 1024;) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(sink), kNoThrow);
    if (ec)
      break;
    drained += n;
  }
}

}  // namespace subscriberd::http
