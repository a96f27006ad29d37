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
#include "accounting/grid_request.h"
#include "common/counter.h"
#include "common/strings.h"
#include "common/time.h"

namespace dc::accounting {

using internal::Engine;
using internal::MeterView;

std::string_view CategoryName(LineCategory c) {
  switch (c) {
    case LineCategory::kCombustion:
      return "combustion";
    case LineCategory::kProcess:
      return "process";
    case LineCategory::kPurchasedElectricity:
      return "purchased_electricity";
    case LineCategory::kPurchasedHeat:
      return "purchased_heat";
    case LineCategory::kExportedElectricity:
      return "exported_electricity";
    case LineCategory::kExportedHeat:
      return "exported_heat";
  }
  return "unknown";
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
  return Resolve(name, key, "", scale, std::move(unit));  // a site-wide [[factor]] first
}

absl::StatusOr<Factor> Engine::ReferenceFactor(const std::string& name, const std::string& key,
                                               double scale, std::string unit) {
  auto v = ref_.Get(key);
  if (!v.ok()) return v.status();
  const RefValue& r = **v;
  Factor f{name,  r.value * scale, unit.empty() ? r.unit : unit,        "reference",
           r.key, r.source,        std::string(ConfidenceName(r.level))};
  if (r.level == Confidence::kLow) {
    Warn(absl::StrCat("low-confidence reference value used: ", DescribeUse(r, f.value, f.unit),
                      " (", r.table, ": ", r.confidence, "; source: ", r.source,
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
  for (const auto& in : site_.instruments) {  // an instrument counts within its period
    auto p = ParsePeriod(in.period, zone_);
    if (!p.ok()) return p.status();
    for (int64_t t : {p->start, p->end}) {
      if (t > period_.start && t < period_.end) b.insert(t);
    }
  }
  bounds_.assign(b.begin(), b.end());
  for (const auto& m : site_.meters) {
    MeterView v{m.id,   m.carrier, m.AmountUnit(), m.area,
                m.flow, &m,        nullptr,        ref_.FindCarrier(m.carrier),
                1,      &m.pos};
    auto tb = v.c->ToBase(v.unit);
    if (!tb.ok()) return tb.status();
    v.to_base = *tb;
    v.carrier = v.c->key;  // the site may name it in Chinese or English
    views_[m.id] = v;
  }
  for (const auto& vm : site_.virtual_meters) {
    MeterView v{vm.id,   vm.carrier, vm.unit, vm.area,
                vm.flow, nullptr,    &vm,     ref_.FindCarrier(vm.carrier),
                1,       &vm.pos};
    if (v.unit.empty()) v.unit = v.c->base_unit;
    auto tb = v.c->ToBase(v.unit);
    if (!tb.ok()) return tb.status();
    v.to_base = *tb;
    v.carrier = v.c->key;
    views_[vm.id] = v;
  }
  auto grid = ref_.SelectGridFactor(GridRequestFor(site_, period_, zone_));
  if (!grid.ok()) return grid.status();
  if (!grid->warning.empty()) Warn(grid->warning);
  auto gf = RefFactor("ef_grid", grid->value->key);
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
  using model::MeterKind;
  if (m.kind == MeterKind::kInterval) {
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
  if (m.kind == MeterKind::kCounter) {
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
  if (m.kind == MeterKind::kGauge && m.integrate != model::Integration::kNone) {
    IntegrateGauge(m, s, out);
    return absl::OkStatus();
  }
  if (m.kind == MeterKind::kGauge) {
    if (v.c->cls != CarrierClass::kProduct) {
      Warn(absl::StrCat("meter ", m.id,
                        ": gauge (instantaneous) values are not accounted as amounts"));
    }
    return absl::OkStatus();
  }
  if (m.kind == MeterKind::kInterval) {
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

absl::StatusOr<Factor> Engine::FuelDefault(const std::string& name, const std::string& carrier,
                                           const std::string& prop, double scale,
                                           std::string unit) {
  return RefFactor(name, absl::StrCat("fuel.", site_.fuel_table, ".", carrier, ".", prop), scale,
                   std::move(unit));
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
  if (auto g = GridFor(""); !g.ok()) {
    return g.status();
  } else if (!g->site_factor.empty()) {
    inv.grid_site = *g;
  }
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
    if (v.flow != model::Flow::kPurchased && v.flow != model::Flow::kExported) continue;
    double sign = v.flow == model::Flow::kExported ? -1 : 1;
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
    if (v.flow == model::Flow::kPurchased || v.flow == model::Flow::kExported) {
      inv.lines.push_back(**line);
    }
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
  std::stable_sort(inv.lines.begin(), inv.lines.end(), [](const Line& a, const Line& b) {
    return a.category != b.category ? a.category < b.category : a.source < b.source;
  });
  for (const Line& l : inv.lines) {
    if (IsDirect(l.category)) {
      inv.scope1_tco2e += l.tco2e;
    } else if (IsPurchased(l.category)) {
      inv.scope2_tco2e += l.tco2e;
    } else {
      inv.exports_tco2e -= l.tco2e;
    }
  }
  inv.total_tco2e = inv.scope1_tco2e + inv.scope2_tco2e - inv.exports_tco2e;
  if (auto s = MarketBased(&inv); !s.ok()) return s;  // market.cc
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
