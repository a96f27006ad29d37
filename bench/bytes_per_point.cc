// bytes_per_point: our blocks (block bytes + encoded stats) vs plain Gorilla (64-bit first
// timestamp, delta-of-delta timestamps as in the paper, Gorilla XOR values) on the UCI steel
// plant data and on synthetic 1 Hz meters, cut into blocks as the engine cuts them. Also
// encode/decode speed of our blocks.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "bench.h"
#include "common/time.h"
#include "storage/block.h"

namespace dc::bench {
namespace {

using Series = std::vector<Sample>;

// CPU time of this thread: speeds per core, independent of other load on the machine.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Dataset {
  std::string name;
  std::vector<Series> series;
};

// A block closes at an hour boundary once it has >= 120 points, always at 8192 points, and
// never crosses a UTC day boundary (StoreOptions' defaults).
std::vector<std::span<const Sample>> CutBlocks(const Series& s) {
  std::vector<std::span<const Sample>> out;
  auto floor_div = [](int64_t t, int64_t d) { return t / d - (t % d < 0 ? 1 : 0); };
  size_t begin = 0;
  for (size_t i = 1; i <= s.size(); ++i) {
    bool close = i == s.size() || i - begin >= 8192 ||
                 floor_div(s[i].t, kNanosPerDay) != floor_div(s[begin].t, kNanosPerDay) ||
                 (i - begin >= 120 &&
                  floor_div(s[i].t, kNanosPerHour) != floor_div(s[i - 1].t, kNanosPerHour));
    if (close) {
      out.emplace_back(s.data() + begin, i - begin);
      begin = i;
    }
  }
  return out;
}

// Gorilla paper timestamps: 64-bit first timestamp, 14-bit first delta, then dod buckets
// '0' | '10'+7 | '110'+9 | '1110'+12 | '1111'+32 bits. In seconds when every timestamp is a
// whole second (as the paper's), else milliseconds, else nanoseconds; 64 bits for values the
// paper's fields cannot hold.
size_t GorillaTimestampBits(std::span<const Sample> b) {
  int64_t unit = kNanosPerSecond;
  for (const Sample& p : b) {
    while (unit > 1 && p.t % unit != 0) unit = unit == kNanosPerSecond ? 1'000'000 : 1;
  }
  size_t bits = 64;
  if (b.size() < 2) return bits;
  int64_t prev_delta = (b[1].t - b[0].t) / unit;
  bits += prev_delta < (1 << 14) ? 14 : 64;
  for (size_t i = 2; i < b.size(); ++i) {
    int64_t d = (b[i].t - b[i - 1].t) / unit, dod = d - prev_delta;
    prev_delta = d;
    if (dod == 0) {
      bits += 1;
    } else if (dod >= -63 && dod <= 64) {
      bits += 2 + 7;
    } else if (dod >= -255 && dod <= 256) {
      bits += 3 + 9;
    } else if (dod >= -2047 && dod <= 2048) {
      bits += 4 + 12;
    } else {
      bits += 4 + (dod >= INT32_MIN && dod <= INT32_MAX ? 32 : 64);
    }
  }
  return bits;
}

double Round(double v, int decimals) {
  double s = std::pow(10.0, decimals);
  return std::round(v * s) / s;
}

// ---- (i) UCI steel industry data: 15-min values with 2 decimals --------------------------
bool LoadSteel(Dataset* columns, Dataset* counter) {
  std::string path =
      std::string(DC_SOURCE_DIR) + "/datasets/uci-steel-industry/Steel_industry_data.csv";
  std::ifstream f(path);
  if (!f) {
    std::fprintf(stderr, "bytes_per_point: cannot open %s\n", path.c_str());
    return false;
  }
  std::string line;
  std::getline(f, line);   // header
  const int kColumns = 7;  // Usage_kWh .. NSM: every numeric column
  columns->series.assign(kColumns, {});
  while (std::getline(f, line)) {
    int d, mo, y, h, mi;
    if (std::sscanf(line.c_str(), "%d/%d/%d %d:%d", &d, &mo, &y, &h, &mi) != 5) continue;
    // Stamped at the interval's end: "00:00" is the end of that day (24:00).
    absl::CivilMinute cm(y, mo, d, h, mi);
    if (h == 0 && mi == 0) cm += 24 * 60;
    int64_t t = absl::ToUnixNanos(absl::FromCivil(cm, absl::UTCTimeZone()));
    std::stringstream ss(line);
    std::string cell;
    std::getline(ss, cell, ',');
    for (int c = 0; c < kColumns && std::getline(ss, cell, ','); ++c) {
      double v = std::strtod(cell.c_str(), nullptr);
      columns->series[static_cast<size_t>(c)].push_back({t, v});
    }
  }
  for (auto& s : columns->series) {
    std::sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
  }
  // Cumulative kWh register: running sum of Usage_kWh in time order, 2 decimals.
  Series cum = columns->series[0];
  double total = 0;
  for (auto& p : cum) p.v = total = Round(total + p.v, 2);
  counter->series.push_back(std::move(cum));
  return true;
}

// ---- (ii) Synthetic 1 Hz meters -------------------------------------------------------------
// Counters: kWh registers (1-3 decimals) integrating a load of 50-2000 kW with slow swings
// and 2% noise. Gauges: kW (σ 0.5% of level), flow m³/h, mg/m³, each with 1-3 decimals,
// noise plus slow drift.
Series MakeCounter(std::mt19937_64& rng, int64_t t0, int64_t n, int decimals) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> z(0, 1);
  double load = 50 + 1950 * u(rng), reg = 1e4 * (1 + 99 * u(rng)), phase = 6.28 * u(rng);
  Series s(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    double kw =
        load * (1 + 0.2 * std::sin(phase + static_cast<double>(i) / 5000)) * (1 + 0.02 * z(rng));
    reg += std::max(kw, 0.0) / 3600;
    s[static_cast<size_t>(i)] = {t0 + i * kNanosPerSecond, Round(reg, decimals)};
  }
  return s;
}

