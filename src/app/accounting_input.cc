#include "app/accounting_input.h"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "accounting/csv.h"
#include "accounting/http_readings.h"
#include "accounting/inventory.h"
#include "app/commands.h"
#include "app/store_flags.h"
#include "common/env.h"
#include "common/time.h"
#include "model/meter_events.h"

namespace dc::app {
namespace {

[[noreturn]] void Fail(const std::string& cmd, const std::string& msg, int code = kExitFailure) {
  std::cerr << "dualcarbon " << cmd << ": " << msg << "\n";
  throw CLI::RuntimeError(code);
}

}  // namespace

void AccountingFlags::Add(CLI::App* cmd) {
  cmd->add_option("--site", site, "Site file (TOML, see docs/site-file.md)")->required();
  cmd->add_option("--readings", readings, "Readings CSV: time,meter,value");
  cmd->add_option("--data-dir", data_dir, "Embedded store directory");
  cmd->add_option("--server", server, "dualcarbon server, http://host:port (reads /api/v1/query)");
  cmd->add_option("--token", token, "API token for --server (default: $DC_TOKEN)");
  cmd->add_flag("--strict", strict,
                "Fail on readings rows that cannot be used instead of listing them in warnings");
  cmd->add_option("--period", period, "2025-03 | 2025-Q1 | 2025 | 2025-03-01 | START..END")
      ->required();
  cmd->add_option(
      "--reference", reference,
      "Reference library directory (default: $DC_REFERENCE_DIR or the installed reference/)");
}

AccountingInput LoadAccountingInput(const std::string& cmd, const AccountingFlags& a) {
  if (a.site.empty()) Fail(cmd, "--site: empty file name (expected a site file)", kExitUsage);
  int sources = !a.readings.empty() + !a.data_dir.empty() + !a.server.empty();
  if (sources != 1) {
    Fail(cmd, "give exactly one of --readings FILE, --data-dir DIR, --server URL", kExitUsage);
  }
  AccountingInput in;
  std::string ref_dir =
      a.reference.empty() ? accounting::Reference::DefaultDir("dualcarbon") : a.reference;
  auto ref = accounting::Reference::Load(ref_dir);
  if (!ref.ok()) Fail(cmd, std::string(ref.status().message()));
  in.ref = std::move(*ref);
  auto text = accounting::ReadTextFile(a.site, "a site file");
  if (!text.ok()) Fail(cmd, "--site " + std::string(text.status().message()));
  in.site_text = std::move(*text);
  auto site = model::ParseSite(in.site_text, a.site);
  if (!site.ok()) Fail(cmd, std::string(site.status().message()));
  in.site = std::move(*site);
  if (auto s = accounting::ValidateSite(*in.site, *in.ref); !s.ok()) {
    Fail(cmd, std::string(s.message()));
  }
  auto zone = LoadZone(in.site->timezone);
  if (!zone.ok()) Fail(cmd, std::string(zone.status().message()));
  in.zone = *zone;
  auto period = accounting::ParsePeriod(a.period, in.zone);
  if (!period.ok()) Fail(cmd, "--period: " + std::string(period.status().message()), kExitUsage);
  in.period = *period;

  if (!a.readings.empty()) {
    auto r = accounting::CsvReadings::ReadFile(a.readings, *in.site, in.zone);
    if (!r.ok()) Fail(cmd, "--readings " + std::string(r.status().message()));
    in.data = std::make_unique<accounting::CsvReadings>(std::move(*r));
  } else if (!a.data_dir.empty()) {
    if (auto s = CheckStoreDir("--data-dir", a.data_dir); !s.ok()) {
      Fail(cmd, std::string(s.message()));
    }
    StoreOptions opt;
    opt.dir = a.data_dir;
    opt.background = false;
    auto s = Store::Open(opt);
    if (!s.ok()) Fail(cmd, "--data-dir " + a.data_dir + ": " + std::string(s.status().message()));
    in.store = std::move(*s);
    in.data = std::make_unique<accounting::StoreReadings>(*in.store, "store " + a.data_dir,
                                                          31 * kNanosPerDay);
    // Meter swaps recorded for the site (`dualcarbon meter swap`, the API).
    auto swaps = model::MeterEvents(Env::Default(), a.data_dir).CounterSwaps(in.site->id);
    if (!swaps.ok()) Fail(cmd, "--data-dir " + std::string(swaps.status().message()));
    in.data->SetSwaps(std::move(*swaps));
  } else {
    std::string token = a.token;
    if (token.empty()) {
      if (const char* t = std::getenv("DC_TOKEN")) token = t;
    }
    auto h = accounting::HttpReadings::Make(a.server, token, 31 * kNanosPerDay);
    if (!h.ok()) Fail(cmd, std::string(h.status().message()), kExitUsage);
    in.data = std::make_unique<accounting::HttpReadings>(std::move(*h));
  }
  if (a.strict && !in.data->Warnings().empty()) {
    std::string all;
    for (const auto& w : in.data->Warnings()) all += "\n  " + w;
    Fail(cmd, "--strict: the readings have rows that cannot be used:" + all);
  }
  return in;
}

void WriteOutput(const std::string& cmd, const std::string& path, const std::string& out) {
  if (path.empty() || path == "-") {
    std::cout << out;
    std::cout.flush();
    if (!std::cout) Fail(cmd, "cannot write to standard output");
    return;
  }
  if (Env::Default()->GetChildren(path).ok()) {
    Fail(cmd, "-o " + path + ": is a directory, expected a file to write");
  }
  std::ofstream f(path, std::ios::binary);
  f << out;
  f.close();
  if (!f) Fail(cmd, "-o " + path + ": cannot write");
}

}  // namespace dc::app
