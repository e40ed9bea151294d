#include "cache/redis/redis_connection.h"

#include <array>
#include <atomic>
#include <utility>

#include <boost/asio/post.hpp>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "util/log.h"

namespace subscriberd::cache::redis {

namespace asio = boost::asio;

namespace {

std::atomic<std::uint64_t> g_registry_generation{0};

// The answer for a command that will have none: its handler, if any, is told so.
void answer_none(std::unique_ptr<ReplyHandler> handler) {
  if (handler)
    handler->on_reply(nullptr);
}

std::string millis(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + "ms";
}

}  // namespace

// The answer to the SELECT sent first on every connection: it tells that the server is there,
// answers, and accepted the database number.
class Connection::Hello final : public ReplyHandler {
 public:
  explicit Hello(Connection& connection) : connection_(connection) {}

  void on_reply(const redisReply* reply) override {
    if (reply == nullptr || connection_.state_ != State::kConnecting)
      return;
    if (reply->type == REDIS_REPLY_STATUS) {
      connection_.on_ready();
      return;
    }
    std::string error = reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                         : std::string("unexpected reply");
    // Not from inside hiredis's reply processing: it is still walking this context.
    connection_.drop_later("SELECT " + std::to_string(connection_.options_.db) + ": " + error);
  }

 private:
  Connection& connection_;
};

Connection::Connection(asio::io_context& loop, Options options)
    : loop_(loop),
      options_(std::move(options)),
      socket_(loop),
      watchdog_(loop),
      reconnect_timer_(loop),
      backoff_(options_.first_backoff, options_.max_backoff) {}

Connection::~Connection() {
  close();
}

bool Connection::accepting() {
  if (state_ == State::kIdle)
    connect();
  return state_ == State::kConnecting || state_ == State::kReady;
}

bool Connection::send(std::span<const std::string_view> args,
                      std::unique_ptr<ReplyHandler> handler) {
  auto refuse = [&] {
    answer_none(std::move(handler));
    return false;
  };
  if (!accepting() || context_ == nullptr || args.empty() || args.size() > kMaxArgs ||
      in_flight() >= options_.max_in_flight) {
    return refuse();
  }
  const Clock::time_point deadline = Clock::now() + options_.timeout;
  if (state_ == State::kConnecting) {
    held_.push_back(
        {std::vector<std::string>(args.begin(), args.end()), std::move(handler), deadline});
    return true;
  }
  return issue(args, std::move(handler), deadline);
}

bool Connection::issue(std::span<const std::string_view> args,
                       std::unique_ptr<ReplyHandler> handler, Clock::time_point deadline) {
  std::array<const char*, kMaxArgs> argv{};
  std::array<std::size_t, kMaxArgs> lengths{};
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lengths[i] = args[i].size();
  }
  // Formats the command into hiredis's output buffer (a copy) and asks for writability.
  if (redisAsyncCommandArgv(context_, &Connection::on_command_reply, handler.get(),
                            static_cast<int>(args.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    answer_none(std::move(handler));
    return false;
  }
  handler.release();  // hiredis hands it back to on_command_reply
  deadlines_.push_back(deadline);
  arm_watchdog();
  return true;
}

void Connection::close() {
  if (state_ == State::kClosed)
    return;
  state_ = State::kClosed;
  reconnect_timer_.cancel();
  watchdog_.cancel();
  watchdog_armed_ = false;
  // Runs every pending callback with a null reply, then the cleanup hook.
  if (context_ != nullptr)
    redisAsyncFree(context_);
}

void Connection::connect() {
  state_ = State::kConnecting;
  // A numeric address: hiredis's getaddrinfo does not block. connect(2) is non-blocking.
  redisAsyncContext* ac = redisAsyncConnect(options_.address.c_str(), options_.port);
  if (ac == nullptr) {
    connect_failed("out of memory");
    return;
  }
  if (ac->err != 0) {
    std::string error = ac->errstr != nullptr ? ac->errstr : "connect failed";
    redisAsyncFree(ac);
    connect_failed(error);
    return;
  }
  boost::system::error_code ec;
  socket_.assign(ac->c.fd, ec);
  if (ec) {
    redisAsyncFree(ac);
    connect_failed(ec.message());
    return;
  }
  ++epoch_;
  read_wanted_ = write_wanted_ = reading_ = writing_ = false;
  context_ = ac;
  ac->data = this;
  ac->ev.data = this;
  ac->ev.addRead = &Connection::hook_add_read;
  ac->ev.delRead = &Connection::hook_del_read;
  ac->ev.addWrite = &Connection::hook_add_write;
  ac->ev.delWrite = &Connection::hook_del_write;
  ac->ev.cleanup = &Connection::hook_cleanup;

  // The first command also makes hiredis wait for writability, which is how it learns that
  // connect(2) finished; its deadline bounds the connection attempt.
  const std::string db = std::to_string(options_.db);
  const std::array<std::string_view, 2> select = {"SELECT", db};
  if (!issue(select, std::make_unique<Hello>(*this), Clock::now() + options_.timeout))
    drop("cannot queue SELECT");
}

void Connection::connect_failed(std::string_view error) {
  note_failure("cannot connect", error);
  schedule_reconnect();
}

void Connection::on_ready() {
  state_ = State::kReady;
  backoff_.reset();
  // The commands held while connecting go out now, in the order they came, behind the SELECT;
  // those whose time ran out while connecting are answered as failed instead, as they would
  // have been had they gone out with it (and the watchdog would drop the new connection).
  std::array<std::string_view, kMaxArgs> args;
  const Clock::time_point now = Clock::now();
  for (Held& command : std::exchange(held_, {})) {
    if (command.deadline <= now) {
      answer_none(std::move(command.handler));
      continue;
    }
    for (std::size_t i = 0; i < command.args.size(); ++i)
      args[i] = command.args[i];
    issue(std::span(args.data(), command.args.size()), std::move(command.handler),
          command.deadline);
  }
  if (failing_) {
    failing_ = false;
    log::info("redis cache connected again", {{"cache", options_.name}});
  } else {
    log::debug("redis cache connected", {{"cache", options_.name}});
  }
}

void Connection::note_failure(std::string_view what, std::string_view error) {
  // One warning per outage and loop; the attempts that follow are debug lines.
  if (!failing_) {
    failing_ = true;
    log::warn("redis cache unavailable; requests go to the store until it is back",
              {{"cache", options_.name}, {"what", what}, {"error", error}});
  } else {
    log::debug("redis cache still unavailable",
               {{"cache", options_.name}, {"what", what}, {"error", error}});
  }
}

void Connection::drop(std::string_view reason) {
  if (context_ == nullptr)
    return;
  note_failure("connection dropped", reason);
  dropping_ = true;
  // Pending handlers get nullptr; the cleanup hook schedules the reconnection.
  redisAsyncFree(context_);
}

void Connection::drop_later(std::string reason) {
  asio::post(loop_, [self = shared_from_this(), epoch = epoch_, reason = std::move(reason)] {
    if (self->epoch_ == epoch)
      self->drop(reason);
  });
}

void Connection::on_context_gone() {
  if (context_ == nullptr)
    return;  // the hook may run more than once per context
  const redisAsyncContext* ac = context_;
  context_ = nullptr;
  ++epoch_;
  read_wanted_ = write_wanted_ = reading_ = writing_ = false;
  // Stop watching before hiredis closes the descriptor; release() cancels the waits.
  if (socket_.is_open())
    socket_.release();
  deadlines_.clear();
  watchdog_.cancel();
  watchdog_armed_ = false;
  for (Held& command : std::exchange(held_, {}))
    answer_none(std::move(command.handler));
  if (state_ == State::kClosed)
    return;
  if (!dropping_) {
    // hiredis gave up on the context: an I/O or protocol error, or the server closed it.
    std::string_view error = ac->err != 0 && ac->errstr != nullptr ? ac->errstr : "closed";
    note_failure(state_ == State::kReady ? "connection lost" : "cannot connect", error);
  }
  dropping_ = false;
  schedule_reconnect();
}

void Connection::schedule_reconnect() {
  state_ = State::kBackingOff;
  reconnect_timer_.expires_after(backoff_.next());
  reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && self->state_ == State::kBackingOff)
      self->connect();
  });
}

