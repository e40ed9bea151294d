#include "support/http_client.h"

#include <cctype>
#include <poll.h>
#include <stdexcept>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace subscriberd::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Waits until the socket is readable; false on timeout.
bool wait_readable(tcp::socket& socket, std::chrono::milliseconds timeout) {
  pollfd fd{socket.native_handle(), POLLIN, 0};
  return ::poll(&fd, 1, static_cast<int>(timeout.count())) > 0;
}

// Reads more bytes into `buffer`; returns 0 on EOF or error, -1 on timeout.
long read_more(tcp::socket& socket, std::string& buffer, std::chrono::milliseconds timeout) {
  if (!wait_readable(socket, timeout))
    return -1;
  char chunk[16384];
  boost::system::error_code ec;
  std::size_t n = socket.read_some(asio::buffer(chunk), ec);
  if (ec)
    return 0;
  buffer.append(chunk, n);
  return static_cast<long>(n);
}

// Takes one complete response off the front of `buffer`, if there is one.
std::optional<HttpResponse> take_response(std::string& buffer) {
  std::size_t end = buffer.find("\r\n\r\n");
  if (end == std::string::npos)
    return std::nullopt;
  HttpResponse response;
  std::string_view head(buffer.data(), end);
  std::size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  response.status = std::stoi(std::string(status_line.substr(9, 3)));
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    std::size_t next = head.find("\r\n", pos);
    std::string_view line =
        head.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string value(line.substr(colon + 1));
      while (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      response.headers[lower(std::string(line.substr(0, colon)))] = value;
    }
    if (next == std::string_view::npos)
      break;
    pos = next + 2;
  }
  std::size_t length = 0;
  if (auto it = response.headers.find("content-length"); it != response.headers.end()) {
    length = std::stoul(it->second);
  }
  if (response.status == 100)
    length = 0;
  if (buffer.size() < end + 4 + length)
    return std::nullopt;
  response.body = buffer.substr(end + 4, length);
  buffer.erase(0, end + 4 + length);
  return response;
}

std::string format_request(std::string_view method, std::string_view target,
                           const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string request;
  request += method;
  request += ' ';
  request += target;
  request += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers)
    request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST")
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n";
  request += body;
  return request;
}

}  // namespace

std::string HttpResponse::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string{} : it->second;
}

HttpClient::HttpClient(std::uint16_t port) : port_(port) {}

void HttpClient::connect() {
  socket_.emplace(context_);
  socket_->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  socket_->set_option(tcp::no_delay(true));
  buffer_.clear();
}

HttpResponse HttpClient::get(std::string_view target,
                             std::vector<std::pair<std::string, std::string>> headers) {
  return request("GET", target, {}, std::move(headers));
}

HttpResponse HttpClient::post(std::string_view target, std::string body,
                              std::string_view content_type) {
  return request("POST", target, std::move(body), {{"Content-Type", std::string(content_type)}});
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target, std::string body,
                                 std::vector<std::pair<std::string, std::string>> headers) {
  const std::string wire = format_request(method, target, body, headers);
  // One retry on a fresh connection: the server may have closed an idle kept-alive one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!socket_ || !socket_->is_open())
      connect();
    boost::system::error_code ec;
    asio::write(*socket_, asio::buffer(wire), ec);
    if (!ec) {
      for (;;) {
        if (auto response = take_response(buffer_)) {
          if (response->status == 100)
            continue;
          if (lower(response->header("connection")) == "close")
            socket_.reset();
          return *response;
        }
        long n = read_more(*socket_, buffer_, std::chrono::seconds(30));
        if (n == -1)
          throw std::runtime_error("timed out waiting for a response");
        if (n == 0)
          break;
      }
    }
    socket_.reset();
    if (attempt == 0 && buffer_.empty())
      continue;
    break;
  }
  throw std::runtime_error("connection closed without a response");
}

RawConnection::RawConnection(std::uint16_t port) : socket_(context_) {
  socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

void RawConnection::send(std::string_view bytes) {
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
}

std::vector<HttpResponse> RawConnection::read_responses(std::size_t count,
                                                        std::chrono::milliseconds timeout) {
  std::vector<HttpResponse> responses;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (responses.size() < count) {
    if (auto response = take_response(buffer_)) {
      if (response->status != 100)
        responses.push_back(std::move(*response));
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || read_more(socket_, buffer_, left) <= 0)
      break;
  }
  return responses;
}

std::string RawConnection::read_raw(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || read_more(socket_, buffer_, left) <= 0)
      break;
  }
  return std::exchange(buffer_, {});
}

bool RawConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    long n = read_more(socket_, buffer_, left);
    if (n == 0)
      return true;
    if (n == -1)
      return false;
  }
}

bool RawConnection::ended_in_order(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !wait_readable(socket_, left))
      return false;
    char chunk[16384];
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(chunk), ec);
    if (ec)
      return ec == asio::error::eof;
  }
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

double metric_value(std::string_view metrics_body, std::string_view name) {
  const std::string line_start = "\n" + std::string(name) + " ";
  const std::size_t at = metrics_body.find(line_start);
  if (at == std::string_view::npos)
    return -1;
  return std::stod(std::string(metrics_body.substr(at + line_start.size())));
}

}  // namespace subscriberd::testing
