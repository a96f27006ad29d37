#include "accounting/reference.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "accounting/csv.h"
#include "accounting/test_util.h"
#include "gtest/gtest.h"

namespace dc::accounting {
namespace {

TEST(Csv, QuotesEscapesAndLineNumbers) {
  auto rows = ParseCsv("a,b\n\"x, y\",\"he said \"\"hi\"\"\"\r\n\n\"multi\nline\",z\n", "t.csv");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1].fields[0], "x, y");
  EXPECT_EQ((*rows)[1].fields[1], "he said \"hi\"");
  EXPECT_EQ((*rows)[1].line, 2);
  EXPECT_EQ((*rows)[2].line, 4);
  EXPECT_EQ((*rows)[2].fields[0], "multi\nline");
  EXPECT_FALSE(ParseCsv("a,\"b\n", "t.csv").ok());
}

TEST(Reference, VersionMatchesReadme) {
  EXPECT_EQ(Ref().version(), "dc-ref-2026.12");
  auto readme = ReadTextFile(DC_SOURCE_DIR "/reference/README.md");
  ASSERT_TRUE(readme.ok());
  EXPECT_TRUE(absl::StrContains(*readme, Ref().version()));
}

TEST(Reference, Gbt2589Coefficients) {
  const Carrier* e = Ref().FindCarrier("electricity");
  ASSERT_NE(e, nullptr);
  EXPECT_DOUBLE_EQ(e->tce_per_base, 0.1229e-3);
  EXPECT_DOUBLE_EQ(*e->ToBase("MWh"), 1000);
  EXPECT_FALSE(e->ToBase("kW").ok());
  EXPECT_DOUBLE_EQ(Ref().FindCarrier("heat")->tce_per_base, 0.03412);
  EXPECT_DOUBLE_EQ(Ref().FindCarrier("natural_gas")->tce_per_base, 1.2143e-3);
  EXPECT_DOUBLE_EQ(Ref().FindCarrier("coke")->tce_per_base, 0.9714);
  EXPECT_DOUBLE_EQ(Ref().FindCarrier("lpg")->tce_per_base, 1.7143);  // not the 0.7143 typo
  EXPECT_DOUBLE_EQ(Ref().FindCarrier("kerosene")->tce_per_base, 1.4714);
  EXPECT_DOUBLE_EQ(Ref().FindCarrier("coke_oven_gas")->tce_per_base, 0.6143e-3);
  EXPECT_DOUBLE_EQ(Ref().FindCarrier("fresh_water")->tce_per_base, 0.0857e-3);
  EXPECT_EQ(Ref().FindCarrier("bituminous_coal")->tce_rule, "default_ncv");
  EXPECT_EQ(Ref().FindCarrier("coal"), nullptr);
  const RefValue* v = Ref().Find("tce.electricity");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->unit, "kgce/kWh");
  EXPECT_TRUE(absl::StrContains(v->source, "GB/T 2589-2020"));
  EXPECT_EQ(v->level, Confidence::kHigh);
}

TEST(Reference, FuelDefaultsVariants) {
  EXPECT_DOUBLE_EQ((*Ref().Get("fuel.A.bituminous_coal.ncv"))->value, 19.57);
  EXPECT_DOUBLE_EQ((*Ref().Get("fuel.A.bituminous_coal.cc"))->value, 26.1);
  EXPECT_DOUBLE_EQ((*Ref().Get("fuel.A.bituminous_coal.of"))->value, 0.93);
  EXPECT_DOUBLE_EQ((*Ref().Get("fuel.B.anthracite.ncv"))->value, 24.515);
  EXPECT_DOUBLE_EQ((*Ref().Get("fuel.C.anthracite.ncv"))->value, 22.867);
  EXPECT_EQ((*Ref().Get("fuel.C.anthracite.ncv"))->level, Confidence::kLow);
  EXPECT_FALSE(Ref().Get("fuel.C.anthracite.of").ok());  // not given in variant C
  EXPECT_DOUBLE_EQ((*Ref().Get("fuel.A.natural_gas.ncv"))->value, 389.31);
  EXPECT_EQ((*Ref().Get("fuel.A.natural_gas.ncv"))->unit, "GJ/10^4Nm3");
  EXPECT_DOUBLE_EQ((*Ref().Get("fuel.C.kerosene.ncv"))->value, 43.07);
  // Raw coal: GB/T 2589's nominal NCV (20 908 kJ/kg) in variant A only.
  EXPECT_DOUBLE_EQ((*Ref().Get("fuel.A.raw_coal.ncv"))->value, 20.908);
  EXPECT_FALSE(Ref().Get("fuel.B.raw_coal.ncv").ok());
}