Series MakeGauge(std::mt19937_64& rng, int64_t t0, int64_t n, int kind, int decimals) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> z(0, 1);
  double level, noise;
  switch (kind) {
    case 0:
      level = 100 + 1900 * u(rng), noise = 0.005 * level;
      break;  // kW
    case 1:
      level = 20 + 300 * u(rng), noise = 0.003 * level;
      break;  // flow m³/h
    default:
      level = 5 + 45 * u(rng), noise = 0.01 * level;
      break;  // mg/m³
  }
  double drift = 0, phase = 6.28 * u(rng);
  Series s(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    drift += 0.0005 * level * z(rng) / 60;  // slow random drift
    double v = level * (1 + 0.1 * std::sin(phase + static_cast<double>(i) / 7200)) + drift +
               noise * z(rng);
    s[static_cast<size_t>(i)] = {t0 + i * kNanosPerSecond, Round(v, decimals)};
  }
  return s;
}

// ---- Measurement -------------------------------------------------------------------------
int Measure(const Dataset& ds, bool speeds = true) {
  size_t points = 0, ours = 0, stats_bytes = 0, gorilla_bytes = 0;
  std::vector<std::span<const Sample>> blocks;
  for (const auto& s : ds.series) {
    for (auto b : CutBlocks(s)) blocks.push_back(b);
  }
  // Sizes (and the encoded blocks, for the decode timing).
  std::vector<std::string> encoded(blocks.size());
  std::string scratch;
  std::vector<double> values;
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto b = blocks[i];
    points += b.size();
    EncodeBlock(b, &encoded[i]);
    scratch.clear();
    EncodeStats(ComputeStats(b), &scratch);
    ours += encoded[i].size();
    stats_bytes += scratch.size();
    values.clear();
    for (const Sample& p : b) values.push_back(p.v);
    scratch.clear();
    size_t bits = GorillaTimestampBits(b) + EncodeGorillaValues(values, &scratch);
    gorilla_bytes += (bits + 7) / 8;
  }
  double n = static_cast<double>(points);
  double ours_bpp = static_cast<double>(ours + stats_bytes) / n;
  double gor_bpp = static_cast<double>(gorilla_bytes) / n;
  std::string w = "bytes_per_point." + ds.name;
  if (!speeds) {
    Report(w.c_str(), "ours", ours_bpp, "bytes/point");
    Report(w.c_str(), "gorilla", gor_bpp, "bytes/point");
    return 0;
  }
  // Encode speed: block + stats, repeated for at least 0.3 s.
  int64_t reps = 0;
  double t0 = ThreadCpuSeconds();
  double enc_s;
  do {
    for (auto b : blocks) {
      scratch.clear();
      EncodeBlock(b, &scratch);
      EncodeStats(ComputeStats(b), &scratch);
    }
    ++reps;
  } while ((enc_s = ThreadCpuSeconds() - t0) < 0.3);
  double enc_mps = static_cast<double>(points) * static_cast<double>(reps) / enc_s / 1e6;
  // Decode speed, checking the result.
  std::vector<Sample> out;
  reps = 0;
  t0 = ThreadCpuSeconds();
  double dec_s;
  do {
    for (size_t i = 0; i < blocks.size(); ++i) {
      out.clear();
      absl::Status st = DecodeBlock(encoded[i], static_cast<int64_t>(blocks[i].size()), &out);
      if (!st.ok() || out.back().t != blocks[i].back().t) {
        std::fprintf(stderr, "bytes_per_point: decode failed: %s\n", st.ToString().c_str());
        return 1;
      }
    }
    ++reps;
  } while ((dec_s = ThreadCpuSeconds() - t0) < 0.3);
  double dec_mps = static_cast<double>(points) * static_cast<double>(reps) / dec_s / 1e6;

  std::printf("%s: %zu series, %zu points, %zu blocks (%.0f points/block)\n", w.c_str(),
              ds.series.size(), points, blocks.size(), n / static_cast<double>(blocks.size()));
  Report(w.c_str(), "ours", ours_bpp, "bytes/point");
  Report(w.c_str(), "ours_block_only", static_cast<double>(ours) / n, "bytes/point");
  Report(w.c_str(), "ours_stats", static_cast<double>(stats_bytes) / n, "bytes/point");
  Report(w.c_str(), "gorilla", gor_bpp, "bytes/point");
  Report(w.c_str(), "ratio_gorilla_over_ours", gor_bpp / ours_bpp, "x");
  Report(w.c_str(), "encode", enc_mps, "M points/s per core (block + stats, CPU time)");
  Report(w.c_str(), "decode", dec_mps, "M points/s per core (CPU time)");
  return 0;
}

}  // namespace

