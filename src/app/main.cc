// dualcarbon: one binary for the server, imports, queries and carbon accounts.
#include "CLI/CLI.hpp"
#include "app/commands.h"

int main(int argc, char** argv) {
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
  CLI11_PARSE(app, argc, argv);
  return 0;
}
