// The HTTP server's own life cycle, with a stand-in for the application behind it.
#include "http/server.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "http/request_handler.h"

namespace subscriberd::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Answers nothing: every request waits for an hour, like one stuck on a store that does not
// answer.
class StuckHandler final : public RequestHandler {
 public:
  asio::awaitable<Response> handle(Request) override {
    entered.fetch_add(1);
    asio::steady_timer forever(co_await asio::this_coro::executor, 1h);
    co_await forever.async_wait(asio::use_awaitable);
    co_return Response{};
  }
  Response reject(ProtocolError, unsigned) override { return Response{}; }

  std::atomic<int> entered{0};
};

// Answers /stale with a body and a Content-Length and Transfer-Encoding of its own, both
// wrong, and /empty with a 204 that has a body: the session frames what it sends itself.
class FramingHandler final : public RequestHandler {
 public:
  asio::awaitable<Response> handle(Request request) override {
    const bool empty = request.target() == "/empty";
    Response response{empty ? beast_http::status::no_content : beast_http::status::ok,
                      request.version()};
    if (!empty) {
      response.set(beast_http::field::content_length, "99");
      response.set(beast_http::field::transfer_encoding, "chunked");
    }
    response.body() = empty ? "not sent" : "hello";
    co_return response;
  }
  Response reject(ProtocolError, unsigned) override { return Response{}; }
};

TEST(ServerTest, ResponsesAreFramedByTheirBodysLengthAlone) {
  FramingHandler handler;
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  Server server(options, handler);
  const auto endpoint = server.start();

  // Four requests on one connection, the last asking it to close: each answer must end where
  // the next begins, so the whole stream is known to the byte.
  asio::io_context client;
  asio::ip::tcp::socket socket(client);
  socket.connect(endpoint);
  const timeval patience{5, 0};  // a framing bug fails the test instead of hanging it
  ASSERT_EQ(
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience), 0);
  asio::write(socket, asio::buffer(std::string_view("HEAD /stale HTTP/1.1\r\nHost: x\r\n\r\n"
                                                    "GET /stale HTTP/1.1\r\nHost: x\r\n\r\n"
                                                    "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n"
                                                    "GET /stale HTTP/1.1\r\nHost: x\r\n"
                                                    "Connection: close\r\n\r\n")));
  std::string answers;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answers), ec);  // to the end of the stream
  EXPECT_EQ(ec, asio::error::eof) << ec.message();

  EXPECT_EQ(answers,
            // HEAD: the length its GET would have, and no body.
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
            // RFC 9110 8.6 and 15.3.5: a 204 has neither a Content-Length nor a body.
            "HTTP/1.1 204 No Content\r\n\r\n"
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello");

  server.drain(1s);
  server.join();
}

TEST(ServerTest, RequestsStillWaitingWhenTheGracePeriodEndsAreDestroyedSafely) {
  StuckHandler handler;
  ServerOptions options;
  options.port = 0;
  options.threads = 2;
  auto server = std::make_unique<Server>(options, handler);
  const auto endpoint = server->start();

  // One request on each loop (connections are dealt out in turn).
  asio::io_context client;
  asio::ip::tcp::socket first(client), second(client);
  for (auto* socket : {&first, &second}) {
    socket->connect(endpoint);
    asio::write(*socket, asio::buffer(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  }
  for (int i = 0; i < 500 && handler.entered.load() < 2; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(handler.entered.load(), 2);

  // The grace period runs out with both requests in the handler; their coroutines are still
  // suspended when the loops stop, and are destroyed with the loops' contexts.
  server->drain(50ms);
  server->join();
  server.reset();

  // Both connections were closed without an answer.
  for (auto* socket : {&first, &second}) {
    char byte = 0;
    boost::system::error_code ec;
    const std::size_t n = asio::read(*socket, asio::buffer(&byte, 1), ec);
    EXPECT_EQ(n, 0u);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  }
}

}  // namespace
}  // namespace subscriberd::http
