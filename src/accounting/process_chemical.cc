// Chemical industry: ammonia (合成氨) process emissions — the feedstock carbon balance of
// GB/T 32151.10 / the NDRC 化工 guideline with the CO2 recovered (for urea) deducted, or the
// IPCC 2006 Vol 3 §3.2 Tier 1 defaults.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "accounting/process_internal.h"

namespace dc::accounting::internal {

namespace {

constexpr double kCO2PerUrea = 44.0 / 60.0;  // CO(NH2)2: one CO2 (44) per urea (60)

// The CO2 recovered for downstream use (urea), deducted: measured (Q × PUR) or from the urea
// produced (U × 44/60).
absl::Status Recovered(Engine& e, const model::Process& p, const std::string& where, Lines* out) {
  if (auto it = p.meters.find("co2_recovered_meter"); it != p.meters.end()) {
    Line l = ProcessLine(p, absl::StrCat(p.id, "/", it->second));
    auto q = e.MassT(it->second, where);
    if (!q.ok()) return q.status();
    double pur = Num(p, "co2_recovered_purity", 1);
    l.amount = *q;
    l.factors = {e.SiteParam("co2_recovered_purity", pur, "fraction")};
    l.formula = "−Q_CO2_recovered × PUR";
    l.tco2e = -*q * pur;
    out->push_back(std::move(l));
  }
  if (auto it = p.meters.find("urea_meter"); it != p.meters.end()) {
    Line l = ProcessLine(p, absl::StrCat(p.id, "/", it->second));
    auto u = e.MassT(it->second, where);
    if (!u.ok()) return u.status();
    l.amount = *u;
    l.factors = {e.Constant("co2_per_urea", kCO2PerUrea, "tCO2/t urea (44/60)")};
    l.formula = "−U_urea × 44/60";
    l.tco2e = -*u * kCO2PerUrea;
    out->push_back(std::move(l));
  }
  return absl::OkStatus();
}

// IPCC 2006 Vol 3 Eq 3.1: E = AP × FR × CCF × COF × 44/12 − R_CO2.
absl::Status AmmoniaTier1(Engine& e, const model::Process& p, const std::string& where,
                          Lines* out) {
  Line l = ProcessLine(p, p.id);
  const std::string& id = p.meters.at("production_meter");
  auto ap = e.MassT(id, where);
  if (!ap.ok()) return ap.status();
  auto fr = e.RefFactor("fuel_requirement", "process.ammonia.ipcc_fuel_requirement");
  if (!fr.ok()) return fr.status();
  auto ccf = e.RefFactor("carbon_content", "process.ammonia.ipcc_carbon_content", 1e-3, "tC/GJ");
  if (!ccf.ok()) return ccf.status();
  Factor cof = e.Constant("carbon_oxidation", 1, "fraction (IPCC 2006 Tier 1)");
  l.parts.push_back(Part{id, *ap, "t"});
  l.amount = *ap;
  l.factors = {*fr, *ccf, cof, e.Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
  l.formula = "AP × FR × CCF × COF × 44/12 (IPCC 2006 Tier 1)";
  l.tco2e = *ap * fr->value * ccf->value * cof.value * kCO2PerC;
  out->push_back(std::move(l));
  return Recovered(e, p, where, out);
}

}  // namespace

absl::Status Ammonia(Engine& e, const model::Process& p, Lines* out) {
  std::string where = ProcessWhere(e, p);
  if (p.tier == model::Tier::kIpccTier1) return AmmoniaTier1(e, p, where, out);
  // E = [Σ AD_r × CC_r − Σ AD_p × CC_p] × 44/12 − R_CO2 (carbon in, carbon out in products
  // and wastes, CO2 recovered deducted).
  for (const auto* items : {&p.inputs, &p.outputs}) {
    const bool output = items == &p.outputs;
    const double sign = output ? -1 : 1;
    for (const auto& it : *items) {
      Line l = ProcessLine(p, absl::StrCat(p.id, "/", it.meter));
      auto m = e.MassT(it.meter, where);
      if (!m.ok()) return m.status();
      l.amount = *m;
      if (it.ef_tco2_per_t) {
        l.factors = {e.SiteParam("ef", *it.ef_tco2_per_t, "tCO2/t")};
        l.formula = output ? "−M_out × EF" : "M_in × EF";
        l.tco2e = sign * *m * *it.ef_tco2_per_t;
      } else {
        l.factors = {e.SiteParam("carbon_content", *it.carbon_content, "fraction"),
                     e.Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
        l.formula = output ? "−M_out × C_out × 44/12" : "M_in × C_in × 44/12";
        l.tco2e = sign * *m * *it.carbon_content * kCO2PerC;
      }
      out->push_back(std::move(l));
    }
  }
  return Recovered(e, p, where, out);
}

absl::Status ValidateAmmonia(const model::Site& site, const Reference&, const model::Process& p) {
  std::string what = absl::StrCat("process '", p.id, "'");
  bool tier1 = p.tier == model::Tier::kIpccTier1;
  if (p.meters.count("co2_recovered_meter") && p.meters.count("urea_meter")) {
    return SiteError(site, p.pos, what, "urea_meter",
                     "give co2_recovered_meter or urea_meter, not both (the same CO2)");
  }
  if (p.numbers.count("co2_recovered_purity") && !p.meters.count("co2_recovered_meter")) {
    return SiteError(site, p.pos, what, "co2_recovered_purity", "needs co2_recovered_meter");
  }
  if (tier1) {
    if (!p.meters.count("production_meter")) {
      return SiteError(site, p.pos, what, "production_meter",
                       "required with tier = \"ipcc_tier1\" (ammonia produced, t)");
    }
    if (!p.inputs.empty() || !p.outputs.empty()) {
      return SiteError(site, p.pos, what, "inputs",
                       "not used with tier = \"ipcc_tier1\" (the IPCC defaults replace the "
                       "carbon balance)");
    }
    return absl::OkStatus();
  }
  if (p.meters.count("production_meter")) {
    return SiteError(site, p.pos, what, "production_meter",
                     "only used with tier = \"ipcc_tier1\"; the carbon balance needs "
                     "[[process.inputs]] and [[process.outputs]]");
  }
  if (p.inputs.empty()) {
    return SiteError(site, p.pos, what, "inputs",
                     "required: [[process.inputs]] with the feedstock's meter and "
                     "carbon_content (tC/t)");
  }
  for (const auto* items : {&p.inputs, &p.outputs}) {
    for (const auto& it : *items) {
      if (auto s = CheckMassMeter(site, it.meter, it.pos, what, "meter"); !s.ok()) return s;
      if (!it.carbon_content && !it.ef_tco2_per_t) {
        return SiteError(site, it.pos, what, "carbon_content",
                         "required: the item's carbon content (tC/t, a fraction) or "
                         "ef_tco2_per_t");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace dc::accounting::internal
