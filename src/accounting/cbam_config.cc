// CBAM site-file keys: the [cbam] table and [[cbam.good]] entries (ParseCbamConfig).
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/cbam.h"
#include "accounting/cbam_internal.h"
#include "common/strings.h"
#include "toml++/toml.h"

namespace dc::accounting {
namespace {

// ---------------------------------------------------------------- parsing

model::Pos PosOf(const toml::node& n) {
  return {static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column)};
}

class TableReader {
 public:
  TableReader(std::string_view file, const toml::table& t, std::string what)
      : file_(file), t_(t), what_(std::move(what)) {}

  absl::Status Error(std::string_view key, std::string_view msg) const {
    const toml::node* n = key.empty() ? nullptr : t_.get(key);
    return absl::InvalidArgumentError(absl::StrCat(CbamWhere(file_, n ? PosOf(*n) : PosOf(t_)),
                                                   what_, key.empty() ? "" : " key '", AV(key),
                                                   key.empty() ? "" : "'", ": ", AV(msg)));
  }
  absl::Status String(std::string_view key, std::string* out, bool required = false) {
    used_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (!n) return required ? Error(key, "is required") : absl::OkStatus();
    auto v = n->value<std::string>();
    if (!n->is_string() || !v) return Error(key, "must be a string");
    if (v->empty()) return Error(key, "must not be empty");
    *out = *v;
    return absl::OkStatus();
  }
  absl::Status Number(std::string_view key, std::optional<double>* out) {
    used_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (!n) return absl::OkStatus();
    if (!n->is_number()) return Error(key, "must be a number");
    double v = *n->value<double>();
    if (!std::isfinite(v) || v < 0) return Error(key, "must be a finite number >= 0");
    *out = v;
    return absl::OkStatus();
  }
  absl::Status Bool(std::string_view key, bool* out) {
    used_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (!n) return absl::OkStatus();
    if (!n->is_boolean()) return Error(key, "must be true or false");
    *out = *n->value<bool>();
    return absl::OkStatus();
  }
  // A number `key` and the document it comes from, `source_key` (required with the number).
  absl::Status Sourced(std::string_view key, std::string_view source_key, CbamSourced* out) {
    if (auto s = Number(key, &out->value); !s.ok()) return s;
    if (auto s = String(source_key, &out->source); !s.ok()) return s;
    if (out->value && out->source.empty()) {
      return Error(key, absl::StrCat("needs '", AV(source_key), "' (the document it comes from)"));
    }
    if (!out->value && !out->source.empty()) {
      return Error(source_key, absl::StrCat("is given without '", AV(key), "'"));
    }
    return absl::OkStatus();
  }
  const toml::table* Table(std::string_view key) {
    used_.insert(std::string(key));
    return t_.get_as<toml::table>(key);
  }
  const toml::array* Array(std::string_view key) {
    used_.insert(std::string(key));
    return t_.get_as<toml::array>(key);
  }
  absl::Status CheckUnknown(std::string_view known) const {
    for (auto&& [k, v] : t_) {
      std::string key(k.str());
      if (!used_.count(key)) {
        return absl::InvalidArgumentError(absl::StrCat(CbamWhere(file_, PosOf(v)), what_,
                                                       ": unknown key '", key,
                                                       "' (known: ", AV(known), ")"));
      }
    }
    return absl::OkStatus();
  }
  model::Pos pos() const { return PosOf(t_); }

