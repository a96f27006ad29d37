#include "app/demo_plant.h"

#include <cmath>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/env.h"
#include "common/strings.h"

namespace dc::app {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
// Asia/Shanghai keeps a fixed offset all year (no daylight saving time).
constexpr int64_t kShanghaiOffset = 8 * kHour;
constexpr int64_t kSteelRows = 365 * 96;
// 2018-01-01T00:00 Asia/Seoul (a Monday): the steel data's first interval starts here.
constexpr int64_t kSteelEpoch = 1514732400LL * kSec;

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

double LocalHour(int64_t t) {
  int64_t in_day = (t + kShanghaiOffset) - FloorDiv(t + kShanghaiOffset, kDay) * kDay;
  return static_cast<double>(in_day) / static_cast<double>(kHour);
}

std::string Key(std::string_view site, std::string_view meter) {
  return absl::StrCat("meter,id=", AV(meter), ",site=", AV(site), " value");
}

}  // namespace

absl::StatusOr<DemoPlant> DemoPlant::Create(uint64_t seed, int64_t now_ns,
                                            const std::string& steel_csv) {
  DemoPlant p;
  p.seed_ = seed;
  p.anchor_ns_ = FloorDiv(now_ns + kShanghaiOffset, kDay) * kDay - kShanghaiOffset;
  p.offline_since_ns_ = FloorDiv(now_ns, kMin) * kMin - 5 * kHour;
  auto text = ReadFileToString(Env::Default(), steel_csv);
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat("demo: the UCI steel data is needed (",
                                            text.status().message(),
                                            "); pass --demo-datasets DIR or set DC_DATASETS_DIR"));
  }
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(AV(*text), '\n')) {
    ++line_no;
    if (line_no == 1 || line.empty() || line == "\r") continue;  // header (after the BOM)
    std::vector<absl::string_view> f = absl::StrSplit(line, ',');
    double kwh = 0;
    if (f.size() < 2 || !absl::SimpleAtod(f[1], &kwh) || !std::isfinite(kwh) || kwh < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(steel_csv, ":", line_no, ": expected a Usage_kWh number in column 2"));
    }
    p.steel_kwh_.push_back(kwh);
  }
  if (static_cast<int64_t>(p.steel_kwh_.size()) != kSteelRows) {
    return absl::InvalidArgumentError(absl::StrCat(steel_csv, ": expected ", kSteelRows,
                                                   " rows of 15-minute data, found ",
                                                   p.steel_kwh_.size()));
  }
  return p;
}

// Smooth noise in [-1, 1]: random values every `period_ns`, interpolated.
double DemoPlant::Noise(uint64_t salt, int64_t t, int64_t period_ns) const {
  int64_t i = FloorDiv(t, period_ns);
  double f = static_cast<double>(t - i * period_ns) / static_cast<double>(period_ns);
  auto at = [&](int64_t k) {
    uint64_t h = SplitMix(seed_ ^ SplitMix(salt * 1000003ULL ^ static_cast<uint64_t>(k)));
    return static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53) * 2 - 1;
  };
  double s = f * f * (3 - 2 * f);
  return at(i) * (1 - s) + at(i + 1) * s;
}

// The register restarts at 0 at the reset; it climbs ~1.2 t/min, more by day.
double DemoPlant::WaterRegister(int64_t t) const {
  const int64_t reset = anchor_ns_ - 20 * kDay + 10 * kHour;
  const int64_t origin = t >= reset ? reset : anchor_ns_ - 400 * kDay;
  double minutes = static_cast<double>(t - origin) / static_cast<double>(kMin);
  // rate(t) = 1.2 + 0.3 sin(2 pi t / day) t/min, integrated from origin.
  double w = 2 * M_PI / (24.0 * 60.0);
  double phase0 = static_cast<double>(origin % kDay) / static_cast<double>(kMin) * w;
  double grown = 1.2 * minutes + 0.3 / w * (std::cos(phase0) - std::cos(phase0 + w * minutes));
  return std::round(grown * 1000) / 1000;  // the meter shows kg
}

