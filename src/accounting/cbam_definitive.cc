// CBAM rules by period and the method items of a good: the period's rules, default values
// walking the CN hierarchy with the definitive period's mark-ups, waste-gas corrections,
// qualifying parameters, the estimated share and the certificates (Regulation (EU) 2023/956
// Art. 9, 22 and 31).
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "accounting/cbam.h"
#include "accounting/cbam_internal.h"
#include "accounting/csv.h"
#include "accounting/json_fields.h"
#include "common/strings.h"

namespace dc::accounting {
namespace {

std::string Trimmed(std::string_view s) { return std::string(absl::StripAsciiWhitespace(AV(s))); }

std::optional<double> Num(std::string_view s) {
  double v;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(AV(s)), &v) || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

int YearOf(int64_t t, const std::string& tz) {
  int y = 0;
  (void)absl::SimpleAtoi(ZonedTime(t, tz).substr(0, 4), &y);
  return y;
}

std::string Pct(double fraction) { return absl::StrCat(FormatNumber(fraction * 100), " %"); }

// The mark-up of `sector` for `year` (the row with the largest from_year <= year).
std::optional<Factor> Markup(const Reference& ref, std::string_view sector, int year) {
  auto t = CsvTable::ReadFile(ref.dir() + "/cbam_definitive_markups.csv");
  if (!t.ok()) return std::nullopt;
  std::optional<Factor> out;
  int best = 0;
  for (const auto& row : t->rows()) {
    auto from = Num(t->Get(row, "from_year"));
    auto m = Num(t->Get(row, "markup"));
    if (Trimmed(t->Get(row, "sector")) != sector || !from || !m) continue;
    if (*from <= year && *from > best) {
      best = static_cast<int>(*from);
      out = Factor{"markup",
                   *m,
                   "-",
                   "reference",
                   absl::StrCat("cbam_definitive_markups.", AV(sector), ".", best),
                   Trimmed(t->Get(row, "source")),
                   Trimmed(t->Get(row, "confidence"))};
    }
  }
  return out;
}

// The value 2025/2621 prints for `year` (columns markup_2026.. of cbam_default_values.csv,
// which hold the marked-up values), for a definitive row of `country` and `cn`.
std::optional<double> PublishedValue(const Reference& ref, std::string_view country,
                                     std::string_view cn, int year, std::string* source) {
  auto t = CsvTable::ReadFile(ref.dir() + "/cbam_default_values.csv");
  if (!t.ok()) return std::nullopt;
  std::string col = absl::StrCat("markup_", std::min(year, 2028));
  if (t->Column(col) < 0) return std::nullopt;
  for (const auto& row : t->rows()) {
    if (!absl::StartsWith(Trimmed(t->Get(row, "period")), "definitive") ||
        Trimmed(t->Get(row, "country")) != country || CbamCompact(t->Get(row, "cn_code")) != cn) {
      continue;
    }
    *source = Trimmed(t->Get(row, "source"));
    return Num(t->Get(row, col));
  }
  return std::nullopt;
}

std::string LevelName(size_t digits) {
  return digits >= 8 ? "8-digit CN code" : digits >= 6 ? "6-digit subheading" : "4-digit heading";
}

}  // namespace

CbamCategoryInfo CbamCategory(const Reference& ref, std::string_view cn) {
  auto t = CsvTable::ReadFile(ref.dir() + "/cbam_aggregated_goods.csv");
  if (!t.ok()) return {};
  std::string code = CbamCompact(cn);
  size_t best = 0;
  CbamCategoryInfo out;
  for (const auto& row : t->rows()) {
    for (absl::string_view tok : absl::StrSplit(AV(t->Get(row, "cn_codes")), ',')) {
      std::string s(tok.substr(0, tok.find('(')));
      size_t len = 0;
      if (auto dash = s.find('-'); dash != std::string::npos) {
        std::string a = CbamCompact(s.substr(0, dash)), b = CbamCompact(s.substr(dash + 1));
        std::string h = code.substr(0, 4);
        if (a.size() == 4 && b.size() == 4 && h.size() == 4 && a <= h && h <= b) len = 4;
      } else {
        std::string p = CbamCompact(s);
        while (!p.empty() && p.back() == 'x') p.pop_back();
        if (!p.empty() && absl::StartsWith(code, p)) len = p.size();
      }
      if (len > best) {
        best = len;
        out = {std::string(t->Get(row, "sector")),
               std::string(t->Get(row, "aggregated_goods_category")),
               std::string(t->Get(row, "emissions_in_scope_definitive"))};
      }
    }
  }
  return out;
}

Factor CbamRefFactor(const RefValue& v, std::string name) {
  Factor f;
  f.name = std::move(name);
  f.value = v.value;
  f.unit = v.unit;
  f.source = "reference";
  f.key = v.key;
  f.citation = v.source;
  f.confidence = std::string(ConfidenceName(v.level));
  return f;
}

absl::StatusOr<CbamRules> CbamPeriodRules(const Period& p, const std::string& tz,
                                          std::set<std::string>* warnings) {
  int first = YearOf(p.start, tz), last = YearOf(p.end > p.start ? p.end - 1 : p.end, tz);
  CbamRules r;
  r.year = first;
  r.definitive = first >= 2026;
  if (first <= 2025 && last >= 2026) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cbam: the period ", p.text,
        " spans the transitional period (to 2025-12-31) and the definitive period (from "
        "2026-01-01), whose rules differ: report each part separately"));
  }
  if (r.definitive && last != first) {
    return absl::InvalidArgumentError(
        absl::StrCat("cbam: the period ", p.text, " spans ", first, " and ", last,
                     ": default values carry a mark-up by year, report each year separately"));
  }
  if (ZonedTime(p.start, tz) < "2023-10-01") {
    warnings->insert(absl::StrCat("cbam: the period ", p.text,
                                  " starts before the transitional period (from 2023-10-01)"));
  }
  return r;
}

