// dualcarbon account: the energy and carbon inventory of a site over a period.
#include <iostream>
#include <memory>

#include "accounting/breakdown.h"
#include "accounting/inventory.h"
#include "accounting/report.h"
#include "app/accounting_input.h"
#include "app/commands.h"

namespace dc::app {
namespace {

struct AccountArgs {
  AccountingFlags in;
  std::string format = "json";
  std::string by;  // "" | "month"
};

// --by month: the period and each of its months (json, csv or md).
void RunBreakdown(const AccountArgs& a, AccountingInput& in) {
  if (a.format == "html") {
    std::cerr << "dualcarbon account: --by month is written as json, csv or md (not html)\n";
    throw CLI::RuntimeError(kExitUsage);
  }
  auto b = accounting::ComputeBreakdown(*in.site, *in.data, in.period, *in.ref, a.by);
  if (!b.ok()) {
    std::cerr << "dualcarbon account: " << b.status().message() << "\n";
    throw CLI::RuntimeError(kExitFailure);
  }
  accounting::ReportOptions opt{"", &*in.ref};
  std::string out = a.format == "json"  ? accounting::BreakdownToJson(*b)
                    : a.format == "csv" ? accounting::BreakdownToCsv(*b)
                                        : accounting::BreakdownToMarkdown(*b, opt);
  WriteOutput("account", a.in.output, out);
}

void Run(const AccountArgs& a) {
  if (a.format != "json" && a.format != "csv" && a.format != "md" && a.format != "html") {
    std::cerr << "dualcarbon account: --format must be json, csv, md or html (got \"" << a.format
              << "\")\n";
    throw CLI::RuntimeError(kExitUsage);
  }
  if (!a.by.empty() && a.by != "month") {
    std::cerr << "dualcarbon account: --by must be month (got \"" << a.by << "\")\n";
    throw CLI::RuntimeError(kExitUsage);
  }
  AccountingInput in = LoadAccountingInput("account", a.in);
  if (!a.by.empty()) return RunBreakdown(a, in);
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
  cmd->add_option("--by", args->by,
                  "month: the period and each of its months in one output (json, csv or md)");
  cmd->add_option("-o,--output", args->in.output, "Write to FILE instead of standard output");
  cmd->callback([args] { Run(*args); });
}

}  // namespace dc::app
