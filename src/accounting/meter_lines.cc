// The inventory engine's per-meter lines: fuel combustion (with lab properties by
// sub-interval), a meter's emission line, and its energy in standard coal.
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

namespace dc::accounting::internal {

namespace {

// Measured properties in effect for sub-interval (a, b]: lab value covering it, else the meter's.
struct Props {
  std::optional<double> ncv, cc, of;
  bool ncv_lab = false, cc_lab = false, of_lab = false;
};

// What a benchmark grades (reference/benchmark_keys.csv column basis).
enum class Basis { kEnergyKgce, kEnergyKgoe, kElectricityKwh };
constexpr std::pair<std::string_view, Basis> kBases[] = {
    {"energy_kgce", Basis::kEnergyKgce},
    {"energy_kgoe", Basis::kEnergyKgoe},
    {"electricity_kwh", Basis::kElectricityKwh}};

absl::StatusOr<Basis> ParseBasis(std::string_view text) {
  if (text.empty()) return Basis::kEnergyKgce;
  for (const auto& [name, b] : kBases) {
    if (name == text) return b;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown benchmark basis \"", AV(text), "\" (energy_kgce, energy_kgoe or electricity_kwh)"));
}

std::string_view BasisName(Basis b) {
  for (const auto& [name, v] : kBases) {
    if (v == b) return name;
  }
  return "";
}

// Fuels whose quality varies so widely that a default NCV is only an estimate: a default is
// used with a warning (raw coal: GB/T 2589's nominal 20 908 kJ/kg).
bool VariableQuality(const std::string& carrier) { return carrier == "raw_coal"; }

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
      auto f = Resolve("ncv", fuel + "ncv", v.id);
      if (!f.ok()) {
        return absl::NotFoundError(absl::StrCat(where, ": missing factor ncv: no measured ",
                                                gas ? "ncv_gj_per_10k_nm3" : "ncv_gj_per_t",
                                                " and ", f.status().message()));
      }
      ncv = *f;
      if (VariableQuality(v.carrier)) {
        Warn(absl::StrCat("meter ", m.id, " (", v.carrier,
                          "): no measured or lab NCV; the default ", f->value, " ", f->unit, " (",
                          f->key, ") is used — measure it (GB/T 213) for reporting"));
      }
    }
    if (p.cc) {
      cc = Factor{"cc", *p.cc, "tC/GJ", p.cc_lab ? "lab" : "measured", "", "", ""};
    } else {
      auto f = Resolve("cc", fuel + "cc", v.id, 1e-3, "tC/GJ");
      if (!f.ok()) {
        return absl::NotFoundError(absl::StrCat(
            where, ": missing factor cc: no measured carbon_tc_per_gj and ", f.status().message()));
      }
      cc = *f;
    }
    if (p.of) {
      of = Factor{"of", *p.of, "fraction", p.of_lab ? "lab" : "measured", "", "", ""};
    } else {
      auto f = Resolve("of", fuel + "of", v.id);
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
  line.category = LineCategory::kCombustion;
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
  if (v.flow == model::Flow::kGenerated) return std::optional<Line>();
  double sign = v.flow == model::Flow::kExported ? -1 : 1;
  if (v.c->is_fuel()) {
    if (!v.phys) return std::optional<Line>();  // virtual fuel meters carry no properties
    if (v.flow == model::Flow::kExported) return std::optional<Line>();
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
    line.category =
        sign < 0 ? LineCategory::kExportedElectricity : LineCategory::kPurchasedElectricity;
    line.amount = base / 1000;
    line.unit = "MWh";
    auto grid = GridFor(v.id);  // the meter's or the site's [[factor]] "grid", else reference
    if (!grid.ok()) return grid.status();
    line.factors = {*grid};
    line.formula = "AD_MWh × EF_grid";
    line.tco2e = sign * line.amount * grid->value;
    return std::optional<Line>(line);
  }
  line.category = sign < 0 ? LineCategory::kExportedHeat : LineCategory::kPurchasedHeat;
  auto ef = Resolve("ef_heat", "process.heat.purchased_ef", v.id);
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
    const std::string ncv_key = absl::StrCat("fuel.", site_.fuel_table, ".", v.carrier, ".ncv");
    if (!ncv && Override(OverrideKeyFor(ncv_key), v.id)) {  // a [[factor]] NCV
      auto f = Resolve("ncv", ncv_key, v.id);
      if (!f.ok()) return f.status();
      bases.insert("site_ncv");
      e.tce += fc * f->value / k_gj;
      continue;
    }
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
        if (!areas.count(me.area) || me.flow == model::Flow::kGenerated) continue;
        double sign = me.flow == model::Flow::kExported ? -1 : 1;
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
      auto basis = ParseBasis((*b)->basis);
      if (!basis.ok()) {
        return absl::InvalidArgumentError(absl::StrCat((*b)->key, ": ", basis.status().message()));
      }
      br.basis = std::string(BasisName(*basis));
      if ((*b)->level == Confidence::kLow || (*b)->level == Confidence::kMedium) {
        (void)RefFactor("benchmark", (*b)->key);  // flags low confidence
      }
      if (r.output > 0) {
        if (*basis == Basis::kElectricityKwh) {
          br.value = r.electricity_kwh / r.output;
        } else if (*basis == Basis::kEnergyKgoe) {
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

}  // namespace dc::accounting::internal
