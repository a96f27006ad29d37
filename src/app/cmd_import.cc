// Placeholder until the subcommand is built; replaced by its owner.
#include <iostream>

#include "app/commands.h"

namespace dc::app {

void RegisterImport(CLI::App& app) {
  auto* cmd = app.add_subcommand("import", "(not built yet)");
  cmd->callback([] {
    std::cerr << "dualcarbon import: not built yet\n";
    throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace dc::app
