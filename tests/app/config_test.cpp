#include "app/config.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace subscriberd::app {
namespace {

using ::testing::HasSubstr;
using Action = ParseResult::Action;
using namespace std::chrono_literals;

using Env = std::map<std::string, std::string>;

ParseResult parse(const std::vector<std::string>& args, const Env& env = {}) {
  return parse_config(args, [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end())
      return std::nullopt;
    return it->second;
  });
}

const std::vector<std::string> kFlagNames = {
    "listen",        "store",          "cache",           "cache-size", "threads",
    "store-readers", "max-batch",      "node-id",         "web-root",   "idle-timeout",
    "io-timeout",    "shutdown-grace", "negative-ttl-ms", "log-level",  "log-format"};

TEST(ParseConfig, Defaults) {
  ParseResult r = parse({});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(r.error, "");
  const Config& c = r.config;
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.store, "sqlite:./var/subscribers.db");
  EXPECT_EQ(c.cache, "memory");
  EXPECT_EQ(c.cache_size_mb, 256u);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.store_readers, 2u);
  EXPECT_EQ(c.max_batch, 1024u);
  EXPECT_EQ(c.node_id, 0u);
  EXPECT_EQ(c.web_root, SUBSCRIBERD_DEFAULT_WEB_ROOT);
  EXPECT_EQ(c.idle_timeout, 30s);
  EXPECT_EQ(c.io_timeout, 10s);
  EXPECT_EQ(c.shutdown_grace, 10s);
  EXPECT_EQ(c.negative_ttl, 5000ms);
  EXPECT_EQ(c.log_level, log::Level::kInfo);
  EXPECT_EQ(c.log_format, log::Format::kText);
}

TEST(ParseConfig, FlagsWithSeparateValues) {
  ParseResult r = parse({"--listen",          "0.0.0.0:9000",
                         "--store",           "sqlite:/tmp/x.db",
                         "--cache",           "none",
                         "--cache-size",      "64",
                         "--threads",         "8",
                         "--store-readers",   "4",
                         "--max-batch",       "500",
                         "--node-id",         "1023",
                         "--web-root",        "/srv/web",
                         "--idle-timeout",    "60",
                         "--io-timeout",      "5",
                         "--shutdown-grace",  "20",
                         "--negative-ttl-ms", "0",
                         "--log-level",       "debug",
                         "--log-format",      "json"});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  const Config& c = r.config;
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.store, "sqlite:/tmp/x.db");
  EXPECT_EQ(c.cache, "none");
  EXPECT_EQ(c.cache_size_mb, 64u);
  EXPECT_EQ(c.threads, 8u);
  EXPECT_EQ(c.store_readers, 4u);
  EXPECT_EQ(c.max_batch, 500u);
  EXPECT_EQ(c.node_id, 1023u);
  EXPECT_EQ(c.web_root, "/srv/web");
  EXPECT_EQ(c.idle_timeout, 60s);
  EXPECT_EQ(c.io_timeout, 5s);
  EXPECT_EQ(c.shutdown_grace, 20s);
  EXPECT_EQ(c.negative_ttl, 0ms);
  EXPECT_EQ(c.log_level, log::Level::kDebug);
  EXPECT_EQ(c.log_format, log::Format::kJson);
}

TEST(ParseConfig, FlagsWithEqualsValues) {
  ParseResult r = parse({"--listen=[::1]:0", "--node-id=7", "--log-level=warn",
                         "--store=sqlite:file.db?mode=rwc", "--negative-ttl-ms=3600000"});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(r.config.listen, "[::1]:0");
  EXPECT_EQ(r.config.node_id, 7u);
  EXPECT_EQ(r.config.log_level, log::Level::kWarn);
  EXPECT_EQ(r.config.store, "sqlite:file.db?mode=rwc");  // only the first '=' splits
  EXPECT_EQ(r.config.negative_ttl, 3'600'000ms);
}

TEST(ParseConfig, LaterFlagWins) {
  ParseResult r = parse({"--threads", "2", "--threads=3"});
  ASSERT_EQ(r.action, Action::kRun);
  EXPECT_EQ(r.config.threads, 3u);
}

TEST(ParseConfig, EnvironmentIsApplied) {
  ParseResult r = parse({}, {{"SUBSCRIBERD_LISTEN", "[::1]:0"},
                             {"SUBSCRIBERD_CACHE_SIZE", "32"},
                             {"SUBSCRIBERD_NODE_ID", "5"},
                             {"SUBSCRIBERD_STORE_READERS", "3"},
                             {"SUBSCRIBERD_NEGATIVE_TTL_MS", "250"},
                             {"SUBSCRIBERD_LOG_FORMAT", "json"},
                             {"SUBSCRIBERD_WEB_ROOT", "/var/www"},
                             {"SUBSCRIBERD_SHUTDOWN_GRACE", "3"}});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(r.config.listen, "[::1]:0");
  EXPECT_EQ(r.config.cache_size_mb, 32u);
  EXPECT_EQ(r.config.node_id, 5u);
  EXPECT_EQ(r.config.store_readers, 3u);
  EXPECT_EQ(r.config.negative_ttl, 250ms);
  EXPECT_EQ(r.config.log_format, log::Format::kJson);
  EXPECT_EQ(r.config.web_root, "/var/www");
  EXPECT_EQ(r.config.shutdown_grace, 3s);
}

