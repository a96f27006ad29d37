// Placeholder until the subcommand is built; replaced by its owner.
#include <iostream>

#include "app/commands.h"

namespace dc::app {

void RegisterQuery(CLI::App& app) {
  auto* cmd = app.add_subcommand("query", "(not built yet)");
  cmd->callback([] {
    std::cerr << "dualcarbon query: not built yet\n";
    throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace dc::app
