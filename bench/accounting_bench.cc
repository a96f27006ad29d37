// Accounting workloads: a month of 1-minute data for a site with 2,000 meters accounted from
// the embedded store (target < 1 s), and the same month from a readings CSV for comparison;
// a year of 15-minute data for the same site broken down by month (target < 2 s).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "accounting/breakdown.h"
#include "accounting/inventory.h"
#include "accounting/readings.h"
#include "accounting/reference.h"
#include "bench.h"
#include "common/time.h"
#include "model/site.h"
#include "storage/store.h"

namespace dc::bench {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMinute = 60 * kNanosPerSecond;

struct BenchMeter {
  std::string id;
  bool counter = true;  // electricity counter (kWh); else interval natural gas (m3)
  std::string area;
};

std::vector<BenchMeter> Meters(int n) {
  std::vector<BenchMeter> out;
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "m%05d", i);
    out.push_back({id, i % 3 != 0, "a" + std::to_string(i % 20)});
  }
  return out;
}

// The site file of the workload: `meters` plus one product meter.
std::string SiteToml(const std::vector<BenchMeter>& meters) {
  std::string s =
      "[site]\nid = \"bench\"\nname = \"Benchmark site\"\ntimezone = \"Asia/Shanghai\"\n"
      "sector = \"generic\"\ngrid_region = \"national\"\n\n";
  for (const auto& m : meters) {
    s += "[[meter]]\nid = \"" + m.id + "\"\n";
    s += m.counter ? "carrier = \"electricity\"\nkind = \"counter\"\nunit = \"kWh\"\n"
                   : "carrier = \"natural_gas\"\nkind = \"interval\"\nunit = \"m3\"\n";
    s += "flow = \"purchased\"\narea = \"" + m.area + "\"\n\n";
  }
  s += "[[meter]]\nid = \"prod-out\"\ncarrier = \"product\"\nkind = \"interval\"\nunit = \"t\"\n\n";
  s += "[[product]]\nid = \"p\"\nmeter = \"prod-out\"\nareas = [\"a0\", \"a1\"]\n";
  return s;
}

// One value per meter per minute: counters climb 1-5 kWh with 2 decimals, gas 8-12 m3 with
// one decimal, product 1-2 t with 2 decimals.
class Generator {
 public:
  explicit Generator(size_t meters) : reg_(meters, 100000.0), rng_(42) {}
  double Next(size_t i, bool counter) {
    if (counter) {
      reg_[i] = std::round((reg_[i] + 1 + static_cast<double>(rng_() % 400) / 100) * 100) / 100;
      return reg_[i];
    }
    return std::round((8 + static_cast<double>(rng_() % 400) / 100) * 10) / 10;
  }
  double Product() { return std::round((1 + static_cast<double>(rng_() % 100) / 100) * 100) / 100; }

 private:
  std::vector<double> reg_;
  std::mt19937_64 rng_;
};

std::unique_ptr<Store> Open(const std::string& dir, bool background) {
  StoreOptions o;
  o.dir = dir;
  o.fsync = *ParseFsyncPolicy("off");
  o.background = background;
  auto s = Store::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), s.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*s);
}

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timed {
  double seconds = 0;
  double cpu_seconds = 0;  // process CPU time: less sensitive to other load on the machine
  double total_tce = 0;
  size_t lines = 0;
};

Timed Account(const model::Site& site, accounting::DataSource& data,
              const accounting::Period& period, const accounting::Reference& ref) {
  auto t0 = std::chrono::steady_clock::now();
  double c0 = CpuSeconds();
  auto inv = accounting::ComputeInventory(site, data, period, ref);
  double sec = SecondsSince(t0), cpu = CpuSeconds() - c0;
  if (!inv.ok()) {
    std::fprintf(stderr, "ComputeInventory: %s\n", inv.status().ToString().c_str());
    std::exit(1);
  }
  return {sec, cpu, inv->total_tce, inv->lines.size()};
}