TEST(Reference, GridFactors) {
  EXPECT_DOUBLE_EQ((*Ref().GridFactor("national", 2022))->value, 0.5366);
  EXPECT_DOUBLE_EQ((*Ref().GridFactor("national", 2021))->value, 0.5568);
  EXPECT_DOUBLE_EQ((*Ref().GridFactor("national", 0))->value, 0.5306);  // newest: 2023
  EXPECT_DOUBLE_EQ((*Ref().GridFactor("华东", 2022))->value, 0.5617);
  EXPECT_DOUBLE_EQ((*Ref().GridFactor("east_china", 2022))->value, 0.5617);
  EXPECT_DOUBLE_EQ((*Ref().GridFactor("shandong", 2021))->value, 0.6838);
  auto bad = Ref().GridFactor("mars", 0);
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "east_china"));
  EXPECT_FALSE(Ref().GridFactor("national", 2019).ok());
}

GridRequest Req(std::string_view type, std::string_view region, int year, int data_year) {
  GridRequest r;
  r.type = type;
  r.region = region;
  r.year = year;
  r.data_year = data_year;
  return r;
}

TEST(Reference, EveryPublishedGridFactorTypeIsSelectable) {
  struct Case {
    std::string_view type;
    int year;
    double value;
    Confidence level;
  } cases[] = {
      {"average", 2022, 0.5366, Confidence::kHigh},
      {"excl_market_nonfossil", 2021, 0.5942, Confidence::kLow},
      {"excl_market_nonfossil", 2022, 0.5856, Confidence::kHigh},
      {"excl_market_nonfossil", 2023, 0.6096, Confidence::kHigh},
      {"fossil", 2021, 0.8426, Confidence::kHigh},
      {"fossil", 2022, 0.8325, Confidence::kHigh},
      {"fossil", 2023, 0.8273, Confidence::kHigh},
      {"carbon_market", 2021, 0.5810, Confidence::kLow},
      {"carbon_market", 2022, 0.5703, Confidence::kLow},
  };
  for (const auto& c : cases) {
    auto g = Ref().SelectGridFactor(Req(c.type, "national", c.year, 0));
    ASSERT_TRUE(g.ok()) << c.type << " " << c.year << ": " << g.status();
    EXPECT_DOUBLE_EQ(g->value->value, c.value) << g->value->key;
    EXPECT_EQ(g->value->unit, "tCO2/MWh");
    EXPECT_EQ(g->value->level, c.level) << g->value->key;
    EXPECT_FALSE(g->value->source.empty());
    EXPECT_TRUE(g->warning.empty());
  }
  EXPECT_EQ((*Ref().Get("grid_fossil.national.2022"))->text_unit, "kgCO2/kWh");
  // Listed, but not a scope-2 factor a site may choose.
  EXPECT_TRUE(Ref().Find("grid_footprint.national.2024"));
  EXPECT_FALSE(Ref().SelectGridFactor(Req("footprint", "national", 0, 0)).ok());
  auto bad = Ref().SelectGridFactor(Req("residual", "national", 0, 0));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "carbon_market"));
  // Fossil and carbon-market factors are national only.
  auto regional = Ref().SelectGridFactor(Req("fossil", "east_china", 0, 0));
  ASSERT_FALSE(regional.ok());
  EXPECT_TRUE(absl::StrContains(regional.status().message(), "east_china"));
}

