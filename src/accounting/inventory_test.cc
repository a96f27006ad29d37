// Properties of the inventory: period parsing, additivity over split periods, invariance to row
// order and units, bad rows, and the store as a data source.
#include "accounting/inventory.h"

#include <filesystem>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/test_util.h"
#include "common/series_key.h"
#include "common/time.h"
#include "gtest/gtest.h"
#include "storage/store.h"

namespace dc::accounting {
namespace {

absl::TimeZone Shanghai() { return *LoadZone("Asia/Shanghai"); }

int64_t T(const char* s) { return *ParseTime(s, Shanghai()); }

TEST(Period, CalendarPeriodsInTheSiteZone) {
  auto z = Shanghai();
  auto m = ParsePeriod("2025-03", z);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->start, T("2025-03-01T00:00:00+08:00"));
  EXPECT_EQ(m->end, T("2025-04-01T00:00:00+08:00"));
  EXPECT_EQ(ParsePeriod("2025-Q1", z)->end, T("2025-04-01 00:00"));
  EXPECT_EQ(ParsePeriod("2025-Q4", z)->end, T("2026-01-01 00:00"));
  EXPECT_EQ(ParsePeriod("2025", z)->start, T("2025-01-01 00:00"));
  EXPECT_EQ(ParsePeriod("2025-02-28", z)->end, T("2025-03-01 00:00"));
  EXPECT_EQ(ParsePeriod("2025-01..2025-03", z)->end, T("2025-04-01 00:00"));
  EXPECT_EQ(ParsePeriod("2025-03-01..2025-03-31", z)->end, T("2025-04-01 00:00"));
  EXPECT_EQ(ParsePeriod("2025-03-01T06:00..2025-03-01T18:00:00+08:00", z)->end,
            T("2025-03-01 18:00"));
  auto utc = ParsePeriod("2025-03", absl::UTCTimeZone());
  EXPECT_EQ(utc->start - m->start, 8 * kNanosPerHour);
  for (const char* bad : {"", "2025-13", "2025-Q5", "2025-02-30", "March", "2025-03..2025-02",
                          "2025-03..", "2025-03-01T00:00..2025-03-01T00:00"}) {
    auto p = ParsePeriod(bad, z);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_TRUE(absl::StrContains(p.status().message(), "period")) << p.status();
    }
  }
}

constexpr char kSite[] = R"toml([site]
id = "prop"
timezone = "Asia/Shanghai"
grid_year = 2022

[[meter]]
id = "grid"
carrier = "electricity"
kind = "counter"
unit = "UNIT_E"
rollover = 1000000

[[meter]]
id = "coal"
carrier = "coke"
kind = "interval"
unit = "UNIT_M"

[[meter]]
id = "gas"
carrier = "natural_gas"
kind = "interval"
unit = "UNIT_G"

[[meter]]
id = "steam"
carrier = "steam"
kind = "interval"
unit = "t"
flow = "exported"
enthalpy_kj_per_kg = 2900

[[meter]]
id = "out"
carrier = "product"
kind = "interval"
unit = "t"

[[product]]
id = "p"
meter = "out"

[[process]]
method = "carbonate"
meter = "out"
material = "limestone"
)toml";

model::Site MakeSite(std::string_view e = "kWh", std::string_view m = "t",
                     std::string_view g = "m3") {
  std::string text = kSite;
  text.replace(text.find("UNIT_E"), 6, e);
  text.replace(text.find("UNIT_M"), 6, m);
  text.replace(text.find("UNIT_G"), 6, g);
  if (e == "MWh") text.replace(text.find("rollover = 1000000"), 18, "rollover = 1000");
  auto s = model::ParseSite(text, "prop.toml");
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

struct Row {
  std::string time, meter;
  double value;
};

// Random readings for February to April: a counter (with rollovers unless `reg` starts far
// below 1,000,000), intervals, a product.
std::vector<Row> RandomRows(uint32_t seed, double reg = 990000) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Row> rows;
  auto z = Shanghai();
  for (int64_t t = T("2025-02-20 00:00"); t < T("2025-04-10 00:00");
       t += kNanosPerHour * (1 + rng() % 7)) {
    std::string ts = FormatTime(t, z);
    reg += 100 * u(rng);
    if (reg > 1000000) reg -= 1000001;  // 1,000,000 is the largest value, then 0
    rows.push_back({ts, "grid", std::round(reg * 1000) / 1000});
    if (rng() % 3 == 0) rows.push_back({ts, "coal", std::round(u(rng) * 5000) / 1000});
    if (rng() % 4 == 0) rows.push_back({ts, "gas", std::round(u(rng) * 1e6) / 100});
    if (rng() % 5 == 0) rows.push_back({ts, "steam", std::round(u(rng) * 2000) / 1000});
    if (rng() % 2 == 0) rows.push_back({ts, "out", std::round(u(rng) * 9000) / 1000});
  }
  return rows;
}