absl::StatusOr<CbamDefaultValue> CbamLookupDefault(const Reference& ref, std::string_view period,
                                                   std::string_view country, std::string_view cn,
                                                   int year) {
  std::string code = CbamCompact(cn);
  std::vector<std::string> tried;
  CbamDefaultValue out;
  const RefValue* d = nullptr;
  for (size_t len : {size_t{8}, size_t{6}, size_t{4}}) {
    if (code.size() < len && len != 4) continue;
    std::string c = code.substr(0, std::min(len, code.size()));
    if (!tried.empty() && absl::EndsWith(tried.back(), "." + c + ".direct")) continue;
    std::string base = absl::StrCat("cbam.", AV(period), ".", AV(country), ".", c, ".");
    tried.push_back(base + "direct");
    if ((d = ref.Find(base + "direct")) && d->numeric()) {
      out.cn_used = c;
      out.cn_level = LevelName(c.size());
      out.factors.push_back(CbamRefFactor(*d, "see_direct"));
      if (const RefValue* ind = ref.Find(base + "indirect"); ind && ind->numeric()) {
        out.has_indirect = true;
        out.indirect = ind->value;
        out.factors.push_back(CbamRefFactor(*ind, "see_indirect"));
      }
      break;
    }
    d = nullptr;
  }
  if (!d) {
    std::vector<std::string> keys;
    for (const RefValue* v : ref.List(absl::StrCat("cbam.", AV(period)))) keys.push_back(v->key);
    return absl::NotFoundError(absl::StrCat(
        "no CBAM default value \"", tried.front(), "\" in reference ", ref.version(), " (tried ",
        absl::StrJoin(tried, ", "), "; available: ", absl::StrJoin(keys, ", "), ")"));
  }
  out.direct = d->value;
  if (period != "definitive" || year < 2026) return out;
  std::string sector = CbamCategory(ref, out.cn_used).sector;
  std::optional<Factor> m = Markup(ref, sector, year);
  if (!m) {
    return absl::NotFoundError(absl::StrCat(
        "no mark-up of the definitive period for sector '", sector, "' in ", year,
        " in reference/cbam_definitive_markups.csv (Implementing Regulation (EU) 2025/2621): "
        "the default value ",
        d->key, " cannot be used without it; give the supplier's actual values"));
  }
  out.markup = m->value;
  out.factors.push_back(*m);
  std::string src;
  std::optional<double> pub = PublishedValue(ref, country, out.cn_used, year, &src);
  if (pub && !out.has_indirect) {
    out.markup_basis = absl::StrCat("value printed for ", std::min(year, 2028), " (includes +",
                                    Pct(m->value), ") by ", src);
    out.factors.push_back({"see_direct_marked_up", *pub, "tCO2e/t", "reference",
                           absl::StrCat(d->key, ".", std::min(year, 2028)), src, d->confidence});
    out.direct = *pub;
  } else {
    out.markup_basis = absl::StrCat("base value × (1 + ", Pct(m->value), ")");
    out.direct *= 1 + m->value;
    out.indirect *= 1 + m->value;
  }
  return out;
}