model::Site ParseOrDie(const std::string& toml) {
  auto site = model::ParseSite(toml, "bench-site.toml");
  if (!site.ok()) {
    std::fprintf(stderr, "site: %s\n", site.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*site);
}

DC_BENCH(account_month,
         "ComputeInventory of a month of 1-minute data, 2,000 meters (x scale), from the "
         "embedded store; and 50 meters from the store vs a readings CSV (--reuse 1: keep the "
         "store of an earlier run)") {
  const char* W = "account_month";
  const int n = std::max(10, static_cast<int>(std::lround(2000 * args.scale)));
  const std::string dir = args.work_dir + "/account_month";
  // --reuse 1 keeps a store written by an earlier run with the same scale (for profiling).
  const bool reuse = args.Get("reuse", "0") == "1" && fs::exists(dir + "/store");
  if (!reuse) fs::remove_all(dir);
  fs::create_directories(dir);
  auto zone = LoadZone("Asia/Shanghai");
  auto ref = accounting::Reference::Load(DC_SOURCE_DIR "/reference");
  if (!zone.ok() || !ref.ok()) {
    std::fprintf(stderr, "zone/reference: %s\n", ref.status().ToString().c_str());
    return 1;
  }
  auto period = accounting::ParsePeriod("2025-03", *zone);
  const int64_t start = period->start;
  const int64_t minutes = (period->end - period->start) / kMinute;  // 44,640 in March

  std::vector<BenchMeter> meters = Meters(n);
  std::string toml = SiteToml(meters);
  {
    FILE* f = std::fopen((dir + "/site.toml").c_str(), "w");
    if (f) {
      std::fputs(toml.c_str(), f);
      std::fclose(f);
    }
  }
  model::Site site = ParseOrDie(toml);
  std::vector<std::string> keys;
  for (const auto& m : site.meters) keys.push_back(accounting::MeterSeriesKey(m));
  const std::string product_key = keys.back();  // prod-out is the last meter

  // --- write the month: readings at the period's start, every minute, through its end.
  auto t_write = std::chrono::steady_clock::now();
  int64_t points = 0;
  if (reuse) {
    points = (minutes + 1) * static_cast<int64_t>(meters.size() + 1);
  } else {
    auto store = Open(dir + "/store", true);
    Generator gen(meters.size());
    constexpr int64_t kBatchMinutes = 10;
    for (int64_t k0 = 0; k0 <= minutes; k0 += kBatchMinutes) {
      PointBatch b;
      b.Reserve(static_cast<size_t>(kBatchMinutes) * (meters.size() + 1));
      for (int64_t k = k0; k < std::min(k0 + kBatchMinutes, minutes + 1); ++k) {
        int64_t t = start + k * kMinute;
        for (size_t i = 0; i < meters.size(); ++i)
          b.Add(keys[i], t, gen.Next(i, meters[i].counter));
        b.Add(product_key, t, gen.Product());
      }
      points += static_cast<int64_t>(b.size());
      if (auto s = store->Write(b); !s.ok()) {
        std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    if (auto s = store->Flush(); !s.ok()) {
      std::fprintf(stderr, "flush: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  double write_s = SecondsSince(t_write);
  Report(W, "meters", static_cast<double>(n), "meters");
  Report(W, "points", static_cast<double>(points), "points");
  Report(W, "write_seconds", write_s, "s");

  // --- account from the store, opened as `dualcarbon account --data-dir` opens it.
  auto store = Open(dir + "/store", false);
  accounting::StoreReadings data(*store, "store " + dir, 31 * kNanosPerDay);
  Timed first = Account(site, data, *period, *ref);
  double best = first.seconds, best_cpu = first.cpu_seconds;
  for (int i = 0; i < 2; ++i) {
    Timed t = Account(site, data, *period, *ref);
    best = std::min(best, t.seconds);
    best_cpu = std::min(best_cpu, t.cpu_seconds);
  }
  Report(W, "store_seconds_first", first.seconds, "s (first after opening the store)");
  Report(W, "store_cpu_seconds_first", first.cpu_seconds, "s CPU");
  Report(W, "store_seconds", best, "s (best of 3; target < 1 s at scale 1)");
  Report(W, "store_cpu_seconds", best_cpu, "s CPU (best of 3)");
  Report(W, "store_points_per_second", static_cast<double>(points) / best, "points/s");
  Report(W, "total_tce", first.total_tce, "tce");

  // --- comparison on 50 meters: the same month from the store and from a readings CSV.
  const size_t small = std::min<size_t>(50, meters.size());
  std::vector<BenchMeter> sub(meters.begin(), meters.begin() + static_cast<long>(small));
  model::Site sub_site = ParseOrDie(SiteToml(sub));
  std::string csv = "time,meter,value\n";
  {
    Generator gen(meters.size());  // same values as written to the store
    csv.reserve(static_cast<size_t>(minutes + 1) * (small + 1) * 34);
    char row[96];
    for (int64_t k = 0; k <= minutes; ++k) {
      absl::CivilMinute cm = absl::ToCivilMinute(absl::FromUnixNanos(start + k * kMinute), *zone);
      for (size_t i = 0; i < meters.size(); ++i) {
        double v = gen.Next(i, meters[i].counter);
        if (i >= small) continue;
        std::snprintf(row, sizeof row, "%04d-%02d-%02d %02d:%02d,%s,%.2f\n",
                      static_cast<int>(cm.year()), cm.month(), cm.day(), cm.hour(), cm.minute(),
                      meters[i].id.c_str(), v);
        csv += row;
      }
      double p = gen.Product();
      std::snprintf(row, sizeof row, "%04d-%02d-%02d %02d:%02d,prod-out,%.2f\n",
                    static_cast<int>(cm.year()), cm.month(), cm.day(), cm.hour(), cm.minute(), p);
      csv += row;
    }
  }
  Timed sub_store = Account(sub_site, data, *period, *ref);
  auto t_csv = std::chrono::steady_clock::now();
  auto readings = accounting::CsvReadings::Parse(csv, "bench.csv", sub_site, *zone);
  if (!readings.ok()) {
    std::fprintf(stderr, "csv: %s\n", readings.status().ToString().c_str());
    return 1;
  }
  Timed sub_csv = Account(sub_site, *readings, *period, *ref);
  double csv_total = SecondsSince(t_csv);
  Report(W, "subset_meters", static_cast<double>(small), "meters");
  Report(W, "subset_store_seconds", sub_store.seconds, "s");
  Report(W, "subset_csv_seconds", csv_total, "s (parse + account)");
  Report(W, "subset_csv_account_seconds", sub_csv.seconds, "s (account only)");
  Report(W, "subset_csv_bytes", static_cast<double>(csv.size()), "bytes");
  if (std::fabs(sub_store.total_tce - sub_csv.total_tce) >
      1e-9 * std::max(1.0, std::fabs(sub_csv.total_tce))) {
    std::fprintf(stderr, "store and CSV disagree: %.12g vs %.12g tce\n", sub_store.total_tce,
                 sub_csv.total_tce);
    return 1;
  }
  return 0;
}

// Writes `meters` (+ the product meter) every `step` from `start` through `end` into `dir`.
int64_t WriteData(const std::string& dir, const std::vector<BenchMeter>& meters,
                  const std::vector<std::string>& keys, int64_t start, int64_t end, int64_t step) {
  auto store = Open(dir, true);
  Generator gen(meters.size());
  int64_t points = 0;
  constexpr int64_t kBatchSteps = 10;
  for (int64_t t0 = start; t0 <= end; t0 += kBatchSteps * step) {
    PointBatch b;
    b.Reserve(static_cast<size_t>(kBatchSteps) * (meters.size() + 1));
    for (int64_t t = t0; t < t0 + kBatchSteps * step && t <= end; t += step) {
      for (size_t i = 0; i < meters.size(); ++i) b.Add(keys[i], t, gen.Next(i, meters[i].counter));
      b.Add(keys.back(), t, gen.Product());
    }
    points += static_cast<int64_t>(b.size());
    if (auto s = store->Write(b); !s.ok()) {
      std::fprintf(stderr, "write: %s\n", s.ToString().c_str());
      std::exit(1);
    }
  }
  if (auto s = store->Flush(); !s.ok()) {
    std::fprintf(stderr, "flush: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  return points;
}

DC_BENCH(account_year_by_month,
         "ComputeBreakdown by month of a year of 15-minute data (--step_minutes M), 2,000 meters "
         "(x scale), from the embedded store: the year and its 12 months (--reuse 1: keep the "
         "store of an earlier run)") {
  const char* W = "account_year_by_month";
  const int n = std::max(10, static_cast<int>(std::lround(2000 * args.scale)));
  const int64_t step = std::stoll(args.Get("step_minutes", "15")) * kMinute;
  const std::string dir = args.work_dir + "/account_year_by_month";
  const bool reuse = args.Get("reuse", "0") == "1" && fs::exists(dir + "/store");
  if (!reuse) fs::remove_all(dir);
  fs::create_directories(dir);
  auto zone = LoadZone("Asia/Shanghai");
  auto ref = accounting::Reference::Load(DC_SOURCE_DIR "/reference");
  if (!zone.ok() || !ref.ok()) {
    std::fprintf(stderr, "zone/reference: %s\n", ref.status().ToString().c_str());
    return 1;
  }
  auto period = accounting::ParsePeriod("2025", *zone);
  std::vector<BenchMeter> meters = Meters(n);
  model::Site site = ParseOrDie(SiteToml(meters));
  std::vector<std::string> keys;
  for (const auto& m : site.meters) keys.push_back(accounting::MeterSeriesKey(m));

  auto t_write = std::chrono::steady_clock::now();
  int64_t points = (period->end - period->start) / step + 1;
  points *= static_cast<int64_t>(keys.size());
  if (!reuse) points = WriteData(dir + "/store", meters, keys, period->start, period->end, step);
  Report(W, "meters", static_cast<double>(n), "meters");
  Report(W, "points", static_cast<double>(points), "points");
  Report(W, "write_seconds", SecondsSince(t_write), "s");

  auto store = Open(dir + "/store", false);
  accounting::StoreReadings data(*store, "store " + dir, 31 * kNanosPerDay);
  double best = 1e9, best_cpu = 1e9, first = 0;
  accounting::Breakdown b;
  for (int i = 0; i < 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = CpuSeconds();
    auto r = accounting::ComputeBreakdown(site, data, *period, *ref, "month");
    double sec = SecondsSince(t0), cpu = CpuSeconds() - c0;
    if (!r.ok()) {
      std::fprintf(stderr, "ComputeBreakdown: %s\n", r.status().ToString().c_str());
      return 1;
    }
    if (i == 0) first = sec;
    best = std::min(best, sec);
    best_cpu = std::min(best_cpu, cpu);
    b = std::move(*r);
  }
  Report(W, "seconds_first", first, "s (first after opening the store)");
  Report(W, "seconds", best, "s (best of 3: the year and 12 months; target < 2 s at scale 1)");
  Report(W, "cpu_seconds", best_cpu, "s CPU (best of 3)");
  Report(W, "months", static_cast<double>(b.parts.size()), "months");
  double sum = 0;
  for (const auto& p : b.parts) sum += p.total_tce;
  Report(W, "total_tce", b.total.total_tce, "tce");
  if (b.parts.size() != 12 ||
      std::fabs(sum - b.total.total_tce) > 1e-9 * std::max(1.0, b.total.total_tce)) {
    std::fprintf(stderr, "the months (%.12g tce) do not add up to the year (%.12g)\n", sum,
                 b.total.total_tce);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace dc::bench
