#include "model/site.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/formula.h"
#include "model/site_store.h"
#include "nlohmann/json.hpp"

namespace dc::model {
namespace {

constexpr char kSite[] = R"toml([site]
id = "cement-a"
name = "Example Cement Co., Line 1"
timezone = "Asia/Shanghai"
sector = "cement"
grid_region = "national"
grid_year = 2022

[[meter]]
id = "grid-in"
carrier = "electricity"
kind = "counter"
unit = "kWh"
flow = "purchased"
area = "plant"
series = "meter,site=a,id=grid-in value"
rollover = 99999999

[[meter]]
id = "kiln-coal"
carrier = "bituminous_coal"
kind = "interval"
unit = "t"
flow = "purchased"
area = "kiln"
ncv_gj_per_t = 23.0
carbon_tc_per_gj = 0.02618
oxidation = 0.98

[[meter.lab]]
period = "2025-03"
ncv_gj_per_t = 22.5

[[meter]]
id = "clinker-out"
carrier = "product"
kind = "interval"
unit = "t"

[[virtual_meter]]
id = "kiln-elec"
formula = "grid-in - 0.5 * (grid-in / 2)"
carrier = "electricity"
unit = "kWh"

[[product]]
id = "clinker"
meter = "clinker-out"
areas = ["raw_mill", "kiln"]
benchmark = "cement_clinker"

[[process]]
method = "cement_clinker"
clinker_meter = "clinker-out"
cao = 0.65
cao_non_carbonate = 0.005
mgo = 0.02
mgo_non_carbonate = 0.001
)toml";

TEST(Formula, ParsesAndEvaluates) {
  auto f = Formula::Parse("main - raw_mill - packing");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->Refs(), (std::vector<std::string>{"main", "packing", "raw_mill"}));
  auto val = [](std::string_view id) {
    return id == "main" ? 100.0 : id == "raw_mill" ? 30.0 : 20.0;
  };
  EXPECT_DOUBLE_EQ(f->Eval(val), 50);
  EXPECT_TRUE(f->Linear());
  auto g = Formula::Parse("-(grid-in + 2.5e1) * 2 / 4");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->Refs(), std::vector<std::string>{"grid-in"});
  EXPECT_DOUBLE_EQ(g->Eval([](std::string_view) { return 5.0; }), -15);
  EXPECT_FALSE(Formula::Parse("a * b")->Linear());
  EXPECT_DOUBLE_EQ(Formula::Parse("a / b")->Eval([](std::string_view) { return 0.0; }), 0);
  for (const char* bad : {"", "a +", "(a", "a b", "a ** b", "a + )"}) {
    EXPECT_FALSE(Formula::Parse(bad).ok()) << bad;
  }
}