void Connection::arm_watchdog() {
  if (watchdog_armed_ || deadlines_.empty())
    return;
  watchdog_armed_ = true;
  watchdog_.expires_at(deadlines_.front());
  watchdog_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec)
      return;  // cancelled: whoever cancelled cleared the flag
    self->watchdog_armed_ = false;
    self->on_watchdog();
  });
}

void Connection::on_watchdog() {
  if (state_ == State::kClosed || deadlines_.empty())
    return;
  if (deadlines_.front() <= Clock::now() && context_ != nullptr) {
    // A starved loop may run this before the read that is already due: the answer can be in
    // the socket buffer. Read first (hiredis treats "nothing yet" as no error).
    redisAsyncHandleRead(context_);
    if (context_ == nullptr || deadlines_.empty())
      return;
  }
  if (deadlines_.front() <= Clock::now()) {
    drop(state_ == State::kReady ? "no answer within " + millis(options_.timeout)
                                 : "not connected within " + millis(options_.timeout));
    return;
  }
  arm_watchdog();
}

void Connection::wait_readable() {
  read_wanted_ = true;
  if (reading_ || !socket_.is_open())
    return;
  reading_ = true;
  socket_.async_wait(
      asio::posix::stream_descriptor::wait_read,
      [self = shared_from_this(), epoch = epoch_](const boost::system::error_code& ec) {
        if (self->epoch_ != epoch)
          return;
        self->reading_ = false;
        if (ec) {
          self->drop("waiting to read: " + ec.message());
        } else if (self->read_wanted_ && self->context_ != nullptr) {
          redisAsyncHandleRead(self->context_);
        }
      });
}

