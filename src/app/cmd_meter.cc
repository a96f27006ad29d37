// dualcarbon meter swap | events: record a counter's meter swap, list a meter's swaps and the
// discontinuities (resets, rollovers, swaps) the counter rules find in its data.
#include <iostream>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "app/commands.h"
#include "app/store_flags.h"
#include "common/env.h"
#include "common/time.h"
#include "model/meter_events.h"
#include "model/site_store.h"
#include "server/events_api.h"

namespace dc::app {
namespace {

struct MeterFlags {
  std::string data_dir = "./data", site, meter, time, note, start, end;
  double old_final = 0, new_initial = 0;
};

// The site from DATA_DIR/sites.db and its meter `meter`, or exit 1 naming what is missing.
struct SiteMeter {
  model::Site site;
  const model::Meter* meter = nullptr;
  absl::TimeZone zone;
};

SiteMeter LoadSiteMeter(const std::string& cmd, const MeterFlags& f) {
  const std::string db = f.data_dir + "/sites.db";
  if (!Env::Default()->FileExists(db)) {
    Fail(cmd, absl::NotFoundError(absl::StrCat(
                  "--data-dir ", f.data_dir, ": no sites.db (save the site first: PUT ",
                  "/api/v1/sites/", f.site, " on a server using this data directory)")));
  }
  auto sites = model::SiteStore::Open(db);
  if (!sites.ok()) Fail(cmd, sites.status());
  SiteMeter out;
  auto site = (*sites)->Load(f.site);
  if (!site.ok()) Fail(cmd, site.status());
  out.site = std::move(*site);
  out.meter = out.site.FindMeter(f.meter);
  if (out.meter == nullptr) {
    Fail(cmd, absl::NotFoundError(
                  absl::StrCat("--meter: site \"", f.site, "\" has no meter \"", f.meter, "\"")));
  }
  auto zone = LoadZone(out.site.timezone);
  if (!zone.ok()) Fail(cmd, zone.status());
  out.zone = *zone;
  return out;
}

int64_t TimeFlag(const std::string& cmd, const std::string& flag, const std::string& text,
                 const absl::TimeZone& zone, int64_t fallback) {
  if (text.empty()) return fallback;
  auto t = ParseTime(text, zone);
  if (!t.ok()) {
    Fail(cmd, absl::InvalidArgumentError(absl::StrCat(flag, ": ", t.status().message())),
         kExitUsage);
  }
  return *t;
}

void RunSwap(const MeterFlags& f) {
  SiteMeter sm = LoadSiteMeter("meter swap", f);
  if (sm.meter->kind != model::MeterKind::kCounter) {
    Fail("meter swap", absl::InvalidArgumentError(absl::StrCat(
                           "--meter ", f.meter, " has kind \"", AV(model::Name(sm.meter->kind)),
                           "\"; only a counter can be swapped")));
  }
  model::MeterSwap swap;
  swap.t = TimeFlag("meter swap", "--time", f.time, sm.zone, 0);
  swap.old_final = f.old_final;
  swap.new_initial = f.new_initial;
  swap.note = f.note;
  model::MeterEvents events(Env::Default(), f.data_dir);
  if (absl::Status s = events.Add(sm.site.id, sm.meter->id, swap); !s.ok()) {
    Fail("meter swap", s);
  }
  std::cout << "recorded swap of " << f.site << "/" << f.meter << " at "
            << FormatTime(swap.t, sm.zone) << ": old meter final " << f.old_final
            << ", new meter initial " << f.new_initial << "\n";
}

void RunEvents(const MeterFlags& f) {
  SiteMeter sm = LoadSiteMeter("meter events", f);
  const int64_t start =
      TimeFlag("meter events", "--start", f.start, sm.zone, std::numeric_limits<int64_t>::min());
  const int64_t end =
      TimeFlag("meter events", "--end", f.end, sm.zone, std::numeric_limits<int64_t>::max());
  if (end <= start) {
    Fail("meter events", absl::InvalidArgumentError("--end must be after --start"), kExitUsage);
  }
  if (absl::Status s = CheckStoreDir("--data-dir", f.data_dir); !s.ok()) Fail("meter events", s);
  StoreOptions opt;
  opt.dir = f.data_dir;
  opt.background = false;
  auto store = Store::Open(opt);
  if (!store.ok()) Fail("meter events", store.status());
  model::MeterEvents events(Env::Default(), f.data_dir);
  auto out = server::MeterEventsJson(**store, sm.site, *sm.meter, events, start, end);
  if (!out.ok()) Fail("meter events", out.status());
  std::cout << *out;
}

void AddCommon(CLI::App* cmd, MeterFlags* f) {
  cmd->add_option("--data-dir", f->data_dir, "data directory (holds sites.db)")
      ->capture_default_str();
  cmd->add_option("--site", f->site, "site id (saved in DATA_DIR/sites.db)")->required();
  cmd->add_option("--meter", f->meter, "meter id of the site")->required();
}

}  // namespace

void RegisterMeter(CLI::App& app) {
  auto f = std::make_shared<MeterFlags>();
  auto* meter = app.add_subcommand("meter", "meter swaps and counter events");
  meter->require_subcommand(1);
  auto* swap = meter->add_subcommand("swap", "record that a counter's meter was replaced");
  AddCommon(swap, f.get());
  swap->add_option("--time", f->time, "when (RFC 3339, or local time of the site)")->required();
  swap->add_option("--old-final", f->old_final, "the old meter's final register reading")
      ->required();
  swap->add_option("--new-initial", f->new_initial, "the new meter's initial register reading")
      ->required();
  swap->add_option("--note", f->note, "free text (at most 500 bytes)");
  swap->callback([f] { RunSwap(*f); });
  auto* events = meter->add_subcommand(
      "events", "a meter's swaps and the resets/rollovers/swaps found in its data (JSON)");
  AddCommon(events, f.get());
  events->add_option("--start", f->start, "from (default: the beginning)");
  events->add_option("--end", f->end, "to (default: the end)");
  events->callback([f] { RunEvents(*f); });
}

}  // namespace dc::app
