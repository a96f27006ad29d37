// CBAM specific embedded emissions: the computation (ComputeCbam).
#include "accounting/cbam.h"

#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "accounting/cbam_internal.h"
#include "accounting/csv.h"
#include "common/counter.h"
#include "common/strings.h"

namespace dc::accounting {

std::string CbamCompact(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

namespace {

double MassFactor(const std::string& unit) { return unit == "kg" ? 0.001 : 1.0; }

absl::StatusOr<double> MeterTotalT(const model::Meter& m, DataSource& data, const Period& p) {
  auto samples = data.Read(m, p.start, p.end);
  if (!samples.ok()) return samples.status();
  double total = 0;
  if (m.kind == model::MeterKind::kCounter) {
    std::vector<int64_t> bounds = {p.start, p.end};
    std::vector<double> inc =
        CounterIncreases(*samples, bounds, data.CounterOptionsFor(m), nullptr);  // + swaps
    total = inc.empty() ? 0 : inc[0];
  } else {
    for (const Sample& s : *samples) {
      if (s.t > p.start && s.t <= p.end) total += s.v;
    }
  }
  return total * MassFactor(m.unit);
}

bool Near(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max({std::fabs(a), std::fabs(b), 1.0});
}

class Computer {
 public:
  Computer(const CbamConfig& c, const model::Site& site, const Inventory& inv, DataSource* data,
           const Reference& ref)
      : c_(c), site_(site), inv_(inv), data_(data), ref_(ref) {}

  absl::StatusOr<CbamReport> Run();

 private:
  absl::Status Good(const CbamGoodSpec& spec, CbamGood* g);
  absl::Status Direct(const model::Product& prod, const ProductResult& pr, CbamGood* g);
  absl::StatusOr<CbamPrecursor> Precursor(const CbamGoodSpec& spec, const CbamPrecursorSpec& p,
                                          const CbamGood& g);
  absl::Status DefaultValue(const CbamGoodSpec& spec, const CbamPrecursorSpec& p,
                            const std::string& where, CbamPrecursor* out);
  absl::Status N2o(const CbamGoodSpec& spec, const std::string& where, CbamGood* g);
  void Indirect(const ProductResult& pr, CbamGood* g);
  void ComparisonDefaults(const CbamGoodSpec& spec, CbamGood* g);
  absl::Status Method(const CbamGoodSpec& spec, const std::string& where, CbamGood* g);
  void Warn(std::string w) { warnings_.insert(std::move(w)); }

  const CbamConfig& c_;
  const model::Site& site_;
  const Inventory& inv_;
  DataSource* data_;
  const Reference& ref_;
  CbamRules rules_;
  std::map<std::string, CbamGood> done_;
  std::set<std::string> warnings_;
};

absl::Status Computer::Direct(const model::Product& prod, const ProductResult& pr, CbamGood* g) {
  std::set<std::string> areas(prod.areas.begin(), prod.areas.end());
  double visible = 0;
  for (const Line& l : inv_.lines) {
    // Direct emissions: fuels, processes and heat (bought or exported); not electricity.
    if (!IsDirect(l.category) && l.category != LineCategory::kPurchasedHeat &&
        l.category != LineCategory::kExportedHeat) {
      continue;
    }
    bool own = false;
    if (!l.method.empty()) {
      for (const auto& proc : site_.processes) {
        if (l.source.rfind(proc.id, 0) != 0) continue;
        for (const auto& [k, mid] : proc.meters) {
          if (mid == prod.meter && (k == "clinker_meter" || k == "production_meter")) own = true;
        }
      }
    }
    if (!areas.empty() && !areas.count(l.area) && !(l.area.empty() && own)) continue;
    g->direct_lines.push_back(l);
    visible += l.tco2e;
  }
  // The inventory's attributed total includes internal sub-meters' lines, which are not in
  // the site ledger: what is left after the electricity part and the visible lines.
  double total = pr.co2e_t - g->attributed_indirect;
  if (Near(total, visible)) {
    g->attributed_direct = visible;
  } else {
    g->attributed_direct = total;
    g->internal_tco2e = total - visible;
    for (const auto& m : inv_.by_meter) {
      if (m.flow == model::Flow::kInternal && m.carrier != "electricity" && areas.count(m.area)) {
        g->internal_meters.push_back(
            absl::StrCat(m.meter, " (", m.carrier, " ", FormatNumber(m.amount), " ", m.unit, ")"));
      }
    }
    Warn(absl::StrCat("cbam: good '", g->product, "': ", FormatNumber(g->internal_tco2e),
                      " tCO2e of its direct emissions come from internal sub-meters (",
                      absl::StrJoin(g->internal_meters, ", "),
                      ") whose lines are not in the site ledger"));
  }
  return absl::OkStatus();
}

absl::StatusOr<CbamPrecursor> Computer::Precursor(const CbamGoodSpec& spec,
                                                  const CbamPrecursorSpec& p, const CbamGood& g) {
  CbamPrecursor out;
  std::string where = absl::StrCat(CbamWhere(c_.file, p.pos), "cbam.good '", spec.product,
                                   "' precursor '", p.product.empty() ? p.name : p.product, "': ");
  out.id = p.product.empty() ? p.name : p.product;
  if (p.t_per_t) {
    out.mass_t = *p.t_per_t * g.activity_t;
    out.mass_basis = absl::StrCat("t_per_t ", FormatNumber(*p.t_per_t), " × AL ",
                                  FormatNumber(g.activity_t), " t");
  } else if (p.amount_t) {
    out.mass_t = *p.amount_t;
    out.mass_basis = "amount_t (site file)";
  } else {
    if (!data_) return absl::InvalidArgumentError(where + "a precursor meter needs a data source");
    auto m = MeterTotalT(*site_.FindMeter(p.meter), *data_, inv_.period);
    if (!m.ok()) return absl::Status(m.status().code(), where + std::string(m.status().message()));
    out.mass_t = *m;
    out.mass_basis = absl::StrCat("meter ", p.meter);
  }
  if (!p.product.empty()) {
    const CbamGood& pg = done_.at(p.product);
    if (!pg.see_direct) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, "its SEE is unknown: good '", p.product, "' has no output in the period"));
    }
    out.origin = "own";
    out.category = pg.category;
    out.see_direct = *pg.see_direct;
    out.see_indirect = *pg.see_indirect;
    out.estimated_tco2e = out.mass_t * pg.estimated_tco2e / pg.activity_t;
    // Overlapping system boundaries would count the precursor's emissions twice.
    std::set<std::string> a(g.areas.begin(), g.areas.end());
    bool overlap = g.areas.empty() || pg.areas.empty();
    for (const auto& x : pg.areas) overlap |= a.count(x) > 0;
    if (overlap) {
      Warn(absl::StrCat("cbam: good '", spec.product, "' and its precursor '", p.product,
                        "' share areas (or one is the whole site): the precursor's emissions "
                        "may be counted twice; give each good its own areas"));
    }
  } else if (p.direct_tco2e_per_t) {
    out.origin = "supplier";
    out.estimated = p.estimated;
    out.see_direct = *p.direct_tco2e_per_t;
    out.see_indirect = p.indirect_tco2e_per_t.value_or(0);
    out.factors.push_back({"see_direct", out.see_direct, "tCO2e/t", "supplier", "", "", ""});
    out.factors.push_back({"see_indirect", out.see_indirect, "tCO2e/t", "supplier", "", "", ""});
    if (!p.indirect_tco2e_per_t) {
      Warn(absl::StrCat("cbam: precursor '", p.name, "' of '", spec.product,
                        "': no indirect SEE given by the supplier; 0 used"));
    }
  } else {
    out.origin = "default";
    if (auto st = DefaultValue(spec, p, where, &out); !st.ok()) return st;
  }
  out.embedded_direct = out.mass_t * out.see_direct;
  out.embedded_indirect = out.mass_t * out.see_indirect;
  if (out.estimated) out.estimated_tco2e = out.embedded_direct + out.embedded_indirect;
  return out;
}

