// dualcarbon account: the energy and carbon inventory of a site over a period.
#include <iostream>
#include <memory>

#include "accounting/inventory.h"
#include "accounting/report.h"
#include "app/accounting_input.h"
#include "app/commands.h"

namespace dc::app {
namespace {

struct AccountArgs {
  AccountingFlags in;
  std::string format = "json";
};

void Run(const AccountArgs& a) {
  if (a.format != "json" && a.format != "csv" && a.format != "md" && a.format != "html") {
    std::cerr << "dualcarbon account: --format must be json, csv, md or html (got \"" << a.format
              << "\")\n";
    throw CLI::RuntimeError(kExitUsage);
  }
  AccountingInput in = LoadAccountingInput("account", a.in);
  auto inv = accounting::ComputeInventory(*in.site, *in.data, in.period, *in.ref);
  if (!inv.ok()) {
    std::cerr << "dualcarbon account: " << inv.status().message() << "\n";
    throw CLI::RuntimeError(kExitFailure);
  }
  // md and html are the printable bilingual report (the same as `dualcarbon report`).
  accounting::ReportOptions opt{"", &*in.ref};
  std::string out = a.format == "json"  ? accounting::InventoryToJson(*inv)
                    : a.format == "csv" ? accounting::InventoryToCsv(*inv)
                    : a.format == "md"  ? accounting::InventoryReportMarkdown(*inv, opt)
                                        : accounting::InventoryReportHtml(*inv, opt);
  WriteOutput("account", a.in.output, out);
}

}  // namespace

void RegisterAccount(CLI::App& app) {
  auto args = std::make_shared<AccountArgs>();
  auto* cmd = app.add_subcommand(
      "account", "Energy (tce) and carbon (tCO2e) inventory of a site over a period");
  args->in.Add(cmd);
  cmd->add_option("--format", args->format, "json | csv | md | html (default json)");
  cmd->add_option("-o,--output", args->in.output, "Write to FILE instead of standard output");
  cmd->callback([args] { Run(*args); });
}

}  // namespace dc::app