std::string Csv(const std::vector<Row>& rows, double scale_e = 1, double scale_m = 1,
                double scale_g = 1) {
  std::string out = "time,meter,value\n";
  for (const Row& r : rows) {
    double v = r.value * (r.meter == "grid"   ? scale_e
                          : r.meter == "coal" ? scale_m
                          : r.meter == "gas"  ? scale_g
                                              : 1);
    absl::StrAppend(&out, r.time, ",", r.meter, ",", FormatNumber(v), "\n");
  }
  return out;
}

Inventory Account(const model::Site& site, const std::string& csv, const std::string& period) {
  auto r = CsvReadings::Parse(csv, "r.csv", site, Shanghai());
  EXPECT_TRUE(r.ok()) << r.status();
  auto inv = ComputeInventory(site, *r, period, Ref());
  EXPECT_TRUE(inv.ok()) << inv.status();
  return *inv;
}

void ExpectNear(double a, double b, const char* what) {
  EXPECT_NEAR(a, b, 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)})) << what;
}

TEST(Properties, SplitPeriodAddsUpToTheWhole) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    model::Site site = MakeSite();
    std::string csv = Csv(RandomRows(seed));
    Inventory whole = Account(site, csv, "2025-03");
    Inventory a = Account(site, csv, "2025-03-01..2025-03-15T13:30");
    Inventory b = Account(site, csv, "2025-03-15T13:30..2025-03-31");
    ASSERT_GT(whole.total_tco2e, 0);
    ExpectNear(a.total_tco2e + b.total_tco2e, whole.total_tco2e, "total_tco2e");
    ExpectNear(a.scope1_tco2e + b.scope1_tco2e, whole.scope1_tco2e, "scope1");
    ExpectNear(a.scope2_tco2e + b.scope2_tco2e, whole.scope2_tco2e, "scope2");
    ExpectNear(a.exports_tco2e + b.exports_tco2e, whole.exports_tco2e, "exports");
    ExpectNear(a.total_tce + b.total_tce, whole.total_tce, "total_tce");
    ExpectNear(a.products[0].output + b.products[0].output, whole.products[0].output, "output");
  }
}

TEST(Properties, CarriersNamedInChineseGiveTheSameInventory) {
  model::Site english = MakeSite();
  std::string text = kSite;
  for (auto [from, to] : {std::pair{"UNIT_E", "kWh"},
                          {"UNIT_M", "t"},
                          {"UNIT_G", "m3"},
                          {"carrier = \"electricity\"", "carrier = \"电力\""},
                          {"carrier = \"coke\"", "carrier = \"焦炭\""},
                          {"carrier = \"natural_gas\"", "carrier = \"天然气\""},
                          {"carrier = \"steam\"", "carrier = \"蒸汽\""},
                          {"carrier = \"product\"", "carrier = \"产品\""}}) {
    text.replace(text.find(from), std::string(from).size(), to);
  }
  auto chinese = model::ParseSite(text, "prop.toml");
  ASSERT_TRUE(chinese.ok()) << chinese.status();
  ASSERT_TRUE(ValidateSite(*chinese, Ref()).ok());
  std::string csv = Csv(RandomRows(5));
  Inventory a = Account(english, csv, "2025-03"), b = Account(*chinese, csv, "2025-03");
  EXPECT_GT(a.total_tco2e, 0);
  EXPECT_EQ(InventoryToJson(a), InventoryToJson(b));  // keys in the output, not the names
}

