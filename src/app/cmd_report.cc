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
#include "app/commands.h"
#include "common/time.h"
#include "model/site.h"
#include "storage/store.h"

namespace dc::app {
namespace {

struct ReportArgs {
  std::string site, readings, data_dir, period, kind = "inventory", format = "html", reference,
      output, generated;
};

[[noreturn]] void Fail(const std::string& msg, int code = kExitFailure) {
  std::cerr << "dualcarbon report: " << msg << "\n";
  throw CLI::RuntimeError(code);
}

void Run(const ReportArgs& a) {
  if (!a.readings.empty() == !a.data_dir.empty())
    Fail("give exactly one of --readings FILE, --data-dir DIR", kExitUsage);
  if (a.kind != "inventory" && a.kind != "cbam")
    Fail("--kind must be inventory or cbam (got \"" + a.kind + "\")", kExitUsage);
  if (a.format != "html" && a.format != "md" && a.format != "json")
    Fail("--format must be html, md or json (got \"" + a.format + "\")", kExitUsage);

  std::string ref_dir =
      a.reference.empty() ? accounting::Reference::DefaultDir("dualcarbon") : a.reference;
  auto ref = accounting::Reference::Load(ref_dir);
  if (!ref.ok()) Fail(std::string(ref.status().message()));
  auto text = accounting::ReadTextFile(a.site);
  if (!text.ok()) Fail("--site: " + std::string(text.status().message()));
  auto site = model::ParseSite(*text, a.site);
  if (!site.ok()) Fail(std::string(site.status().message()));
  // [cbam] is read by this command (accounting/cbam.h), not by the site model.
  std::erase_if(site->warnings, [](const std::string& w) {
    return absl::StrContains(w, "unknown table 'cbam' ignored");
  });
  if (auto s = accounting::ValidateSite(*site, *ref); !s.ok()) Fail(std::string(s.message()));
  accounting::CbamConfig cbam;
  if (a.kind == "cbam") {
    auto c = accounting::ParseCbamConfig(*text, a.site, *site);
    if (!c.ok()) Fail(std::string(c.status().message()));
    if (c->goods.empty()) {
      Fail(a.site + ": no [[cbam.good]] in the site file: declare the goods to report "
                    "(docs/reports.md)");
    }
    cbam = std::move(*c);
  }
  auto zone = LoadZone(site->timezone);
  if (!zone.ok()) Fail(std::string(zone.status().message()));
  auto period = accounting::ParsePeriod(a.period, *zone);
  if (!period.ok()) Fail("--period: " + std::string(period.status().message()), kExitUsage);

  std::unique_ptr<accounting::DataSource> data;
  std::unique_ptr<Store> store;
  if (!a.readings.empty()) {
    auto r = accounting::CsvReadings::ReadFile(a.readings, *site, *zone);
    if (!r.ok()) Fail("--readings: " + std::string(r.status().message()));
    data = std::make_unique<accounting::CsvReadings>(std::move(*r));
  } else {
    std::error_code ec;
    if (!std::filesystem::is_directory(a.data_dir, ec))
      Fail("--data-dir " + a.data_dir + ": no such directory");
    StoreOptions opt;
    opt.dir = a.data_dir;
    opt.background = false;
    auto s = Store::Open(opt);
    if (!s.ok()) Fail("--data-dir " + a.data_dir + ": " + std::string(s.status().message()));
    store = std::move(*s);
    data = std::make_unique<accounting::StoreReadings>(*store, "store " + a.data_dir,
                                                       31 * kNanosPerDay);
  }
  auto inv = accounting::ComputeInventory(*site, *data, *period, *ref);
  if (!inv.ok()) Fail(std::string(inv.status().message()));

  std::string out;
  if (a.kind == "inventory") {
    accounting::ReportOptions opt{a.generated, &*ref};
    out = a.format == "json" ? accounting::InventoryToJson(*inv)
          : a.format == "md" ? accounting::InventoryReportMarkdown(*inv, opt)
                             : accounting::InventoryReportHtml(*inv, opt);
  } else {
    auto r = accounting::ComputeCbam(cbam, *site, *inv, data.get(), *ref);
    if (!r.ok()) Fail(std::string(r.status().message()));
    out = a.format == "json" ? accounting::CbamToJson(*r)
          : a.format == "md" ? accounting::CbamToMarkdown(*r)
                             : accounting::CbamToHtml(*r);
  }
  if (a.output.empty() || a.output == "-") {
    std::cout << out;
    std::cout.flush();
    if (!std::cout) Fail("cannot write to standard output");
  } else {
    std::ofstream f(a.output, std::ios::binary);
    f << out;
    f.close();
    if (!f) Fail("--out " + a.output + ": cannot write");
  }
}

}  // namespace

void RegisterReport(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand(
      "report", "Printable inventory report or CBAM embedded-emissions report (docs/reports.md)");
  cmd->add_option("--site", args->site, "Site file (TOML; optional [cbam] keys)")->required();
  cmd->add_option("--readings", args->readings, "Readings CSV: time,meter,value");
  cmd->add_option("--data-dir", args->data_dir, "Embedded store directory");
  cmd->add_option("--period", args->period, "2025-03 | 2025-Q1 | 2025 | 2025-03-01 | START..END")
      ->required();
  cmd->add_option("--kind", args->kind, "inventory | cbam (default inventory)");
  cmd->add_option("--format", args->format, "html | md | json (default html)");
  cmd->add_option("--reference", args->reference,
                  "Reference library directory (default: $DC_REFERENCE_DIR or the installed "
                  "reference/)");
  cmd->add_option("-o,--out", args->output, "Write to FILE instead of standard output");
  cmd->add_option("--generated", args->generated,
                  "Text printed as the report's generation time (the clock is never read)");
  cmd->callback([args] { Run(*args); });
}

}  // namespace dc::app