absl::Status CbamWasteGasCorrection(const CbamGoodSpec& spec, const Reference& ref,
                                    std::string_view where, CbamGood* g) {
  if (spec.waste_gas.empty()) return absl::OkStatus();
  const RefValue* ef = ref.Find("cbam.const.ef_ng_reference");
  const RefValue* corr = ref.Find("cbam.const.corr_eta_waste_gas");
  if (!ef || !ef->numeric() || !corr || !corr->numeric()) {
    return absl::NotFoundError(
        absl::StrCat(AV(where),
                     "the waste-gas correction needs cbam.const.ef_ng_reference and "
                     "cbam.const.corr_eta_waste_gas in reference ",
                     ref.version()));
  }
  g->ref_waste_gas = {CbamRefFactor(*ef, "EF_NG"), CbamRefFactor(*corr, "Corr_eta")};
  for (const auto& w : spec.waste_gas) {
    CbamWasteGas x{w.direction, w.name, 0, 0, ""};
    x.energy_tj = w.energy_tj ? *w.energy_tj : *w.volume_nm3 * *w.ncv_mj_per_nm3 / 1e6;
    std::string energy = w.energy_tj
                             ? absl::StrCat(FormatNumber(x.energy_tj), " TJ")
                             : absl::StrCat("(", FormatNumber(*w.volume_nm3), " Nm3 × ",
                                            FormatNumber(*w.ncv_mj_per_nm3),
                                            " MJ/Nm3 = ", FormatNumber(x.energy_tj), " TJ)");
    if (w.direction == "exported") {
      x.tco2e = -x.energy_tj * ef->value * corr->value;
      x.formula = absl::StrCat("WG_corr,exp = ", energy, " × EF_NG ", FormatNumber(ef->value),
                               " × Corr_eta ", FormatNumber(corr->value), " (subtracted)");
    } else {
      x.tco2e = x.energy_tj * ef->value;
      x.formula =
          absl::StrCat("WG_corr,imp = ", energy, " × EF_NG ", FormatNumber(ef->value), " (added)");
    }
    g->waste_gas_tco2e += x.tco2e;
    g->waste_gas.push_back(std::move(x));
  }
  g->attributed_direct += g->waste_gas_tco2e;
  return absl::OkStatus();
}