absl::Status Computer::DefaultValue(const CbamGoodSpec& spec, const CbamPrecursorSpec& p,
                                    const std::string& where, CbamPrecursor* out) {
  std::string period = !p.default_period.empty()    ? p.default_period
                       : !c_.default_period.empty() ? c_.default_period
                       : rules_.definitive          ? "definitive"
                                                    : "transitional";
  std::string country = p.default_country.empty() ? c_.country : p.default_country;
  if (period == "transitional" && p.default_country.empty()) country = "global";
  if (period == "transitional" && rules_.definitive) {
    Warn(absl::StrCat("cbam: precursor '", p.name, "' of '", spec.product,
                      "' uses a transitional default value in the definitive period"));
  }
  auto d = CbamLookupDefault(ref_, period, country, p.default_cn, rules_.year);
  if (!d.ok()) return absl::Status(d.status().code(), where + std::string(d.status().message()));
  out->see_direct = d->direct;
  out->see_indirect = d->indirect;
  out->factors = d->factors;
  out->cn_used = d->cn_used;
  out->cn_level = d->cn_level;
  out->markup = d->markup;
  out->markup_basis = d->markup_basis;
  out->category = CbamCategory(ref_, p.default_cn).category;
  out->estimated = true;
  std::string base = absl::StrCat("cbam.", period, ".", country, ".", d->cn_used, ".");
  if (CbamCompact(p.default_cn) != d->cn_used) {
    Warn(absl::StrCat("cbam: precursor '", p.name, "' of '", spec.product,
                      "': no default value for CN ", p.default_cn, "; the value of its ",
                      d->cn_level, " ", d->cn_used, " is used"));
  }
  if (!d->has_indirect) {
    Warn(absl::StrCat("cbam: precursor '", p.name, "' of '", spec.product, "': default value ",
                      base, "indirect not in the reference library; 0 used"));
  }
  for (const Factor& f : out->factors) {
    if (f.confidence != "high") {
      Warn(absl::StrCat("cbam: precursor '", p.name, "' of '", spec.product, "' uses ", f.key,
                        " = ", FormatNumber(f.value), " ", f.unit, " of ", f.confidence,
                        " confidence (", f.citation, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Computer::Good(const CbamGoodSpec& spec, CbamGood* g) {
  const model::Product* prod = nullptr;
  for (const auto& p : site_.products) {
    if (p.id == spec.product) prod = &p;
  }
  const ProductResult* pr = nullptr;
  for (const auto& p : inv_.products) {
    if (p.id == spec.product) pr = &p;
  }
  std::string where =
      absl::StrCat(CbamWhere(c_.file, spec.pos), "cbam.good '", spec.product, "': ");
  if (!prod || !pr) return absl::InvalidArgumentError(where + "not a product of the inventory");
  if (pr->unit != "t" && pr->unit != "kg") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "output meter '", pr->meter, "' is in '", pr->unit,
                     "': the CBAM activity level needs a mass (t or kg)"));
  }
  g->product = spec.product;
  g->cn_code = spec.cn_code;
  CbamCategoryInfo cat = CbamCategory(ref_, spec.cn_code);
  g->sector = cat.sector;
  g->category = cat.category;
  g->indirect_counted = !rules_.definitive || absl::StrContains(cat.scope, "indirect");
  if (g->category.empty()) {
    Warn(absl::StrCat("cbam: good '", spec.product, "': CN code ", spec.cn_code,
                      " is not in an aggregated goods category of 2023/1773 Annex II"));
  }
  g->meter = pr->meter;
  g->areas = prod->areas;
  g->activity_t = pr->output * MassFactor(pr->unit);
  Indirect(*pr, g);
  if (auto s = Direct(*prod, *pr, g); !s.ok()) return s;
  if (auto s = N2o(spec, where, g); !s.ok()) return s;
  if (auto s = CbamWasteGasCorrection(spec, ref_, where, g); !s.ok()) return s;
  g->estimated_tco2e = spec.estimated_tco2e.value_or(0);
  for (const auto& p : spec.precursors) {
    auto x = Precursor(spec, p, *g);
    if (!x.ok()) return x.status();
    g->precursors_direct += x->embedded_direct;
    g->precursors_indirect += x->embedded_indirect;
    g->estimated_tco2e += x->estimated_tco2e;
    g->precursors.push_back(std::move(*x));
  }
  g->embedded_direct = g->attributed_direct + g->precursors_direct;
  g->embedded_indirect = g->attributed_indirect + g->precursors_indirect;
  if (g->activity_t > 0) {
    g->see_direct = g->embedded_direct / g->activity_t;
    g->see_indirect = g->embedded_indirect / g->activity_t;
    g->see_total = *g->see_direct + *g->see_indirect;
  } else {
    Warn(absl::StrCat("cbam: good '", spec.product, "': no output in the period; SEE omitted"));
  }
  ComparisonDefaults(spec, g);
  return Method(spec, where, g);
}

// Default values of the good's own CN code (or a prefix of it), for comparison.
void Computer::ComparisonDefaults(const CbamGoodSpec& spec, CbamGood* g) {
  std::string code = CbamCompact(spec.cn_code);
  for (const RefValue* v : ref_.List("cbam")) {
    std::vector<std::string> parts = absl::StrSplit(v->key, '.');
    if (parts.size() == 5 && parts[1] != "const" && parts[1] != "benchmark" &&
        absl::StartsWith(code, parts[3]) && v->numeric()) {
      g->default_values.push_back(CbamRefFactor(*v, parts[4]));
    }
  }
}

// Indirect: net electricity of the good's areas × the grid factor the inventory used — the
// site's own [[factor]] key = "grid" when it gives one (with its origin and citation), else the
// published factor of the inventory's region and year.
void Computer::Indirect(const ProductResult& pr, CbamGood* g) {
  g->electricity_mwh = pr.electricity_kwh / 1000;
  if (inv_.grid_site) {
    g->ef_electricity = *inv_.grid_site;
    g->ef_electricity.name = "ef_el";
  } else if (const RefValue* ef = ref_.Find(inv_.grid_key); ef && ef->numeric()) {
    g->ef_electricity = CbamRefFactor(*ef, "ef_el");
    g->ef_electricity.value = inv_.grid_tco2_per_mwh;
  } else {
    g->ef_electricity = {
        "ef_el", inv_.grid_tco2_per_mwh, "tCO2/MWh", "reference", inv_.grid_key, "", ""};
  }
  g->attributed_indirect = g->electricity_mwh * g->ef_electricity.value;
  if (g->electricity_mwh < 0) {
    Warn(absl::StrCat("cbam: good '", g->product,
                      "': net electricity is negative (exports exceed consumption)"));
  }
}

absl::Status Computer::N2o(const CbamGoodSpec& spec, const std::string& where, CbamGood* g) {
  if (!spec.n2o_t && spec.n2o_meter.empty()) return absl::OkStatus();
  if (!absl::StrContains(CbamCategory(ref_, spec.cn_code).scope, "N2O")) {
    return absl::InvalidArgumentError(absl::StrCat(
        where,
        "N2O ('n2o_t' / 'n2o_meter') counts only for goods whose emissions include N2O "
        "(nitric acid and the fertilisers made from it); category '",
        g->category, "' does not"));
  }
  if (spec.n2o_t) {
    g->n2o_t = *spec.n2o_t;
  } else {
    if (!data_) return absl::InvalidArgumentError(where + "'n2o_meter' needs a data source");
    auto m = MeterTotalT(*site_.FindMeter(spec.n2o_meter), *data_, inv_.period);
    if (!m.ok()) return absl::Status(m.status().code(), where + std::string(m.status().message()));
    g->n2o_t = *m;
  }
  auto gwp = ref_.Get("cbam.const.gwp_n2o_cbam");
  if (!gwp.ok())
    return absl::Status(gwp.status().code(), where + std::string(gwp.status().message()));
  g->gwp_n2o = CbamRefFactor(**gwp, "gwp_n2o");
  g->n2o_tco2e = g->n2o_t * (*gwp)->value;
  g->attributed_direct += g->n2o_tco2e;
  return absl::OkStatus();
}

// Qualifying parameters, the estimated share and, in the definitive period, electricity per
// tonne, the good's own default value and its certificates.
absl::Status Computer::Method(const CbamGoodSpec& spec, const std::string& where, CbamGood* g) {
  if (rules_.definitive || !spec.qualifying.empty()) {
    if (auto s = CbamQualifying(spec, ref_, where, g, &warnings_); !s.ok()) return s;
  }
  CbamEstimated(rules_, g, &warnings_);
  if (!rules_.definitive) {
    for (const char* k : {"free_allocation", "carbon_price_paid"}) {
      if ((std::string(k) == "free_allocation" ? spec.free_allocation : spec.price_paid_cny)
              .value) {
        Warn(absl::StrCat("cbam: good '", g->product, "': '", k,
                          "' applies to the definitive period (from 2026); not used for ",
                          inv_.period.text));
      }
    }
    return absl::OkStatus();
  }
  if (g->activity_t > 0) g->electricity_mwh_per_t = g->electricity_mwh / g->activity_t;
  if (!g->indirect_counted) {
    Warn(absl::StrCat("cbam: good '", g->product, "': indirect emissions of category '",
                      g->category, "' are reported but not counted for certificates (",
                      CbamCategory(ref_, spec.cn_code).scope, ")"));
  }
  return CbamCertificatesOf(c_, spec, where, g, &warnings_);
}

absl::StatusOr<CbamReport> Computer::Run() {
  CbamReport r;
  r.site = inv_.site;
  r.site_name = inv_.site_name;
  r.installation = c_.installation;
  r.country = c_.country;
  r.timezone = inv_.timezone;
  r.period = inv_.period;
  r.data_source = inv_.data_source;
  r.reference_version = inv_.reference_version;
  r.gwp = inv_.gwp;
  auto rules = CbamPeriodRules(inv_.period, inv_.timezone, &warnings_);
  if (!rules.ok()) return rules.status();
  rules_ = *rules;
  r.definitive = rules_.definitive;
  r.year = rules_.year;
  if (c_.goods.empty()) {
    Warn("cbam: the site file declares no [[cbam.good]]; nothing to report");
  }
  if (inv_.gwp != "AR5") {
    Warn(absl::StrCat("cbam: 2023/1773 uses AR5 GWPs; this inventory uses ", inv_.gwp,
                      " (set gwp = \"AR5\" in [site])"));
  }
  auto order = CbamOrder(c_);
  if (!order.ok()) return order.status();
  for (size_t i : *order) {
    CbamGood g;
    if (auto s = Good(c_.goods[i], &g); !s.ok()) return s;
    done_[g.product] = std::move(g);
  }
  for (const auto& spec : c_.goods) r.goods.push_back(done_.at(spec.product));
  r.warnings.assign(warnings_.begin(), warnings_.end());
  return r;
}

}  // namespace

absl::StatusOr<CbamReport> ComputeCbam(const CbamConfig& config, const model::Site& site,
                                       const Inventory& inv, DataSource* data,
                                       const Reference& ref) {
  return Computer(config, site, inv, data, ref).Run();
}

}  // namespace dc::accounting