TEST(Site, ParsesEveryField) {
  auto s = ParseSite(kSite, "site.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->id, "cement-a");
  EXPECT_EQ(s->grid_year, 2022);
  EXPECT_EQ(s->gwp, "AR5");
  ASSERT_EQ(s->meters.size(), 3u);
  EXPECT_EQ(s->meters[0].series, "meter,id=grid-in,site=a value");  // canonical
  EXPECT_EQ(s->meters[0].rollover, 99999999);
  EXPECT_EQ(*s->meters[1].oxidation, 0.98);
  ASSERT_EQ(s->meters[1].lab.size(), 1u);
  EXPECT_EQ(*s->meters[1].lab[0].ncv_gj_per_t, 22.5);
  EXPECT_EQ(s->meters[2].flow, Flow::kPurchased);
  EXPECT_EQ(s->virtual_meters[0].flow, Flow::kInternal);
  EXPECT_EQ(s->products[0].areas.size(), 2u);
  EXPECT_EQ(s->processes[0].numbers.at("cao"), 0.65);
  EXPECT_EQ(s->processes[0].meters.at("clinker_meter"), "clinker-out");
  EXPECT_EQ(s->meters[1].pos.of("carbon_tc_per_gj").line, 27);
  EXPECT_TRUE(s->warnings.empty());
}

TEST(Site, TomlRoundTrip) {
  auto s = ParseSite(kSite, "site.toml");
  ASSERT_TRUE(s.ok());
  std::string toml = SiteToToml(*s);
  auto again = ParseSite(toml, "export.toml");
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << toml;
  EXPECT_EQ(SiteToJson(*again), SiteToJson(*s));
}

std::string ErrorOf(std::string_view toml) {
  auto s = ParseSite(toml, "bad.toml");
  return s.ok() ? "" : std::string(s.status().message());
}

TEST(Site, ErrorsNameFileLineAndField) {
  std::string e = ErrorOf(
      "[site]\nid = \"a\"\n[[meter]]\nid = \"m\"\ncarrier = \"electricity\"\nkind = "
      "\"total\"\nunit = \"kWh\"\n");
  EXPECT_TRUE(absl::StrContains(e, "bad.toml:6:")) << e;
  EXPECT_TRUE(absl::StrContains(e, "meter 'm' field 'kind'")) << e;
  EXPECT_TRUE(absl::StrContains(e, "counter, interval, gauge")) << e;
  e = ErrorOf(
      "[site]\nid = \"a\"\n[[meter]]\nid = \"m\"\ncarrier = \"electricity\"\nkind = \"counter\"\n");
  EXPECT_TRUE(absl::StrContains(e, "field 'unit': required")) << e;
  e = ErrorOf("[site]\nid = \"A B\"\n");
  EXPECT_TRUE(absl::StrContains(e, "bad.toml:2:")) << e;
  e = ErrorOf("[site]\nid = \"a\"\n[[product]]\nid = \"p\"\nmeter = \"nope\"\n");
  EXPECT_TRUE(absl::StrContains(e, "bad.toml:5:")) << e;
  EXPECT_TRUE(absl::StrContains(e, "unknown meter \"nope\"")) << e;
  e = ErrorOf(
      "[site]\nid = \"a\"\n[[virtual_meter]]\nid = \"v\"\nformula = \"w\"\n[[virtual_meter]]\nid = "
      "\"w\"\nformula = \"v\"\n");
  EXPECT_TRUE(absl::StrContains(e, "refers to itself")) << e;
  e = ErrorOf("[site]\nid = \"a\"\n[[process]]\nmethod = \"magic\"\n");
  EXPECT_TRUE(absl::StrContains(e, "cement_clinker")) << e;
  e = ErrorOf(
      "[site]\nid = \"a\"\n[[meter]]\nid = \"m\"\ncarrier = \"coke\"\nkind = \"interval\"\nunit = "
      "\"t\"\noxidation = 98\n");
  EXPECT_TRUE(absl::StrContains(e, "field 'oxidation'")) << e;
  e = ErrorOf(
      "[site]\nid = \"a\"\n[[meter]]\nid = \"m\"\ncarrier = \"coke\"\nkind = \"interval\"\nunit = "
      "\"t\"\n[[meter]]\nid = \"m\"\ncarrier = \"coke\"\nkind = \"interval\"\nunit = \"t\"\n");
  EXPECT_TRUE(absl::StrContains(e, "already defined at line 4")) << e;
  e = ErrorOf("[site\nid = 1");
  EXPECT_TRUE(absl::StrContains(e, "bad.toml:1:")) << e;
  EXPECT_TRUE(absl::StrContains(ErrorOf("id = 1\n"), "missing [site]"));
}

TEST(Site, ProcessSchemasIndexedByMethod) {
  ASSERT_EQ(ProcessSchemas().size(), static_cast<size_t>(ProcessMethod::kCount));
  for (size_t i = 0; i < ProcessSchemas().size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(ProcessSchemas()[i].method), i) << ProcessSchemas()[i].name;
  }
  EXPECT_EQ(Name(ProcessMethod::kAmmonia), "ammonia");
  EXPECT_EQ(ProcessMethods().size(), ProcessSchemas().size());
}

constexpr char kGauge[] =
    "[site]\nid = \"a\"\n[[meter]]\nid = \"p\"\ncarrier = \"electricity\"\nkind = \"gauge\"\n";

