// The site file's enumerations and the process methods' schemas: one table each, shared by
// parsing (site.cc), writing (site_write.cc) and the accounting layer.
#include <algorithm>

#include "model/site.h"
#include "model/site_internal.h"

namespace dc::model {
namespace {

template <typename E>
std::string_view NameIn(const std::vector<Named<E>>& table, E v) {
  for (const auto& n : table) {
    if (n.value == v) return n.name;
  }
  return "";
}

using R = ProcessSchema::Rule;

}  // namespace

const std::vector<Named<MeterKind>>& MeterKinds() {
  static const auto* t = new std::vector<Named<MeterKind>>{{"counter", MeterKind::kCounter},
                                                           {"interval", MeterKind::kInterval},
                                                           {"gauge", MeterKind::kGauge}};
  return *t;
}

const std::vector<Named<Flow>>& Flows() {
  static const auto* t = new std::vector<Named<Flow>>{{"purchased", Flow::kPurchased},
                                                      {"exported", Flow::kExported},
                                                      {"generated", Flow::kGenerated},
                                                      {"internal", Flow::kInternal}};
  return *t;
}

const std::vector<Named<Integration>>& Integrations() {
  static const auto* t = new std::vector<Named<Integration>>{{"trapezoid", Integration::kTrapezoid},
                                                             {"step", Integration::kStep}};
  return *t;
}

const std::vector<Named<Tier>>& Tiers() {
  static const auto* t = new std::vector<Named<Tier>>{{"guideline", Tier::kGuideline},
                                                      {"ipcc_tier1", Tier::kIpccTier1}};
  return *t;
}

std::string_view Name(MeterKind k) { return NameIn(MeterKinds(), k); }
std::string_view Name(Flow f) { return NameIn(Flows(), f); }
std::string_view Name(Integration i) {
  return i == Integration::kNone ? "" : NameIn(Integrations(), i);
}
std::string_view Name(Tier t) { return NameIn(Tiers(), t); }
std::string_view Name(ProcessMethod m) { return SchemaOf(m).name; }

const std::vector<ProcessSchema>& ProcessSchemas() {
  static const auto* v = [] {
    auto* s = new std::vector<ProcessSchema>{
        {ProcessMethod::kCementClinker,
         "cement_clinker",
         {"clinker_meter"},
         {"kiln_dust_meter", "bypass_dust_meter"},
         {{"cao", R::kFraction, true},
          {"mgo", R::kFraction, true},
          {"cao_non_carbonate", R::kFraction, false},
          {"mgo_non_carbonate", R::kFraction, false}},
         {},
         false,
         false,
         true},
        {ProcessMethod::kCementRawMeal,
         "cement_raw_meal",
         {"raw_meal_meter"},
         {},
         {{"organic_carbon", R::kFraction, true}},
         {},
         false,
         false,
         false},
        {ProcessMethod::kCarbonate,
         "carbonate",
         {},
         {"meter"},
         {{"purity", R::kFraction, false},
          {"fraction", R::kFraction, false},
          {"ef_tco2_per_t", R::kNonNegative, false}},
         {"material"},
         true,
         false,
         false},
        {ProcessMethod::kGlassCarbonates,
         "glass_carbonates",
         {},
         {"meter", "carbon_powder_meter"},
         {{"purity", R::kFraction, false},
          {"fraction", R::kFraction, false},
          {"ef_tco2_per_t", R::kNonNegative, false},
          {"carbon_content", R::kFraction, false}},
         {"material"},
         true,
         false,
         false},
        {ProcessMethod::kSteelCarbonBalance,
         "steel_carbon_balance",
         {},
         {},
         {},
         {},
         true,
         true,
         false},
        {ProcessMethod::kAluminiumAnode,
         "aluminium_anode",
         {"production_meter"},
         {},
         {{"net_anode_t_per_t", R::kNonNegative, false},
          {"sulfur", R::kFraction, false},
          {"ash", R::kFraction, false},
          {"ef_tco2_per_t", R::kNonNegative, false}},
         {},
         false,
         false,
         true},
        {ProcessMethod::kAluminiumPfc,
         "aluminium_pfc",
         {"production_meter"},
         {},
         {{"anode_effect_minutes_per_cell_day", R::kNonNegative, false},
          {"ef_cf4_kg_per_t", R::kNonNegative, false},
          {"ef_c2f6_kg_per_t", R::kNonNegative, false}},
         {},
         false,
         false,
         false},
        {ProcessMethod::kAmmonia,
         "ammonia",
         {},
         {"co2_recovered_meter", "production_meter", "urea_meter"},
         {{"co2_recovered_purity", R::kFraction, false}},
         {},
         true,
         true,
         true},
    };
    return s;
  }();
  return *v;
}

const ProcessSchema& SchemaOf(ProcessMethod m) { return ProcessSchemas()[static_cast<size_t>(m)]; }

const std::vector<std::string>& ProcessMethods() {
  static const auto* v = [] {
    auto* out = new std::vector<std::string>();
    for (const auto& s : ProcessSchemas()) out->emplace_back(s.name);
    std::sort(out->begin(), out->end());
    return out;
  }();
  return *v;
}

std::string Meter::AmountUnit() const {
  if (integrate == Integration::kNone) return unit;
  if (unit.size() > 2 && unit.compare(unit.size() - 2, 2, "/h") == 0) {
    return unit.substr(0, unit.size() - 2);
  }
  if (unit.size() >= 2 && unit.back() == 'W' && unit.find('/') == std::string::npos) {
    return unit + "h";  // kW -> kWh, MW -> MWh
  }
  return "";
}

}  // namespace dc::model
