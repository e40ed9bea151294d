#include <cstdlib>
#include <iostream>

#include "app/application.h"
#include "app/config.h"

int main(int argc, char** argv) {
  using subscriberd::app::ParseResult;
  std::vector<std::string> args(argv + 1, argv + argc);
  ParseResult parsed = subscriberd::app::parse_config(
      args, [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr)
          return std::nullopt;
        return std::string(value);
      });
  switch (parsed.action) {
    case ParseResult::Action::kHelp:
      std::cout << subscriberd::app::help_text();
      return 0;
    case ParseResult::Action::kVersion:
      std::cout << "subscriberd " SUBSCRIBERD_VERSION "\n";
      return 0;
    case ParseResult::Action::kError:
      std::cerr << "subscriberd: " << parsed.error << "\n";
      return 2;
    case ParseResult::Action::kRun:
      break;
  }
  return subscriberd::app::run(parsed.config);
}
