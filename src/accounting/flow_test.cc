// The energy flow: sub-meters and losses, areas without sub-meters, products by area, and the
// agreement with the inventory's tce.
#include "accounting/flow.h"

#include "absl/strings/str_cat.h"
#include "accounting/test_util.h"
#include "common/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

constexpr char kSite[] = R"toml([site]
id = "flow"
timezone = "Asia/Shanghai"

[[meter]]
id = "grid"
carrier = "electricity"
kind = "interval"
unit = "kWh"
area = "plant"

[[meter]]
id = "mill"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "internal"
area = "mill"

[[meter]]
id = "kiln"
carrier = "electricity"
kind = "interval"
unit = "kWh"
flow = "internal"
area = "kiln"

[[meter]]
id = "coal"
carrier = "bituminous_coal"
kind = "interval"
unit = "t"
area = "kiln"

[[meter]]
id = "diesel"
carrier = "diesel"
kind = "interval"
unit = "t"

[[meter]]
id = "clinker-out"
carrier = "product"
kind = "interval"
unit = "t"

[[meter]]
id = "cement-out"
carrier = "product"
kind = "interval"
unit = "t"

[[product]]
id = "clinker"
meter = "clinker-out"
areas = ["kiln"]

[[product]]
id = "cement"
meter = "cement-out"
PRODUCT_AREAS
)toml";

struct Computed {
  Inventory inv;
  Flow flow;
};

Computed Compute(const std::string& csv, const std::string& cement_areas = "") {
  std::string text = kSite;
  text.replace(text.find("PRODUCT_AREAS"), 13, cement_areas);
  auto site = model::ParseSite(text, "flow.toml");
  EXPECT_TRUE(site.ok()) << site.status();
  auto zone = LoadZone("Asia/Shanghai");
  auto r = CsvReadings::Parse(absl::StrCat("time,meter,value\n", csv), "r.csv", *site, *zone);
  EXPECT_TRUE(r.ok()) << r.status();
  auto inv = ComputeInventory(*site, *r, "2025-03-01", Ref());
  EXPECT_TRUE(inv.ok()) << inv.status();
  return {*inv, ComputeFlow(*site, *inv)};
}

// The warnings that contain `text`.
int Warnings(const Flow& f, const std::string& text) {
  int n = 0;
  for (const std::string& w : f.warnings) n += w.find(text) != std::string::npos;
  return n;
}

const FlowLink* Find(const Flow& f, const std::string& source, const std::string& target) {
  for (const FlowLink& l : f.links) {
    if (l.source == source && l.target == target) return &l;
  }
  return nullptr;
}

constexpr char kReadings[] =
    "2025-03-01 10:00,grid,1000\n"
    "2025-03-01 10:00,mill,300\n"
    "2025-03-01 10:00,kiln,600\n"
    "2025-03-01 10:00,coal,2\n"
    "2025-03-01 10:00,diesel,0.5\n"
    "2025-03-01 10:00,clinker-out,10\n"
    "2025-03-01 10:00,cement-out,12\n";

TEST(Flow, MasterMinusSubMetersIsTheLoss) {
  Computed c = Compute(kReadings);
  const Flow& f = c.flow;
  // Electricity goes to the areas of its sub-meters, not to the master meter's area.
  ASSERT_NE(Find(f, "carrier:electricity", "area:mill"), nullptr);
  EXPECT_DOUBLE_EQ(Find(f, "carrier:electricity", "area:mill")->amount, 300);
  EXPECT_EQ(Find(f, "carrier:electricity", "area:mill")->unit, "kWh");
  EXPECT_EQ(Find(f, "carrier:electricity", "area:plant"), nullptr);
  const FlowLink* loss = Find(f, "carrier:electricity", "losses");
  ASSERT_NE(loss, nullptr);
  EXPECT_NEAR(loss->amount, 100, 1e-9);
  EXPECT_NEAR(loss->value_tce, 100 * 0.1229e-3, 1e-12);
  EXPECT_EQ(Warnings(f, "more than the master"), 0);
}

