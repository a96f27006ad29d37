// Aluminium: anode consumption and PFC from anode effects (NDRC 电解铝 guideline, MEE 铝冶炼
// guideline, IPCC 2006 Vol 3 §4.4).
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "accounting/process_internal.h"

namespace dc::accounting::internal {

namespace {

// A site value if the process gives `key`, else the reference's `ref_key`.
absl::StatusOr<Factor> SiteOrRef(Engine& e, const model::Process& p, const char* name,
                                 const char* key, const char* ref_key, const char* unit) {
  if (auto it = p.numbers.find(key); it != p.numbers.end()) {
    return e.SiteParam(name, it->second, unit);
  }
  auto f = e.RefFactor(name, ref_key);
  if (!f.ok()) {
    return absl::NotFoundError(absl::StrCat(ProcessWhere(e, p), ": ", f.status().message()));
  }
  return f;
}

absl::Status SingleFactor(Engine& e, Line l, double prod, Factor ef, std::string formula,
                          Lines* out) {
  l.factors = {ef};
  l.formula = std::move(formula);
  l.tco2e = prod * ef.value;
  (void)e;
  out->push_back(std::move(l));
  return absl::OkStatus();
}

}  // namespace

absl::Status AluminiumAnode(Engine& e, const model::Process& p, Lines* out) {
  Line l = ProcessLine(p, p.id);
  const std::string& id = p.meters.at("production_meter");
  auto prod = e.MassT(id, ProcessWhere(e, p));
  if (!prod.ok()) return prod.status();
  l.parts.push_back(Part{id, *prod, "t"});
  l.amount = *prod;
  if (p.tier == model::Tier::kIpccTier1) {
    // IPCC 2006 Vol 3 Table 4.10 (prebake, Tier 1): E = P_Al × EF.
    auto ef = e.RefFactor("ef", "process.aluminium.ipcc_prebake_tier1");
    if (!ef.ok()) return ef.status();
    return SingleFactor(e, std::move(l), *prod, *ef, "P_Al × EF (IPCC 2006 Tier 1)", out);
  }
  if (auto it = p.numbers.find("ef_tco2_per_t"); it != p.numbers.end()) {
    // Legacy single factor: E = P_Al × EF.
    return SingleFactor(e, std::move(l), *prod, e.SiteParam("ef", it->second, "tCO2/t"),
                        "P_Al × EF", out);
  }
  // E = P_Al × NC × (1 − S − A) × 44/12
  auto nc = SiteOrRef(e, p, "net_anode_consumption", "net_anode_t_per_t",
                      "process.aluminium.anode_net_consumption", "t/tAl");
  auto s = SiteOrRef(e, p, "sulfur", "sulfur", "process.aluminium.anode_sulfur", "fraction");
  auto a = SiteOrRef(e, p, "ash", "ash", "process.aluminium.anode_ash", "fraction");
  for (const auto* f : {&nc, &s, &a}) {
    if (!f->ok()) return f->status();
  }
  l.factors = {*nc, *s, *a, e.Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
  l.formula = "P_Al × NC × (1 − S_a − A_a) × 44/12";
  l.tco2e = *prod * nc->value * (1 - s->value - a->value) * kCO2PerC;
  out->push_back(std::move(l));
  return absl::OkStatus();
}

absl::Status ValidateAluminiumAnode(const model::Site& site, const Reference&,
                                    const model::Process& p) {
  std::string what = absl::StrCat("process '", p.id, "'");
  if (p.tier == model::Tier::kIpccTier1) {
    for (const char* key : {"net_anode_t_per_t", "sulfur", "ash", "ef_tco2_per_t"}) {
      if (p.numbers.count(key)) {
        return SiteError(site, p.pos, what, key,
                         "not used with tier = \"ipcc_tier1\" (the IPCC default factor applies)");
      }
    }
  }
  double s = Num(p, "sulfur", 0), a = Num(p, "ash", 0);
  if (s + a >= 1) return SiteError(site, p.pos, what, "sulfur", "sulfur + ash must be below 1");
  return absl::OkStatus();
}

absl::Status AluminiumPfc(Engine& e, const model::Process& p, Lines* out) {
  // E = P_Al × (EF_CF4 × GWP_CF4 + EF_C2F6 × GWP_C2F6) × 10⁻³
  Line l = ProcessLine(p, p.id);
  const std::string& id = p.meters.at("production_meter");
  auto prod = e.MassT(id, ProcessWhere(e, p));
  if (!prod.ok()) return prod.status();
  l.parts.push_back(Part{id, *prod, "t"});
  l.amount = *prod;
  Factor cf4, c2f6;
  std::vector<Factor> extra;
  if (auto it = p.numbers.find("anode_effect_minutes_per_cell_day"); it != p.numbers.end()) {
    // Slope method: EF_CF4 = 0.143 × AEM; EF_C2F6 = 0.1 × EF_CF4.
    auto slope = e.RefFactor("slope_cf4", "process.aluminium.slope_cf4");
    if (!slope.ok()) return slope.status();
    Factor aem = e.SiteParam("anode_effect_minutes", it->second, "min/(cell·day)");
    Factor ratio = e.Constant("c2f6_per_cf4", 0.1, "kgC2F6/kgCF4");
    cf4 = Factor{"ef_cf4", slope->value * aem.value, "kgCF4/tAl", "formula", "", "", ""};
    c2f6 = Factor{"ef_c2f6", ratio.value * cf4.value, "kgC2F6/tAl", "formula", "", "", ""};
    extra = {aem, *slope, ratio};
    l.formula = "P_Al × (0.143 × AEM × GWP_CF4 + 0.1 × 0.143 × AEM × GWP_C2F6) × 10⁻³";
  } else {
    auto pick = [&](const char* name, const char* key, const char* ref_key,
                    const char* unit) -> absl::StatusOr<Factor> {
      if (auto it = p.numbers.find(key); it != p.numbers.end())
        return e.SiteParam(name, it->second, unit);
      return e.RefFactor(name, ref_key);
    };
    auto a = pick("ef_cf4", "ef_cf4_kg_per_t", "process.aluminium.cf4_default", "kgCF4/tAl");
    auto b = pick("ef_c2f6", "ef_c2f6_kg_per_t", "process.aluminium.c2f6_default", "kgC2F6/tAl");
    if (!a.ok()) return a.status();
    if (!b.ok()) return b.status();
    cf4 = *a;
    c2f6 = *b;
    l.formula = "P_Al × (EF_CF4 × GWP_CF4 + EF_C2F6 × GWP_C2F6) × 10⁻³";
  }
  const std::string& gwp = e.site().gwp;
  auto gwp_cf4 = e.RefFactor("gwp_cf4", absl::StrCat("gwp.", gwp, ".CF4"));
  auto gwp_c2f6 = e.RefFactor("gwp_c2f6", absl::StrCat("gwp.", gwp, ".C2F6"));
  if (!gwp_cf4.ok()) return gwp_cf4.status();
  if (!gwp_c2f6.ok()) return gwp_c2f6.status();
  l.factors = extra;
  l.factors.insert(l.factors.end(), {cf4, c2f6, *gwp_cf4, *gwp_c2f6});
  l.tco2e = *prod * (cf4.value * gwp_cf4->value + c2f6.value * gwp_c2f6->value) * 1e-3;
  out->push_back(std::move(l));
  return absl::OkStatus();
}

}  // namespace dc::accounting::internal