TEST(Properties, ReorderingReadingsChangesNothing) {
  model::Site site = MakeSite();
  std::vector<Row> rows = RandomRows(7);
  Inventory base = Account(site, Csv(rows), "2025-03");
  std::mt19937 rng(42);
  for (int i = 0; i < 3; ++i) {
    std::shuffle(rows.begin(), rows.end(), rng);
    Inventory shuffled = Account(site, Csv(rows), "2025-03");
    base.warnings.clear();
    shuffled.warnings.clear();
    EXPECT_EQ(InventoryToJson(shuffled), InventoryToJson(base));
  }
}

TEST(Properties, UnitConversionsRoundTrip) {
  // No rollover: it adds one unit of the register, 1 kWh in one site and 1 MWh in the other.
  std::vector<Row> rows = RandomRows(9, 100000);
  Inventory base = Account(MakeSite(), Csv(rows), "2025-Q1");
  Inventory scaled =
      Account(MakeSite("MWh", "kg", "10^4 Nm3"), Csv(rows, 1e-3, 1e3, 1e-4), "2025-Q1");
  ExpectNear(scaled.total_tco2e, base.total_tco2e, "total_tco2e");
  ExpectNear(scaled.total_tce, base.total_tce, "total_tce");
  ASSERT_EQ(scaled.by_carrier.size(), base.by_carrier.size());
  for (size_t i = 0; i < base.by_carrier.size(); ++i) {
    ExpectNear(scaled.by_carrier[i].amount, base.by_carrier[i].amount,
               base.by_carrier[i].carrier.c_str());
  }
}

TEST(Properties, OutputIsByteIdenticalAndNeverNegativeZero) {
  model::Site site = MakeSite();
  std::string csv = Csv(RandomRows(3));
  std::string a = InventoryToJson(Account(site, csv, "2025-03"));
  std::string b = InventoryToJson(Account(site, csv, "2025-03"));
  EXPECT_EQ(a, b);
  EXPECT_FALSE(absl::StrContains(a, ": -0.0")) << a;
  Inventory empty = Account(site, "time,meter,value\n", "2025-03");
  std::string e = InventoryToJson(empty);
  EXPECT_FALSE(absl::StrContains(e, ": -0")) << e;
  EXPECT_EQ(RoundOutput(-0.0), 0);
  EXPECT_FALSE(std::signbit(RoundOutput(-0.0)));
  EXPECT_EQ(RoundOutput(0.1 + 0.2), 0.3);
}

TEST(Readings, BadRowsAreReportedAndNeverChangeTotals) {
  model::Site site = MakeSite();
  std::string good = "time,meter,value\n2025-03-02 00:00,coal,10\n";
  std::string bad = good +
                    "2025-03-03 00:00,nope,5\n"
                    "2025-13-03 00:00,coal,5\n"
                    "2025-03-04 00:00,coal,five\n"
                    "2025-03-05 00:00,coal,\n";
  Inventory g = Account(site, good, "2025-03");
  Inventory b = Account(site, bad, "2025-03");
  EXPECT_EQ(g.total_tco2e, b.total_tco2e);
  std::string w = absl::StrJoin(b.warnings, "\n");
  for (const char* line : {"r.csv:3: unknown meter \"nope\"", "r.csv:4: time",
                           "r.csv:5: value \"five\"", "r.csv:6:"}) {
    EXPECT_TRUE(absl::StrContains(w, line)) << line << " in\n" << w;
  }
  auto missing = CsvReadings::Parse("when,meter,value\n", "r.csv", site, Shanghai());
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "\"time\""));
}

