#pragma once

#include "app/config.h"

namespace subscriberd::app {

// Wires the components together, serves until SIGINT/SIGTERM, then shuts down in order:
// stop accepting, finish in-flight requests, flush the store, exit. Returns the exit code.
int run(const Config& config);

}  // namespace subscriberd::app
