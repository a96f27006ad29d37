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
  return internal::SiteError(site, pos, what, field, msg);
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

absl::Status ValidateMeter(const model::Site& site, const Reference& ref, const model::Meter& m,
                           const absl::TimeZone& zone) {
  std::string what = absl::StrCat("meter '", m.id, "'");
  const Carrier* c = ref.FindCarrier(m.carrier);
  if (!c) {
    return At(site, m.pos, what, "carrier",
              absl::StrCat("unknown carrier \"", m.carrier, "\"; known: ", ref.CarrierKeys()));
  }
  if (auto u = c->ToBase(m.AmountUnit()); !u.ok())
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
  GridRequest grid;
  grid.type = site.grid_factor;
  grid.region = site.grid_region;
  grid.year = site.grid_year;
  if (auto g = ref.SelectGridFactor(grid); !g.ok()) {
    std::string_view field = !FindGridFactorType(site.grid_factor)     ? "grid_factor"
                             : ref.RegionKey(site.grid_region).empty() ? "grid_region"
                             : site.grid_year                          ? "grid_year"
                                                                       : "grid_factor";
    return At(site, site.pos, "[site]", field, SV(g.status().message()));
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
    if (auto s = internal::ValidateProcess(site, ref, p); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace dc::accounting
