// Market-based scope 2: a property test over random instruments and periods, and the checks of
// [[factor]] / [[instrument]] against the reference library.
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "accounting/csv.h"
#include "accounting/inventory.h"
#include "accounting/market.h"
#include "accounting/report.h"
#include "accounting/test_util.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace dc::accounting {
namespace {

constexpr char kHead[] = R"toml([site]
id = "prop"
timezone = "Asia/Shanghai"
grid_year = 2022

[[meter]]
id = "a"
carrier = "electricity"
kind = "interval"
unit = "MWh"

[[meter]]
id = "b"
carrier = "electricity"
kind = "interval"
unit = "kWh"

[[meter]]
id = "gas"
carrier = "natural_gas"
kind = "interval"
unit = "m3"
)toml";

struct Random {
  std::mt19937_64 rng;
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  double Real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
};

// A period text of whole days around March 2025 (some reach into February or April).
std::string RandomPeriod(Random* r) {
  int a = r->Int(-10, 31), b = r->Int(a, 40);
  auto day = [](int d) {
    if (d < 1) return absl::StrCat("2025-02-", 28 + d < 10 ? "0" : "", 28 + d);
    if (d > 31) return absl::StrCat("2025-04-0", d - 31);
    return absl::StrCat("2025-03-", d < 10 ? "0" : "", d);
  };
  return absl::StrCat(day(a), "..", day(b));
}

TEST(MarketBased, LocationMinusMarketIsTheInstrumentsAndResidualDifference) {
  Random r{std::mt19937_64(20250301)};
  const auto zone = *LoadZone("Asia/Shanghai");
  const auto period = *ParsePeriod("2025-03", zone);
  for (int round = 0; round < 200; ++round) {
    std::string text = kHead;
    int n = r.Int(0, 6);
    std::vector<std::string> periods;
    for (int i = 0; i < n; ++i) {
      const char* types[] = {"gec", "green_power", "ppa"};
      const char* meters[] = {"", "a", "b"};
      periods.push_back(RandomPeriod(&r));
      absl::StrAppend(&text, "\n[[instrument]]\nid = \"i", i, "\"\ntype = \"", types[r.Int(0, 2)],
                      "\"\nmwh = ", r.Real(1, 400), "\nperiod = \"", periods.back(),
                      "\"\nsource = \"contract ", i, "\"\n");
      if (const char* m = meters[r.Int(0, 2)]; *m) absl::StrAppend(&text, "meter = \"", m, "\"\n");
      if (r.Int(0, 1))
        absl::StrAppend(&text, "factor = ", r.Real(0, 300), "\nunit = \"kgCO2/MWh\"\n");
    }
    int residual = r.Int(0, 2);  // none, site-wide, meter b only
    if (residual) {
      absl::StrAppend(&text, "\n[[factor]]\nkey = \"residual_mix\"\nvalue = ", r.Real(0.3, 0.9),
                      "\nunit = \"tCO2/MWh\"\norigin = \"published\"\nsource = \"AIB-like table\"\n"
                      "confidence = \"medium\"\n",
                      residual == 2 ? "meter = \"b\"\n" : "");
    }
    auto site = model::ParseSite(text, "prop.toml");
    ASSERT_TRUE(site.ok()) << site.status() << "\n" << text;
    std::string csv = "time,meter,value\n";
    double consumed = 0;
    for (int d = 1; d <= 31; ++d) {
      std::string t = absl::StrCat("2025-03-", d < 10 ? "0" : "", d, " 12:00");
      double a = r.Int(0, 3) ? r.Int(0, 4000) / 100.0 : 0, b = r.Int(0, 20000);
      absl::StrAppend(&csv, t, ",a,", a, "\n", t, ",b,", b, "\n", t, ",gas,100\n");
      consumed += a + b / 1000;
    }
    auto data = CsvReadings::Parse(csv, "r.csv", *site, zone);
    ASSERT_TRUE(data.ok()) << data.status();
    auto inv = ComputeInventory(*site, *data, period, Ref());
    ASSERT_TRUE(inv.ok()) << inv.status() << "\n" << text;
    const double grid = inv->grid_tco2_per_mwh;
    const MarketScope2& m = inv->market;
    double expected = 0, used = 0;
    ASSERT_EQ(m.instruments.size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const InstrumentUse& u = m.instruments[i];
      // Counted: the instrument's MWh pro rata to the part of its period in March.
      auto p = *ParsePeriod(periods[i], zone);
      double overlap =
          std::max<int64_t>(0, std::min(p.end, period.end) - std::max(p.start, period.start));
      EXPECT_NEAR(u.counted_mwh, u.mwh * overlap / (p.end - p.start), 1e-9 * u.mwh);
      EXPECT_LE(u.used_mwh, u.counted_mwh * (1 + 1e-12));
      for (const Part& part : u.parts) {
        EXPECT_TRUE(u.meter.empty() || part.meter == u.meter);
        expected += part.amount * (grid - u.factor.value);
      }
      used += u.used_mwh;
    }
    for (const ResidualUse& res : m.residual) {
      EXPECT_GE(res.mwh, -1e-9);
      expected += res.mwh * (grid - res.factor.value);
      if (residual == 0 || (residual == 2 && res.meter != "b")) {
        EXPECT_EQ(res.factor.value, grid);
      }
    }
    EXPECT_NEAR(m.electricity_mwh, consumed, 1e-9 * consumed);
    EXPECT_NEAR(m.covered_mwh + m.residual_mwh, consumed, 1e-9 * consumed);
    EXPECT_LE(used, consumed * (1 + 1e-12));
    const double diff = inv->scope2_tco2e - inv->scope2_market_tco2e;
    EXPECT_NEAR(diff, expected, 1e-12 * inv->scope2_tco2e) << text;
    EXPECT_NEAR(inv->total_tco2e - inv->total_market_tco2e, expected, 1e-12 * inv->total_tco2e);
  }
}