TEST(StoreSource, SameResultAsCsv) {
  model::Site site = MakeSite();
  std::vector<Row> rows = RandomRows(11);
  std::string dir = std::string(DC_BINARY_DIR) + "/accounting_store_source_test";
  std::filesystem::remove_all(dir);
  StoreOptions opt;
  opt.dir = dir;
  opt.background = false;
  auto store = Store::Open(opt);
  ASSERT_TRUE(store.ok()) << store.status();
  PointBatch batch;
  for (const Row& r : rows) {
    const model::Meter* m = site.FindMeter(r.meter);
    batch.Add(MeterSeriesKey(*m), *ParseTime(r.time, Shanghai()), r.value);
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  StoreReadings source(**store, "store", 31 * kNanosPerDay);
  auto from_store = ComputeInventory(site, source, "2025-03", Ref());
  ASSERT_TRUE(from_store.ok()) << from_store.status();
  Inventory from_csv = Account(site, Csv(rows), "2025-03");
  ExpectNear(from_store->total_tco2e, from_csv.total_tco2e, "total_tco2e");
  ExpectNear(from_store->total_tce, from_csv.total_tce, "total_tce");
  // The default key carries the site: two sites with a meter "grid" never share a series.
  EXPECT_EQ(MeterSeriesKey(*site.FindMeter("grid")), "meter,id=grid,site=prop value");
  model::Meter other = *site.FindMeter("grid");
  other.site = "other";
  EXPECT_NE(MeterSeriesKey(other), MeterSeriesKey(*site.FindMeter("grid")));
  store = decltype(store)(absl::UnknownError("closed"));
  std::filesystem::remove_all(dir);
}

// A data source without fast paths: Read() only.
class PointsOnly : public DataSource {
 public:
  explicit PointsOnly(DataSource& d) : d_(d) {}
  absl::StatusOr<std::vector<Sample>> Read(const model::Meter& meter, int64_t start,
                                           int64_t end) override {
    return d_.Read(meter, start, end);
  }
  std::string Describe() const override { return d_.Describe(); }

 private:
  DataSource& d_;
};

// Counters from the store's block statistics (flushed, compacted: most blocks are read as runs
// without decoding) give the same amounts, warnings (first/last reading, resets, rollovers) and
// output as the same readings from a CSV, for periods inside, across and outside the data.
TEST(StoreSource, CountersFromBlockStatsEqualCsv) {
  model::Site site = MakeSite();
  std::vector<Row> rows = RandomRows(13);
  // Two resets of the register (rollovers happen on their own near 1,000,000).
  int resets = 0;
  for (Row& r : rows) {
    if (r.meter == "grid" &&
        (r.time.rfind("2025-03-10", 0) == 0 || r.time.rfind("2025-04-02", 0) == 0)) {
      r.value = std::round(r.value / 7);
      ++resets;
    }
  }
  ASSERT_GT(resets, 0);
  std::string csv = Csv(rows);
  std::string dir = std::string(DC_BINARY_DIR) + "/accounting_store_counter_test";
  std::filesystem::remove_all(dir);
  StoreOptions opt;
  opt.dir = dir;
  opt.background = false;
  opt.fsync.mode = FsyncPolicy::Mode::kOff;
  auto store = Store::Open(opt);
  ASSERT_TRUE(store.ok()) << store.status();
  PointBatch batch;
  for (const Row& r : rows) {
    batch.Add(MeterSeriesKey(*site.FindMeter(r.meter)), *ParseTime(r.time, Shanghai()), r.value);
  }
  ASSERT_TRUE((*store)->Write(batch).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE((*store)->Compact().ok());
  StoreReadings source(**store, "store", 31 * kNanosPerDay);
  // The fast path is taken, and reads blocks as runs.
  CounterResult c;
  std::vector<int64_t> march = {T("2025-03-01 00:00"), T("2025-04-01 00:00")};
  auto fast = source.CounterIncrease(*site.FindMeter("grid"), march, &c);
  ASSERT_TRUE(fast.ok()) << fast.status();
  ASSERT_TRUE(*fast);
  EXPECT_GT(c.runs, 10);
  EXPECT_GE(c.events.size(), 2u);
  // The store without its fast paths: every meter through Read() and the rules on the points.
  PointsOnly slow(source);
  for (const char* period : {"2025-03", "2025-02", "2025-04", "2025-Q1", "2025-05", "2025-06",
                             "2025-03-01T06:00..2025-03-15T13:30"}) {
    SCOPED_TRACE(period);
    auto from_store = ComputeInventory(site, source, period, Ref());
    ASSERT_TRUE(from_store.ok()) << from_store.status();
    auto from_points = ComputeInventory(site, slow, period, Ref());
    ASSERT_TRUE(from_points.ok()) << from_points.status();
    EXPECT_EQ(InventoryToJson(*from_store), InventoryToJson(*from_points));
    // A CSV source has no 31-day reach: June sees the last reading of April 9 from a CSV only.
    if (std::string_view(period) == "2025-06") continue;
    Inventory from_csv = Account(site, csv, period);
    EXPECT_EQ(from_store->warnings, from_csv.warnings);
    ExpectNear(from_store->total_tco2e, from_csv.total_tco2e, "total_tco2e");
    ExpectNear(from_store->total_tce, from_csv.total_tce, "total_tce");
    from_store->data_source = from_csv.data_source;
    EXPECT_EQ(InventoryToJson(*from_store), InventoryToJson(from_csv));
  }
  store = decltype(store)(absl::UnknownError("closed"));
  std::filesystem::remove_all(dir);
}

// An integrated power gauge whose value rises linearly (100 kW + 2 kW per hour from 02-28 00:00):
// the trapezoid rule is exact, so two days give ∫ = 100 × 48 + (72² − 24²) = 9 408 kWh; a split
// period adds up to the whole; the store (readings beyond the bounds found within the margin)
// gives what the CSV gives.
TEST(Gauge, TrapezoidIsExactSplitsAndStoreEqualsCsv) {
  auto site = model::ParseSite(
      "[site]\nid = \"g\"\ngrid_year = 2021\n[[meter]]\nid = \"p\"\ncarrier = "
      "\"electricity\"\nkind = \"gauge\"\nunit = \"kW\"\nintegrate = \"trapezoid\"\n",
      "g.toml");
  ASSERT_TRUE(site.ok()) << site.status();
  const int64_t t0 = *ParseTime("2025-02-28 00:00", Shanghai());
  constexpr int64_t kHour = 3600LL * 1000000000;
  std::string csv = "time,meter,value\n";
  PointBatch batch;
  for (int i = 0; i <= 20; ++i) {
    int64_t t = t0 + i * 5 * kHour;
    double v = 100 + 10.0 * i;
    absl::StrAppend(&csv, FormatTime(t, Shanghai()), ",p,", v, "\n");
    batch.Add(MeterSeriesKey(site->meters[0]), t, v);
  }
  auto kwh = [](const Inventory& inv) { return inv.by_carrier.at(0).amount; };
  Inventory whole = Account(*site, csv, "2025-03-01..2025-03-02");
  ExpectNear(kwh(whole), 9408, "whole");
  ExpectNear(whole.total_tco2e, 9.408 * 0.5568, "tco2e");
  EXPECT_TRUE(whole.warnings.empty()) << absl::StrJoin(whole.warnings, "\n");
  Inventory a = Account(*site, csv, "2025-03-01..2025-03-01T13:30");
  Inventory b = Account(*site, csv, "2025-03-01T13:30..2025-03-02");
  ExpectNear(kwh(a) + kwh(b), kwh(whole), "split");
  std::string dir = std::string(DC_BINARY_DIR) + "/accounting_gauge_store_test";
  std::filesystem::remove_all(dir);
  StoreOptions opt;
  opt.dir = dir;
  opt.background = false;
  auto store = Store::Open(opt);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Write(batch).ok());
  StoreReadings source(**store, "store", kNanosPerDay);
  auto from_store = ComputeInventory(*site, source, "2025-03-01..2025-03-02", Ref());
  ASSERT_TRUE(from_store.ok()) << from_store.status();
  ExpectNear(kwh(*from_store), 9408, "store");
  // After the last reading nothing is integrated, and the warning says so.
  Inventory late = Account(*site, csv, "2025-03-04");
  ExpectNear(kwh(late), (292 + 300) / 2.0 * 4, "late");  // 03-04 00:00..04:00
  EXPECT_TRUE(absl::StrContains(absl::StrJoin(late.warnings, "\n"), "is before the period end"));
  store = decltype(store)(absl::UnknownError("closed"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dc::accounting
