#include "util/event_loop.h"

namespace subscriberd::util {
namespace {
thread_local boost::asio::io_context* t_loop = nullptr;
}

boost::asio::io_context* this_thread_loop() {
  return t_loop;
}
void set_this_thread_loop(boost::asio::io_context* loop) {
  t_loop = loop;
}

}  // namespace subscriberd::util
