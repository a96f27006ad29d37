// Factors the site gives ([[factor]]): units, validation against the reference library, and
// Engine::Resolve (the meter's value, then the site's, then the library's).
#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "accounting/engine.h"
#include "accounting/market.h"
#include "common/strings.h"
#include "common/time.h"

namespace dc::accounting::internal {
namespace {

struct UnitRule {
  std::string_view dimension, unit;
  double multiplier;  // to the dimension's first unit
};

// Units a site may give a factor in, by dimension (the first of each is the base).
constexpr UnitRule kUnits[] = {
    {"co2/electricity", "tCO2/MWh", 1},
    {"co2/electricity", "kgCO2/kWh", 1},
    {"co2/electricity", "kgCO2/MWh", 1e-3},
    {"co2/electricity", "gCO2/kWh", 1e-3},
    {"co2/heat", "tCO2/GJ", 1},
    {"co2/heat", "kgCO2/GJ", 1e-3},
    {"co2/heat", "kgCO2/MJ", 1},
    {"co2/heat", "tCO2/TJ", 1e-3},
    {"energy/mass", "GJ/t", 1},
    {"energy/mass", "MJ/kg", 1},
    {"energy/mass", "kJ/kg", 1e-3},
    {"energy/volume", "GJ/10^4Nm3", 1},
    {"energy/volume", "MJ/Nm3", 10},
    {"energy/volume", "kJ/Nm3", 1e-2},
    {"carbon/heat", "tC/TJ", 1},
    {"carbon/heat", "tC/GJ", 1e3},
    {"carbon/heat", "kgC/GJ", 1},
    {"fraction", "fraction", 1},
    {"fraction", "%", 1e-2},
    {"co2/mass", "tCO2/t", 1},
    {"co2/mass", "kgCO2/t", 1e-3},
    {"co2/mass", "kgCO2/kg", 1},
};

const UnitRule* FindUnit(std::string_view unit) {
  for (const UnitRule& r : kUnits) {
    if (r.unit == unit) return &r;
  }
  return nullptr;
}

absl::Status At(const model::Site& site, const model::Positions& pos, std::string_view what,
                std::string_view field, std::string_view msg) {
  return absl::InvalidArgumentError(
      absl::StrCat(site.Where(pos.of(field)), AV(what),
                   field.empty() ? "" : absl::StrCat(" field '", AV(field), "'"), ": ", AV(msg)));
}

// The carrier of a meter (physical or virtual); nullptr if unknown.
const Carrier* MeterCarrier(const model::Site& site, const Reference& ref, std::string_view id,
                            model::Flow* flow = nullptr) {
  if (const model::Meter* m = site.FindMeter(id)) {
    if (flow) *flow = m->flow;
    return ref.FindCarrier(m->carrier);
  }
  if (const model::VirtualMeter* v = site.FindVirtual(id)) {
    if (flow) *flow = v->flow;
    return ref.FindCarrier(v->carrier);
  }
  return nullptr;
}

// "fuel.<carrier>.<prop>" → carrier, prop.
void SplitFuelKey(std::string_view key, std::string* carrier, std::string* prop) {
  std::string_view rest = key.substr(5);
  size_t dot = rest.rfind('.');
  *carrier = std::string(rest.substr(0, dot));
  *prop = std::string(rest.substr(dot + 1));
}

absl::Status CheckFuelFactor(const model::Site& site, const Reference& ref,
                             const model::FactorOverride& f, const std::string& what) {
  std::string carrier, prop;
  SplitFuelKey(f.key, &carrier, &prop);
  const Carrier* c = ref.FindCarrier(carrier);
  if (!c || !c->is_fuel()) {
    std::vector<std::string> fuels;
    for (absl::string_view k : absl::StrSplit(ref.CarrierKeys(), ", ")) {
      if (const Carrier* x = ref.FindCarrier(SV(k)); x && x->is_fuel())
        fuels.push_back(std::string(k));
    }
    return At(site, f.pos, what, "key",
              absl::StrCat("\"", carrier,
                           "\" is not a fuel carrier; fuels: ", absl::StrJoin(fuels, ", ")));
  }
  if (f.meter.empty()) return absl::OkStatus();
  const model::Meter* m = site.FindMeter(f.meter);
  if (!m || m->carrier != carrier) {
    return At(site, f.pos, what, "meter",
              absl::StrCat("meter \"", f.meter, "\" is not a physical ", carrier, " meter"));
  }
  bool gas = c->cls == CarrierClass::kGas;
  bool measured = prop == "ncv"  ? (gas ? m->ncv_gj_per_10k_nm3 : m->ncv_gj_per_t).has_value()
                  : prop == "cc" ? m->carbon_tc_per_gj.has_value()
                                 : m->oxidation.has_value();
  if (measured) {
    return At(site, f.pos, what, "meter",
              absl::StrCat("meter \"", f.meter,
                           "\" already gives this property on the meter "
                           "(line ",
                           m->pos.table.line, "); give it once"));
  }
  return absl::OkStatus();
}

absl::Status CheckFactor(const model::Site& site, const Reference& ref,
                         const model::FactorOverride& f) {
  const std::string what = absl::StrCat("factor '", f.key, "'");
  const bool electricity = f.key == "grid" || f.key == "residual_mix";
  if (f.key == "process.heat.purchased_ef") {
    return At(site, f.pos, what, "key", "use key = \"heat\" for the purchased heat factor");
  }
  if (absl::StartsWith(f.key, "process.")) {
    const RefValue* v = ref.Find(f.key);
    if (!v || !v->numeric()) {
      return At(site, f.pos, what, "key",
                absl::StrCat("unknown process factor \"", f.key.substr(8),
                             "\" (keys: reference/process_factor_keys.csv, or `dualcarbon "
                             "reference list process`)"));
    }
  } else if (absl::StartsWith(f.key, "fuel.")) {
    if (auto s = CheckFuelFactor(site, ref, f, what); !s.ok()) return s;
  } else if (!f.meter.empty()) {
    const Carrier* c = MeterCarrier(site, ref, f.meter);
    bool ok = c && (electricity ? c->cls == CarrierClass::kElectricity : c->is_heat());
    if (!ok) {
      return At(
          site, f.pos, what, "meter",
          absl::StrCat("meter \"", f.meter, "\" is not ",
                       electricity ? "an electricity" : "a heat, steam or hot water", " meter"));
    }
  }
  auto unit = OverrideUnit(f, ref);
  if (!unit.ok()) return At(site, f.pos, what, "key", SV(unit.status().message()));
  auto v = ConvertFactorUnit(f.value, f.unit, *unit);
  if (!v.ok()) return At(site, f.pos, what, "unit", SV(v.status().message()));
  if (*unit == "fraction" && *v > 1) {
    return At(site, f.pos, what, "value",
              absl::StrCat("a fraction must be at most 1 (100 %), got ", *v));
  }
  if (absl::EndsWith(f.key, ".ncv") && !(*v > 0)) {
    return At(site, f.pos, what, "value", "a net calorific value must be > 0");
  }
  return absl::OkStatus();
}

absl::Status CheckInstrument(const model::Site& site, const Reference& ref,
                             const model::Instrument& in, const absl::TimeZone& zone) {
  const std::string what = absl::StrCat("instrument '", in.id, "'");
  if (auto p = ParsePeriod(in.period, zone); !p.ok()) {
    return At(site, in.pos, what, "period", SV(p.status().message()));
  }
  if (!in.meter.empty()) {
    model::Flow flow = model::Flow::kPurchased;
    const Carrier* c = MeterCarrier(site, ref, in.meter, &flow);
    if (!c || c->cls != CarrierClass::kElectricity || flow != model::Flow::kPurchased) {
      return At(site, in.pos, what, "meter",
                absl::StrCat("meter \"", in.meter,
                             "\" is not a purchased electricity meter; an instrument covers "
                             "purchased electricity"));
    }
  }
  if (in.factor) {
    if (auto v = ConvertFactorUnit(*in.factor, in.unit, "tCO2/MWh"); !v.ok()) {
      return At(site, in.pos, what, "unit", SV(v.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<double> ConvertFactorUnit(double value, std::string_view from, std::string_view to) {
  if (from == to) return value;
  const UnitRule* f = FindUnit(from);
  const UnitRule* t = FindUnit(to);
  // A reference unit with a qualifier ("tCO2/t carbonate") converts as its first word.
  if (!t && to.find(' ') != std::string_view::npos) t = FindUnit(to.substr(0, to.find(' ')));
  if (f && t && f->dimension == t->dimension) return value * f->multiplier / t->multiplier;
  std::vector<std::string> accepted = {std::string(to)};
  if (t) {
    accepted.clear();
    for (const UnitRule& r : kUnits) {
      if (r.dimension == t->dimension) accepted.push_back(std::string(r.unit));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unit \"", AV(from), "\" cannot be converted to ",
                                                 AV(to),
                                                 "; accepted: ", absl::StrJoin(accepted, ", ")));
}

std::string OverrideKeyFor(std::string_view ref_key) {
  if (ref_key == "residual_mix") return "residual_mix";  // no reference value: site-given only
  if (absl::StartsWith(AV(ref_key), "grid.")) return "grid";
  if (ref_key == "process.heat.purchased_ef") return "heat";
  if (absl::StartsWith(AV(ref_key), "process.")) return std::string(ref_key);
  if (absl::StartsWith(AV(ref_key), "fuel.")) {
    std::vector<std::string> parts = absl::StrSplit(AV(ref_key), '.');
    if (parts.size() < 4) return "";
    // fuel.<table>.<carrier...>.<prop>: drop the table variant.
    parts.erase(parts.begin() + 1);
    return absl::StrJoin(parts, ".");
  }
  return "";
}

absl::StatusOr<std::string> OverrideUnit(const model::FactorOverride& f, const Reference& ref) {
  if (f.key == "grid" || f.key == "residual_mix") return std::string("tCO2/MWh");
  if (f.key == "heat" || absl::StartsWith(f.key, "process.")) {
    std::string key = f.key == "heat" ? "process.heat.purchased_ef" : f.key;
    const RefValue* v = ref.Find(key);
    if (!v) return absl::NotFoundError(absl::StrCat("the reference has no ", key));
    return v->unit;
  }
  std::string carrier, prop;
  SplitFuelKey(f.key, &carrier, &prop);
  if (prop == "cc") return std::string("tC/TJ");
  if (prop == "of") return std::string("fraction");
  const Carrier* c = ref.FindCarrier(carrier);
  if (!c) return absl::NotFoundError(absl::StrCat("unknown carrier \"", carrier, "\""));
  return std::string(c->cls == CarrierClass::kGas ? "GJ/10^4Nm3" : "GJ/t");
}

absl::Status ValidateFactorTables(const model::Site& site, const Reference& ref,
                                  const absl::TimeZone& zone) {
  for (const auto& f : site.factors) {
    if (auto s = CheckFactor(site, ref, f); !s.ok()) return s;
  }
  for (const auto& in : site.instruments) {
    if (auto s = CheckInstrument(site, ref, in, zone); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// --- Engine: resolving a factor ---

const model::FactorOverride* Engine::Override(std::string_view key, std::string_view meter) const {
  const model::FactorOverride* site_wide = nullptr;
  for (const auto& f : site_.factors) {
    if (f.key != key) continue;
    if (!meter.empty() && f.meter == meter) return &f;
    if (f.meter.empty()) site_wide = &f;
  }
  return site_wide;
}

absl::StatusOr<Factor> Engine::Resolve(const std::string& name, const std::string& key,
                                       const std::string& meter, double scale, std::string unit) {
  std::string okey = OverrideKeyFor(key);
  const model::FactorOverride* o = okey.empty() ? nullptr : Override(okey, meter);
  if (!o) return ReferenceFactor(name, key, scale, std::move(unit));
  auto canonical = OverrideUnit(*o, ref_);
  if (!canonical.ok()) return canonical.status();
  auto v = ConvertFactorUnit(o->value, o->unit, *canonical);
  if (!v.ok()) return v.status();
  Factor f{name,
           *v * scale,
           unit.empty() ? *canonical : unit,
           o->origin,
           ref_.Find(key) ? key : "",
           o->source,
           o->confidence,
           o->meter.empty() ? o->key : absl::StrCat(o->key, " meter ", o->meter)};
  if (o->confidence == "low") {
    Warn(absl::StrCat(site_.Where(o->pos.table), "low-confidence site factor used: ", o->key,
                      o->meter.empty() ? "" : absl::StrCat(" (meter ", o->meter, ")"), " = ",
                      FormatNumber(f.value), " ", f.unit, " (", o->source,
                      ") — verify before reporting"));
  }
  return f;
}

absl::StatusOr<Factor> Engine::GridFor(const std::string& meter) {
  if (!Override("grid", meter)) return grid_factor_;
  return Resolve("ef_grid", grid_factor_.key, meter, 1, "tCO2/MWh");
}

}  // namespace dc::accounting::internal