TEST(MarketBased, ReportAndJsonShowBothTotalsAndTheFactorsProvenance) {
  std::string text = std::string(kHead) +
                     "\n[[instrument]]\nid = \"gec-7\"\ntype = \"gec\"\nmwh = 10\n"
                     "period = \"2025-03\"\ncertificates = [\"GEC-1\"]\nsource = \"order 7\"\n"
                     "\n[[factor]]\nkey = \"grid\"\nmeter = \"a\"\nvalue = 0.5\nunit = "
                     "\"tCO2/MWh\"\norigin = \"published\"\nsource = \"typed-in table 3\"\n"
                     "confidence = \"low\"\n";
  auto site = model::ParseSite(text, "r.toml");
  ASSERT_TRUE(site.ok()) << site.status();
  const auto zone = *LoadZone("Asia/Shanghai");
  auto data = CsvReadings::Parse("time,meter,value\n2025-03-02 00:00,a,30\n", "r.csv", *site, zone);
  ASSERT_TRUE(data.ok()) << data.status();
  auto inv = ComputeInventory(*site, *data, "2025-03", Ref());
  ASSERT_TRUE(inv.ok()) << inv.status();
  // 30 MWh at 0.5 (site-given) = 15 location-based; 10 covered at 0, 20 at the grid average.
  EXPECT_DOUBLE_EQ(inv->scope2_tco2e, 15);
  EXPECT_DOUBLE_EQ(inv->scope2_market_tco2e, 10);
  std::string md = InventoryReportMarkdown(*inv);
  for (const char* want : {"Scope 2 market-based", "Total, market-based", "gec-7", "GEC-1",
                           "published default", "typed-in table 3"}) {
    EXPECT_TRUE(absl::StrContains(md, want)) << want;
  }
  auto json = nlohmann::json::parse(InventoryToJson(*inv));
  EXPECT_EQ(json["emissions"]["market_based"]["total_market_tco2e"], 10);
  nlohmann::json grid;
  for (const auto& l : json["emissions"]["lines"]) {
    if (l["source"] == "a") grid = l["factors"][0];
  }
  EXPECT_EQ(grid["source"], "published");
  EXPECT_EQ(grid["confidence"], "low");
  EXPECT_EQ(grid["site_factor"], "grid meter a");
  EXPECT_EQ(grid["citation"], "typed-in table 3");
  bool warned_low = false, warned_grid = false;
  for (const auto& w : inv->warnings) {
    warned_low |= absl::StrContains(w, "low-confidence site factor used: grid (meter a)");
    warned_grid |= absl::StrContains(w, "no residual mix given");
  }
  EXPECT_TRUE(warned_low);
  EXPECT_TRUE(warned_grid);
}

