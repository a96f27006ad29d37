// Steel: the carbon balance of GB/T 32151.5 / the NDRC steel guideline — fluxes, electrodes,
// carbon-bearing inputs, and carbon leaving in products and exported by-product gas.
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/process_internal.h"

namespace dc::accounting::internal {

namespace {

const std::set<std::string>& SteelMaterials() {
  static const auto* s = new std::set<std::string>{
      "limestone",    "dolomite",     "electrode",        "pig_iron",    "dri",
      "ferro_nickel", "ferro_chrome", "ferro_molybdenum", "crude_steel", "methanol"};
  return *s;
}

// By-product gases whose export carries carbon out of the works (deducted).
const std::set<std::string>& ByproductGases() {
  static const auto* s =
      new std::set<std::string>{"blast_furnace_gas", "converter_gas", "coke_oven_gas"};
  return *s;
}

// −V × NCV × CC × 44/12 for an exported by-product gas: V in 10⁴ Nm³, the meter's measured NCV
// and carbon content, else the fuel defaults.
absl::Status ExportedGas(Engine& e, const model::Process& p, const model::ProcessItem& it,
                         Lines* out) {
  Line l = ProcessLine(p, absl::StrCat(p.id, "/", it.meter));
  const MeterView* v = e.View(it.meter);
  auto total = e.Total(it.meter);
  if (!total.ok()) return total.status();
  double vol = *total * v->to_base / 1e4;
  const model::Meter* m = v->phys;
  Factor ncv, cc;
  if (m && m->ncv_gj_per_10k_nm3) {
    ncv = Factor{"ncv", *m->ncv_gj_per_10k_nm3, "GJ/10^4Nm3", "measured", "", "", ""};
  } else {
    auto f = e.FuelDefault("ncv", it.material, "ncv");
    if (!f.ok()) return f.status();
    ncv = *f;
  }
  if (m && m->carbon_tc_per_gj) {
    cc = Factor{"cc", *m->carbon_tc_per_gj, "tC/GJ", "measured", "", "", ""};
  } else {
    auto f = e.FuelDefault("cc", it.material, "cc", 1e-3, "tC/GJ");
    if (!f.ok()) return f.status();
    cc = *f;
  }
  l.amount = vol;
  l.unit = "10^4Nm3";
  l.factors = {ncv, cc, e.Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
  l.formula = "−V_gas_exported × NCV × CC × 44/12";
  l.tco2e = -vol * ncv.value * cc.value * kCO2PerC;
  out->push_back(std::move(l));
  return absl::OkStatus();
}

}  // namespace

absl::Status SteelCarbonBalance(Engine& e, const model::Process& p, Lines* out) {
  // E = Σ P_flux × purity × EF + P_electrode × 3.663 + Σ M_input × EF − Σ AD_fixed × EF
  //     − Σ V_gas × NCV × CC × 44/12
  std::string where = ProcessWhere(e, p);
  for (const auto* items : {&p.inputs, &p.outputs}) {
    bool output = items == &p.outputs;
    for (const auto& it : *items) {
      if (output && ByproductGases().count(it.material) && !it.ef_tco2_per_t) {
        if (auto s = ExportedGas(e, p, it, out); !s.ok()) return s;
        continue;
      }
      Line l = ProcessLine(p, absl::StrCat(p.id, "/", it.meter));
      auto m = e.MassT(it.meter, where);
      if (!m.ok()) return m.status();
      l.amount = *m;
      double sign = output ? -1 : 1;
      if (it.carbon_content && !it.ef_tco2_per_t) {
        l.factors = {e.SiteParam("carbon_content", *it.carbon_content, "fraction"),
                     e.Constant("co2_per_c", kCO2PerC, "tCO2/tC (44/12)")};
        l.formula = output ? "−M_out × C_out × 44/12" : "M_in × C_in × 44/12";
        l.tco2e = sign * *m * *it.carbon_content * kCO2PerC;
        out->push_back(std::move(l));
        continue;
      }
      auto ef = ItemEf(e, p, it, "steel");
      if (!ef.ok()) return ef.status();
      bool flux = it.material == "limestone" || it.material == "dolomite";
      double purity = it.purity.value_or(1);
      if (flux) {
        l.factors = {e.SiteParam("purity", purity, "fraction"), *ef};
        l.formula = "P_flux × purity × EF";
        l.tco2e = *m * purity * ef->value;
      } else {
        l.factors = {*ef};
        l.formula = output ? "−AD_fixed_carbon × EF" : "M × EF";
        l.tco2e = sign * *m * ef->value;
      }
      out->push_back(std::move(l));
    }
  }
  return absl::OkStatus();
}

// An exported by-product gas output: a volume meter of that gas.
absl::Status ValidateGasOutput(const model::Site& site, const model::ProcessItem& it,
                               const std::string& what) {
  std::string carrier;
  if (const model::Meter* m = site.FindMeter(it.meter)) carrier = m->carrier;
  if (const model::VirtualMeter* v = site.FindVirtual(it.meter)) carrier = v->carrier;
  if (carrier != it.material) {
    return SiteError(
        site, it.pos, what, "meter",
        absl::StrCat("meter \"", it.meter, "\" has carrier \"", carrier, "\"; an exported ",
                     it.material, " needs a meter of carrier \"", it.material, "\" (its volume)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSteel(const model::Site& site, const Reference&, const model::Process& p) {
  std::string what = absl::StrCat("process '", p.id, "'");
  for (const auto* items : {&p.inputs, &p.outputs}) {
    bool output = items == &p.outputs;
    for (const auto& it : *items) {
      if (ByproductGases().count(it.material) && !it.ef_tco2_per_t) {
        if (!output) {
          return SiteError(site, it.pos, what, "material",
                           absl::StrCat("\"", it.material,
                                        "\" belongs in outputs (exported "
                                        "by-product gas)"));
        }
        if (auto s = ValidateGasOutput(site, it, what); !s.ok()) return s;
        continue;
      }
      if (auto s = CheckMassMeter(site, it.meter, it.pos, what, "meter"); !s.ok()) return s;
      if (it.ef_tco2_per_t || it.carbon_content) continue;
      if (!SteelMaterials().count(it.material)) {
        return SiteError(site, it.pos, what, "material",
                         absl::StrCat("unknown steel material \"", it.material,
                                      "\"; known: ", absl::StrJoin(SteelMaterials(), ", "), ", ",
                                      absl::StrJoin(ByproductGases(), ", "),
                                      " (or give ef_tco2_per_t or carbon_content)"));
      }
      bool fixed = it.material == "crude_steel" || it.material == "methanol";
      if (output != fixed) {
        return SiteError(
            site, it.pos, what, "material",
            absl::StrCat("\"", it.material, "\" belongs in ", fixed ? "outputs" : "inputs"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace dc::accounting::internal
