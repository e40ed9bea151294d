#pragma once

#include <boost/asio/io_context.hpp>

// Which event loop, if any, runs on the calling thread. Components that keep one connection
// per loop (the Redis cache) use it to find theirs without being handed an executor.
namespace subscriberd::util {

boost::asio::io_context* this_thread_loop();
void set_this_thread_loop(boost::asio::io_context* loop);

}  // namespace subscriberd::util