 private:
  std::string_view file_;
  const toml::table& t_;
  std::string what_;
  std::set<std::string> used_;
};

absl::Status ParsePrecursor(std::string_view file, const toml::table& t, const std::string& what,
                            const model::Site& site, CbamPrecursorSpec* p) {
  TableReader r(file, t, what);
  p->pos = r.pos();
  for (auto s :
       {r.String("product", &p->product), r.String("name", &p->name), r.String("meter", &p->meter),
        r.String("default_cn", &p->default_cn), r.String("default_country", &p->default_country),
        r.String("default_period", &p->default_period), r.Number("t_per_t", &p->t_per_t),
        r.Number("amount_t", &p->amount_t), r.Number("direct_tco2e_per_t", &p->direct_tco2e_per_t),
        r.Number("indirect_tco2e_per_t", &p->indirect_tco2e_per_t),
        r.Bool("estimated", &p->estimated)}) {
    if (!s.ok()) return s;
  }
  if (auto s = r.CheckUnknown(
          "product, name, t_per_t, amount_t, meter, direct_tco2e_per_t, indirect_tco2e_per_t, "
          "default_cn, default_country, default_period, estimated");
      !s.ok()) {
    return s;
  }
  if (p->product.empty() == p->name.empty()) {
    return r.Error("", "give exactly one of 'product' (a good of this site) or 'name' (bought in)");
  }
  int amounts = p->t_per_t.has_value() + p->amount_t.has_value() + !p->meter.empty();
  if (amounts != 1) {
    return r.Error("", "give exactly one of 't_per_t', 'amount_t' or 'meter' (the mass consumed)");
  }
  if (!p->meter.empty()) {
    const model::Meter* m = site.FindMeter(p->meter);
    if (!m) return r.Error("meter", absl::StrCat("no physical meter '", p->meter, "' in the site"));
    if (m->unit != "t" && m->unit != "kg") {
      return r.Error("meter", absl::StrCat("meter '", p->meter, "' is in '", m->unit,
                                           "': a precursor mass needs t or kg"));
    }
    if (m->kind == model::MeterKind::kGauge) {
      return r.Error("meter",
                     absl::StrCat("meter '", p->meter, "' is a gauge: needs counter or interval"));
    }
  }
  bool supplier = p->direct_tco2e_per_t || p->indirect_tco2e_per_t;
  bool dflt = !p->default_cn.empty() || !p->default_country.empty() || !p->default_period.empty();
  if (!p->product.empty()) {
    if (supplier || dflt) {
      return r.Error("",
                     "a precursor produced on site ('product') takes its SEE from its own "
                     "[[cbam.good]]: remove the SEE / default keys");
    }
    return absl::OkStatus();
  }
  if (supplier == dflt) {
    return r.Error("",
                   "a bought-in precursor needs either the supplier's 'direct_tco2e_per_t' "
                   "(and 'indirect_tco2e_per_t') or a default value 'default_cn'");
  }
  if (p->estimated && !supplier) {
    return r.Error("estimated", "applies to the supplier's values (default values are estimated)");
  }
  if (supplier && !p->direct_tco2e_per_t) {
    return r.Error("indirect_tco2e_per_t", "'direct_tco2e_per_t' is required with it");
  }
  if (dflt && p->default_cn.empty()) return r.Error("", "'default_cn' is required");
  if (!p->default_period.empty() && p->default_period != "transitional" &&
      p->default_period != "definitive") {
    return r.Error("default_period", "must be \"transitional\" or \"definitive\"");
  }
  return absl::OkStatus();
}

absl::Status ParseWasteGas(std::string_view file, const toml::table& t, const std::string& what,
                           CbamWasteGasSpec* w) {
  TableReader r(file, t, what);
  w->pos = r.pos();
  for (auto s : {r.String("direction", &w->direction, true), r.String("name", &w->name),
                 r.Number("energy_tj", &w->energy_tj), r.Number("volume_nm3", &w->volume_nm3),
                 r.Number("ncv_mj_per_nm3", &w->ncv_mj_per_nm3)}) {
    if (!s.ok()) return s;
  }
  if (auto s = r.CheckUnknown("direction, name, energy_tj, volume_nm3, ncv_mj_per_nm3"); !s.ok()) {
    return s;
  }
  if (w->direction != "exported" && w->direction != "imported") {
    return r.Error("direction", "must be \"exported\" or \"imported\"");
  }
  bool volume = w->volume_nm3 || w->ncv_mj_per_nm3;
  if (w->energy_tj.has_value() == volume) {
    return r.Error("", "give either 'energy_tj' or 'volume_nm3' with 'ncv_mj_per_nm3'");
  }
  if (volume && !(w->volume_nm3 && w->ncv_mj_per_nm3)) {
    return r.Error("", "'volume_nm3' and 'ncv_mj_per_nm3' go together");
  }
  return absl::OkStatus();
}

// The good's optional method keys: N2O, waste gases, qualifying parameters, estimated
// emissions, free allocation and carbon price paid.
absl::Status ParseGoodMethod(std::string_view file, const toml::table& t, const std::string& what,
                             const model::Site& site, TableReader& r, CbamGoodSpec* g) {
  for (auto s :
       {r.Number("n2o_t", &g->n2o_t), r.String("n2o_meter", &g->n2o_meter),
        r.Number("estimated_tco2e", &g->estimated_tco2e),
        r.Sourced("free_allocation_tco2e_per_t", "free_allocation_source", &g->free_allocation),
        r.Sourced("carbon_price_paid_cny", "carbon_price_paid_source", &g->price_paid_cny)}) {
    if (!s.ok()) return s;
  }
  if (g->n2o_t && !g->n2o_meter.empty()) return r.Error("n2o_meter", "give 'n2o_t' or 'n2o_meter'");
  if (!g->n2o_meter.empty()) {
    const model::Meter* m = site.FindMeter(g->n2o_meter);
    if (!m) return r.Error("n2o_meter", absl::StrCat("no meter '", g->n2o_meter, "' in the site"));
    if ((m->unit != "t" && m->unit != "kg") || m->kind == model::MeterKind::kGauge) {
      return r.Error("n2o_meter", absl::StrCat("meter '", g->n2o_meter,
                                               "' must be a counter or interval meter in t or kg"));
    }
  }
  const toml::node* qn = t.get("qualifying");
  const toml::table* q = r.Table("qualifying");
  if (qn && !q)
    return r.Error("qualifying",
                   "must be a table of numbers, e.g. { clinker_to_cement_ratio = 0.75 }");
  if (q) {
    for (auto&& [k, v] : *q) {
      if (!v.is_number() || !std::isfinite(*v.value<double>()) || *v.value<double>() < 0) {
        return r.Error("qualifying",
                       absl::StrCat("'", AV(k.str()), "' must be a finite number >= 0"));
      }
      g->qualifying.emplace_back(std::string(k.str()), *v.value<double>());
    }
  }
  const toml::node* wn = t.get("waste_gas");
  const toml::array* arr = r.Array("waste_gas");
  if (wn && !arr)
    return r.Error("waste_gas", "must be an array of tables ([[cbam.good.waste_gas]])");
  for (size_t i = 0; arr && i < arr->size(); ++i) {
    const toml::table* wt = (*arr)[i].as_table();
    if (!wt) return r.Error("waste_gas", "must be an array of tables ([[cbam.good.waste_gas]])");
    CbamWasteGasSpec w;
    if (auto s = ParseWasteGas(file, *wt, absl::StrCat(what, " waste_gas ", i + 1), &w); !s.ok()) {
      return s;
    }
    g->waste_gas.push_back(std::move(w));
  }
  return absl::OkStatus();
}

absl::Status ParseGood(std::string_view file, const toml::table& t, size_t index,
                       const model::Site& site, CbamGoodSpec* g) {
  std::string what = absl::StrCat("cbam.good[", index, "]");
  TableReader r(file, t, what);
  g->pos = r.pos();
  if (auto s = r.String("product", &g->product, true); !s.ok()) return s;
  if (auto s = r.String("cn_code", &g->cn_code, true); !s.ok()) return s;
  what = absl::StrCat("cbam.good '", g->product, "'");
  bool known = false;
  for (const auto& p : site.products) known |= p.id == g->product;
  if (!known) {
    std::vector<std::string> ids;
    for (const auto& p : site.products) ids.push_back(p.id);
    return r.Error("product", absl::StrCat("no [[product]] '", g->product, "' in the site (known: ",
                                           ids.empty() ? "none" : absl::StrJoin(ids, ", "), ")"));
  }
  for (char c : g->cn_code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != ' ') {
      return r.Error("cn_code", "must be digits and spaces, e.g. \"2523 10 00\"");
    }
  }
  const toml::node* pn = t.get("precursors");
  const toml::array* arr = r.Array("precursors");
  if (pn && !arr) return r.Error("precursors", "must be an array of tables");
  if (arr) {
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::table* pt = (*arr)[i].as_table();
      if (!pt) return r.Error("precursors", "must be an array of tables");
      CbamPrecursorSpec p;
      if (auto s = ParsePrecursor(file, *pt, absl::StrCat(what, " precursor ", i + 1), site, &p);
          !s.ok()) {
        return s;
      }
      g->precursors.push_back(std::move(p));
    }
  }
  if (auto s = ParseGoodMethod(file, t, what, site, r, g); !s.ok()) return s;
  return r.CheckUnknown(
      "product, cn_code, precursors, n2o_t, n2o_meter, waste_gas, qualifying, estimated_tco2e, "
      "free_allocation_tco2e_per_t, free_allocation_source, carbon_price_paid_cny, "
      "carbon_price_paid_source");
}

}  // namespace

