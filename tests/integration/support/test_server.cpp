#include "support/test_server.h"

#include <atomic>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace subscriberd::testing {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

std::string required_env(const char* name) {
  std::string value = env_or(name, "");
  if (value.empty()) {
    throw std::runtime_error(std::string(name) +
                             " is not set: run the tests through the README's test command, "
                             "which starts MariaDB and Redis (scripts/services up)");
  }
  return value;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

const TestConfig& TestConfig::current() {
  static const TestConfig config = [] {
    TestConfig c;
    c.name = env_or("SUBSCRIBERD_TEST_CONFIG", "sqlite+memory");
    if (c.name == "sqlite+memory") {
      c.cache = "memory";
    } else if (c.name == "mysql+redis") {
      c.mysql = true;
      c.cache = required_env("SUBSCRIBERD_TEST_REDIS_URL");
    } else if (c.name == "mysql+none") {
      c.mysql = true;
      c.cache = "none";
    } else {
      throw std::runtime_error("unknown SUBSCRIBERD_TEST_CONFIG " + c.name);
    }
    return c;
  }();
  return config;
}

std::string TestConfig::store_url(const std::string& data_dir) const {
  if (mysql)
    return required_env("SUBSCRIBERD_TEST_MYSQL_URL");
  return "sqlite:" + data_dir + "/subscribers.db";
}

TestServer::TestServer() : TestServer(Options{}) {}

TestServer::TestServer(Options options) : options_(std::move(options)) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "subscriberd-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  data_dir_ = pattern;
  start();
}

TestServer::~TestServer() {
  if (running())
    stop();
  std::error_code ignored;
  std::filesystem::remove_all(data_dir_, ignored);
}

std::string TestServer::log() const {
  return read_file(log_path_);
}

void TestServer::start(Options options) {
  options_ = std::move(options);
  start();
}

void TestServer::start() {
  if (running()) stop();  // one process per TestServer, never a leaked one
  static std::atomic<int> starts{0};
  const TestConfig& config = TestConfig::current();
  log_path_ = data_dir_ + "/server-" + std::to_string(starts++) + ".log";
  std::vector<std::string> args = {
      SUBSCRIBERD_BINARY,
      "--listen",
      "127.0.0.1:0",
      "--store",
      config.store_url(data_dir_),
      "--cache",
      options_.cache_override.empty() ? config.cache : options_.cache_override,
      "--threads",
      "2",
      "--web-root",
      data_dir_ + "/web"};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());

  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, STDERR_FILENO);
    ::dup2(fd, STDOUT_FILENO);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }

  // The start-up line names the port: "listening on http://127.0.0.1:PORT".
  static const std::regex kListening(R"(listening on http://127\.0\.0\.1:(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    std::string text = log();
    if (std::regex_search(text, match, kListening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("subscriberd exited during start-up:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill9();
  throw std::runtime_error("subscriberd did not start in 20 s:\n" + log());
}

int TestServer::stop(std::chrono::seconds timeout) {
  if (!running())
    return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  return -SIGKILL;
}

void TestServer::kill9() {
  if (!running())
    return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string unique_email(const std::string& tag) {
  static const std::string run = [] {
    std::random_device device;
    std::uniform_int_distribution<std::uint64_t> pick;
    std::ostringstream s;
    s << std::hex << pick(device);
    return s.str();
  }();
  static std::atomic<std::uint64_t> counter{0};
  return tag + "." + run + "." + std::to_string(counter++) + "@example.com";
}

}  // namespace subscriberd::testing