TEST(Reference, GridFactorOfTheDataYearOrTheNearestEarlier) {
  auto same = Ref().SelectGridFactor(Req("average", "east_china", 0, 2022));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->value->key, "grid.east_china.2022");
  EXPECT_TRUE(same->warning.empty());
  auto later = Ref().SelectGridFactor(Req("average", "east_china", 0, 2025));
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->year, 2023);
  EXPECT_TRUE(absl::StrContains(later->warning, "data year 2025"));
  EXPECT_TRUE(absl::StrContains(later->warning, "nearest earlier year 2023"));
  auto cm = Ref().SelectGridFactor(Req("carbon_market", "national", 0, 2024));
  ASSERT_TRUE(cm.ok());
  EXPECT_DOUBLE_EQ(cm->value->value, 0.5703);
  // Never a later year: 2018 precedes every published year.
  auto early = Ref().SelectGridFactor(Req("average", "national", 0, 2018));
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(absl::StrContains(early.status().message(), "2018 or earlier"));
  EXPECT_TRUE(absl::StrContains(early.status().message(), "2021, 2022, 2023"));
  // A pinned year is used as given (no warning), or is an error when not published.
  auto pinned = Ref().SelectGridFactor(Req("average", "national", 2021, 2025));
  ASSERT_TRUE(pinned.ok());
  EXPECT_EQ(pinned->year, 2021);
  EXPECT_TRUE(pinned->warning.empty());
  EXPECT_FALSE(Ref().SelectGridFactor(Req("average", "national", 2020, 2025)).ok());
  // A period over two calendar years is chosen by its first and warned about.
  GridRequest span = Req("fossil", "national", 0, 2022);
  span.data_year_end = 2023;
  auto s = Ref().SelectGridFactor(span);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->year, 2022);
  EXPECT_TRUE(absl::StrContains(s->warning, "spans 2022-2023"));
}

TEST(Reference, DescribeUseGivesTheUnitUsedAndThePublishedForm) {
  const RefValue* ash = *Ref().Get("process.aluminium.anode_ash");
  EXPECT_EQ(DescribeUse(*ash, ash->value, ash->unit),
            "process.aluminium.anode_ash = 0.004 fraction (published as 0.4 %)");
  const RefValue* g = *Ref().Get("grid.national.2022");
  EXPECT_EQ(DescribeUse(*g, g->value, "tCO2/MWh"),
            "grid.national.2022 = 0.5366 tCO2/MWh (published as 0.5366 kgCO2/kWh)");
  EXPECT_EQ(DescribeUse(*g, g->value * 1000, "kgCO2/MWh"),
            "grid.national.2022 = 536.6 kgCO2/MWh (published as 0.5366 kgCO2/kWh)");
  const RefValue* nc = *Ref().Get("process.aluminium.anode_net_consumption");
  EXPECT_EQ(DescribeUse(*nc, nc->value, nc->unit),
            "process.aluminium.anode_net_consumption = 0.411 t/tAl");
}

