#include "http/session.h"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "util/log.h"
#include "util/text.h"

namespace subscriberd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Errors that simply mean the peer went away or a deadline passed: not worth a log line.
bool is_disconnect(const beast::error_code& ec) {
  return ec == beast_http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == beast::error::timeout || ec == asio::error::broken_pipe ||
         ec == beast_http::error::partial_message;
}

}  // namespace

Session::Session(Server& server, Server::Loop& loop, asio::ip::tcp::socket socket)
    : server_(server), loop_(loop), stream_(std::move(socket)) {}

asio::awaitable<void> Session::serve(Server& server, Server::Loop& loop,
                                     asio::ip::tcp::socket socket) {
  Session session(server, loop, std::move(socket));
  server.session_started(loop, &session);
  co_await session.run();
  server.session_finished(loop, &session);
}

void Session::interrupt_if_idle() {
  if (idle_)
    close_now();
}

void Session::close_now() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

asio::awaitable<void> Session::run() {
  const ServerOptions& options = server_.options();
  stream_.socket().set_option(asio::ip::tcp::no_delay(true));

  while (!server_.stopping()) {
    // Idle: wait for the first byte of the next request, unless it is already buffered.
    if (buffer_.size() == 0) {
      idle_ = true;
      stream_.expires_after(options.idle_timeout);
      auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kNoThrow);
      idle_ = false;
      if (ec)
        break;
      buffer_.commit(n);
    }
    idle_ = false;

    // Busy: the whole request must arrive within io_timeout.
    beast_http::request_parser<beast_http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(options.body_limit);
    stream_.expires_after(options.io_timeout);
    auto [header_ec, header_bytes] =
        co_await beast_http::async_read_header(stream_, buffer_, parser, kNoThrow);
    if (header_ec == beast_http::error::header_limit) {
      co_await reject_and_close(ProtocolError::kHeadersTooLarge, 11);
      break;
    }
    if (header_ec == beast_http::error::body_limit) {
      co_await reject_and_close(ProtocolError::kBodyTooLarge, parser.get().version());
      break;
    }
    if (header_ec) {
      if (!is_disconnect(header_ec))
        co_await reject_and_close(ProtocolError::kMalformed, 11);
      break;
    }

    if (!parser.is_done()) {
      // A client that asked before sending its body gets the go-ahead.
      auto expect = parser.get()[beast_http::field::expect];
      if (text::iequals_ascii(expect, "100-continue")) {
        beast_http::response<beast_http::empty_body> go_ahead{beast_http::status::continue_,
                                                              parser.get().version()};
        auto [ec, n] = co_await beast_http::async_write(stream_, go_ahead, kNoThrow);
        if (ec)
          break;
      }
      auto [body_ec, body_bytes] =
          co_await beast_http::async_read(stream_, buffer_, parser, kNoThrow);
      if (body_ec == beast_http::error::body_limit) {
        co_await reject_and_close(ProtocolError::kBodyTooLarge, parser.get().version());
        break;
      }
      if (body_ec) {
        if (!is_disconnect(body_ec)) {
          co_await reject_and_close(ProtocolError::kMalformed, parser.get().version());
        }
        break;
      }
    }

    Request request = parser.release();
    const bool keep_alive = request.keep_alive();
    const bool head_only = request.method() == beast_http::verb::head;
    Response response = co_await server_.handler().handle(std::move(request));
    response.keep_alive(keep_alive && !server_.stopping());
    if (!co_await write(response, head_only))
      break;
    if (!response.keep_alive())
      break;
  }
  close_now();
}

asio::awaitable<bool> Session::write(Response& response, bool head_only) {
  // The head is formatted into a buffer the session keeps, and goes out with the body in one
  // gather write. Beast's generic serializer cost a third of a cached GET's instructions.
  response.prepare_payload();  // Content-Length (and Connection) from the body and keep-alive
  head_.clear();
  head_ += "HTTP/1.1 ";
  head_ += std::to_string(response.result_int());
  head_ += ' ';
  head_ += beast_http::obsolete_reason(response.result());
  head_ += "\r\n";
  for (const auto& field : response) {
    head_ += field.name_string();
    head_ += ": ";
    head_ += field.value();
    head_ += "\r\n";
  }
  head_ += "\r\n";

  stream_.expires_after(server_.options().io_timeout);
  // HEAD: the same headers as GET, Content-Length included, and no body.
  const std::array<asio::const_buffer, 2> buffers = {
      asio::buffer(head_), head_only ? asio::const_buffer() : asio::buffer(response.body())};
  auto [ec, n] = co_await asio::async_write(stream_, buffers, kNoThrow);
  co_return !ec;
}

asio::awaitable<void> Session::reject_and_close(ProtocolError error, unsigned version) {
  Response response = server_.handler().reject(error, version);
  response.keep_alive(false);
  if (!co_await write(response, false))
    co_return;
  // Let the client read the answer before the connection goes: stop sending, then discard
  // what it still sends (an oversized body, say) for a short while. Closing with unread
  // data would reset the connection and could destroy the response in flight.
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::chrono::seconds(2));
  std::array<char, 4096> sink;
  for (std::size_t drained = 0; drained < 1024 * 1024;) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), kNoThrow);
    if (ec)
      break;
    drained += n;
  }
}

}  // namespace subscriberd::http
