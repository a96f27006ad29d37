// Storage engine workloads: in-process ingest, bytes per point on disk through the whole store,
// daily sums over a year of 1-minute data from 1,000 series, and calendar sums over data
// written as HTTP ingest writes it (many small flushes).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "bench.h"
#include "storage/store.h"

namespace dc::bench {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Store> OpenFresh(const std::string& dir, const std::string& fsync, bool fresh,
                                 int64_t partition_days = 0,
                                 const std::string& zone = "Asia/Shanghai") {
  if (fresh) fs::remove_all(dir);
  StoreOptions o;
  o.block_zone = zone;
  if (partition_days > 0) o.partition_ns = partition_days * kNanosPerDay;
  o.dir = dir;
  o.fsync = *ParseFsyncPolicy(fsync);
  auto s = Store::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), s.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*s);
}

// Plant-like batches: `series` meters, 1 Hz, values with 1-3 decimals (counters and gauges).
std::vector<PointBatch> MakeBatches(int series, int64_t points, int batch_size, int64_t t0) {
  std::vector<PointBatch> out;
  std::mt19937_64 rng(7);
  std::vector<double> reg(static_cast<size_t>(series), 1000.0);
  std::vector<std::string> keys;
  for (int s = 0; s < series; ++s) {
    keys.push_back("energy,meter=m" + std::to_string(s) + ",site=s1 " + (s % 2 ? "kw" : "kwh"));
  }
  int64_t made = 0, tick = 0;
  while (made < points) {
    PointBatch b;
    b.Reserve(static_cast<size_t>(batch_size));
    for (int i = 0; i < batch_size && made < points; ++i, ++made) {
      int s = static_cast<int>(made % series);
      if (s == 0) ++tick;
      double v;
      if (s % 2 == 0) {
        reg[static_cast<size_t>(s)] += static_cast<double>(rng() % 100) / 100.0;
        v = std::round(reg[static_cast<size_t>(s)] * 100) / 100;
      } else {
        v = std::round((500 + 50 * std::sin(static_cast<double>(tick) / 600) +
                        static_cast<double>(rng() % 1000) / 100.0) *
                       10) /
            10;
      }
      b.Add(keys[static_cast<size_t>(s)], t0 + tick * kNanosPerSecond, v);
    }
    out.push_back(std::move(b));
  }
  return out;
}

DC_BENCH(ingest_inprocess,
         "in-process Store::Write points/s (fsync interval:100), 1 and 2 writers") {
  const int64_t total = static_cast<int64_t>(20'000'000 * args.scale);
  const int64_t t0 = 1735689600LL * kNanosPerSecond;
  auto batches = MakeBatches(1000, total, 5000, t0);
  for (int threads : {1, 2}) {
    std::string dir = args.work_dir + "/ingest";
    auto store = OpenFresh(dir, args.Get("fsync", "interval:100"), true);
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> ws;
    std::atomic<size_t> next{0};
    for (int w = 0; w < threads; ++w) {
      ws.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < batches.size();) {
          if (!store->Write(batches[i]).ok()) std::abort();
        }
      });
    }
    for (auto& t : ws) t.join();
    double secs = SecondsSince(start);
    std::string name = "ingest_inprocess_" + std::to_string(threads) + "w";
    Report(name.c_str(), "points", static_cast<double>(total), "points");
    Report(name.c_str(), "points_per_s", static_cast<double>(total) / secs, "points/s");
    auto fstart = std::chrono::steady_clock::now();
    if (!store->Flush().ok()) std::abort();
    Report(name.c_str(), "final_flush_s", SecondsSince(fstart), "s");
    store.reset();
    fs::remove_all(dir);
  }
  return 0;
}

// UCI steel plant file: "dd/mm/yyyy HH:MM" local, where "00:00" means 24:00 of that day.
int64_t UciTime(const std::string& s) {
  int d, m, y, hh, mm;
  if (std::sscanf(s.c_str(), "%d/%d/%d %d:%d", &d, &m, &y, &hh, &mm) != 5) return INT64_MIN;
  absl::CivilMinute cm(y, m, d, hh, mm);
  if (hh == 0 && mm == 0) cm += 24 * 60;
  return absl::ToUnixNanos(absl::FromCivil(cm, absl::FixedTimeZone(9 * 3600)));
}

int64_t LoadUci(Store* store, const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header (with BOM)
  const char* cols[] = {"usage_kwh", "lagging_kvarh", "leading_kvarh",
                        "co2_t",     "lagging_pf",    "leading_pf"};
  PointBatch b;
  int64_t n = 0;
  double counter = 0;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string field;
    std::getline(ss, field, ',');
    int64_t t = UciTime(field);
    for (int c = 0; c < 6; ++c) {
      std::getline(ss, field, ',');
      double v = std::strtod(field.c_str(), nullptr);
      b.Add(std::string("uci,col=") + cols[c] + " value", t, v);
      if (c == 0) {
        counter = std::round((counter + v) * 100) / 100;
        b.Add("uci,col=usage_kwh_register value", t, counter);
      }
    }
  }
  n = static_cast<int64_t>(b.size());
  if (!store->Write(b).ok()) std::abort();
  return n;
}