DC_BENCH(bytes_per_point,
         "bytes/point of blocks+stats vs plain Gorilla: UCI steel data, synthetic 1 Hz meters") {
  Dataset steel{"steel_columns", {}}, steel_counter{"steel_counter", {}};
  if (!LoadSteel(&steel, &steel_counter)) return 1;
  int rc = Measure(steel);
  const char* kSteelNames[] = {
      "usage_kwh", "lagging_kvarh", "leading_kvarh", "co2_t", "lagging_pf", "leading_pf", "nsm"};
  for (size_t c = 0; c < steel.series.size(); ++c) {
    Dataset one{std::string("steel_") + kSteelNames[c], {steel.series[c]}};
    rc |= Measure(one, /*speeds=*/false);
  }
  rc |= Measure(steel_counter);

  // 100 series x 1 day at 1 Hz (scaled): 40 counters, 60 gauges.
  const int64_t n =
      std::max<int64_t>(3600, static_cast<int64_t>(86400 * std::min(1.0, args.scale)));
  const int nseries = std::max(10, static_cast<int>(100 * std::min(1.0, args.scale * 10)));
  const int64_t t0 = 1'735'689'600 * kNanosPerSecond;  // 2025-01-01T00:00:00Z
  std::mt19937_64 rng(42);
  Dataset counters{"meters_1hz_counters", {}}, gauges{"meters_1hz_gauges", {}};
  for (int i = 0; i < nseries; ++i) {
    int decimals = 1 + i % 3;
    if (i % 5 < 2) {
      counters.series.push_back(MakeCounter(rng, t0, n, decimals));
    } else {
      gauges.series.push_back(MakeGauge(rng, t0, n, (i / 3) % 3, decimals));
    }
  }
  rc |= Measure(counters);
  rc |= Measure(gauges);
  Dataset all{"meters_1hz_all", {}};
  for (auto* d : {&counters, &gauges}) {
    for (auto& s : d->series) all.series.push_back(std::move(s));
  }
  rc |= Measure(all);

  // The same gauges with gateway jitter: timestamps at ms precision, ±20 ms around the second.
  Dataset jitter{"meters_1hz_jitter_ms", {}};
  std::uniform_int_distribution<int64_t> j(-20, 20);
  for (size_t i = 0; i < all.series.size(); i += 5) {
    Series s = all.series[i];
    for (auto& p : s) p.t += j(rng) * 1'000'000;
    jitter.series.push_back(std::move(s));
  }
  rc |= Measure(jitter);
  return rc;
}

}  // namespace dc::bench
