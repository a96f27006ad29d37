// [[factor]] and [[instrument]]: parsing, errors naming the field, and the TOML/JSON round trip.
#include "model/site_factors.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "model/site.h"
#include "nlohmann/json.hpp"

namespace dc::model {
namespace {

constexpr char kHead[] = R"toml([site]
id = "plant"

[[meter]]
id = "grid-in"
carrier = "electricity"
kind = "interval"
unit = "kWh"

[[meter]]
id = "gas"
carrier = "natural_gas"
kind = "interval"
unit = "m3"
)toml";

constexpr char kTables[] = R"toml(
[[factor]]
key = "grid"
meter = "grid-in"
value = 0.42
unit = "kgCO2/kWh"
origin = "supplier"
source = "supplier certificate 2025-03 no. 7781"
confidence = "high"

[[factor]]
key = "fuel.natural_gas.ncv"
value = 389.31
unit = "GJ/10^4Nm3"
origin = "published"
source = "GB/T 2589-2020 Appendix A, typed in"
confidence = "medium"

[[instrument]]
id = "gec-2025-q1"
type = "gec"
mwh = 1200
period = "2025-Q1"
site = "plant"
certificates = ["GEC-2025-000001", "GEC-2025-000002"]
source = "China Green Certificate platform, order 88"

[[instrument]]
id = "ppa-wind"
type = "ppa"
mwh = 500.5
period = "2025-01..2025-06"
meter = "grid-in"
factor = 0.01
unit = "tCO2/MWh"
source = "PPA contract 2024-17 with Wind Co."
)toml";

absl::StatusOr<Site> Parse(const std::string& tail) {
  return ParseSite(std::string(kHead) + tail, "f.toml");
}

TEST(SiteFactors, ParsesBothTables) {
  auto site = Parse(kTables);
  ASSERT_TRUE(site.ok()) << site.status();
  ASSERT_EQ(site->factors.size(), 2u);
  const FactorOverride& g = site->factors[0];
  EXPECT_EQ(g.key, "grid");
  EXPECT_EQ(g.meter, "grid-in");
  EXPECT_EQ(g.value, 0.42);
  EXPECT_EQ(g.unit, "kgCO2/kWh");
  EXPECT_EQ(g.origin, "supplier");
  EXPECT_EQ(g.confidence, "high");
  EXPECT_EQ(g.pos.table.line, 16);
  EXPECT_EQ(site->factors[1].meter, "");
  ASSERT_EQ(site->instruments.size(), 2u);
  const Instrument& gec = site->instruments[0];
  EXPECT_EQ(gec.type, "gec");
  EXPECT_EQ(gec.mwh, 1200);
  EXPECT_FALSE(gec.factor.has_value());
  EXPECT_EQ(gec.certificates.size(), 2u);
  EXPECT_EQ(site->instruments[1].factor, 0.01);
  EXPECT_EQ(site->instruments[1].meter, "grid-in");
  EXPECT_TRUE(site->warnings.empty()) << site->warnings[0];
}

TEST(SiteFactors, RoundTripIsAFixedPoint) {
  auto site = Parse(kTables);
  ASSERT_TRUE(site.ok()) << site.status();
  std::string toml = SiteToToml(*site);
  auto again = ParseSite(toml, "again.toml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << toml;
  EXPECT_EQ(SiteToToml(*again), toml);
  EXPECT_EQ(SiteToJson(*again), SiteToJson(*site));
  EXPECT_EQ(SiteToJson(*site)["instruments"][1]["factor"], 0.01);
  EXPECT_EQ(SiteToJson(*site)["factors"][0]["source"], "supplier certificate 2025-03 no. 7781");
}

struct Bad {
  std::string tail;
  std::vector<const char*> want;
};

TEST(SiteFactors, ErrorsNameTheFieldAndValue) {
  const std::string f =
      "\n[[factor]]\nvalue = 1\nunit = \"x\"\norigin = \"measured\"\n"
      "source = \"s\"\nconfidence = \"high\"\n";
  const std::string i =
      "\n[[instrument]]\nid = \"i1\"\ntype = \"gec\"\nperiod = \"2025\"\n"
      "source = \"s\"\n";
  std::vector<Bad> cases = {
      {"\n[[factor]]\nkey = \"gird\"\n",
       {"f.toml:17:7:", "field 'key'", "unknown factor key \"gird\""}},
      {f + "key = \"grid\"\nmeter = \"nope\"\n",
       {"[[factor]] #1 field 'meter'", "unknown meter \"nope\""}},
      {f + "key = \"fuel.coal.xx\"\n", {"unknown factor key \"fuel.coal.xx\""}},
      {f + "key = \"process.x\"\nmeter = \"gas\"\n",
       {"field 'meter'", "process factor is given per site"}},
      {f + "key = \"grid\"\n" + f + "key = \"grid\"\n",
       {"[[factor]] #2 field 'key'", "already given at line 16"}},
      {"\n[[factor]]\nkey = \"grid\"\nvalue = 1\nunit = \"t\"\norigin = \"guess\"\n",
       {"field 'origin'", "\"guess\" is not one of: measured, supplier"}},
      {"\n[[factor]]\nkey = \"grid\"\nvalue = -1\n", {"field 'value'", "must not be negative"}},
      {"\n[[factor]]\nkey = \"grid\"\nvalue = 1\nunit = \"t\"\norigin = \"measured\"\n",
       {"field 'source'", "required"}},
      {i + "mwh = 0\n", {"instrument 'i1' field 'mwh'", "must be > 0"}},
      {i + "mwh = 5\nmeter = \"m9\"\n", {"field 'meter'", "unknown meter \"m9\""}},
      {i + "mwh = 5\nsite = \"other\"\n", {"field 'site'", "\"other\" is not this site"}},
      {i + "mwh = 5\nunit = \"kgCO2/kWh\"\n", {"field 'unit'", "without factor"}},
      {i + "mwh = 5\n" + i + "mwh = 6\n", {"already defined at line 16"}},
      {"\n[[instrument]]\nid = \"x\"\ntype = \"rec\"\n", {"field 'type'", "gec, green_power, ppa"}},
      {"\n[factor]\nkey = 1\n", {"'factor' must be an array of tables"}},
  };
  for (const auto& c : cases) {
    auto site = Parse(c.tail);
    ASSERT_FALSE(site.ok()) << c.tail;
    for (const char* w : c.want) {
      EXPECT_TRUE(absl::StrContains(site.status().message(), w))
          << site.status() << "\nwant: " << w;
    }
  }
}

TEST(SiteFactors, UnknownKeysAreWarnings) {
  auto site = Parse(std::string(kTables) + "colour = \"green\"\n");
  ASSERT_TRUE(site.ok()) << site.status();
  ASSERT_EQ(site->warnings.size(), 1u);
  EXPECT_TRUE(absl::StrContains(site->warnings[0], "instrument 'ppa-wind': unknown key 'colour'"))
      << site->warnings[0];
}

}  // namespace
}  // namespace dc::model
