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
#include "common/counter.h"
#include "common/strings.h"
#include "common/time.h"

namespace dc::accounting {

using internal::Engine;
using internal::MeterView;

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

std::string FormatNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", RoundOutput(v));
  return buf;
}

double RoundOutput(double v) {
  if (!std::isfinite(v) || v == 0) return 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  double r = std::strtod(buf, nullptr);
  return r == 0 ? 0 : r;
}

namespace internal {

const MeterView* Engine::View(const std::string& id) const {
  auto it = views_.find(id);
  return it == views_.end() ? nullptr : &it->second;
}

absl::StatusOr<Factor> Engine::RefFactor(const std::string& name, const std::string& key,
                                         double scale, std::string unit) {
  auto v = ref_.Get(key);
  if (!v.ok()) return v.status();
  const RefValue& r = **v;
  Factor f{name,  r.value * scale, unit.empty() ? r.unit : unit,        "reference",
           r.key, r.source,        std::string(ConfidenceName(r.level))};
  if (r.level == Confidence::kLow) {
    Warn(absl::StrCat("low-confidence reference value used: ", r.key, " = ", r.text, " ", r.unit,
                      " (", r.table, ": ", r.confidence,
                      ") — verify against the original before reporting"));
  }
  return f;
}

Factor Engine::Constant(const std::string& name, double value, const std::string& unit) {
  return Factor{name, value, unit, "formula", "", "", ""};
}

Factor Engine::SiteParam(const std::string& name, double value, const std::string& unit) {
  return Factor{name, value, unit, "site", "", "", ""};
}

absl::Status Engine::Setup() {
  auto zone = LoadZone(site_.timezone);
  if (!zone.ok()) return zone.status();
  zone_ = *zone;
  if (period_.end <= period_.start) return absl::InvalidArgumentError("empty period");
  std::set<int64_t> b = {period_.start, period_.end};
  for (const auto& m : site_.meters) {
    for (const auto& lab : m.lab) {
      auto p = ParsePeriod(lab.period, zone_);
      if (!p.ok()) return p.status();
      for (int64_t t : {p->start, p->end}) {
        if (t > period_.start && t < period_.end) b.insert(t);
      }
    }
  }
  bounds_.assign(b.begin(), b.end());
  for (const auto& m : site_.meters) {
    MeterView v{m.id, m.carrier, m.unit, m.flow, m.area, &m, nullptr, ref_.FindCarrier(m.carrier),
                1,    &m.pos};
    auto tb = v.c->ToBase(m.unit);
    if (!tb.ok()) return tb.status();
    v.to_base = *tb;
    views_[m.id] = v;
  }
  for (const auto& vm : site_.virtual_meters) {
    MeterView v{vm.id,   vm.carrier, vm.unit, vm.flow,
                vm.area, nullptr,    &vm,     ref_.FindCarrier(vm.carrier),
                1,       &vm.pos};
    if (v.unit.empty()) v.unit = v.c->base_unit;
    auto tb = v.c->ToBase(v.unit);
    if (!tb.ok()) return tb.status();
    v.to_base = *tb;
    views_[vm.id] = v;
  }
  auto grid = ref_.GridFactor(site_.grid_region, site_.grid_year);
  if (!grid.ok()) return grid.status();
  auto gf = RefFactor("ef_grid", (*grid)->key);
  if (!gf.ok()) return gf.status();
  grid_factor_ = *gf;
  grid_ef_ = gf->value;
  if (site_.electricity_tce == "equal_value") {
    if (site_.electricity_coal_rate_gce_per_kwh) {
      coal_rate_ = Factor{
          "coal_rate", *site_.electricity_coal_rate_gce_per_kwh, "gce/kWh", "site", "", "", ""};
    } else {
      const RefValue* newest = ref_.List("coal_rate").back();
      auto f = RefFactor("coal_rate", newest->key);
      if (!f.ok()) return f.status();
      coal_rate_ = *f;
    }
  }
  return absl::OkStatus();
}

absl::Status Engine::ComputeMeterAmounts(const MeterView& v, std::vector<double>* out) {
  out->assign(bounds_.size() - 1, 0.0);
  const model::Meter& m = *v.phys;
  if (m.kind == "interval") {
    DataSource::IntervalStats st;
    auto fast = data_.IntervalSums(m, bounds_, &st);
    if (!fast.ok()) return fast.status();
    if (*fast) {
      int64_t n = 0;
      for (size_t k = 0; k < out->size(); ++k) {
        if (st.count[k] > 0 && st.min[k] < 0) break;  // find and name the negative amount below
        (*out)[k] = st.sum[k];
        n += st.count[k];
        if (k + 1 == out->size()) {
          if (n == 0) Warn(absl::StrCat("meter ", m.id, ": no readings in the period"));
          return absl::OkStatus();
        }
      }
      out->assign(bounds_.size() - 1, 0.0);
    }
  }
  // Counter: increase between the bounds, interpolated, resets and rollovers unwrapped
  // (common/counter.h), from the source's fast path if it has one, else from the readings.
  auto counter = [&](CounterResult c) {
    *out = std::move(c.increases);
    if (!c.any) {
      Warn(absl::StrCat("meter ", m.id, ": no readings in the period"));
      return absl::OkStatus();
    }
    if (c.t_first > period_.start) {
      Warn(absl::StrCat("meter ", m.id, ": first reading ", FormatTime(c.t_first, zone_),
                        " is after the period start; consumption before it is not counted"));
    }
    if (c.t_last < period_.end) {
      Warn(absl::StrCat("meter ", m.id, ": last reading ", FormatTime(c.t_last, zone_),
                        " is before the period end; consumption after it is not counted"));
    }
    for (const CounterEvent& e : c.events) {
      const bool reset = e.kind == CounterEvent::Kind::kReset;
      const bool swap = e.kind == CounterEvent::Kind::kSwap;
      Warn(absl::StrCat("meter ", m.id, ": ",
                        swap    ? "meter swap"
                        : reset ? "counter reset"
                                : "counter rollover",
                        " between ", FormatTime(e.t_before, zone_), " (", FormatNumber(e.before),
                        ") and ", FormatTime(e.t_after, zone_), " (", FormatNumber(e.after), ")",
                        reset  ? "; counted from 0"
                        : swap ? "; counted as old meter's final - reading before, plus reading "
                                 "after - new meter's initial"
                               : ""));
    }
    return absl::OkStatus();
  };
  if (m.kind == "counter") {
    CounterResult c;
    auto fast = data_.CounterIncrease(m, bounds_, &c);
    if (!fast.ok()) return fast.status();
    if (*fast) return counter(std::move(c));
  }
  auto samples = data_.Read(m, period_.start, period_.end);
  if (!samples.ok()) return samples.status();
  std::vector<Sample>& s = *samples;
  auto by_time = [](const Sample& a, const Sample& b) { return a.t < b.t; };
  if (!std::is_sorted(s.begin(), s.end(), by_time)) std::stable_sort(s.begin(), s.end(), by_time);
  if (m.kind == "gauge") {
    if (v.c->cls != CarrierClass::kProduct) {
      Warn(absl::StrCat("meter ", m.id,
                        ": gauge (instantaneous) values are not accounted as amounts"));
    }
    return absl::OkStatus();
  }
  if (m.kind == "interval") {
    size_t n = 0;
    for (const Sample& x : s) {
      if (x.t <= bounds_.front() || x.t > bounds_.back()) continue;
      if (x.v < 0) {
        return absl::InvalidArgumentError(absl::StrCat("meter \"", m.id, "\": negative amount ",
                                                       x.v, " at ", FormatTime(x.t, zone_)));
      }
      // Sub-interval k is (bounds[k], bounds[k+1]].
      size_t k = std::lower_bound(bounds_.begin(), bounds_.end(), x.t) - bounds_.begin() - 1;
      (*out)[k] += x.v;
      ++n;
    }
    if (n == 0) Warn(absl::StrCat("meter ", m.id, ": no readings in the period"));
    return absl::OkStatus();
  }
  return counter(CounterOver(s, bounds_, data_.CounterOptionsFor(m)));
}

absl::StatusOr<const std::vector<double>*> Engine::Amounts(const std::string& id) {
  if (auto it = amounts_.find(id); it != amounts_.end()) return &it->second;
  const MeterView* v = View(id);
  if (!v) return absl::InvalidArgumentError(absl::StrCat("unknown meter \"", id, "\""));
  if (in_progress_.count(id))
    return absl::InvalidArgumentError(absl::StrCat("virtual meter cycle at ", id));
  std::vector<double> out;
  if (v->phys) {
    if (auto s = ComputeMeterAmounts(*v, &out); !s.ok()) return s;
  } else {
    in_progress_.insert(id);
    std::map<std::string, const std::vector<double>*> refs;
    for (const auto& r : v->virt->formula.Refs()) {
      auto a = Amounts(r);
      if (!a.ok()) return a.status();
      refs[r] = *a;
    }
    in_progress_.erase(id);
    out.assign(bounds_.size() - 1, 0.0);
    for (size_t k = 0; k < out.size(); ++k) {
      out[k] =
          v->virt->formula.Eval([&](std::string_view r) { return (*refs.at(std::string(r)))[k]; });
    }
    double total = 0;
    for (double x : out) total += x;
    if (total < 0) {
      Warn(absl::StrCat("virtual meter ", id, ": formula \"", v->virt->formula.text(),
                        "\" gives a negative total ", RoundOutput(total)));
    }
  }
  return &(amounts_[id] = std::move(out));
}

absl::StatusOr<double> Engine::Total(const std::string& id) {
  auto a = Amounts(id);
  if (!a.ok()) return a.status();
  double t = 0;
  for (double x : **a) t += x;
  return t;
}

absl::StatusOr<double> Engine::MassT(const std::string& id, const std::string& where) {
  const MeterView* v = View(id);
  if (!v) return absl::InvalidArgumentError(absl::StrCat(where, ": unknown meter \"", id, "\""));
  double scale = v->unit == "t" ? 1 : v->unit == "kg" ? 1e-3 : 0;
  if (scale == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": meter \"", id, "\" has unit \"",
                                                   v->unit, "\"; a mass in t or kg is required"));
  }
  auto t = Total(id);
  if (!t.ok()) return t.status();
  return *t * scale;
}