DC_BENCH(bytes_on_disk,
         "bytes/point on disk through the whole store: UCI plant data, 1 Hz meters") {
  {
    std::string dir = args.work_dir + "/uci";
    auto store = OpenFresh(dir, "off", true, 0, "Asia/Seoul");  // the plant's zone
    int64_t n = LoadUci(store.get(), std::string(DC_SOURCE_DIR) +
                                         "/datasets/uci-steel-industry/Steel_industry_data.csv");
    if (!store->Flush().ok() || !store->Compact().ok()) std::abort();
    StoreStats st = store->Stats();
    Report("bytes_on_disk_uci", "points", static_cast<double>(n), "points");
    Report("bytes_on_disk_uci", "bytes_per_point",
           static_cast<double>(st.bytes_on_disk) / static_cast<double>(st.points), "B/point");
    store.reset();
    fs::remove_all(dir);
  }
  {
    std::string dir = args.work_dir + "/synthetic";
    auto store = OpenFresh(dir, "off", true);
    const int64_t total = static_cast<int64_t>(100 * 86400 * std::min(1.0, args.scale * 4));
    auto batches = MakeBatches(100, total, 100000, 1735689600LL * kNanosPerSecond);
    for (const auto& b : batches) {
      if (!store->Write(b).ok()) std::abort();
    }
    if (!store->Flush().ok() || !store->Compact().ok()) std::abort();
    StoreStats st = store->Stats();
    Report("bytes_on_disk_1hz", "points", static_cast<double>(st.points), "points");
    Report("bytes_on_disk_1hz", "bytes_per_point",
           static_cast<double>(st.bytes_on_disk) / static_cast<double>(st.points), "B/point");
    store.reset();
    fs::remove_all(dir);
  }
  return 0;
}

DC_BENCH(query_daily_sums,
         "daily sums (Asia/Shanghai) over 1 year of 1-minute data from 1,000 series") {
  const int series = static_cast<int>(std::max(1.0, 1000 * std::min(1.0, args.scale)));
  const int64_t minutes = 365 * 1440;
  const int64_t t0 = 1704038400LL * kNanosPerSecond;  // 2023-12-31T16:00Z = 2024-01-01 local
  std::string dir = args.work_dir + "/daily";
  bool reuse = args.Get("reuse", "0") == "1" && fs::exists(dir);
  auto store = OpenFresh(dir, "off", !reuse, std::stoll(args.Get("partition-days", "0")));
  if (!reuse) {
    auto start = std::chrono::steady_clock::now();
    std::mt19937_64 rng(3);
    // Write in time order, one day at a time for all series (as live ingest would).
    for (int64_t day = 0; day < 365; ++day) {
      PointBatch b;
      b.Reserve(static_cast<size_t>(series) * 1440);
      for (int s = 0; s < series; ++s) {
        uint32_t id = b.Series("energy,meter=m" + std::to_string(s) + " kwh");
        for (int64_t m = 0; m < 1440; ++m) {
          b.Add(id, t0 + (day * 1440 + m) * kNanosPerMinute,
                static_cast<double>(rng() % 10000) / 100.0);
        }
      }
      if (!store->Write(b).ok()) std::abort();
    }
    if (!store->Flush().ok() || !store->Compact().ok()) std::abort();
    Report("query_daily_sums", "load_s", SecondsSince(start), "s");
  }
  StoreStats st = store->Stats();
  Report("query_daily_sums", "points", static_cast<double>(st.points), "points");
  Report("query_daily_sums", "bytes_per_point",
         static_cast<double>(st.bytes_on_disk) / static_cast<double>(st.points), "B/point");
  AggregateRequest r;
  r.start = t0;
  r.end = t0 + minutes * kNanosPerMinute;
  r.step = *ParseStep("1d");
  r.zone = *LoadZone("Asia/Shanghai");
  r.agg = Agg::kSum;
  std::vector<double> runs;
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    size_t buckets = 0;
    for (int s = 0; s < series; ++s) {
      r.series = "energy,meter=m" + std::to_string(s) + " kwh";
      auto b = store->Aggregate(r);
      if (!b.ok()) std::abort();
      buckets += b->size();
    }
    runs.push_back(SecondsSince(start) * 1000);
    if (buckets != static_cast<size_t>(series) * 365) {
      std::fprintf(stderr, "unexpected bucket count %zu\n", buckets);
      return 1;
    }
  }
  std::sort(runs.begin(), runs.end());
  Report("query_daily_sums", "series", series, "series");
  Report("query_daily_sums", "all_series_ms_median", runs[runs.size() / 2], "ms");
  Report("query_daily_sums", "all_series_ms_min", runs.front(), "ms");
  if (args.Get("keep", "0") != "1") {
    store.reset();
    fs::remove_all(dir);
  }
  return 0;
}

