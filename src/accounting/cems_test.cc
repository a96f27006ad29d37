#include "accounting/cems.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dc::accounting {
namespace {

constexpr int64_t kHour = 3600LL * 1'000'000'000;
constexpr int64_t kT0 = 1740787200LL * 1'000'000'000;  // 2025-03-01T00:00:00Z

std::string Key(const std::string& code, const std::string& field, const std::string& mn = "S1") {
  return "cems,code=" + code + ",mn=" + mn + ",site=plant " + field;
}

std::unique_ptr<Store> OpenStore(const std::string& name) {
  std::string dir = std::string(DC_BINARY_DIR) + "/" + name;
  std::filesystem::remove_all(dir);
  StoreOptions opt;
  opt.dir = dir;
  opt.background = false;
  auto store = Store::Open(opt);
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(*store);
}

EmissionLimits CementLimits() {
  auto l = LoadEmissionLimits(DC_SOURCE_DIR "/reference", "cement");
  EXPECT_TRUE(l.ok()) << l.status();
  return *l;
}

TEST(EmissionLimits, CementKilnFromTheReferenceLibrary) {
  EmissionLimits l = CementLimits();
  EXPECT_EQ(l.ref_o2, 10);
  EXPECT_EQ(l.nox, 50);
  EXPECT_EQ(l.so2, 35);
  EXPECT_EQ(l.pm, 10);
  EXPECT_THAT(l.policy, ::testing::HasSubstr("环大气〔2024〕5号"));
  EXPECT_TRUE(absl::IsNotFound(LoadEmissionLimits(DC_SOURCE_DIR "/reference", "glass").status()));
}

TEST(Emissions, NormalisesWithO2UnlessTheStationSendsZsAvg) {
  auto store = OpenStore("cems_normalise_test");
  PointBatch b;
  // Hour 0: measured 40 at 15 % O2, no ZsAvg -> 40 x 11 / 6 = 73.33 (exceeds 50).
  b.Add(Key("a21002", "avg"), kT0, 40);
  b.Add(Key("a19001", "avg"), kT0, 15);
  // Hour 1: the station's ZsAvg (30) wins over the computed value.
  b.Add(Key("a21002", "avg"), kT0 + kHour, 40);
  b.Add(Key("a21002", "zsavg"), kT0 + kHour, 30);
  b.Add(Key("a19001", "avg"), kT0 + kHour, 15);
  // Hour 2: no hourly record; real-time values are averaged (O2 from real-time too).
  b.Add(Key("a21002", "rtd"), kT0 + 2 * kHour + 60'000'000'000, 20);
  b.Add(Key("a21002", "rtd"), kT0 + 2 * kHour + 120'000'000'000, 30);
  b.Add(Key("a19001", "rtd"), kT0 + 2 * kHour + 60'000'000'000, 10);
  // Hour 3: calibration: over the limit but not a valid hour.
  b.Add(Key("a21002", "avg"), kT0 + 3 * kHour, 90);
  b.Add(Key("a21002", "zsavg"), kT0 + 3 * kHour, 90);
  b.Add(Key("a21002", "flag"), kT0 + 3 * kHour, 'C');
  b.Add(Key("a21002", "flag"), kT0 + 3 * kHour + 60'000'000'000, 'N');
  // Another site's stack is not this site's.
  b.Add("cems,code=a21002,mn=S9,site=other avg", kT0, 500);
  ASSERT_TRUE(store->Write(b).ok());

  auto r = ComputeEmissions(*store, "plant", kT0, kT0 + 24 * kHour, CementLimits());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->stacks.size(), 1u);
  EXPECT_EQ(r->stacks[0].mn, "S1");
  ASSERT_EQ(r->stacks[0].pollutants.size(), 1u);
  const CemsPollutant& nox = r->stacks[0].pollutants[0];
  EXPECT_EQ(nox.key, "nox");
  ASSERT_EQ(nox.hours.size(), 4u);
  EXPECT_NEAR(*nox.hours[0].normalised, 40.0 * 11 / 6, 1e-9);
  EXPECT_FALSE(nox.hours[0].from_station);
  EXPECT_TRUE(nox.hours[0].exceeds);
  EXPECT_EQ(*nox.hours[1].normalised, 30);
  EXPECT_TRUE(nox.hours[1].from_station);
  EXPECT_NEAR(*nox.hours[2].measured, 25, 1e-9);
  EXPECT_NEAR(*nox.hours[2].normalised, 25, 1e-9);  // at 10 % O2 already
  EXPECT_EQ(nox.hours[3].flag, 'C');
  EXPECT_FALSE(nox.hours[3].exceeds);
  EXPECT_EQ(nox.exceedance_hours, 1);
  EXPECT_EQ(nox.valid_hours, 3);
  EXPECT_EQ(nox.flagged_hours.at('C'), 1);
  EXPECT_EQ(nox.station_normalised_hours, 2);
  EXPECT_EQ(nox.computed_normalised_hours, 2);
  EXPECT_NEAR(*nox.max_normalised, 40.0 * 11 / 6, 1e-9);
}

TEST(Emissions, BoundsTheRange) {
  auto store = OpenStore("cems_range_test");
  EXPECT_FALSE(ComputeEmissions(*store, "plant", kT0, kT0, CementLimits()).ok());
  EXPECT_FALSE(
      ComputeEmissions(*store, "plant", kT0, kT0 + kCemsMaxRangeNs + 1, CementLimits()).ok());
  auto empty = ComputeEmissions(*store, "plant", kT0, kT0 + kHour, CementLimits());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->stacks.empty());
}

}  // namespace
}  // namespace dc::accounting