absl::StatusOr<double> Engine::HeatGj(const MeterView& v, double amount_base,
                                      std::vector<Factor>* factors) {
  if (v.c->cls == CarrierClass::kHeat) return amount_base;
  if (v.c->cls == CarrierClass::kSteam) {
    auto en0 = RefFactor("reference_enthalpy", "process.steam.reference_enthalpy");
    if (!en0.ok()) return en0.status();
    double en = *v.phys->enthalpy_kj_per_kg;
    if (factors) {
      factors->push_back(Factor{"enthalpy", en, "kJ/kg", "measured", "", "", ""});
      factors->push_back(*en0);
    }
    return amount_base * (en - en0->value) * 1e-3;
  }
  // Hot water.
  auto cp = RefFactor("specific_heat", "process.hot_water.specific_heat");
  if (!cp.ok()) return cp.status();
  double t = *v.phys->temperature_c;
  if (factors) {
    factors->push_back(Factor{"temperature", t, "°C", "measured", "", "", ""});
    factors->push_back(Constant("reference_temperature", 20, "°C"));
    factors->push_back(*cp);
  }
  return amount_base * (t - 20) * cp->value * 1e-3;
}

namespace {

// Measured properties in effect for sub-interval (a, b]: lab value covering it, else the meter's.
struct Props {
  std::optional<double> ncv, cc, of;
  bool ncv_lab = false, cc_lab = false, of_lab = false;
};

}  // namespace