// A year of 15-minute values of `meters` meters, written as HTTP backfill arrives: a month of
// a few meters per batch, a flush every `flush-points` points (head age/size flushes), never
// compacted by hand. Value of meter m at slot i: ((m * 7919 + i * 104729) % 10000) / 100.
double CalendarValue(int64_t m, int64_t i) {
  return static_cast<double>((m * 7919 + i * 104729) % 10000) / 100.0;
}

double LoadCalendar(Store* store, int meters, int64_t t0, int64_t slots, int64_t flush_points) {
  constexpr int64_t kSlot = 15 * kNanosPerMinute;
  constexpr int64_t kMonthSlots = 31 * 96;
  constexpr int kMetersPerBatch = 10;
  double total = 0;
  int64_t since_flush = 0;
  for (int64_t m0 = 0; m0 < slots; m0 += kMonthSlots) {
    const int64_t m1 = std::min(slots, m0 + kMonthSlots);
    for (int s0 = 0; s0 < meters; s0 += kMetersPerBatch) {
      PointBatch b;
      for (int s = s0; s < std::min(meters, s0 + kMetersPerBatch); ++s) {
        uint32_t id = b.Series("energy,meter=m" + std::to_string(s) + ",site=a kwh");
        for (int64_t i = m0; i < m1; ++i) {
          double v = CalendarValue(s, i);
          total += v;
          b.Add(id, t0 + i * kSlot, v);
        }
      }
      if (!store->Write(b).ok()) std::abort();
      since_flush += static_cast<int64_t>(b.size());
      if (since_flush >= flush_points) {
        if (!store->Flush().ok()) std::abort();
        since_flush = 0;
      }
    }
  }
  if (!store->Flush().ok()) std::abort();
  return total;
}

// Median ms of 5 runs of `step` sums for every meter; checks bucket count and grand total.
double TimeAllMeters(Store* store, int meters, int64_t t0, int64_t t1, const char* step,
                     size_t buckets_per_meter, double want_total) {
  AggregateRequest r;
  r.start = t0;
  r.end = t1;
  r.step = *ParseStep(step);
  r.zone = *LoadZone("Asia/Shanghai");
  r.agg = Agg::kSum;
  std::vector<double> runs;
  for (int rep = 0; rep < 5; ++rep) {
    auto start = std::chrono::steady_clock::now();
    size_t buckets = 0;
    double total = 0;
    for (int s = 0; s < meters; ++s) {
      r.series = "energy,meter=m" + std::to_string(s) + ",site=a kwh";
      auto b = store->Aggregate(r);
      if (!b.ok()) std::abort();
      buckets += b->size();
      for (const Bucket& x : *b) total += x.v;
    }
    runs.push_back(SecondsSince(start) * 1000);
    if (buckets != static_cast<size_t>(meters) * buckets_per_meter ||
        std::abs(total - want_total) > 1e-9 * want_total) {
      std::fprintf(stderr, "%s sums: %zu buckets, total %.17g, want %.17g\n", step, buckets, total,
                   want_total);
      std::exit(1);
    }
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

DC_BENCH(query_calendar,
         "daily and monthly sums (Asia/Shanghai) for all of 2,000 meters over a year of 15-min "
         "data written in small batches with many flushes, not compacted by hand") {
  const int meters = static_cast<int>(std::max(1.0, 2000 * args.scale));
  const int64_t slots = 366 * 96;                     // 2024 is a leap year
  const int64_t t0 = 1704038400LL * kNanosPerSecond;  // 2024-01-01 00:00 Asia/Shanghai
  const int64_t t1 = t0 + slots * 15 * kNanosPerMinute;
  std::string dir = args.work_dir + "/calendar";
  auto store = OpenFresh(dir, "off", true, std::stoll(args.Get("partition-days", "0")));
  auto start = std::chrono::steady_clock::now();
  double total =
      LoadCalendar(store.get(), meters, t0, slots, std::stoll(args.Get("flush-points", "1000000")));
  Report("query_calendar", "load_s", SecondsSince(start), "s");
  for (int pass = 0; pass < 2; ++pass) {
    const char* name = pass == 0 ? "query_calendar" : "query_calendar_reopened";
    StoreStats st = store->Stats();
    Report(name, "meters", meters, "series");
    Report(name, "segments", static_cast<double>(st.segments), "files");
    Report(name, "partitions", static_cast<double>(st.partitions), "partitions");
    Report(name, "daily_all_meters_ms",
           TimeAllMeters(store.get(), meters, t0, t1, "1d", 366, total), "ms");
    Report(name, "monthly_all_meters_ms",
           TimeAllMeters(store.get(), meters, t0, t1, "1mo", 12, total), "ms");
    store.reset();
    if (pass == 0) store = OpenFresh(dir, "off", false);
  }
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace dc::bench
