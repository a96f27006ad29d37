// Mineral process emissions: cement clinker and raw meal (GB/T 32151.8), carbonates
// (carbonate, glass_carbonates: GB/T 32151.7 and the carbonate factors of IPCC 2006 Vol 3).
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/process_internal.h"

namespace dc::accounting::internal {

namespace {

// IPCC 2006 Vol 3 §2.2.1.1 Tier 1: E = M_cl × EF_cl (EF with the CKD correction).
absl::Status CementClinkerTier1(Engine& e, const model::Process& p, Line l, double q, Lines* out) {
  auto ef = e.RefFactor("ef_clinker", "process.cement.ipcc_clinker_ef");
  if (!ef.ok()) return ef.status();
  l.amount = q;
  l.factors = {*ef};
  l.formula = "(Q_clinker + Q_kiln_dust + Q_bypass_dust) × EF_clinker (IPCC 2006 Tier 1)";
  l.tco2e = q * ef->value;
  (void)p;
  out->push_back(std::move(l));
  return absl::OkStatus();
}

}  // namespace

absl::Status CementClinker(Engine& e, const model::Process& p, Lines* out) {
  // E = (Q_cl + Q_ckd + Q_bpd) × [(CaO − CaO_nc) × 44/56 + (MgO − MgO_nc) × 44/40]
  std::string where = ProcessWhere(e, p);
  Line l = ProcessLine(p, p.id);
  double q = 0;
  for (const char* key : {"clinker_meter", "kiln_dust_meter", "bypass_dust_meter"}) {
    auto it = p.meters.find(key);
    if (it == p.meters.end()) continue;
    auto t = e.MassT(it->second, where);
    if (!t.ok()) return t.status();
    l.parts.push_back(Part{it->second, *t, "t"});
    q += *t;
  }
  if (p.tier == model::Tier::kIpccTier1) return CementClinkerTier1(e, p, std::move(l), q, out);
  double cao = p.numbers.at("cao"), cao_nc = Num(p, "cao_non_carbonate", 0);
  double mgo = p.numbers.at("mgo"), mgo_nc = Num(p, "mgo_non_carbonate", 0);
  l.amount = q;
  l.factors = {e.SiteParam("cao", cao, "fraction"),
               e.SiteParam("cao_non_carbonate", cao_nc, "fraction"),
               e.SiteParam("mgo", mgo, "fraction"),
               e.SiteParam("mgo_non_carbonate", mgo_nc, "fraction"),
               e.Constant("co2_per_cao", 44.0 / 56.0, "tCO2/tCaO (44/56)"),
               e.Constant("co2_per_mgo", 44.0 / 40.0, "tCO2/tMgO (44/40)")};
  l.formula =
      "(Q_clinker + Q_kiln_dust + Q_bypass_dust) × [(CaO − CaO_nc) × 44/56 + (MgO − MgO_nc) × "
      "44/40]";
  l.tco2e = q * ((cao - cao_nc) * 44.0 / 56.0 + (mgo - mgo_nc) * 44.0 / 40.0);
  out->push_back(std::move(l));
  return absl::OkStatus();
}

absl::Status ValidateCementClinker(const model::Site& site, const Reference&,
                                   const model::Process& p) {
  std::string what = absl::StrCat("process '", p.id, "'");
  if (p.tier == model::Tier::kIpccTier1) {
    for (const char* key : {"cao", "mgo", "cao_non_carbonate", "mgo_non_carbonate"}) {
      if (p.numbers.count(key)) {
        return SiteError(site, p.pos, what, key,
                         "not used with tier = \"ipcc_tier1\" (the IPCC default factor replaces "
                         "the clinker's composition)");
      }
    }
    return absl::OkStatus();
  }
  if (p.numbers.count("cao_non_carbonate") &&
      p.numbers.at("cao_non_carbonate") > p.numbers.at("cao")) {
    return SiteError(site, p.pos, what, "cao_non_carbonate", "exceeds cao");
  }
  if (p.numbers.count("mgo_non_carbonate") &&
      p.numbers.at("mgo_non_carbonate") > p.numbers.at("mgo")) {
    return SiteError(site, p.pos, what, "mgo_non_carbonate", "exceeds mgo");
  }
  return absl::OkStatus();
}

absl::Status CementRawMeal(Engine& e, const model::Process& p, Lines* out) {
  // E = Q_raw-meal × FR_0 × 44/12
  Line l = ProcessLine(p, p.id);
  const std::string& id = p.meters.at("raw_meal_meter");
  auto q = e.MassT(id, ProcessWhere(e, p));
  if (!q.ok()) return q.status();
  l.parts.push_back(Part{id, *q, "t"});
  double fr0 = p.numbers.at("organic_carbon");
  l.amount = *q;
  l.factors = {e.SiteParam("organic_carbon", fr0, "fraction"),
               e.Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
  l.formula = "Q_raw_meal × FR_0 × 44/12";
  l.tco2e = *q * fr0 * kCO2PerC;
  out->push_back(std::move(l));
  return absl::OkStatus();
}

absl::Status Carbonates(Engine& e, const model::Process& p, Lines* out) {
  // E = Σ M_i × purity_i × F_i × EF_i
  std::string where = ProcessWhere(e, p);
  for (const auto& it : p.inputs) {
    Line l = ProcessLine(p, absl::StrCat(p.id, "/", it.meter));
    auto m = e.MassT(it.meter, where);
    if (!m.ok()) return m.status();
    auto ef = ItemEf(e, p, it, "carbonate");
    if (!ef.ok()) return ef.status();
    double purity = it.purity.value_or(1), frac = it.fraction.value_or(1);
    l.amount = *m;
    l.factors = {e.SiteParam("purity", purity, "fraction"),
                 e.SiteParam("calcination_fraction", frac, "fraction"), *ef};
    l.formula = "M × purity × F × EF";
    l.tco2e = *m * purity * frac * ef->value;
    out->push_back(std::move(l));
  }
  if (auto it = p.meters.find("carbon_powder_meter"); it != p.meters.end()) {
    // E = Q_C × C_C × 44/12
    Line l = ProcessLine(p, absl::StrCat(p.id, "/", it->second));
    auto q = e.MassT(it->second, where);
    if (!q.ok()) return q.status();
    double cc = p.numbers.at("carbon_content");
    l.amount = *q;
    l.factors = {e.SiteParam("carbon_content", cc, "fraction"),
                 e.Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
    l.formula = "Q_C × C_C × 44/12";
    l.tco2e = *q * cc * kCO2PerC;
    out->push_back(std::move(l));
  }
  return absl::OkStatus();
}

absl::Status ValidateCarbonates(const model::Site& site, const Reference& ref,
                                const model::Process& p) {
  std::string what = absl::StrCat("process '", p.id, "'");
  if (p.method == model::ProcessMethod::kGlassCarbonates && p.meters.count("carbon_powder_meter") &&
      !p.numbers.count("carbon_content")) {
    return SiteError(site, p.pos, what, "carbon_content",
                     "required with carbon_powder_meter (fraction of carbon)");
  }
  for (const auto& it : p.inputs) {
    if (auto s = CheckMassMeter(site, it.meter, it.pos, what, "meter"); !s.ok()) return s;
    if (it.ef_tco2_per_t) continue;
    if (!ref.Find(absl::StrCat("process.carbonate.", it.material))) {
      std::vector<std::string> known;
      for (const RefValue* v : ref.List("process.carbonate")) {
        known.push_back(v->key.substr(std::string("process.carbonate.").size()));
      }
      return SiteError(site, it.pos, what, "material",
                       absl::StrCat("unknown carbonate \"", it.material, "\"; known: ",
                                    absl::StrJoin(known, ", "), " (or give ef_tco2_per_t)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace dc::accounting::internal
