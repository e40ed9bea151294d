// The HTTP server's own life cycle, with a stand-in for the application behind it.
#include "http/server.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
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

// Answers /stale with a body and a Content-Length of its own that is wrong, and /empty with a
// 204: what the session writes as the body's length.
class FramingHandler final : public RequestHandler {
 public:
  asio::awaitable<Response> handle(Request request) override {
    if (request.target() == "/empty")
      co_return Response{beast_http::status::no_content, request.version()};
    Response response{beast_http::status::ok, request.version()};
    response.set(beast_http::field::content_length, "99");
    response.body() = "hello";
    co_return response;
  }
  Response reject(ProtocolError, unsigned) override { return Response{}; }
};

// Sends one request that asks for the connection to close, and returns all that comes back.
std::string exchange(const asio::ip::tcp::endpoint& endpoint, std::string_view request) {
  asio::io_context client;
  asio::ip::tcp::socket socket(client);
  socket.connect(endpoint);
  asio::write(socket, asio::buffer(request));
  std::string answer;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(answer), ec);  // to the end of the stream
  return answer;
}

std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1))
    ++count;
  return count;
}

TEST(ServerTest, ContentLengthIsTheBodysOwnAndOnlyWhereOneIsAllowed) {
  FramingHandler handler;
  ServerOptions options;
  options.port = 0;
  options.threads = 1;
  Server server(options, handler);
  const auto endpoint = server.start();

  const std::string get =
      exchange(endpoint, "GET /stale HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(occurrences(get, "Content-Length"), 1u) << get;
  EXPECT_NE(get.find("\r\nContent-Length: 5\r\n"), std::string::npos) << get;
  EXPECT_TRUE(get.ends_with("\r\n\r\nhello")) << get;

  // HEAD: the length its GET would have, and no body.
  const std::string head =
      exchange(endpoint, "HEAD /stale HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(occurrences(head, "Content-Length"), 1u) << head;
  EXPECT_NE(head.find("\r\nContent-Length: 5\r\n"), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << head;

  // RFC 9110 8.6: none in a 204.
  const std::string empty =
      exchange(endpoint, "GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(empty.starts_with("HTTP/1.1 204 ")) << empty;
  EXPECT_EQ(occurrences(empty, "Content-Length"), 0u) << empty;

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