// Fuel combustion: Σ_k FC_k × NCV_k × CC_k × OF_k × 44/12 over the sub-intervals, reported with
// activity-weighted factors.
absl::StatusOr<Line> Engine::Combustion(const MeterView& v) {
  const model::Meter& m = *v.phys;
  bool gas = v.c->cls == CarrierClass::kGas;
  auto amounts = Amounts(v.id);
  if (!amounts.ok()) return amounts.status();
  std::string fuel = absl::StrCat("fuel.", site_.fuel_table, ".", v.carrier, ".");
  std::string where =
      absl::StrCat(site_.Where(m.pos.table), "meter '", m.id, "' (", m.carrier, ")");
  double fc_total = 0, heat = 0, carbon = 0, co2 = 0;
  std::set<std::string> src_ncv, src_cc, src_of;
  Factor f_ncv, f_cc, f_of;
  bool first = true;
  for (size_t k = 0; k + 1 < bounds_.size(); ++k) {
    Props p;
    p.ncv = gas ? m.ncv_gj_per_10k_nm3 : m.ncv_gj_per_t;
    p.cc = m.carbon_tc_per_gj;
    p.of = m.oxidation;
    for (const auto& lab : m.lab) {
      auto lp = ParsePeriod(lab.period, zone_);
      if (!lp.ok() || lp->start > bounds_[k] || lp->end < bounds_[k + 1]) continue;
      if (auto n = gas ? lab.ncv_gj_per_10k_nm3 : lab.ncv_gj_per_t) p.ncv = n, p.ncv_lab = true;
      if (lab.carbon_tc_per_gj) p.cc = lab.carbon_tc_per_gj, p.cc_lab = true;
      if (lab.oxidation) p.of = lab.oxidation, p.of_lab = true;
    }
    Factor ncv, cc, of;
    std::string ncv_unit = gas ? "GJ/10^4Nm3" : "GJ/t";
    if (p.ncv) {
      ncv = Factor{"ncv", *p.ncv, ncv_unit, p.ncv_lab ? "lab" : "measured", "", "", ""};
    } else {
      auto f = RefFactor("ncv", fuel + "ncv");
      if (!f.ok()) {
        return absl::NotFoundError(absl::StrCat(where, ": missing factor ncv: no measured ",
                                                gas ? "ncv_gj_per_10k_nm3" : "ncv_gj_per_t",
                                                " and ", f.status().message()));
      }
      ncv = *f;
    }
    if (p.cc) {
      cc = Factor{"cc", *p.cc, "tC/GJ", p.cc_lab ? "lab" : "measured", "", "", ""};
    } else {
      auto f = RefFactor("cc", fuel + "cc", 1e-3, "tC/GJ");
      if (!f.ok()) {
        return absl::NotFoundError(absl::StrCat(
            where, ": missing factor cc: no measured carbon_tc_per_gj and ", f.status().message()));
      }
      cc = *f;
    }
    if (p.of) {
      of = Factor{"of", *p.of, "fraction", p.of_lab ? "lab" : "measured", "", "", ""};
    } else {
      auto f = RefFactor("of", fuel + "of");
      if (!f.ok()) {
        return absl::NotFoundError(absl::StrCat(
            where, ": missing factor of: no measured oxidation and ", f.status().message()));
      }
      of = *f;
    }
    double fc = (**amounts)[k] * v.to_base / (gas ? 1e4 : 1);
    if (first || fc > 0) {
      if (first) f_ncv = ncv, f_cc = cc, f_of = of;
      src_ncv.insert(ncv.source), src_cc.insert(cc.source), src_of.insert(of.source);
      first = false;
    }
    fc_total += fc;
    heat += fc * ncv.value;
    carbon += fc * ncv.value * cc.value;
    co2 += fc * ncv.value * cc.value * of.value * kCO2PerC;
  }
  Line line;
  line.source = v.id;
  line.meter = v.id;
  line.area = v.area;
  line.category = "combustion";
  line.scope = 1;
  line.amount = fc_total;
  line.unit = gas ? "10^4Nm3" : "t";
  line.formula = "FC × NCV × CC × OF × 44/12";
  // Activity-weighted factors when lab values vary within the period.
  if (src_ncv.size() > 1 || src_cc.size() > 1 || src_of.size() > 1 || bounds_.size() > 2) {
    if (fc_total > 0) {
      f_ncv.value = heat / fc_total;
      f_cc.value = carbon / heat;
      f_of.value = co2 / kCO2PerC / carbon;
    }
    auto join = [](const std::set<std::string>& s) { return absl::StrJoin(s, "+"); };
    f_ncv.source = join(src_ncv), f_cc.source = join(src_cc), f_of.source = join(src_of);
    if (bounds_.size() > 2)
      line.formula = "Σ FC_k × NCV_k × CC_k × OF_k × 44/12 (factors activity-weighted)";
  }
  line.factors = {f_ncv, f_cc, f_of, Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
  line.tco2e = co2;
  return line;
}

absl::StatusOr<std::optional<Line>> Engine::MeterLine(const MeterView& v) {
  if (v.flow == "generated") return std::optional<Line>();
  double sign = v.flow == "exported" ? -1 : 1;
  if (v.c->is_fuel()) {
    if (!v.phys) return std::optional<Line>();  // virtual fuel meters carry no properties
    if (v.flow == "exported") return std::optional<Line>();
    auto l = Combustion(v);
    if (!l.ok()) return l.status();
    return std::optional<Line>(*l);
  }
  if (v.c->cls != CarrierClass::kElectricity && !v.c->is_heat()) return std::optional<Line>();
  auto total = Total(v.id);
  if (!total.ok()) return total.status();
  double base = *total * v.to_base;
  Line line;
  line.source = v.id;
  line.meter = v.id;
  line.area = v.area;
  line.scope = 2;
  if (v.c->cls == CarrierClass::kElectricity) {
    line.category = sign < 0 ? "exported_electricity" : "purchased_electricity";
    line.amount = base / 1000;
    line.unit = "MWh";
    line.factors = {grid_factor_};
    line.formula = "AD_MWh × EF_grid";
    line.tco2e = sign * line.amount * grid_ef_;
    return std::optional<Line>(line);
  }
  line.category = sign < 0 ? "exported_heat" : "purchased_heat";
  auto ef = RefFactor("ef_heat", "process.heat.purchased_ef");
  if (!ef.ok()) return ef.status();
  std::vector<Factor> factors;
  auto gj = HeatGj(v, base, &factors);
  if (!gj.ok()) return gj.status();
  factors.push_back(*ef);
  line.factors = factors;
  if (v.c->cls == CarrierClass::kHeat) {
    line.amount = base;
    line.unit = "GJ";
    line.formula = "AD_GJ × 0.11";
  } else {
    line.amount = base;
    line.unit = "t";
    line.formula = v.c->cls == CarrierClass::kSteam ? "Ma × (En − 83.74) × 10⁻³ × EF_heat"
                                                    : "Ma × (T − 20) × 4.1868 × 10⁻³ × EF_heat";
  }
  line.tco2e = sign * *gj * ef->value;
  return std::optional<Line>(line);
}

absl::StatusOr<MeterEnergy> Engine::Energy(const MeterView& v) {
  MeterEnergy e{v.id, v.carrier, v.flow, v.area, 0, v.c->base_unit, 0, "", 0, ""};
  auto amounts = Amounts(v.id);
  if (!amounts.ok()) return amounts.status();
  double base_total = 0;
  for (double a : **amounts) base_total += a * v.to_base;
  e.amount = base_total;
  const CarrierClass cls = v.c->cls;
  if (cls == CarrierClass::kElectricity && coal_rate_) {
    e.basis = "equal_value";
    e.coefficient = coal_rate_->value * 1e-6;
    e.coefficient_key = coal_rate_->key;
    e.tce = base_total * e.coefficient;
    return e;
  }
  if (v.c->is_heat() && cls != CarrierClass::kHeat) {
    const Carrier* heat = ref_.FindCarrier("heat");
    auto gj = HeatGj(v, base_total, nullptr);
    if (!gj.ok()) return gj.status();
    e.basis = "heat";
    e.tce = *gj * heat->tce_per_base;
    e.coefficient = base_total != 0 ? e.tce / base_total : 0;
    e.coefficient_key = heat->tce_key;
    return e;
  }
  if (!v.c->is_fuel()) {
    e.basis = v.c->tce_rule == "none" ? "none" : "gbt2589";
    e.coefficient = v.c->tce_per_base;
    e.coefficient_key = v.c->tce_key;
    e.tce = base_total * e.coefficient;
    return e;
  }
  // Fuels: a measured (or lab) NCV converts as amount × NCV / 29.3076; otherwise GB/T 2589, or
  // the default NCV for carriers not in the GB/T 2589 table.
  auto gj_per_tce = ref_.Get("energy.gj_per_tce");
  if (!gj_per_tce.ok()) return gj_per_tce.status();
  const double k_gj = (*gj_per_tce)->value;
  bool gas = cls == CarrierClass::kGas;
  const model::Meter* m = v.phys;
  std::set<std::string> bases;
  for (size_t k = 0; k + 1 < bounds_.size(); ++k) {
    double base = (**amounts)[k] * v.to_base;
    std::optional<double> ncv;
    if (m) {
      ncv = gas ? m->ncv_gj_per_10k_nm3 : m->ncv_gj_per_t;
      for (const auto& lab : m->lab) {
        auto lp = ParsePeriod(lab.period, zone_);
        if (!lp.ok() || lp->start > bounds_[k] || lp->end < bounds_[k + 1]) continue;
        if (auto n = gas ? lab.ncv_gj_per_10k_nm3 : lab.ncv_gj_per_t) ncv = n;
      }
    }
    double fc = base / (gas ? 1e4 : 1);
    if (ncv) {
      bases.insert("measured_ncv");
      e.tce += fc * *ncv / k_gj;
    } else if (v.c->tce_rule == "default_ncv") {
      auto f = RefFactor("ncv", absl::StrCat("fuel.", site_.fuel_table, ".", v.carrier, ".ncv"));
      if (!f.ok()) {
        return absl::NotFoundError(
            absl::StrCat(site_.Where(v.pos->table), "meter '", v.id,
                         "': energy needs a net calorific value: ", f.status().message()));
      }
      bases.insert("default_ncv");
      e.coefficient_key = f->key;
      e.tce += fc * f->value / k_gj;
    } else {
      bases.insert("gbt2589");
      e.coefficient_key = v.c->tce_key;
      e.tce += base * v.c->tce_per_base;
    }
  }
  e.basis = absl::StrJoin(bases, "+");
  e.coefficient = base_total != 0 ? e.tce / base_total : 0;
  if (e.basis == "gbt2589") e.coefficient = v.c->tce_per_base;
  return e;
}

absl::Status Engine::Products(Inventory* inv) {
  for (const auto& p : site_.products) {
    ProductResult r;
    r.id = p.id;
    r.meter = p.meter;
    r.areas = p.areas;
    const MeterView* pv = View(p.meter);
    r.unit = pv->unit;
    auto out = Total(p.meter);
    if (!out.ok()) return out.status();
    r.output = *out;
    std::set<std::string> areas(p.areas.begin(), p.areas.end());
    if (areas.empty()) {
      r.energy_tce = inv->total_tce;
      r.co2e_t = inv->total_tco2e;
      for (const auto& ce : inv->by_carrier) {
        if (ce.carrier == "electricity") r.electricity_kwh = ce.amount;
      }
    } else {
      for (const auto& me : inv->by_meter) {
        if (!areas.count(me.area) || me.flow == "generated") continue;
        double sign = me.flow == "exported" ? -1 : 1;
        r.energy_tce += sign * me.tce;
        if (me.carrier == "electricity") r.electricity_kwh += sign * me.amount;
      }
      for (const auto& [id, lines] : lines_by_meter_) {
        for (const Line& l : lines) {
          if (areas.count(l.area)) r.co2e_t += l.tco2e;
        }
      }
      for (const Line& l : process_lines_) {
        bool own = false;
        for (const auto& proc : site_.processes) {
          if (l.source.rfind(proc.id, 0) != 0) continue;
          for (const auto& [k, mid] : proc.meters) {
            if (mid == p.meter && (k == "clinker_meter" || k == "production_meter")) own = true;
          }
        }
        if (areas.count(l.area) || (l.area.empty() && own)) r.co2e_t += l.tco2e;
      }
    }
    if (r.output > 0) {
      r.energy_kgce_per_unit = r.energy_tce * 1000 / r.output;
      r.co2e_t_per_unit = r.co2e_t / r.output;
    } else {
      Warn(absl::StrCat("product ", p.id, ": no output in the period; per-unit values omitted"));
    }
    if (!p.benchmark.empty()) {
      std::string key = absl::StrCat("benchmark.", p.benchmark, ".");
      auto b = ref_.Get(key + "benchmark");
      auto l = ref_.Get(key + "baseline");
      if (!b.ok()) return b.status();
      if (!l.ok()) return l.status();
      BenchmarkResult br;
      br.key = p.benchmark;
      br.benchmark = (*b)->value;
      br.baseline = (*l)->value;
      br.unit = (*b)->unit;
      br.confidence = std::string(ConfidenceName((*b)->level));
      const std::string& note = (*b)->note;
      br.basis = absl::StrContains(note, "basis electricity_kwh") ? "electricity_kwh"
                 : absl::StrContains(note, "basis energy_kgoe")   ? "energy_kgoe"
                                                                  : "energy_kgce";
      if ((*b)->level == Confidence::kLow || (*b)->level == Confidence::kMedium) {
        (void)RefFactor("benchmark", (*b)->key);  // flags low confidence
      }
      if (r.output > 0) {
        if (br.basis == "electricity_kwh") {
          br.value = r.electricity_kwh / r.output;
        } else if (br.basis == "energy_kgoe") {
          auto kgoe = ref_.Get("energy.kgce_per_kgoe");
          if (!kgoe.ok()) return kgoe.status();
          br.value = *r.energy_kgce_per_unit / (*kgoe)->value;
        } else {
          br.value = *r.energy_kgce_per_unit;
        }
        br.grade = br.value <= br.benchmark ? "benchmark"
                   : br.value > br.baseline ? "below_baseline"
                                            : "between";
      }
      r.benchmark = br;
    }
    inv->products.push_back(std::move(r));
  }
  return absl::OkStatus();
}

absl::StatusOr<Inventory> Engine::Run() {
  if (auto s = ValidateSite(site_, ref_); !s.ok()) return s;
  if (auto s = Setup(); !s.ok()) return s;
  Inventory inv;
  inv.site = site_.id;
  inv.site_name = site_.name;
  inv.timezone = site_.timezone;
  inv.period = period_;
  inv.data_source = data_.Describe();
  inv.reference_version = ref_.version();
  inv.gwp = site_.gwp;
  inv.fuel_table = site_.fuel_table;
  inv.grid_region = ref_.RegionKey(site_.grid_region);
  inv.grid_key = grid_factor_.key;
  inv.grid_year = std::stoi(grid_factor_.key.substr(grid_factor_.key.rfind('.') + 1));
  inv.grid_tco2_per_mwh = grid_ef_;
  inv.electricity_tce = site_.electricity_tce;
  // Energy, per meter and per carrier.
  std::map<std::string, CarrierEnergy> carriers;
  for (const auto& [id, v] : views_) {
    if (v.c->cls == CarrierClass::kProduct) {
      if (auto a = Amounts(id); !a.ok()) return a.status();
      continue;
    }
    auto e = Energy(v);
    if (!e.ok()) return e.status();
    inv.by_meter.push_back(*e);
    if (v.flow != "purchased" && v.flow != "exported") continue;
    double sign = v.flow == "exported" ? -1 : 1;
    CarrierEnergy& ce = carriers[v.carrier];
    ce.carrier = v.carrier;
    ce.unit = v.c->base_unit;
    ce.amount += sign * e->amount;
    ce.tce += sign * e->tce;
    inv.total_tce += sign * e->tce;
  }
  for (auto& [k, ce] : carriers) inv.by_carrier.push_back(ce);
  // Emission lines of meters (site lines: purchased and exported; internal kept for products).
  for (const auto& [id, v] : views_) {
    auto line = MeterLine(v);
    if (!line.ok()) return line.status();
    if (!*line) continue;
    lines_by_meter_[id].push_back(**line);
    if (v.flow == "purchased" || v.flow == "exported") inv.lines.push_back(**line);
  }
  for (const auto& p : site_.processes) {
    std::vector<Line> lines;
    if (auto s = ProcessLines(p, &lines); !s.ok()) return s;
    for (auto& l : lines) {
      if (l.area.empty()) l.area = p.area;
      process_lines_.push_back(l);
      inv.lines.push_back(l);
    }
  }
  static const std::map<std::string, int> kOrder = {{"combustion", 0},
                                                    {"process", 1},
                                                    {"purchased_electricity", 2},
                                                    {"purchased_heat", 3},
                                                    {"exported_electricity", 4},
                                                    {"exported_heat", 5}};
  std::stable_sort(inv.lines.begin(), inv.lines.end(), [](const Line& a, const Line& b) {
    int oa = kOrder.at(a.category), ob = kOrder.at(b.category);
    return oa != ob ? oa < ob : a.source < b.source;
  });
  for (const Line& l : inv.lines) {
    if (l.category == "combustion" || l.category == "process") {
      inv.scope1_tco2e += l.tco2e;
    } else if (l.category == "purchased_electricity" || l.category == "purchased_heat") {
      inv.scope2_tco2e += l.tco2e;
    } else {
      inv.exports_tco2e -= l.tco2e;
    }
  }
  inv.total_tco2e = inv.scope1_tco2e + inv.scope2_tco2e - inv.exports_tco2e;
  if (auto s = Products(&inv); !s.ok()) return s;
  for (const auto& w : site_.warnings) warnings_.insert(w);
  for (const auto& w : data_.Warnings()) warnings_.insert(w);
  inv.warnings.assign(warnings_.begin(), warnings_.end());
  return inv;
}

}  // namespace internal

absl::StatusOr<Inventory> ComputeInventory(const model::Site& site, DataSource& data,
                                           const Period& period, const Reference& ref) {
  return Engine(site, data, period, ref).Run();
}

absl::StatusOr<Inventory> ComputeInventory(const model::Site& site, DataSource& data,
                                           std::string_view period_text, const Reference& ref) {
  auto zone = LoadZone(site.timezone);
  if (!zone.ok()) return zone.status();
  auto p = ParsePeriod(period_text, *zone);
  if (!p.ok()) return p.status();
  return ComputeInventory(site, data, *p, ref);
}

}  // namespace dc::accounting
