// Process (non-combustion) emission methods; see docs/accounting.md for each formula's source.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "accounting/engine.h"

namespace dc::accounting::internal {
namespace {

double Num(const model::Process& p, const std::string& key, double dflt) {
  auto it = p.numbers.find(key);
  return it == p.numbers.end() ? dflt : it->second;
}

Line ProcessLine(const model::Process& p, std::string source) {
  Line l;
  l.source = std::move(source);
  l.category = "process";
  l.scope = 1;
  l.method = p.method;
  l.area = p.area;
  l.unit = "t";
  return l;
}

}  // namespace

absl::Status Engine::ProcessLines(const model::Process& p, std::vector<Line>* out) {
  std::string where = absl::StrCat(site().Where(p.pos.table), "process '", p.id, "'");
  auto mass = [&](const std::string& id, Line* l) -> absl::StatusOr<double> {
    auto t = MassT(id, where);
    if (t.ok() && l) l->parts.push_back(Part{id, *t, "t"});
    return t;
  };

  if (p.method == "cement_clinker") {
    // E = (Q_cl + Q_ckd + Q_bpd) × [(CaO − CaO_nc) × 44/56 + (MgO − MgO_nc) × 44/40]
    Line l = ProcessLine(p, p.id);
    double q = 0;
    for (const char* key : {"clinker_meter", "kiln_dust_meter", "bypass_dust_meter"}) {
      auto it = p.meters.find(key);
      if (it == p.meters.end()) continue;
      auto t = mass(it->second, &l);
      if (!t.ok()) return t.status();
      q += *t;
    }
    double cao = p.numbers.at("cao"), cao_nc = Num(p, "cao_non_carbonate", 0);
    double mgo = p.numbers.at("mgo"), mgo_nc = Num(p, "mgo_non_carbonate", 0);
    l.amount = q;
    l.factors = {SiteParam("cao", cao, "fraction"),
                 SiteParam("cao_non_carbonate", cao_nc, "fraction"),
                 SiteParam("mgo", mgo, "fraction"),
                 SiteParam("mgo_non_carbonate", mgo_nc, "fraction"),
                 Constant("co2_per_cao", 44.0 / 56.0, "tCO2/tCaO (44/56)"),
                 Constant("co2_per_mgo", 44.0 / 40.0, "tCO2/tMgO (44/40)")};
    l.formula =
        "(Q_clinker + Q_kiln_dust + Q_bypass_dust) × [(CaO − CaO_nc) × 44/56 + (MgO − MgO_nc) × "
        "44/40]";
    l.tco2e = q * ((cao - cao_nc) * 44.0 / 56.0 + (mgo - mgo_nc) * 44.0 / 40.0);
    out->push_back(std::move(l));
    return absl::OkStatus();
  }

  if (p.method == "cement_raw_meal") {
    // E = Q_raw-meal × FR_0 × 44/12
    Line l = ProcessLine(p, p.id);
    auto q = mass(p.meters.at("raw_meal_meter"), &l);
    if (!q.ok()) return q.status();
    double fr0 = p.numbers.at("organic_carbon");
    l.amount = *q;
    l.factors = {SiteParam("organic_carbon", fr0, "fraction"),
                 Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
    l.formula = "Q_raw_meal × FR_0 × 44/12";
    l.tco2e = *q * fr0 * kCO2PerC;
    out->push_back(std::move(l));
    return absl::OkStatus();
  }

  if (p.method == "carbonate" || p.method == "glass_carbonates") {
    // E = Σ M_i × purity_i × F_i × EF_i
    for (const auto& it : p.inputs) {
      Line l = ProcessLine(p, absl::StrCat(p.id, "/", it.meter));
      auto m = mass(it.meter, nullptr);
      if (!m.ok()) return m.status();
      Factor ef;
      if (it.ef_tco2_per_t) {
        ef = SiteParam("ef", *it.ef_tco2_per_t, "tCO2/t");
      } else {
        auto f = RefFactor("ef", absl::StrCat("process.carbonate.", it.material));
        if (!f.ok()) return absl::NotFoundError(absl::StrCat(where, ": ", f.status().message()));
        ef = *f;
      }
      double purity = it.purity.value_or(1), frac = it.fraction.value_or(1);
      l.amount = *m;
      l.factors = {SiteParam("purity", purity, "fraction"),
                   SiteParam("calcination_fraction", frac, "fraction"), ef};
      l.formula = "M × purity × F × EF";
      l.tco2e = *m * purity * frac * ef.value;
      out->push_back(std::move(l));
    }
    if (auto it = p.meters.find("carbon_powder_meter"); it != p.meters.end()) {
      // E = Q_C × C_C × 44/12
      Line l = ProcessLine(p, absl::StrCat(p.id, "/", it->second));
      auto q = mass(it->second, nullptr);
      if (!q.ok()) return q.status();
      double cc = p.numbers.at("carbon_content");
      l.amount = *q;
      l.factors = {SiteParam("carbon_content", cc, "fraction"),
                   Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
      l.formula = "Q_C × C_C × 44/12";
      l.tco2e = *q * cc * kCO2PerC;
      out->push_back(std::move(l));
    }
    return absl::OkStatus();
  }

  if (p.method == "steel_carbon_balance") {
    // E = Σ P_flux × purity × EF + P_electrode × 3.663 + Σ M_input × EF − Σ AD_fixed × EF
    for (const auto* items : {&p.inputs, &p.outputs}) {
      bool output = items == &p.outputs;
      for (const auto& it : *items) {
        Line l = ProcessLine(p, absl::StrCat(p.id, "/", it.meter));
        auto m = mass(it.meter, nullptr);
        if (!m.ok()) return m.status();
        l.amount = *m;
        double sign = output ? -1 : 1;
        if (it.carbon_content && !it.ef_tco2_per_t) {
          l.factors = {SiteParam("carbon_content", *it.carbon_content, "fraction"),
                       Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
          l.formula = output ? "−M_out × C_out × 44/12" : "M_in × C_in × 44/12";
          l.tco2e = sign * *m * *it.carbon_content * kCO2PerC;
          out->push_back(std::move(l));
          continue;
        }
        Factor ef;
        if (it.ef_tco2_per_t) {
          ef = SiteParam("ef", *it.ef_tco2_per_t, "tCO2/t");
        } else {
          auto f = RefFactor("ef", absl::StrCat("process.steel.", it.material));
          if (!f.ok()) return absl::NotFoundError(absl::StrCat(where, ": ", f.status().message()));
          ef = *f;
        }
        bool flux = it.material == "limestone" || it.material == "dolomite";
        double purity = it.purity.value_or(1);
        if (flux) {
          l.factors = {SiteParam("purity", purity, "fraction"), ef};
          l.formula = "P_flux × purity × EF";
          l.tco2e = *m * purity * ef.value;
        } else {
          l.factors = {ef};
          l.formula = output ? "−AD_fixed_carbon × EF" : "M × EF";
          l.tco2e = sign * *m * ef.value;
        }
        out->push_back(std::move(l));
      }
    }
    return absl::OkStatus();
  }

  if (p.method == "aluminium_anode") {
    Line l = ProcessLine(p, p.id);
    auto prod = mass(p.meters.at("production_meter"), &l);
    if (!prod.ok()) return prod.status();
    l.amount = *prod;
    if (auto it = p.numbers.find("ef_tco2_per_t"); it != p.numbers.end()) {
      // Legacy single factor: E = P_Al × EF.
      l.factors = {SiteParam("ef", it->second, "tCO2/t")};
      l.formula = "P_Al × EF";
      l.tco2e = *prod * it->second;
      out->push_back(std::move(l));
      return absl::OkStatus();
    }
    // E = P_Al × NC × (1 − S − A) × 44/12
    auto param = [&](const char* name, const char* key,
                     const char* unit) -> absl::StatusOr<Factor> {
      if (auto it = p.numbers.find(key); it != p.numbers.end())
        return SiteParam(name, it->second, unit);
      std::string rk = std::string("process.aluminium.") +
                       (std::string(key) == "net_anode_t_per_t" ? "anode_net_consumption"
                        : std::string(key) == "sulfur"          ? "anode_sulfur"
                                                                : "anode_ash");
      auto f = RefFactor(name, rk);
      if (!f.ok()) return absl::NotFoundError(absl::StrCat(where, ": ", f.status().message()));
      return f;
    };
    auto nc = param("net_anode_consumption", "net_anode_t_per_t", "t/tAl");
    auto s = param("sulfur", "sulfur", "fraction");
    auto a = param("ash", "ash", "fraction");
    for (const auto* f : {&nc, &s, &a}) {
      if (!f->ok()) return f->status();
    }
    l.factors = {*nc, *s, *a, Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
    l.formula = "P_Al × NC × (1 − S_a − A_a) × 44/12";
    l.tco2e = *prod * nc->value * (1 - s->value - a->value) * kCO2PerC;
    out->push_back(std::move(l));
    return absl::OkStatus();
  }

  if (p.method == "aluminium_pfc") {
    // E = P_Al × (EF_CF4 × GWP_CF4 + EF_C2F6 × GWP_C2F6) × 10⁻³
    Line l = ProcessLine(p, p.id);
    auto prod = mass(p.meters.at("production_meter"), &l);
    if (!prod.ok()) return prod.status();
    l.amount = *prod;
    Factor cf4, c2f6;
    std::vector<Factor> extra;
    if (auto it = p.numbers.find("anode_effect_minutes_per_cell_day"); it != p.numbers.end()) {
      // Slope method: EF_CF4 = 0.143 × AEM; EF_C2F6 = 0.1 × EF_CF4.
      auto slope = RefFactor("slope_cf4", "process.aluminium.slope_cf4");
      if (!slope.ok()) return slope.status();
      Factor aem = SiteParam("anode_effect_minutes", it->second, "min/(cell·day)");
      Factor ratio = Constant("c2f6_per_cf4", 0.1, "kgC2F6/kgCF4");
      cf4 = Factor{"ef_cf4", slope->value * aem.value, "kgCF4/tAl", "formula", "", "", ""};
      c2f6 = Factor{"ef_c2f6", ratio.value * cf4.value, "kgC2F6/tAl", "formula", "", "", ""};
      extra = {aem, *slope, ratio};
      l.formula = "P_Al × (0.143 × AEM × GWP_CF4 + 0.1 × 0.143 × AEM × GWP_C2F6) × 10⁻³";
    } else {
      auto pick = [&](const char* name, const char* key, const char* ref_key,
                      const char* unit) -> absl::StatusOr<Factor> {
        if (auto it = p.numbers.find(key); it != p.numbers.end())
          return SiteParam(name, it->second, unit);
        return RefFactor(name, ref_key);
      };
      auto a = pick("ef_cf4", "ef_cf4_kg_per_t", "process.aluminium.cf4_default", "kgCF4/tAl");
      auto b = pick("ef_c2f6", "ef_c2f6_kg_per_t", "process.aluminium.c2f6_default", "kgC2F6/tAl");
      if (!a.ok()) return a.status();
      if (!b.ok()) return b.status();
      cf4 = *a;
      c2f6 = *b;
      l.formula = "P_Al × (EF_CF4 × GWP_CF4 + EF_C2F6 × GWP_C2F6) × 10⁻³";
    }
    auto gwp_cf4 = RefFactor("gwp_cf4", absl::StrCat("gwp.", site().gwp, ".CF4"));
    auto gwp_c2f6 = RefFactor("gwp_c2f6", absl::StrCat("gwp.", site().gwp, ".C2F6"));
    if (!gwp_cf4.ok()) return gwp_cf4.status();
    if (!gwp_c2f6.ok()) return gwp_c2f6.status();
    l.factors = extra;
    l.factors.insert(l.factors.end(), {cf4, c2f6, *gwp_cf4, *gwp_c2f6});
    l.tco2e = *prod * (cf4.value * gwp_cf4->value + c2f6.value * gwp_c2f6->value) * 1e-3;
    out->push_back(std::move(l));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(where, ": unknown method \"", p.method, "\""));
}

}  // namespace dc::accounting::internal