void Connection::wait_writable() {
  write_wanted_ = true;
  if (writing_ || !socket_.is_open())
    return;
  writing_ = true;
  if (state_ == State::kReady && !flushing_) {
    // A connected socket is nearly always writable: write after the current handler, with
    // every command queued until then, instead of first asking epoll. If the kernel buffer is
    // full, hiredis asks again from inside the flush and gets a real wait.
    asio::post(loop_, [self = shared_from_this(), epoch = epoch_] {
      if (self->epoch_ != epoch)
        return;
      self->writing_ = false;
      if (!self->write_wanted_ || self->context_ == nullptr)
        return;
      self->flushing_ = true;
      redisAsyncHandleWrite(self->context_);
      self->flushing_ = false;
    });
    return;
  }
  socket_.async_wait(
      asio::posix::stream_descriptor::wait_write,
      [self = shared_from_this(), epoch = epoch_](const boost::system::error_code& ec) {
        if (self->epoch_ != epoch)
          return;
        self->writing_ = false;
        if (ec) {
          self->drop("waiting to write: " + ec.message());
        } else if (self->write_wanted_ && self->context_ != nullptr) {
          redisAsyncHandleWrite(self->context_);
        }
      });
}

void Connection::hook_add_read(void* data) {
  static_cast<Connection*>(data)->wait_readable();
}
void Connection::hook_del_read(void* data) {
  static_cast<Connection*>(data)->read_wanted_ = false;
}
void Connection::hook_add_write(void* data) {
  static_cast<Connection*>(data)->wait_writable();
}
void Connection::hook_del_write(void* data) {
  static_cast<Connection*>(data)->write_wanted_ = false;
}
void Connection::hook_cleanup(void* data) {
  static_cast<Connection*>(data)->on_context_gone();
}

void Connection::on_command_reply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<ReplyHandler> handler(static_cast<ReplyHandler*>(privdata));
  auto* self = static_cast<Connection*>(ac->data);
  if (!self->deadlines_.empty())
    self->deadlines_.pop_front();
  if (handler)
    handler->on_reply(static_cast<const redisReply*>(reply));
}

ConnectionRegistry::ConnectionRegistry(asio::execution_context& context) : service(context) {}

std::shared_ptr<Connection> ConnectionRegistry::find(std::uint64_t owner) const {
  auto it = connections_.find(owner);
  return it == connections_.end() ? nullptr : it->second;
}

void ConnectionRegistry::add(std::uint64_t owner, std::shared_ptr<Connection> connection) {
  connections_.insert_or_assign(owner, std::move(connection));
}

void ConnectionRegistry::close(std::uint64_t owner) {
  auto it = connections_.find(owner);
  if (it == connections_.end())
    return;
  std::shared_ptr<Connection> connection = std::move(it->second);
  connections_.erase(it);
  connection->close();
}

std::uint64_t ConnectionRegistry::generation() {
  return g_registry_generation.load(std::memory_order_acquire);
}

void ConnectionRegistry::shutdown() {
  g_registry_generation.fetch_add(1, std::memory_order_acq_rel);
  for (auto& [owner, connection] : connections_)
    connection->close();
  connections_.clear();
}

}  // namespace subscriberd::cache::redis
