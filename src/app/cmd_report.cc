// Placeholder until the subcommand is built; replaced by its owner.
#include <iostream>

#include "app/commands.h"

namespace dc::app {

void RegisterReport(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "(not built yet)");
  cmd->callback([] {
    std::cerr << "dualcarbon report: not built yet\n";
    throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace dc::app