TEST(ParseConfig, FlagsOverrideTheEnvironment) {
  ParseResult r = parse({"--node-id", "9", "--cache=none"}, {{"SUBSCRIBERD_NODE_ID", "5"},
                                                             {"SUBSCRIBERD_CACHE", "memory"},
                                                             {"SUBSCRIBERD_THREADS", "4"}});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(r.config.node_id, 9u);
  EXPECT_EQ(r.config.cache, "none");
  EXPECT_EQ(r.config.threads, 4u);  // not given as a flag: the environment stays
}

TEST(ParseConfig, UnrelatedEnvironmentIsIgnored) {
  ParseResult r =
      parse({}, {{"SUBSCRIBERD_BOGUS", "x"}, {"NODE_ID", "5"}, {"subscriberd_node_id", "6"}});
  ASSERT_EQ(r.action, Action::kRun) << r.error;
  EXPECT_EQ(r.config.node_id, 0u);
}

TEST(ParseConfig, InvalidEnvironmentValue) {
  ParseResult r = parse({}, {{"SUBSCRIBERD_THREADS", "many"}});
  EXPECT_EQ(r.action, Action::kError);
  EXPECT_THAT(r.error, HasSubstr("SUBSCRIBERD_THREADS"));
  EXPECT_THAT(r.error, HasSubstr("many"));
}

TEST(ParseConfig, InvalidEnvironmentValueIsAnErrorEvenWhenAFlagWouldOverrideIt) {
  ParseResult r = parse({"--node-id", "1"}, {{"SUBSCRIBERD_NODE_ID", "2000"}});
  EXPECT_EQ(r.action, Action::kError);
  EXPECT_THAT(r.error, HasSubstr("SUBSCRIBERD_NODE_ID"));
}

struct BadFlag {
  std::string flag;
  std::string value;
};

class ParseConfigInvalidValue : public ::testing::TestWithParam<BadFlag> {};

TEST_P(ParseConfigInvalidValue, IsAnErrorNamingTheFlagAndValue) {
  const BadFlag& bad = GetParam();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--" + bad.flag, bad.value},
        std::vector<std::string>{"--" + bad.flag + "=" + bad.value}}) {
    ParseResult r = parse(args);
    EXPECT_EQ(r.action, Action::kError) << args[0];
    EXPECT_THAT(r.error, HasSubstr("--" + bad.flag)) << args[0];
    EXPECT_THAT(r.error, HasSubstr("'" + bad.value + "'")) << args[0];
  }
}

INSTANTIATE_TEST_SUITE_P(
    Values, ParseConfigInvalidValue,
    ::testing::Values(
        BadFlag{"listen", "nohost"}, BadFlag{"listen", ":8080"}, BadFlag{"listen", "host:"},
        BadFlag{"listen", "host:65536"}, BadFlag{"listen", "host:-1"},
        BadFlag{"listen", "host:80x"}, BadFlag{"listen", "[]:80"}, BadFlag{"store", ""},
        BadFlag{"cache", ""}, BadFlag{"cache-size", "0"}, BadFlag{"cache-size", "12MB"},
        BadFlag{"cache-size", "1048577"}, BadFlag{"threads", "-1"}, BadFlag{"threads", "257"},
        BadFlag{"threads", "1.5"}, BadFlag{"threads", ""}, BadFlag{"store-readers", "0"},
        BadFlag{"store-readers", "257"}, BadFlag{"max-batch", "0"}, BadFlag{"max-batch", "100001"},
        BadFlag{"node-id", "1024"}, BadFlag{"node-id", "-1"}, BadFlag{"node-id", "4294967296"},
        BadFlag{"idle-timeout", "0"}, BadFlag{"idle-timeout", "86401"},
        BadFlag{"idle-timeout", "30s"}, BadFlag{"io-timeout", "0"}, BadFlag{"shutdown-grace", "-5"},
        BadFlag{"negative-ttl-ms", "-1"}, BadFlag{"negative-ttl-ms", "3600001"},
        BadFlag{"log-level", "verbose"}, BadFlag{"log-level", ""}, BadFlag{"log-format", "xml"}));