std::string CbamWhere(std::string_view file, model::Pos p) {
  return absl::StrCat(AV(file), ":", p.line, ":", p.column, ": ");
}

absl::StatusOr<std::vector<size_t>> CbamOrder(const CbamConfig& c) {
  std::map<std::string, size_t> idx;
  for (size_t i = 0; i < c.goods.size(); ++i) idx[c.goods[i].product] = i;
  std::vector<int> state(c.goods.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<size_t> out;
  std::vector<std::string> stack;
  std::function<absl::Status(size_t)> visit = [&](size_t i) -> absl::Status {
    if (state[i] == 2) return absl::OkStatus();
    stack.push_back(c.goods[i].product);
    if (state[i] == 1) {
      return absl::InvalidArgumentError(absl::StrCat(CbamWhere(c.file, c.goods[i].pos),
                                                     "cbam: precursor cycle ",
                                                     absl::StrJoin(stack, " → ")));
    }
    state[i] = 1;
    for (const auto& p : c.goods[i].precursors) {
      if (p.product.empty()) continue;
      if (auto s = visit(idx.at(p.product)); !s.ok()) return s;
    }
    state[i] = 2;
    stack.pop_back();
    out.push_back(i);
    return absl::OkStatus();
  };
  for (size_t i = 0; i < c.goods.size(); ++i) {
    if (auto s = visit(i); !s.ok()) return s;
  }
  return out;
}

namespace {

// Every own precursor ('product') must be a [[cbam.good]]: its SEE comes from this report.
absl::Status CheckOwnPrecursors(const CbamConfig& c) {
  std::set<std::string> goods_ids;
  for (const auto& g : c.goods) goods_ids.insert(g.product);
  for (const auto& g : c.goods) {
    for (const auto& p : g.precursors) {
      if (!p.product.empty() && !goods_ids.count(p.product)) {
        return absl::InvalidArgumentError(absl::StrCat(
            CbamWhere(c.file, p.pos), "cbam.good '", g.product, "' precursor key 'product': '",
            p.product, "' is not a [[cbam.good]] of this site (its SEE is needed)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CbamConfig> ParseCbamConfig(std::string_view text, std::string_view file,
                                           const model::Site& site) {
  CbamConfig c;
  c.file = std::string(file);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    model::Pos pos{static_cast<int>(e.source().begin.line),
                   static_cast<int>(e.source().begin.column)};
    return absl::InvalidArgumentError(
        absl::StrCat(CbamWhere(file, pos), "TOML syntax: ", std::string(e.description())));
  }
  const toml::node* n = root.get("cbam");
  if (!n) return c;
  const toml::table* t = n->as_table();
  if (!t) {
    return absl::InvalidArgumentError(
        absl::StrCat(CbamWhere(file, PosOf(*n)), "'cbam' must be a table ([cbam])"));
  }
  TableReader r(file, *t, "cbam");
  c.pos = r.pos();
  std::string period;
  for (auto s : {r.String("installation", &c.installation), r.String("country", &c.country),
                 r.String("default_period", &period),
                 r.Sourced("ets_price_eur_per_t", "ets_price_source", &c.ets_price_eur),
                 r.Sourced("cny_per_eur", "cny_per_eur_source", &c.cny_per_eur)}) {
    if (!s.ok()) return s;
  }
  if (!period.empty()) {
    if (period != "transitional" && period != "definitive") {
      return r.Error("default_period", "must be \"transitional\" or \"definitive\"");
    }
    c.default_period = period;
  }
  const toml::node* gn = t->get("good");
  const toml::array* goods = r.Array("good");
  if (gn && !goods) return r.Error("good", "must be an array of tables ([[cbam.good]])");
  if (auto s = r.CheckUnknown("installation, country, default_period, ets_price_eur_per_t, "
                              "ets_price_source, cny_per_eur, cny_per_eur_source, good");
      !s.ok()) {
    return s;
  }
  if (goods) {
    for (size_t i = 0; i < goods->size(); ++i) {
      const toml::table* gt = (*goods)[i].as_table();
      if (!gt) return r.Error("good", "must be an array of tables ([[cbam.good]])");
      CbamGoodSpec g;
      if (auto s = ParseGood(file, *gt, i + 1, site, &g); !s.ok()) return s;
      for (const auto& other : c.goods) {
        if (other.product == g.product) {
          return absl::InvalidArgumentError(
              absl::StrCat(CbamWhere(file, g.pos), "cbam.good '", g.product,
                           "' is declared twice (first at line ", other.pos.line, ")"));
        }
      }
      c.goods.push_back(std::move(g));
    }
  }
  if (auto st = CheckOwnPrecursors(c); !st.ok()) return st;
  if (auto o = CbamOrder(c); !o.ok()) return o.status();
  return c;
}

}  // namespace dc::accounting
