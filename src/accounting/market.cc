// Market-based scope 2 (GHG Protocol Scope 2 Guidance, 2015): contractual instruments (green
// electricity certificates 绿证, green-power trading 绿电交易, PPAs) and the residual mix.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "accounting/engine.h"
#include "accounting/market.h"
#include "common/time.h"

namespace dc::accounting::internal {
namespace {

// Meter-specific instruments first (they can only use their meter), then site-wide ones; each
// group in site order.
std::vector<const model::Instrument*> InOrder(const model::Site& site) {
  std::vector<const model::Instrument*> out;
  for (const auto& in : site.instruments) {
    if (!in.meter.empty()) out.push_back(&in);
  }
  for (const auto& in : site.instruments) {
    if (in.meter.empty()) out.push_back(&in);
  }
  return out;
}

std::string TypeLabel(const std::string& type) {
  if (type == "gec") return "green electricity certificate (绿证)";
  if (type == "green_power") return "green-power trading (绿电交易)";
  return "power purchase agreement";
}

}  // namespace

absl::StatusOr<std::vector<double>> Engine::MwhByInterval(const std::string& meter) {
  auto a = Amounts(meter);
  if (!a.ok()) return a.status();
  const MeterView* v = View(meter);
  std::vector<double> out;
  for (double x : **a) out.push_back(std::max(0.0, x * v->to_base / 1000));
  return out;
}

absl::Status Engine::MarketBased(Inventory* inv) {
  MarketScope2& m = inv->market;
  std::map<std::string, std::vector<double>> uncovered;  // meter → MWh per sub-interval
  std::map<std::string, double> line_mwh, used_by_meter;
  std::map<std::string, Factor> grid_by_meter;
  for (const Line& l : inv->lines) {
    if (l.category != LineCategory::kPurchasedElectricity) continue;
    auto mwh = MwhByInterval(l.meter);
    if (!mwh.ok()) return mwh.status();
    uncovered[l.meter] = std::move(*mwh);
    line_mwh[l.meter] += l.amount;
    grid_by_meter[l.meter] = l.factors.front();
    m.electricity_mwh += l.amount;
  }
  for (const model::Instrument* in : InOrder(site_)) {
    InstrumentUse u;
    u.id = in->id, u.type = in->type, u.period = in->period, u.meter = in->meter;
    u.mwh = in->mwh, u.certificates = in->certificates, u.source = in->source;
    std::string what = absl::StrCat("instrument ", in->id, " (", TypeLabel(in->type), ")");
    double ef = 0;
    if (in->factor) {
      auto v = ConvertFactorUnit(*in->factor, in->unit, "tCO2/MWh");
      if (!v.ok()) return v.status();
      ef = *v;
    }
    u.factor = Factor{"ef_instrument",
                      ef,
                      "tCO2/MWh",
                      "instrument",
                      "",
                      in->factor ? in->source
                                 : absl::StrCat("renewable attributes, zero emission "
                                                "(GHG Protocol Scope 2 Guidance); ",
                                                in->source),
                      "",
                      in->id};
    auto p = ParsePeriod(in->period, zone_);
    if (!p.ok()) return p.status();
    const int64_t a = std::max(p->start, period_.start), b = std::min(p->end, period_.end);
    if (b <= a) {
      Warn(absl::StrCat(what, ": period ", in->period,
                        " is outside the inventory period; not counted"));
      m.instruments.push_back(std::move(u));
      continue;
    }
    u.counted_mwh = in->mwh;
    if (a > p->start || b < p->end) {
      u.counted_mwh =
          in->mwh * (static_cast<double>(b - a) / static_cast<double>(p->end - p->start));
      Warn(absl::StrCat(what, ": period ", in->period,
                        " reaches outside the inventory period; counted pro rata by time: ",
                        FormatNumber(u.counted_mwh), " of ", FormatNumber(in->mwh), " MWh"));
    }
    std::map<std::string, double> parts;
    double left = u.counted_mwh;
    for (size_t k = 0; k + 1 < bounds_.size() && left > 0; ++k) {
      if (bounds_[k] < a || bounds_[k + 1] > b) continue;
      for (auto& [meter, rem] : uncovered) {
        if (!in->meter.empty() && meter != in->meter) continue;
        double take = std::min(left, rem[k]);
        if (take <= 0) continue;
        rem[k] -= take, left -= take, parts[meter] += take;
        if (left <= 0) break;
      }
    }
    for (const auto& [meter, mwh] : parts) {
      u.parts.push_back(Part{meter, mwh, "MWh"});
      u.used_mwh += mwh;
      used_by_meter[meter] += mwh;
    }
    if (u.used_mwh < u.counted_mwh) {
      Warn(absl::StrCat(what, ": ", FormatNumber(u.counted_mwh - u.used_mwh), " of its ",
                        FormatNumber(u.counted_mwh), " MWh not counted: more than the ",
                        in->meter.empty() ? "purchased electricity" : "meter " + in->meter,
                        " consumed in its period and not covered by other instruments (an "
                        "instrument never counts beyond the electricity consumed)"));
    }
    u.tco2e = u.used_mwh * ef;
    m.covered_mwh += u.used_mwh;
    m.electricity_tco2e += u.tco2e;
    m.instruments.push_back(std::move(u));
  }
  // Restore site order for the output.
  std::vector<InstrumentUse> ordered;
  for (const auto& in : site_.instruments) {
    for (auto& u : m.instruments) {
      if (u.id == in.id) ordered.push_back(std::move(u));
    }
  }
  m.instruments = std::move(ordered);
  double grid_average_mwh = 0;
  for (const auto& [meter, mwh] : line_mwh) {
    ResidualUse r{meter, mwh - used_by_meter[meter], grid_by_meter[meter], 0};
    if (Override("residual_mix", meter)) {
      auto f = Resolve("ef_residual_mix", "residual_mix", meter, 1, "tCO2/MWh");
      if (!f.ok()) return f.status();
      r.factor = *f;
    } else {
      grid_average_mwh += r.mwh;
    }
    r.tco2e = r.mwh * r.factor.value;
    m.residual_mwh += r.mwh;
    m.electricity_tco2e += r.tco2e;
    m.residual.push_back(std::move(r));
  }
  if (!site_.instruments.empty() && grid_average_mwh > 0) {
    Warn(absl::StrCat(
        "market-based scope 2: no residual mix given ([[factor]] key = \"residual_mix\"); the "
        "grid average factor is used for the ",
        FormatNumber(grid_average_mwh),
        " MWh no instrument covers, as the GHG Protocol Scope 2 Guidance's hierarchy allows "
        "(it may count renewable attributes sold to others)"));
  }
  inv->scope2_market_tco2e = m.electricity_tco2e;
  for (const Line& l : inv->lines) {
    if (l.category == LineCategory::kPurchasedHeat) inv->scope2_market_tco2e += l.tco2e;
  }
  inv->total_market_tco2e = inv->scope1_tco2e + inv->scope2_market_tco2e - inv->exports_tco2e;
  return absl::OkStatus();
}

}  // namespace dc::accounting::internal
