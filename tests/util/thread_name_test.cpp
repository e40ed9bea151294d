#include "util/thread_name.h"

#include <array>
#include <pthread.h>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace subscriberd::util {
namespace {

std::string name_given(std::string_view name) {
  std::string seen;
  std::thread([&] {
    name_this_thread(name);
    std::array<char, 64> buffer{};
    if (pthread_getname_np(pthread_self(), buffer.data(), buffer.size()) == 0)
      seen = buffer.data();
  }).join();
  return seen;
}

TEST(NameThisThread, TheThreadCarriesTheName) {
  EXPECT_EQ(name_given("mysql-writer-0"), "mysql-writer-0");
}

TEST(NameThisThread, ALongNameIsCutToWhatLinuxKeeps) {
  EXPECT_EQ(name_given("a-name-of-twenty-chars"), "a-name-of-twent");
}

}  // namespace
}  // namespace subscriberd::util