double DemoPlant::SteelKwh(int64_t t) const {
  // The interval (start, start + 15 min] that holds t; days map onto 2018 by whole weeks, so
  // weekdays and weekends stay what they were.
  int64_t slot = FloorDiv(t - 1 - kSteelEpoch, 15 * kMin);
  int64_t day = FloorDiv(slot, 96), in_day = slot - day * 96;
  int64_t row = (day - FloorDiv(day, 364) * 364) * 96 + in_day;
  return steel_kwh_[static_cast<size_t>(row)];
}

void DemoPlant::AppendCement(int64_t t, int64_t dt_ns, PointBatch* b) const {
  const double h = LocalHour(t);
  const int64_t day = FloorDiv(t - anchor_ns_, kDay);
  const double dt_h = static_cast<double>(dt_ns) / static_cast<double>(kHour);
  const double dt_min = static_cast<double>(dt_ns) / static_cast<double>(kMin);
  const bool upset = day == -12 && h >= 2 && h < 8;
  const bool leak = day >= -9;
  const bool raw_on = h >= 22 || h < 8 || (h >= 12 && h < 17);
  const bool cem_on = h >= 23 || h < 7 || (h >= 11 && h < 18);
  const bool day_shift = h >= 7 && h < 21;

  double kiln_kw = 2600 * (1 + 0.03 * Noise(1, t, 20 * kMin)) * (upset ? 0.72 : 1);
  double raw_kw = raw_on ? 3200 * (1 + 0.04 * Noise(2, t, 10 * kMin)) : 150;
  // Two cement mills: both off-peak, one through the peak-tariff hours (the output never stops).
  double cem_kw = (cem_on ? 3800 : 1800) * (1 + 0.04 * Noise(3, t, 10 * kMin));
  double pack_kw = (h >= 8 && h < 20) ? 350 * (1 + 0.12 * Noise(4, t, 5 * kMin)) : 40;
  double air_kw = (day_shift ? 700 : 180) * (1 + 0.05 * Noise(5, t, 5 * kMin)) + (leak ? 260 : 0);
  double other_kw = 120 + (day_shift ? 60 : 0);
  double grid_kw = (kiln_kw + raw_kw + cem_kw + pack_kw + air_kw) * 1.025 + other_kw;
  double clinker = 3.47 * (1 + 0.02 * Noise(6, t, 30 * kMin)) * (upset ? 0.55 : 1);
  double coal = clinker * 0.136 * (upset ? 1.3 : 1);
  double cement = (cem_on ? 7.9 : 3.7) * (1 + 0.03 * Noise(7, t, 15 * kMin));
  double diesel = (h >= 7 && h < 19) ? 0.0025 : 0.0004;

  const char* s = kDemoCementId;
  auto round = [](double v, double unit) { return std::round(v / unit) * unit; };
  b->Add(Key(s, "grid-in"), t, round(grid_kw * dt_h, 0.01));
  b->Add(Key(s, "kiln-elec"), t, round(kiln_kw * dt_h, 0.01));
  b->Add(Key(s, "raw-mill-elec"), t, round(raw_kw * dt_h, 0.01));
  b->Add(Key(s, "cement-mill-elec"), t, round(cem_kw * dt_h, 0.01));
  if (t <= offline_since_ns_) b->Add(Key(s, "packing-elec"), t, round(pack_kw * dt_h, 0.01));
  b->Add(Key(s, "air-elec"), t, round(air_kw * dt_h, 0.01));
  b->Add(Key(s, "kiln-coal"), t, round(coal * dt_min, 0.0001));
  b->Add(Key(s, "diesel"), t, round(diesel * dt_min, 0.00001));
  b->Add(Key(s, "clinker-out"), t, round(clinker * dt_min, 0.001));
  b->Add(Key(s, "cement-out"), t, round(cement * dt_min, 0.001));
  b->Add(Key(s, "water-in"), t, WaterRegister(t));
}

void DemoPlant::AppendSteel(int64_t t, int64_t dt_ns, PointBatch* batch) const {
  double kwh = SteelKwh(t) * static_cast<double>(dt_ns) / static_cast<double>(15 * kMin);
  batch->Add(Key(kDemoSteelId, "main-elec"), t, std::round(kwh * 1000) / 1000);
}

}  // namespace dc::app