TEST(Flow, CarriersWithoutSubMetersFeedTheirOwnArea) {
  Computed c = Compute(kReadings);
  const FlowLink* coal = Find(c.flow, "carrier:bituminous_coal", "area:kiln");
  ASSERT_NE(coal, nullptr);
  EXPECT_DOUBLE_EQ(coal->amount, 2);
  // The same tce as the inventory's.
  for (const MeterEnergy& e : c.inv.by_meter) {
    if (e.meter == "coal") {
      EXPECT_DOUBLE_EQ(coal->value_tce, e.tce);
    }
  }
  // A meter without an area feeds "unallocated".
  EXPECT_NE(Find(c.flow, "carrier:diesel", "unallocated"), nullptr);
}

TEST(Flow, ProductsTakeTheirAreasAndTheWholeSiteProductTheRest) {
  Computed c = Compute(kReadings);
  const Flow& f = c.flow;
  const FlowLink* kiln = Find(f, "area:kiln", "product:clinker");
  ASSERT_NE(kiln, nullptr);
  EXPECT_EQ(kiln->unit, "tce");
  const double kiln_in = Find(f, "carrier:electricity", "area:kiln")->value_tce +
                         Find(f, "carrier:bituminous_coal", "area:kiln")->value_tce;
  EXPECT_NEAR(kiln->value_tce, kiln_in, 1e-12);
  EXPECT_EQ(Find(f, "area:kiln", "product:cement"), nullptr);
  EXPECT_NE(Find(f, "area:mill", "product:cement"), nullptr);
  // Every tce the site bought ends in a product, the losses or "unallocated".
  double sinks = 0, sources = 0;
  for (const FlowLink& l : f.links) {
    if (l.source.rfind("carrier:", 0) == 0) sources += l.value_tce;
    if (l.target.rfind("product:", 0) == 0 || l.target == "losses" || l.target == "unallocated") {
      sinks += l.value_tce;
    }
  }
  EXPECT_NEAR(sources, c.inv.total_tce, 1e-9);
  EXPECT_NEAR(sinks, c.inv.total_tce, 1e-9);
}

TEST(Flow, AreasNoProductNamesAreUnallocatedWithoutAWholeSiteProduct) {
  Computed c = Compute(kReadings, "areas = [\"kiln\"]");
  EXPECT_NE(Find(c.flow, "area:mill", "unallocated"), nullptr);
  const FlowLink* half = Find(c.flow, "area:kiln", "product:clinker");
  ASSERT_NE(half, nullptr);
  EXPECT_NEAR(half->value_tce, Find(c.flow, "area:kiln", "product:cement")->value_tce, 1e-15);
  EXPECT_EQ(Warnings(c.flow, "area kiln is named by 2 products"), 1);
}

TEST(Flow, SubMetersAboveTheMasterAreAWarningNotANegativeLoss) {
  Computed c =
      Compute("2025-03-01 10:00,grid,800\n2025-03-01 10:00,mill,300\n2025-03-01 10:00,kiln,600\n");
  EXPECT_EQ(Find(c.flow, "carrier:electricity", "losses"), nullptr);
  EXPECT_EQ(Warnings(c.flow, "sum to 900 kWh, more than the master meters' 800 kWh"), 1);
  EXPECT_EQ(Warnings(c.flow, "no losses shown"), 1);
  for (const FlowLink& l : c.flow.links) EXPECT_GE(l.value_tce, 0) << l.source << l.target;
}

TEST(Flow, JsonHasTheDocumentedShape) {
  Computed c = Compute(kReadings);
  auto j = nlohmann::json::parse(FlowToJson(c.flow));
  EXPECT_EQ(j["unit"], "tce");
  EXPECT_EQ(j["period"]["start"], "2025-03-01T00:00:00+08:00");
  ASSERT_FALSE(j["nodes"].empty());
  EXPECT_EQ(j["nodes"][0]["kind"], "carrier");
  for (const auto& l : j["links"]) {
    for (const char* k : {"source", "target", "value_tce", "amount", "unit"}) {
      EXPECT_TRUE(l.contains(k)) << k;
    }
  }
}

}  // namespace
}  // namespace dc::accounting