absl::Status CbamQualifying(const CbamGoodSpec& spec, const Reference& ref, std::string_view where,
                            CbamGood* g, std::set<std::string>* warnings) {
  auto t = CsvTable::ReadFile(ref.dir() + "/cbam_qualifying_parameters.csv");
  if (!t.ok()) return t.status();
  std::vector<Factor> known;
  for (const auto& row : t->rows()) {
    if (Trimmed(t->Get(row, "aggregated_goods_category")) != g->category) continue;
    known.push_back({Trimmed(t->Get(row, "parameter")), 0, Trimmed(t->Get(row, "unit")), "",
                     absl::StrCat("cbam_qualifying_parameters.", g->category),
                     Trimmed(t->Get(row, "source")), Trimmed(t->Get(row, "confidence"))});
  }
  for (const auto& q : spec.qualifying) {
    const std::string& name = q.first;
    auto it =
        std::find_if(known.begin(), known.end(), [&](const Factor& f) { return f.name == name; });
    if (it == known.end()) {
      std::vector<std::string> names;
      for (const Factor& f : known) names.push_back(f.name);
      return absl::InvalidArgumentError(absl::StrCat(
          AV(where), "qualifying parameter '", name, "' is not one of category '", g->category,
          "' (known: ", names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
    }
    Factor f = *it;
    f.value = q.second;
    f.source = "site";
    g->qualifying.push_back(f);
  }
  for (Factor f : known) {
    bool given = false;
    for (const Factor& q : g->qualifying) given |= q.name == f.name;
    if (given) continue;
    // The clinker-to-cement ratio follows from the clinker precursors when not given.
    if (f.name == "clinker_to_cement_ratio" && g->activity_t > 0) {
      double clinker = 0;
      for (const auto& p : g->precursors) {
        if (p.category == "Cement clinker") clinker += p.mass_t;
      }
      if (clinker > 0) {
        f.value = clinker / g->activity_t;
        f.source = "formula";
        f.citation = absl::StrCat("Σ clinker precursors ", FormatNumber(clinker), " t / AL ",
                                  FormatNumber(g->activity_t), " t; ", f.citation);
        g->qualifying.push_back(f);
        continue;
      }
    }
    warnings->insert(absl::StrCat("cbam: good '", g->product, "': qualifying parameter '", f.name,
                                  "' (", f.unit, ") of category '", g->category,
                                  "' is not given (key 'qualifying')"));
  }
  return absl::OkStatus();
}

void CbamEstimated(const CbamRules& rules, CbamGood* g, std::set<std::string>* warnings) {
  double total = g->embedded_direct + g->embedded_indirect;
  if (total <= 0) return;
  g->estimated_share = g->estimated_tco2e / total;
  if (*g->estimated_share <= 0.2) return;
  warnings->insert(absl::StrCat(
      "cbam: good '", g->product, "': ", Pct(*g->estimated_share), " (",
      FormatNumber(g->estimated_tco2e),
      " tCO2e) of its embedded emissions are estimated (default "
      "values and values not from measurement), more than the 20 % that Implementing Regulation "
      "(EU) 2023/1773 allows for estimations in complex goods",
      rules.definitive ? " (a transitional-period rule, shown as a flag in the definitive period)"
                       : ""));
}

absl::Status CbamCertificatesOf(const CbamConfig& c, const CbamGoodSpec& spec,
                                std::string_view where, CbamGood* g,
                                std::set<std::string>* warnings) {
  CbamCertificates x;
  x.embedded_tco2e = g->embedded_direct + (g->indirect_counted ? g->embedded_indirect : 0);
  if (spec.free_allocation.value) {
    x.free_allocation_tco2e = *spec.free_allocation.value * g->activity_t;
    x.inputs.push_back({"free_allocation", *spec.free_allocation.value, "tCO2e/t", "site", "",
                        spec.free_allocation.source, ""});
  } else {
    warnings->insert(absl::StrCat(
        "cbam: good '", g->product,
        "': no 'free_allocation_tco2e_per_t' given: the certificates are not adjusted for EU ETS "
        "free allocation (Regulation (EU) 2023/956 Art. 31)"));
  }
  if (c.ets_price_eur.value) {
    x.inputs.push_back({"cbam_certificate_price", *c.ets_price_eur.value, "EUR/tCO2e", "site", "",
                        c.ets_price_eur.source, ""});
  }
  if (spec.price_paid_cny.value) {
    if (!c.cny_per_eur.value || !c.ets_price_eur.value || *c.ets_price_eur.value <= 0 ||
        *c.cny_per_eur.value <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          AV(where),
          "'carbon_price_paid_cny' needs [cbam] 'cny_per_eur' and 'ets_price_eur_per_t' "
          "(> 0, with their sources) to convert it into CBAM certificates"));
    }
    x.price_paid_cny = *spec.price_paid_cny.value;
    x.price_paid_eur = x.price_paid_cny / *c.cny_per_eur.value;
    x.reduction_certificates = x.price_paid_eur / *c.ets_price_eur.value;
    x.inputs.push_back(
        {"carbon_price_paid", x.price_paid_cny, "CNY", "site", "", spec.price_paid_cny.source, ""});
    x.inputs.push_back(
        {"cny_per_eur", *c.cny_per_eur.value, "CNY/EUR", "site", "", c.cny_per_eur.source, ""});
  }
  double n = x.embedded_tco2e - x.free_allocation_tco2e - x.reduction_certificates;
  if (n < 0) {
    warnings->insert(absl::StrCat("cbam: good '", g->product, "': the adjustment and reduction (",
                                  FormatNumber(x.free_allocation_tco2e + x.reduction_certificates),
                                  ") exceed the embedded emissions (",
                                  FormatNumber(x.embedded_tco2e), "): 0 certificates"));
  }
  x.certificates = std::max(0.0, n);
  if (c.ets_price_eur.value) x.price_due_eur = x.certificates * *c.ets_price_eur.value;
  g->certificates = std::move(x);
  return absl::OkStatus();
}

}  // namespace dc::accounting