TEST(Reference, GwpProcessBenchmarks) {
  EXPECT_DOUBLE_EQ((*Ref().Get("gwp.AR5.CF4"))->value, 6630);
  EXPECT_DOUBLE_EQ((*Ref().Get("gwp.SAR.C2F6"))->value, 9200);
  EXPECT_EQ((*Ref().Get("gwp.AR6.SF6"))->level, Confidence::kLow);
  EXPECT_EQ((*Ref().Get("gwp.AR5.SF6"))->level, Confidence::kHigh);
  EXPECT_DOUBLE_EQ((*Ref().Get("process.heat.purchased_ef"))->value, 0.11);
  EXPECT_DOUBLE_EQ((*Ref().Get("process.steam.reference_enthalpy"))->value, 83.74);
  EXPECT_DOUBLE_EQ((*Ref().Get("process.aluminium.anode_sulfur"))->value, 0.02);
  EXPECT_DOUBLE_EQ((*Ref().Get("process.steel.dolomite"))->value, 0.471);
  EXPECT_DOUBLE_EQ((*Ref().Get("process.carbonate.dolomite"))->value, 0.477);
  EXPECT_DOUBLE_EQ((*Ref().Get("benchmark.cement_clinker.benchmark"))->value, 100);
  EXPECT_DOUBLE_EQ((*Ref().Get("benchmark.cement_clinker.baseline"))->value, 117);
  EXPECT_DOUBLE_EQ((*Ref().Get("benchmark.steel_bof.benchmark"))->value, -30);
  EXPECT_DOUBLE_EQ((*Ref().Get("energy.gj_per_tce"))->value, 29.3076);
  EXPECT_DOUBLE_EQ((*Ref().Get("coal_rate.2022"))->value, 300.7);
  EXPECT_DOUBLE_EQ((*Ref().Get("cbam.definitive.China.7208.direct"))->value, 3.19);
  EXPECT_FALSE(Ref().List("cbam.const").empty());
}

TEST(Reference, EveryValueHasSourceAndConfidence) {
  for (const std::string& table : Ref().Tables()) {
    for (const RefValue* v : Ref().List(table)) {
      EXPECT_FALSE(v->source.empty()) << v->key;
      EXPECT_FALSE(v->confidence.empty()) << v->key;
      EXPECT_FALSE(v->table.empty()) << v->key;
    }
  }
}

TEST(Reference, CarriersByChineseAndEnglishName) {
  const std::pair<const char*, const char*> names[] = {
      {"电力", "electricity"},  {"天然气", "natural_gas"},
      {"原煤", "raw_coal"},     {"蒸汽", "steam"},
      {"热水", "hot_water"},    {"柴油", "diesel"},
      {"汽油", "gasoline"},     {"焦炭", "coke"},
      {"液化石油气", "lpg"},    {"Natural Gas", "natural_gas"},
      {"raw coal", "raw_coal"}, {"LPG", "lpg"}};
  for (const auto& [name, key] : names) {
    const Carrier* c = Ref().FindCarrier(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->key, key) << name;
  }
  // Every carrier of the catalogue by its key and by its Chinese name.
  auto keys = absl::StrSplit(Ref().CarrierKeys(), ", ");
  for (absl::string_view entry : keys) {
    std::string key(entry.substr(0, entry.find(' ')));
    const Carrier* c = Ref().FindCarrier(key);
    ASSERT_NE(c, nullptr) << key;
    ASSERT_FALSE(c->name_cn.empty()) << key;
    EXPECT_EQ(Ref().FindCarrier(c->name_cn), c) << c->name_cn;
    EXPECT_TRUE(absl::StrContains(entry, c->name_cn)) << entry;
  }
  EXPECT_EQ(Ref().FindCarrier("煤"), nullptr);
}

TEST(Reference, AnAmbiguousCarrierNameIsALoadError) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / "ref-ambiguous";
  fs::remove_all(dir);
  fs::copy(DC_SOURCE_DIR "/reference", dir, fs::copy_options::recursive);
  std::ifstream in(dir / "carriers.csv");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  size_t at = text.find("diesel,柴油,");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::string("diesel,柴油,").size(), "diesel,汽油,");
  std::ofstream(dir / "carriers.csv") << text;
  auto r = Reference::Load(dir.string());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "\"汽油\" is used by carriers"))
      << r.status();
}

TEST(Reference, MissingDirectoryIsAClearError) {
  auto r = Reference::Load("/nonexistent/ref");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "/nonexistent/ref"));
}

}  // namespace
}  // namespace dc::accounting