TEST(Site, IntegratedGauge) {
  auto s = ParseSite(absl::StrCat(kGauge, "unit = \"kW\"\nintegrate = \"step\"\n"), "g.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->meters[0].integrate, Integration::kStep);
  EXPECT_EQ(s->meters[0].AmountUnit(), "kWh");
  auto again = ParseSite(SiteToToml(*s), "again.toml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->meters[0].integrate, Integration::kStep);
  EXPECT_EQ(SiteToJson(*s)["meters"][0]["integrate"], "step");
  Meter m;
  m.integrate = Integration::kTrapezoid;
  m.unit = "t/h";
  EXPECT_EQ(m.AmountUnit(), "t");
  m.unit = "MW";
  EXPECT_EQ(m.AmountUnit(), "MWh");
  m.integrate = Integration::kNone;
  EXPECT_EQ(m.AmountUnit(), "MW");
  std::string e = ErrorOf(absl::StrCat(kGauge, "unit = \"kWh\"\nintegrate = \"trapezoid\"\n"));
  EXPECT_TRUE(absl::StrContains(e, "field 'unit': an integrated gauge needs a rate unit")) << e;
  e = ErrorOf(absl::StrCat(kGauge, "unit = \"kW\"\nintegrate = \"simpson\"\n"));
  EXPECT_TRUE(absl::StrContains(e, "\"simpson\" is not one of: trapezoid, step")) << e;
  e = ErrorOf(
      "[site]\nid = \"a\"\n[[meter]]\nid = \"p\"\ncarrier = \"electricity\"\nkind = "
      "\"interval\"\nunit = \"kWh\"\nintegrate = \"step\"\n");
  EXPECT_TRUE(absl::StrContains(e, "only a gauge is integrated")) << e;
}

TEST(Site, ProcessTier) {
  constexpr char kClinker[] =
      "[site]\nid = \"a\"\n[[meter]]\nid = \"c\"\ncarrier = \"product\"\nkind = "
      "\"interval\"\nunit = \"t\"\n[[process]]\nmethod = \"cement_clinker\"\nclinker_meter = "
      "\"c\"\n";
  // The guideline tier needs the composition; Tier 1 does not.
  EXPECT_TRUE(absl::StrContains(ErrorOf(kClinker), "field 'cao': required")) << ErrorOf(kClinker);
  auto s = ParseSite(absl::StrCat(kClinker, "tier = \"ipcc_tier1\"\n"), "t.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->processes[0].tier, Tier::kIpccTier1);
  auto again = ParseSite(SiteToToml(*s), "again.toml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->processes[0].tier, Tier::kIpccTier1);
  EXPECT_EQ(SiteToJson(*s)["processes"][0]["tier"], "ipcc_tier1");
  std::string e = ErrorOf(
      "[site]\nid = \"a\"\n[[meter]]\nid = \"r\"\ncarrier = \"product\"\nkind = "
      "\"interval\"\nunit = \"t\"\n[[process]]\nmethod = \"cement_raw_meal\"\nraw_meal_meter = "
      "\"r\"\norganic_carbon = 0.002\ntier = \"ipcc_tier1\"\n");
  EXPECT_TRUE(absl::StrContains(e, "method cement_raw_meal has no IPCC Tier 1 option")) << e;
  e = ErrorOf(
      "[site]\nid = \"a\"\n[[meter]]\nid = \"l\"\ncarrier = \"product\"\nkind = "
      "\"interval\"\nunit = \"t\"\n[[process]]\nmethod = \"carbonate\"\nmeter = \"l\"\nmaterial = "
      "\"limestone\"\n[[process.outputs]]\nmeter = \"l\"\n");
  EXPECT_TRUE(absl::StrContains(e, "field 'outputs': method carbonate has no outputs")) << e;
}

TEST(Site, UnknownKeysAreWarnings) {
  auto s = ParseSite("[site]\nid = \"a\"\ncolour = \"red\"\n", "w.toml");
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_TRUE(absl::StrContains(s->warnings[0], "w.toml:3:")) << s->warnings[0];
}

TEST(SiteStore, Crud) {
  auto store = SiteStore::Open(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Save(kSite).ok());
  auto list = (*store)->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "cement-a");
  auto site = (*store)->Load("cement-a");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_EQ(site->meters.size(), 3u);
  EXPECT_EQ(*(*store)->LoadToml("cement-a"), kSite);
  auto json = nlohmann::json::parse(*(*store)->LoadJson("cement-a"));
  EXPECT_EQ(json["meters"][1]["ncv_gj_per_t"], 23.0);
  EXPECT_FALSE((*store)->Save("[site]\nid = 3\n").ok());
  EXPECT_TRUE((*store)->Delete("cement-a").ok());
  EXPECT_TRUE(absl::IsNotFound((*store)->Delete("cement-a")));
  EXPECT_TRUE(absl::IsNotFound((*store)->Load("cement-a").status()));
}

TEST(Site, GridFactorTypeRoundTrips) {
  auto s = ParseSite("[site]\nid = \"a\"\ngrid_factor = \"carbon_market\"\n", "g.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->grid_factor, "carbon_market");
  auto again = ParseSite(SiteToToml(*s), "export.toml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->grid_factor, "carbon_market");
  auto plain = ParseSite("[site]\nid = \"a\"\n", "p.toml");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->grid_factor, "average");
  EXPECT_FALSE(absl::StrContains(SiteToToml(*plain), "grid_factor"));  // the default is implied
  auto empty = ParseSite("[site]\nid = \"a\"\ngrid_factor = \"\"\n", "e.toml");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(absl::StrContains(empty.status().message(), "grid_factor"));
}

}  // namespace
}  // namespace dc::model
