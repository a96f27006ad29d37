// dualcarbon: one binary for the server, imports, queries and carbon accounts.
#include <exception>
#include <iostream>

#include "CLI/CLI.hpp"
#include "app/commands.h"

namespace {

int Run(int argc, char** argv) {
  CLI::App app{"dualcarbon — industrial energy and carbon platform", "dualcarbon"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dualcarbon 0.1.0");
  dc::app::RegisterServe(app);
  dc::app::RegisterImport(app);
  dc::app::RegisterQuery(app);
  dc::app::RegisterInspect(app);
  dc::app::RegisterToken(app);
  dc::app::RegisterAccount(app);
  dc::app::RegisterReference(app);
  dc::app::RegisterReport(app);
  dc::app::RegisterMeter(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}

}  // namespace

// No input ends in std::terminate: an exception that escapes a subcommand (a bug: subcommands
// report errors as absl::Status) becomes one line on stderr and kExitInternal.
int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "dualcarbon: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "dualcarbon: internal error: unknown exception\n";
  }
  return dc::app::kExitInternal;
}