TEST(ParseConfig, UnknownFlag) {
  ParseResult r = parse({"--bogus", "1"});
  EXPECT_EQ(r.action, Action::kError);
  EXPECT_THAT(r.error, HasSubstr("unknown flag --bogus"));

  ParseResult with_value = parse({"--port=80"});
  EXPECT_EQ(with_value.action, Action::kError);
  EXPECT_THAT(with_value.error, HasSubstr("unknown flag --port"));
}

TEST(ParseConfig, FlagNamesAreExact) {
  EXPECT_EQ(parse({"--LISTEN", "a:1"}).action, Action::kError);
  EXPECT_EQ(parse({"--node_id", "1"}).action, Action::kError);
  EXPECT_EQ(parse({"--node", "1"}).action, Action::kError);
}

TEST(ParseConfig, UnexpectedArguments) {
  for (std::string arg : {"-x", "positional", "-listen", ""}) {
    ParseResult r = parse({arg});
    EXPECT_EQ(r.action, Action::kError) << arg;
    EXPECT_THAT(r.error, HasSubstr("unexpected argument '" + arg + "'"));
  }
}

TEST(ParseConfig, FlagWithoutValue) {
  ParseResult r = parse({"--threads", "2", "--listen"});
  EXPECT_EQ(r.action, Action::kError);
  EXPECT_THAT(r.error, HasSubstr("--listen needs a value"));
}

TEST(ParseConfig, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"}).action, Action::kHelp);
  EXPECT_EQ(parse({"-h"}).action, Action::kHelp);
  EXPECT_EQ(parse({"--version"}).action, Action::kVersion);
  EXPECT_EQ(parse({"--threads", "2", "--help"}).action, Action::kHelp);
  // Help wins over flags that follow it, however wrong.
  EXPECT_EQ(parse({"--help", "--bogus"}).action, Action::kHelp);
}

TEST(HelpText, ListsEveryFlagWithItsEnvironmentVariable) {
  const std::string help = help_text();
  for (const std::string& flag : kFlagNames) {
    std::string env = "SUBSCRIBERD_";
    for (char c : flag)
      env.push_back(c == '-' ? '_' : static_cast<char>(c - 'a' + 'A'));
    EXPECT_THAT(help, HasSubstr("  --" + flag + " ")) << flag;
    EXPECT_THAT(help, HasSubstr("env " + env + ",")) << flag;
  }
  EXPECT_THAT(help, HasSubstr("--help"));
  EXPECT_THAT(help, HasSubstr("--version"));
  EXPECT_THAT(help, HasSubstr(SUBSCRIBERD_VERSION));
}

TEST(HelpText, ShowsDefaults) {
  const std::string help = help_text();
  EXPECT_THAT(help, HasSubstr("env SUBSCRIBERD_LISTEN, default: 127.0.0.1:8080\n"));
  EXPECT_THAT(help, HasSubstr("env SUBSCRIBERD_CACHE_SIZE, default: 256\n"));
  EXPECT_THAT(help, HasSubstr("env SUBSCRIBERD_NEGATIVE_TTL_MS, default: 5000\n"));
}

TEST(HelpText, EveryListedFlagIsAccepted) {
  // Each "  --name" line in the help names a flag the parser knows.
  const std::string help = help_text();
  std::size_t listed = 0;
  for (std::size_t pos = help.find("\n  --"); pos != std::string::npos;
       pos = help.find("\n  --", pos + 1)) {
    const std::size_t start = pos + 5;
    const std::string name = help.substr(start, help.find_first_of(" ,\n", start) - start);
    if (name == "help")
      continue;
    ++listed;
    ParseResult r = parse({"--" + name});
    EXPECT_THAT(r.error, HasSubstr("needs a value")) << name;
  }
  EXPECT_GE(listed, kFlagNames.size());
}

// --- split_host_port ----------------------------------------------------------------------

TEST(SplitHostPort, Ipv4AndNames) {
  std::string host;
  std::uint16_t port = 1;
  ASSERT_TRUE(split_host_port("127.0.0.1:8080", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(split_host_port("localhost:65535", host, port));
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 65535);
  ASSERT_TRUE(split_host_port("0.0.0.0:0", host, port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 0);
}

TEST(SplitHostPort, BracketedIpv6) {
  std::string host;
  std::uint16_t port = 1;
  ASSERT_TRUE(split_host_port("[::1]:0", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(split_host_port("[2001:db8::7]:443", host, port));
  EXPECT_EQ(host, "2001:db8::7");
  EXPECT_EQ(port, 443);
}

TEST(SplitHostPort, Rejects) {
  for (std::string bad : {"", "8080", "localhost", ":8080", "host:", "host:65536", "host:-1",
                          "host:80x", "host: 80", "[]:80", "host:99999999999"}) {
    std::string host;
    std::uint16_t port = 0;
    EXPECT_FALSE(split_host_port(bad, host, port)) << bad;
  }
}

}  // namespace
}  // namespace subscriberd::app
