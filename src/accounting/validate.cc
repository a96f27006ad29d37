// Site validation against the reference library: every meter, virtual meter, product and
// process of a site file is checked before any computation (ValidateSite).
#include "accounting/inventory.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/engine.h"
#include "accounting/market.h"
#include "common/counter.h"
#include "common/strings.h"
#include "common/time.h"

namespace dc::accounting {

namespace {

absl::Status At(const model::Site& site, const model::Positions& pos, std::string_view what,
                std::string_view field, std::string_view msg) {
  return absl::InvalidArgumentError(
      absl::StrCat(site.Where(pos.of(field)), AV(what),
                   field.empty() ? "" : absl::StrCat(" field '", AV(field), "'"), ": ", AV(msg)));
}

const std::set<std::string>& SteelMaterials() {
  static const auto* s = new std::set<std::string>{
      "limestone",    "dolomite",     "electrode",        "pig_iron",    "dri",
      "ferro_nickel", "ferro_chrome", "ferro_molybdenum", "crude_steel", "methanol"};
  return *s;
}

std::vector<std::string> KeysUnder(const Reference& ref, std::string_view prefix,
                                   std::string_view suffix) {
  std::vector<std::string> out;
  for (const RefValue* v : ref.List(prefix)) {
    std::string k = v->key.substr(prefix.size() + 1);
    if (!suffix.empty()) {
      if (!absl::EndsWith(k, AV(suffix))) continue;
      k = k.substr(0, k.size() - suffix.size());
    }
    out.push_back(k);
  }
  return out;
}

absl::Status CheckMassMeter(const model::Site& site, const Reference& ref, const std::string& id,
                            const model::Positions& pos, const std::string& what,
                            const std::string& field) {
  std::string unit;
  if (const model::Meter* m = site.FindMeter(id)) unit = m->unit;
  if (const model::VirtualMeter* v = site.FindVirtual(id)) unit = v->unit;
  (void)ref;
  if (unit != "t" && unit != "kg") {
    return At(
        site, pos, what, field,
        absl::StrCat("meter \"", id, "\" has unit \"", unit, "\"; a mass in t or kg is required"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMeter(const model::Site& site, const Reference& ref, const model::Meter& m,
                           const absl::TimeZone& zone) {
  std::string what = absl::StrCat("meter '", m.id, "'");
  const Carrier* c = ref.FindCarrier(m.carrier);
  if (!c) {
    return At(site, m.pos, what, "carrier",
              absl::StrCat("unknown carrier \"", m.carrier, "\"; known: ", ref.CarrierKeys()));
  }
  if (auto u = c->ToBase(m.unit); !u.ok())
    return At(site, m.pos, what, "unit", SV(u.status().message()));
  bool gas = c->cls == CarrierClass::kGas;
  if (m.ncv_gj_per_t && (!c->is_fuel() || gas)) {
    return At(
        site, m.pos, what, "ncv_gj_per_t",
        gas ? "carrier is a gas: use ncv_gj_per_10k_nm3" : "only fuels have a net calorific value");
  }
  if (m.ncv_gj_per_10k_nm3 && !gas) {
    return At(site, m.pos, what, "ncv_gj_per_10k_nm3",
              c->is_fuel() ? "carrier is not a gas: use ncv_gj_per_t"
                           : "only fuels have a net calorific value");
  }
  for (auto [key, set] :
       {std::pair<const char*, bool>{"carbon_tc_per_gj", m.carbon_tc_per_gj.has_value()},
        {"oxidation", m.oxidation.has_value()}}) {
    if (set && !c->is_fuel())
      return At(site, m.pos, what, key, absl::StrCat("only fuels have ", key));
  }
  if (c->cls == CarrierClass::kSteam) {
    if (!m.enthalpy_kj_per_kg) {
      return At(site, m.pos, what, "enthalpy_kj_per_kg",
                "required for steam (heat = Ma × (En − 83.74) × 10⁻³ GJ)");
    }
    if (*m.enthalpy_kj_per_kg <= 83.74) {
      return At(site, m.pos, what, "enthalpy_kj_per_kg",
                "must exceed 83.74 kJ/kg (feed water at 20 °C)");
    }
  } else if (m.enthalpy_kj_per_kg) {
    return At(site, m.pos, what, "enthalpy_kj_per_kg", "only steam has an enthalpy");
  }
  if (c->cls == CarrierClass::kHotWater) {
    if (!m.temperature_c) {
      return At(site, m.pos, what, "temperature_c",
                "required for hot water (heat = Ma × (T − 20) × 4.1868 × 10⁻³ GJ)");
    }
    if (*m.temperature_c <= 20) return At(site, m.pos, what, "temperature_c", "must exceed 20 °C");
  } else if (m.temperature_c) {
    return At(site, m.pos, what, "temperature_c", "only hot water has a temperature");
  }
  // Lab values: fuels only, parsable periods, no overlaps, the right NCV key.
  std::vector<std::pair<Period, const model::LabValue*>> labs;
  for (const auto& lab : m.lab) {
    std::string lwhat = absl::StrCat(what, " [[meter.lab]]");
    if (!c->is_fuel()) return At(site, lab.pos, lwhat, "", "lab values are for fuels only");
    auto p = ParsePeriod(lab.period, zone);
    if (!p.ok()) return At(site, lab.pos, lwhat, "period", SV(p.status().message()));
    if (lab.ncv_gj_per_t && gas)
      return At(site, lab.pos, lwhat, "ncv_gj_per_t", "carrier is a gas: use ncv_gj_per_10k_nm3");
    if (lab.ncv_gj_per_10k_nm3 && !gas) {
      return At(site, lab.pos, lwhat, "ncv_gj_per_10k_nm3",
                "carrier is not a gas: use ncv_gj_per_t");
    }
    labs.emplace_back(*p, &lab);
  }
  std::sort(labs.begin(), labs.end(),
            [](const auto& a, const auto& b) { return a.first.start < b.first.start; });
  for (size_t i = 1; i < labs.size(); ++i) {
    if (labs[i].first.start < labs[i - 1].first.end) {
      return At(site, labs[i].second->pos, absl::StrCat(what, " [[meter.lab]]"), "period",
                absl::StrCat("period \"", labs[i].second->period, "\" overlaps \"",
                             labs[i - 1].second->period, "\" (line ",
                             labs[i - 1].second->pos.table.line, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProcess(const model::Site& site, const Reference& ref,
                             const model::Process& p) {
  std::string what = absl::StrCat("process '", p.id, "'");
  for (const auto& [field, id] : p.meters) {
    if (field == "meter") continue;
    if (auto s = CheckMassMeter(site, ref, id, p.pos, what, field); !s.ok()) return s;
  }
  if (p.method == "cement_clinker") {
    if (p.numbers.count("cao_non_carbonate") &&
        p.numbers.at("cao_non_carbonate") > p.numbers.at("cao")) {
      return At(site, p.pos, what, "cao_non_carbonate", "exceeds cao");
    }
    if (p.numbers.count("mgo_non_carbonate") &&
        p.numbers.at("mgo_non_carbonate") > p.numbers.at("mgo")) {
      return At(site, p.pos, what, "mgo_non_carbonate", "exceeds mgo");
    }
  }
  if (p.method == "aluminium_anode") {
    double s = p.numbers.count("sulfur") ? p.numbers.at("sulfur") : 0;
    double a = p.numbers.count("ash") ? p.numbers.at("ash") : 0;
    if (s + a >= 1) return At(site, p.pos, what, "sulfur", "sulfur + ash must be below 1");
  }
  if (p.method == "glass_carbonates" && p.meters.count("carbon_powder_meter") &&
      !p.numbers.count("carbon_content")) {
    return At(site, p.pos, what, "carbon_content",
              "required with carbon_powder_meter (fraction of carbon)");
  }
  bool steel = p.method == "steel_carbon_balance";
  if (!steel && !p.outputs.empty())
    return At(site, p.outputs[0].pos, what, "", "outputs are for steel_carbon_balance only");
  for (const auto* items : {&p.inputs, &p.outputs}) {
    for (const auto& it : *items) {
      if (auto s = CheckMassMeter(site, ref, it.meter, it.pos, what, "meter"); !s.ok()) return s;
      if (it.ef_tco2_per_t || (steel && it.carbon_content)) continue;
      if (steel) {
        if (!SteelMaterials().count(it.material)) {
          return At(site, it.pos, what, "material",
                    absl::StrCat("unknown steel material \"", it.material,
                                 "\"; known: ", absl::StrJoin(SteelMaterials(), ", "),
                                 " (or give ef_tco2_per_t or carbon_content)"));
        }
        bool output = items == &p.outputs;
        bool fixed = it.material == "crude_steel" || it.material == "methanol";
        if (output != fixed) {
          return At(
              site, it.pos, what, "material",
              absl::StrCat("\"", it.material, "\" belongs in ", fixed ? "outputs" : "inputs"));
        }
      } else if (!ref.Find(absl::StrCat("process.carbonate.", it.material))) {
        return At(site, it.pos, what, "material",
                  absl::StrCat("unknown carbonate \"", it.material, "\"; known: ",
                               absl::StrJoin(KeysUnder(ref, "process.carbonate", ""), ", "),
                               " (or give ef_tco2_per_t)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateSite(const model::Site& site, const Reference& ref) {
  auto zone = LoadZone(site.timezone);
  if (!zone.ok()) return At(site, site.pos, "[site]", "timezone", SV(zone.status().message()));
  for (const auto& m : site.meters) {
    if (auto s = ValidateMeter(site, ref, m, *zone); !s.ok()) return s;
  }
  for (const auto& v : site.virtual_meters) {
    std::string what = absl::StrCat("virtual_meter '", v.id, "'");
    const Carrier* c = ref.FindCarrier(v.carrier);
    if (!c) {
      return At(site, v.pos, what, "carrier",
                absl::StrCat("unknown carrier \"", v.carrier, "\"; known: ", ref.CarrierKeys()));
    }
    if (!v.unit.empty()) {
      if (auto u = c->ToBase(v.unit); !u.ok())
        return At(site, v.pos, what, "unit", SV(u.status().message()));
    }
    if (c->cls == CarrierClass::kSteam || c->cls == CarrierClass::kHotWater) {
      return At(site, v.pos, what, "carrier",
                "steam and hot water meters must be physical (they need enthalpy or temperature)");
    }
  }
  if (auto g = ref.GridFactor(site.grid_region, site.grid_year); !g.ok()) {
    return At(site, site.pos, "[site]",
              site.grid_year && ref.RegionKey(site.grid_region) != "" ? "grid_year" : "grid_region",
              SV(g.status().message()));
  }
  if (!ref.Find(absl::StrCat("gwp.", site.gwp, ".CF4"))) {
    return At(site, site.pos, "[site]", "gwp", absl::StrCat("reference has no GWP set ", site.gwp));
  }
  if (site.electricity_tce == "equal_value" && !site.electricity_coal_rate_gce_per_kwh &&
      ref.List("coal_rate").empty()) {
    return At(site, site.pos, "[site]", "electricity_coal_rate_gce_per_kwh",
              "required with electricity_tce = \"equal_value\"");
  }
  if (auto s = internal::ValidateFactorTables(site, ref, *zone); !s.ok()) return s;  // market.h
  for (const auto& p : site.products) {
    if (!p.benchmark.empty() && !ref.Find(absl::StrCat("benchmark.", p.benchmark, ".benchmark"))) {
      return At(site, p.pos, absl::StrCat("product '", p.id, "'"), "benchmark",
                absl::StrCat("unknown benchmark \"", p.benchmark, "\"; known: ",
                             absl::StrJoin(KeysUnder(ref, "benchmark", ".benchmark"), ", ")));
    }
  }
  for (const auto& p : site.processes) {
    if (auto s = ValidateProcess(site, ref, p); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace dc::accounting