TEST(SiteFactorChecks, ErrorsNameTheFactorAndWhy) {
  struct Case {
    std::string tail;
    std::vector<std::string> want;
  };
  const std::string f =
      "\n[[factor]]\norigin = \"supplier\"\nsource = \"s\"\nconfidence = \"high\"\n";
  std::vector<Case> cases = {
      {f + "key = \"fuel.wood.ncv\"\nvalue = 1\nunit = \"GJ/t\"\n",
       {"field 'key'", "\"wood\" is not a fuel carrier"}},
      {f + "key = \"fuel.natural_gas.ncv\"\nmeter = \"a\"\nvalue = 1\nunit = \"MJ/Nm3\"\n",
       {"field 'meter'", "not a physical natural_gas meter"}},
      {f + "key = \"fuel.natural_gas.ncv\"\nvalue = 36\nunit = \"MJ/kg\"\n",
       {"field 'unit'", "\"MJ/kg\" cannot be converted to GJ/10^4Nm3"}},
      {f + "key = \"fuel.natural_gas.of\"\nvalue = 120\nunit = \"%\"\n",
       {"field 'value'", "at most 1"}},
      {f + "key = \"heat\"\nmeter = \"a\"\nvalue = 0.1\nunit = \"tCO2/GJ\"\n",
       {"field 'meter'", "not a heat, steam or hot water meter"}},
      {f + "key = \"grid\"\nmeter = \"gas\"\nvalue = 0.5\nunit = \"tCO2/MWh\"\n",
       {"field 'meter'", "not an electricity meter"}},
      {f + "key = \"process.heat.purchased_ef\"\nvalue = 0.1\nunit = \"tCO2/GJ\"\n",
       {"use key = \"heat\""}},
      {"\n[[instrument]]\nid = \"x\"\ntype = \"ppa\"\nmwh = 1\nperiod = \"2025-13\"\nsource = "
       "\"s\"\n",
       {"instrument 'x' field 'period'"}},
      {"\n[[instrument]]\nid = \"x\"\ntype = \"ppa\"\nmwh = 1\nperiod = \"2025\"\nsource = \"s\"\n"
       "meter = \"gas\"\n",
       {"field 'meter'", "not a purchased electricity meter"}},
      {"\n[[instrument]]\nid = \"x\"\ntype = \"ppa\"\nmwh = 1\nperiod = \"2025\"\nsource = \"s\"\n"
       "factor = 1\nunit = \"tCO2/GJ\"\n",
       {"field 'unit'", "cannot be converted to tCO2/MWh"}},
  };
  for (const auto& c : cases) {
    auto site = model::ParseSite(std::string(kHead) + c.tail, "f.toml");
    ASSERT_TRUE(site.ok()) << site.status();
    absl::Status s = ValidateSite(*site, Ref());
    ASSERT_FALSE(s.ok()) << c.tail;
    for (const auto& w : c.want) {
      EXPECT_TRUE(absl::StrContains(s.message(), w)) << s << "\nwant: " << w;
    }
  }
}

TEST(SiteFactorChecks, UnitConversions) {
  using internal::ConvertFactorUnit;
  EXPECT_EQ(*ConvertFactorUnit(420, "gCO2/kWh", "tCO2/MWh"), 0.42);
  EXPECT_EQ(*ConvertFactorUnit(0.5, "kgCO2/kWh", "tCO2/MWh"), 0.5);
  EXPECT_EQ(*ConvertFactorUnit(36, "MJ/Nm3", "GJ/10^4Nm3"), 360);
  EXPECT_EQ(*ConvertFactorUnit(15.3, "kgC/GJ", "tC/TJ"), 15.3);
  EXPECT_DOUBLE_EQ(*ConvertFactorUnit(0.0153, "tC/GJ", "tC/TJ"), 15.3);
  EXPECT_DOUBLE_EQ(*ConvertFactorUnit(98, "%", "fraction"), 0.98);
  EXPECT_DOUBLE_EQ(*ConvertFactorUnit(430, "kgCO2/t", "tCO2/t carbonate"), 0.43);
  EXPECT_FALSE(ConvertFactorUnit(1, "tCO2/MWh", "GJ/t").ok());
  EXPECT_EQ(internal::OverrideKeyFor("fuel.A.natural_gas.ncv"), "fuel.natural_gas.ncv");
  EXPECT_EQ(internal::OverrideKeyFor("grid.east_china.2022"), "grid");
  EXPECT_EQ(internal::OverrideKeyFor("process.heat.purchased_ef"), "heat");
  EXPECT_EQ(internal::OverrideKeyFor("gwp.AR5.CH4"), "");
}

}  // namespace
}  // namespace dc::accounting
