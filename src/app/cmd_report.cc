// dualcarbon report: printable inventory report (HTML / Markdown / JSON) or CBAM embedded
// emissions report of a site over a period (docs/reports.md).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/match.h"
#include "accounting/cbam.h"
#include "accounting/csv.h"
#include "accounting/inventory.h"
#include "accounting/readings.h"
#include "accounting/reference.h"
#include "accounting/report.h"
#include "app/accounting_input.h"
#include "app/commands.h"
#include "common/time.h"
#include "model/site.h"
#include "storage/store.h"

namespace dc::app {
namespace {

struct ReportArgs {
  AccountingFlags in;
  std::string kind = "inventory", format = "html", generated;
};

[[noreturn]] void Fail(const std::string& msg, int code = kExitFailure) {
  std::cerr << "dualcarbon report: " << msg << "\n";
  throw CLI::RuntimeError(code);
}

void Run(const ReportArgs& a) {
  if (a.kind != "inventory" && a.kind != "cbam")
    Fail("--kind must be inventory or cbam (got \"" + a.kind + "\")", kExitUsage);
  if (a.format != "html" && a.format != "md" && a.format != "json")
    Fail("--format must be html, md or json (got \"" + a.format + "\")", kExitUsage);
  AccountingInput in = LoadAccountingInput("report", a.in);
  accounting::CbamConfig cbam;
  if (a.kind == "cbam") {
    auto c = accounting::ParseCbamConfig(in.site_text, a.in.site, *in.site);
    if (!c.ok()) Fail(std::string(c.status().message()));
    if (c->goods.empty()) {
      Fail(a.in.site +
           ": no [[cbam.good]] in the site file: declare the goods to report "
           "(docs/reports.md)");
    }
    cbam = std::move(*c);
  }
  auto inv = accounting::ComputeInventory(*in.site, *in.data, in.period, *in.ref);
  if (!inv.ok()) Fail(std::string(inv.status().message()));

  std::string out;
  if (a.kind == "inventory") {
    accounting::ReportOptions opt{a.generated, &*in.ref};
    out = a.format == "json" ? accounting::InventoryToJson(*inv)
          : a.format == "md" ? accounting::InventoryReportMarkdown(*inv, opt)
                             : accounting::InventoryReportHtml(*inv, opt);
  } else {
    auto r = accounting::ComputeCbam(cbam, *in.site, *inv, in.data.get(), *in.ref);
    if (!r.ok()) Fail(std::string(r.status().message()));
    out = a.format == "json" ? accounting::CbamToJson(*r)
          : a.format == "md" ? accounting::CbamToMarkdown(*r)
                             : accounting::CbamToHtml(*r);
  }
  WriteOutput("report", a.in.output, out);
}

}  // namespace

void RegisterReport(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report", "Printable inventory report or CBAM embedded-emissions report (docs/reports.md)");
  args->in.Add(cmd);
  cmd->add_option("--kind", args->kind, "inventory | cbam (default inventory)");
  cmd->add_option("--format", args->format, "html | md | json (default html)");
  cmd->add_option("-o,--out", args->in.output, "Write to FILE instead of standard output");
  cmd->add_option("--generated", args->generated,
                  "Text printed as the report's generation time (the clock is never read)");
  cmd->callback([args] { Run(*args); });
}

}  // namespace dc::app
