// dualcarbon account: the energy and carbon inventory of a site over a period.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "accounting/http_readings.h"
#include "accounting/inventory.h"
#include "accounting/readings.h"
#include "accounting/reference.h"
#include "app/commands.h"
#include "common/time.h"
#include "model/site.h"
#include "storage/store.h"

namespace dc::app {
namespace {

struct AccountArgs {
  std::string site, readings, data_dir, server, token, period, format = "json", reference, output;
  bool strict = false;
};

[[noreturn]] void Fail(const std::string& msg, int code = kExitFailure) {
  std::cerr << "dualcarbon account: " << msg << "\n";
  throw CLI::RuntimeError(code);
}

void Run(const AccountArgs& a) {
  int sources = !a.readings.empty() + !a.data_dir.empty() + !a.server.empty();
  if (sources != 1)
    Fail("give exactly one of --readings FILE, --data-dir DIR, --server URL", kExitUsage);
  if (a.format != "json" && a.format != "csv" && a.format != "md" && a.format != "html") {
    Fail("--format must be json, csv, md or html (got \"" + a.format + "\")", kExitUsage);
  }
  std::string ref_dir =
      a.reference.empty() ? accounting::Reference::DefaultDir("dualcarbon") : a.reference;
  auto ref = accounting::Reference::Load(ref_dir);
  if (!ref.ok()) Fail(std::string(ref.status().message()));
  auto site = model::LoadSiteFile(a.site);
  if (!site.ok()) Fail(std::string(site.status().message()));
  if (auto s = accounting::ValidateSite(*site, *ref); !s.ok()) Fail(std::string(s.message()));
  auto zone = LoadZone(site->timezone);
  if (!zone.ok()) Fail(std::string(zone.status().message()));
  auto period = accounting::ParsePeriod(a.period, *zone);
  if (!period.ok()) Fail("--period: " + std::string(period.status().message()), kExitUsage);

  std::unique_ptr<accounting::DataSource> data;
  std::unique_ptr<Store> store;
  if (!a.readings.empty()) {
    auto r = accounting::CsvReadings::ReadFile(a.readings, *site, *zone);
    if (!r.ok()) Fail(std::string(r.status().message()));
    data = std::make_unique<accounting::CsvReadings>(std::move(*r));
  } else if (!a.data_dir.empty()) {
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
  } else {
    std::string token = a.token;
    if (token.empty()) {
      if (const char* t = std::getenv("DC_TOKEN")) token = t;
    }
    auto h = accounting::HttpReadings::Make(a.server, token, 31 * kNanosPerDay);
    if (!h.ok()) Fail(std::string(h.status().message()), kExitUsage);
    data = std::make_unique<accounting::HttpReadings>(std::move(*h));
  }
  if (a.strict && !data->Warnings().empty()) {
    std::string all;
    for (const auto& w : data->Warnings()) all += "\n  " + w;
    Fail("--strict: the readings have rows that cannot be used:" + all);
  }
  auto inv = accounting::ComputeInventory(*site, *data, *period, *ref);
  if (!inv.ok()) Fail(std::string(inv.status().message()));
  std::string out = a.format == "json"  ? accounting::InventoryToJson(*inv)
                    : a.format == "csv" ? accounting::InventoryToCsv(*inv)
                    : a.format == "md"  ? accounting::InventoryToMarkdown(*inv)
                                        : accounting::InventoryToHtml(*inv);
  if (a.output.empty() || a.output == "-") {
    std::cout << out;
    std::cout.flush();
    if (!std::cout) Fail("cannot write to standard output");
  } else {
    std::ofstream f(a.output, std::ios::binary);
    f << out;
    f.close();
    if (!f) Fail("cannot write " + a.output);
  }
}

}  // namespace

void RegisterAccount(CLI::App& app) {
  auto args = std::make_shared<AccountArgs>();
  auto* cmd = app.add_subcommand(
      "account", "Energy (tce) and carbon (tCO2e) inventory of a site over a period");
  cmd->add_option("--site", args->site, "Site file (TOML, see docs/site-file.md)")->required();
  cmd->add_option("--readings", args->readings, "Readings CSV: time,meter,value");
  cmd->add_option("--data-dir", args->data_dir, "Embedded store directory");
  cmd->add_option("--server", args->server,
                  "dualcarbon server, http://host:port (reads /api/v1/query)");
  cmd->add_option("--token", args->token, "API token for --server (default: $DC_TOKEN)");
  cmd->add_flag("--strict", args->strict,
                "Fail on readings rows that cannot be used instead of listing them in warnings");
  cmd->add_option("--period", args->period, "2025-03 | 2025-Q1 | 2025 | 2025-03-01 | START..END")
      ->required();
  cmd->add_option("--format", args->format, "json | csv | md | html (default json)");
  cmd->add_option(
      "--reference", args->reference,
      "Reference library directory (default: $DC_REFERENCE_DIR or the installed reference/)");
  cmd->add_option("-o,--output", args->output, "Write to FILE instead of standard output");
  cmd->callback([args] { Run(*args); });
}

}  // namespace dc::app
