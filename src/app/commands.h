// Subcommands of the dualcarbon CLI. Each Register* adds one subcommand (in its own
// cmd_*.cc) and sets its callback; main.cc calls them all.
#ifndef DC_APP_COMMANDS_H_
#define DC_APP_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace dc::app {

void RegisterServe(CLI::App& app);      // cmd_serve.cc
void RegisterImport(CLI::App& app);     // cmd_import.cc
void RegisterQuery(CLI::App& app);      // cmd_query.cc
void RegisterInspect(CLI::App& app);    // cmd_inspect.cc
void RegisterToken(CLI::App& app);      // cmd_token.cc
void RegisterAccount(CLI::App& app);    // cmd_account.cc
void RegisterReference(CLI::App& app);  // cmd_reference.cc
void RegisterReport(CLI::App& app);     // cmd_report.cc
void RegisterMeter(CLI::App& app);      // cmd_meter.cc

// Exit code a subcommand callback asks for (callbacks throw CLI::RuntimeError(code)).
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 1;
// An exception escaped a subcommand (EX_SOFTWARE of sysexits.h); main prints it on one line.
inline constexpr int kExitInternal = 70;

}  // namespace dc::app

#endif  // DC_APP_COMMANDS_H_
