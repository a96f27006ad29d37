// CBAM specific embedded emissions: site-file keys, computation, JSON/HTML/Markdown output.
#include "accounting/cbam.h"

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "accounting/csv.h"
#include "accounting/json_fields.h"
#include "accounting/report.h"
#include "common/counter.h"
#include "common/strings.h"
#include "common/time.h"
#include "nlohmann/json.hpp"
#include "toml++/toml.h"

namespace dc::accounting {
namespace {

// ---------------------------------------------------------------- parsing

model::Pos PosOf(const toml::node& n) {
  return {static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column)};
}

std::string Where(std::string_view file, model::Pos p) {
  return absl::StrCat(AV(file), ":", p.line, ":", p.column, ": ");
}

// Reads one TOML table with a fixed set of keys; errors name file, position and key.
class TableReader {
 public:
  TableReader(std::string_view file, const toml::table& t, std::string what)
      : file_(file), t_(t), what_(std::move(what)) {}

  absl::Status Error(std::string_view key, std::string_view msg) const {
    const toml::node* n = key.empty() ? nullptr : t_.get(key);
    return absl::InvalidArgumentError(absl::StrCat(Where(file_, n ? PosOf(*n) : PosOf(t_)), what_,
                                                   key.empty() ? "" : " key '", AV(key),
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
  const toml::array* Array(std::string_view key) {
    used_.insert(std::string(key));
    return t_.get_as<toml::array>(key);
  }
  absl::Status CheckUnknown(std::string_view known) const {
    for (auto&& [k, v] : t_) {
      std::string key(k.str());
      if (!used_.count(key)) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(file_, PosOf(v)), what_, ": unknown key '", key, "' (known: ", AV(known), ")"));
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
        r.Number("indirect_tco2e_per_t", &p->indirect_tco2e_per_t)}) {
    if (!s.ok()) return s;
  }
  if (auto s = r.CheckUnknown(
          "product, name, t_per_t, amount_t, meter, direct_tco2e_per_t, indirect_tco2e_per_t, "
          "default_cn, default_country, default_period");
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
  return r.CheckUnknown("product, cn_code, precursors");
}

// Orders goods so that own precursors come first; error on a cycle.
absl::StatusOr<std::vector<size_t>> Order(const CbamConfig& c) {
  std::map<std::string, size_t> idx;
  for (size_t i = 0; i < c.goods.size(); ++i) idx[c.goods[i].product] = i;
  std::vector<int> state(c.goods.size(), 0);  // 0 new, 1 visiting, 2 done
  std::vector<size_t> out;
  std::vector<std::string> stack;
  std::function<absl::Status(size_t)> visit = [&](size_t i) -> absl::Status {
    if (state[i] == 2) return absl::OkStatus();
    stack.push_back(c.goods[i].product);
    if (state[i] == 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(c.file, c.goods[i].pos), "cbam: precursor cycle ", absl::StrJoin(stack, " → ")));
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
        absl::StrCat(Where(file, pos), "TOML syntax: ", std::string(e.description())));
  }
  const toml::node* n = root.get("cbam");
  if (!n) return c;
  const toml::table* t = n->as_table();
  if (!t) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(file, PosOf(*n)), "'cbam' must be a table ([cbam])"));
  }
  TableReader r(file, *t, "cbam");
  c.pos = r.pos();
  std::string period;
  for (auto s : {r.String("installation", &c.installation), r.String("country", &c.country),
                 r.String("default_period", &period)}) {
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
  if (auto s = r.CheckUnknown("installation, country, default_period, good"); !s.ok()) return s;
  if (goods) {
    for (size_t i = 0; i < goods->size(); ++i) {
      const toml::table* gt = (*goods)[i].as_table();
      if (!gt) return r.Error("good", "must be an array of tables ([[cbam.good]])");
      CbamGoodSpec g;
      if (auto s = ParseGood(file, *gt, i + 1, site, &g); !s.ok()) return s;
      for (const auto& other : c.goods) {
        if (other.product == g.product) {
          return absl::InvalidArgumentError(
              absl::StrCat(Where(file, g.pos), "cbam.good '", g.product,
                           "' is declared twice (first at line ", other.pos.line, ")"));
        }
      }
      c.goods.push_back(std::move(g));
    }
  }
  std::set<std::string> goods_ids;
  for (const auto& g : c.goods) goods_ids.insert(g.product);
  for (const auto& g : c.goods) {
    for (const auto& p : g.precursors) {
      if (!p.product.empty() && !goods_ids.count(p.product)) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(file, p.pos), "cbam.good '", g.product, "' precursor key 'product': '", p.product,
            "' is not a [[cbam.good]] of this site (its SEE is needed)"));
      }
    }
  }
  if (auto o = Order(c); !o.ok()) return o.status();
  return c;
}

// ---------------------------------------------------------------- computation

namespace {

std::string Compact(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

// The Annex II aggregated goods category of a CN code (longest matching entry).
std::pair<std::string, std::string> Category(const Reference& ref, std::string_view cn) {
  auto t = CsvTable::ReadFile(ref.dir() + "/cbam_aggregated_goods.csv");
  if (!t.ok()) return {};
  std::string code = Compact(cn);
  size_t best = 0;
  std::pair<std::string, std::string> out;
  for (const auto& row : t->rows()) {
    for (absl::string_view tok : absl::StrSplit(AV(t->Get(row, "cn_codes")), ',')) {
      std::string s(tok.substr(0, tok.find('(')));
      size_t len = 0;
      if (auto dash = s.find('-'); dash != std::string::npos) {
        std::string a = Compact(s.substr(0, dash)), b = Compact(s.substr(dash + 1));
        std::string h = code.substr(0, 4);
        if (a.size() == 4 && b.size() == 4 && h.size() == 4 && a <= h && h <= b) len = 4;
      } else {
        std::string p = Compact(s);
        while (!p.empty() && p.back() == 'x') p.pop_back();
        if (!p.empty() && absl::StartsWith(code, p)) len = p.size();
      }
      if (len > best) {
        best = len;
        out = {std::string(t->Get(row, "sector")),
               std::string(t->Get(row, "aggregated_goods_category"))};
      }
    }
  }
  return out;
}

Factor RefFactorOf(const RefValue& v, std::string name) {
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
  void Warn(std::string w) { warnings_.insert(std::move(w)); }

  const CbamConfig& c_;
  const model::Site& site_;
  const Inventory& inv_;
  DataSource* data_;
  const Reference& ref_;
  std::map<std::string, CbamGood> done_;
  std::set<std::string> warnings_;
};

absl::Status Computer::Direct(const model::Product& prod, const ProductResult& pr, CbamGood* g) {
  std::set<std::string> areas(prod.areas.begin(), prod.areas.end());
  double visible = 0;
  for (const Line& l : inv_.lines) {
    if (l.category != "combustion" && l.category != "process" && l.category != "purchased_heat" &&
        l.category != "exported_heat") {
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
      if (m.flow == "internal" && m.carrier != "electricity" && areas.count(m.area)) {
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
  std::string where = absl::StrCat(Where(c_.file, p.pos), "cbam.good '", spec.product,
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
    out.see_direct = *pg.see_direct;
    out.see_indirect = *pg.see_indirect;
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
    std::string period = p.default_period.empty() ? c_.default_period : p.default_period;
    std::string country = p.default_country.empty() ? c_.country : p.default_country;
    if (period == "transitional" && p.default_country.empty()) country = "global";
    std::string base = absl::StrCat("cbam.", period, ".", country, ".", Compact(p.default_cn), ".");
    auto d = ref_.Get(base + "direct");
    if (!d.ok()) {
      std::vector<std::string> keys;
      for (const RefValue* v : ref_.List("cbam." + period)) keys.push_back(v->key);
      return absl::NotFoundError(absl::StrCat(where, "no CBAM default value \"", base,
                                              "direct\" in reference ", ref_.version(),
                                              " (available: ", absl::StrJoin(keys, ", "), ")"));
    }
    out.see_direct = (*d)->value;
    out.factors.push_back(RefFactorOf(**d, "see_direct"));
    if (const RefValue* ind = ref_.Find(base + "indirect"); ind && ind->numeric()) {
      out.see_indirect = ind->value;
      out.factors.push_back(RefFactorOf(*ind, "see_indirect"));
    } else {
      Warn(absl::StrCat("cbam: precursor '", p.name, "' of '", spec.product, "': default value ",
                        base, "indirect not in the reference library; 0 used"));
    }
    for (const Factor& f : out.factors) {
      if (f.confidence != "high") {
        Warn(absl::StrCat("cbam: precursor '", p.name, "' of '", spec.product, "' uses ", f.key,
                          " = ", FormatNumber(f.value), " tCO2e/t of ", f.confidence,
                          " confidence (", f.citation, ")"));
      }
    }
  }
  out.embedded_direct = out.mass_t * out.see_direct;
  out.embedded_indirect = out.mass_t * out.see_indirect;
  return out;
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
  std::string where = absl::StrCat(Where(c_.file, spec.pos), "cbam.good '", spec.product, "': ");
  if (!prod || !pr) return absl::InvalidArgumentError(where + "not a product of the inventory");
  if (pr->unit != "t" && pr->unit != "kg") {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "output meter '", pr->meter, "' is in '", pr->unit,
                     "': the CBAM activity level needs a mass (t or kg)"));
  }
  g->product = spec.product;
  g->cn_code = spec.cn_code;
  std::tie(g->sector, g->category) = Category(ref_, spec.cn_code);
  if (g->category.empty()) {
    Warn(absl::StrCat("cbam: good '", spec.product, "': CN code ", spec.cn_code,
                      " is not in an aggregated goods category of 2023/1773 Annex II"));
  }
  g->meter = pr->meter;
  g->areas = prod->areas;
  g->activity_t = pr->output * MassFactor(pr->unit);
  // Indirect: net electricity of the good's areas × the inventory's grid factor.
  g->electricity_mwh = pr->electricity_kwh / 1000;
  if (const RefValue* ef = ref_.Find(inv_.grid_key); ef && ef->numeric()) {
    g->ef_electricity = RefFactorOf(*ef, "ef_el");
  } else {
    g->ef_electricity = {
        "ef_el", inv_.grid_tco2_per_mwh, "tCO2/MWh", "reference", inv_.grid_key, "", ""};
  }
  g->ef_electricity.value = inv_.grid_tco2_per_mwh;
  g->attributed_indirect = g->electricity_mwh * inv_.grid_tco2_per_mwh;
  if (g->electricity_mwh < 0) {
    Warn(absl::StrCat("cbam: good '", spec.product,
                      "': net electricity is negative (exports exceed consumption)"));
  }
  if (auto s = Direct(*prod, *pr, g); !s.ok()) return s;
  for (const auto& p : spec.precursors) {
    auto x = Precursor(spec, p, *g);
    if (!x.ok()) return x.status();
    g->precursors_direct += x->embedded_direct;
    g->precursors_indirect += x->embedded_indirect;
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
  // Default values of the good's own CN code, for comparison.
  std::string code = Compact(spec.cn_code);
  for (const RefValue* v : ref_.List("cbam")) {
    std::vector<std::string> parts = absl::StrSplit(v->key, '.');
    if (parts.size() == 5 && parts[1] != "const" && parts[1] != "benchmark" &&
        absl::StartsWith(code, parts[3]) && v->numeric()) {
      g->default_values.push_back(RefFactorOf(*v, parts[4]));
    }
  }
  return absl::OkStatus();
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
  if (c_.goods.empty()) {
    Warn("cbam: the site file declares no [[cbam.good]]; nothing to report");
  }
  if (inv_.gwp != "AR5") {
    Warn(absl::StrCat("cbam: 2023/1773 uses AR5 GWPs; this inventory uses ", inv_.gwp,
                      " (set gwp = \"AR5\" in [site])"));
  }
  auto order = Order(c_);
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

// ---------------------------------------------------------------- output

namespace {

using Json = nlohmann::ordered_json;
Json N(double v) { return NumberJson(v); }
Json N(const std::optional<double>& v) { return NumberJson(v); }
std::string Zoned(int64_t t, const std::string& tz) { return ZonedTime(t, tz); }

constexpr const char* kSeeDir = "SEE_dir = (AttrEm_dir + Σ M_i × SEE_dir,i) / AL";
constexpr const char* kSeeInd = "SEE_indir = (E_el × EF_el + Σ M_i × SEE_indir,i) / AL";
constexpr const char* kMethod =
    "Commission Implementing Regulation (EU) 2023/1773, Annex III (transitional period): "
    "AttrEm_dir = DirEm + Em_H,imp − Em_H,exp (the good's share of the inventory's scope 1 and "
    "heat lines); AttrEm_indir = E_el,cons × EF_el (grid factor of the inventory); SEE = (AttrEm + "
    "Σ M_i × SEE_i) / AL, direct and indirect separately";

Json GoodJson(const CbamGood& g) {
  Json j = {{"product", g.product},
            {"cn_code", g.cn_code},
            {"sector", g.sector},
            {"aggregated_goods_category", g.category},
            {"activity_level", {{"amount", N(g.activity_t)}, {"unit", "t"}, {"meter", g.meter}}},
            {"areas", g.areas}};
  Json lines = Json::array();
  for (const Line& l : g.direct_lines) {
    Json x = {{"source", l.source},   {"category", l.category},
              {"area", l.area},       {"activity", {{"amount", N(l.amount)}, {"unit", l.unit}}},
              {"formula", l.formula}, {"tco2e", N(l.tco2e)}};
    x["factors"] = Json::array();
    for (const Factor& f : l.factors) x["factors"].push_back(FactorJson(f));
    lines.push_back(x);
  }
  j["direct"] = {
      {"attributed_tco2e", N(g.attributed_direct)},
      {"lines", lines},
      {"internal_submeters", {{"tco2e", N(g.internal_tco2e)}, {"meters", g.internal_meters}}},
      {"precursors_tco2e", N(g.precursors_direct)},
      {"embedded_tco2e", N(g.embedded_direct)},
      {"see_tco2e_per_t", N(g.see_direct)},
      {"formula", kSeeDir}};
  j["indirect"] = {{"electricity_mwh", N(g.electricity_mwh)},
                   {"ef_electricity", FactorJson(g.ef_electricity)},
                   {"attributed_tco2e", N(g.attributed_indirect)},
                   {"precursors_tco2e", N(g.precursors_indirect)},
                   {"embedded_tco2e", N(g.embedded_indirect)},
                   {"see_tco2e_per_t", N(g.see_indirect)},
                   {"formula", kSeeInd}};
  Json pre = Json::array();
  for (const auto& p : g.precursors) {
    Json x = {{"id", p.id},
              {"origin", p.origin},
              {"mass_t", N(p.mass_t)},
              {"mass_basis", p.mass_basis},
              {"see_direct", N(p.see_direct)},
              {"see_indirect", N(p.see_indirect)},
              {"embedded_direct_tco2e", N(p.embedded_direct)},
              {"embedded_indirect_tco2e", N(p.embedded_indirect)}};
    x["factors"] = Json::array();
    for (const Factor& f : p.factors) x["factors"].push_back(FactorJson(f));
    pre.push_back(x);
  }
  j["precursors"] = pre;
  j["see_total_tco2e_per_t"] = N(g.see_total);
  j["default_values"] = Json::array();
  for (const Factor& f : g.default_values) j["default_values"].push_back(FactorJson(f));
  return j;
}

}  // namespace

std::string CbamToJson(const CbamReport& r) {
  Json j;
  j["site"] = r.site;
  j["site_name"] = r.site_name;
  j["installation"] = r.installation;
  j["country"] = r.country;
  j["period"] = {{"start", Zoned(r.period.start, r.timezone)},
                 {"end", Zoned(r.period.end, r.timezone)},
                 {"text", r.period.text},
                 {"timezone", r.timezone}};
  j["reference"] = {{"version", r.reference_version}, {"gwp", r.gwp}};
  j["data_source"] = r.data_source;
  j["method"] = kMethod;
  j["goods"] = Json::array();
  for (const auto& g : r.goods) j["goods"].push_back(GoodJson(g));
  j["warnings"] = r.warnings;
  return j.dump(2) + "\n";
}

namespace {

DocCell T(std::string s) { return DocCell{std::move(s), false, false}; }
DocCell Opt(const std::optional<double>& v) { return v ? NumCell(*v) : DocCell{"—", true, false}; }

std::string FactorText(const Factor& f) {
  std::string s = absl::StrCat(f.name, " = ", FormatNumber(f.value), " ", f.unit, " (", f.source);
  if (!f.key.empty()) absl::StrAppend(&s, ", ", f.key);
  if (!f.confidence.empty()) absl::StrAppend(&s, ", confidence ", f.confidence);
  if (!f.citation.empty()) absl::StrAppend(&s, ", ", f.citation);
  return s + ")";
}

Doc CbamDoc(const CbamReport& r) {
  Doc d;
  d.title = "CBAM 内含排放报告 CBAM Embedded Emissions Report";
  d.subtitle = absl::StrCat(r.site_name, " (", r.site, ") · ", r.period.text);
  d.Heading("基本信息 General information");
  d.Table({"项目 Item", "内容 Value"},
          {{T("设施 Installation"), T(r.installation.empty() ? r.site_name : r.installation)},
           {T("原产国 Country of origin"), T(r.country)},
           {T("报告期 Reporting period"),
            T(absl::StrCat(Zoned(r.period.start, r.timezone), " – ",
                           Zoned(r.period.end, r.timezone), " (", r.period.text, ")"))},
           {T("数据来源 Data source"), T(r.data_source)},
           {T("参考库版本 Reference version"), T(r.reference_version)},
           {T("全球增温潜势 GWP set"), T(r.gwp)}});
  d.Paragraph(absl::StrCat("方法 Method: ", kMethod, "."));

  d.Heading("汇总 Summary (tCO2e/t)");
  std::vector<std::vector<DocCell>> rows;
  for (const auto& g : r.goods) {
    rows.push_back({T(g.product), T(g.cn_code), T(g.category), NumCell(g.activity_t),
                    Opt(g.see_direct), Opt(g.see_indirect), Opt(g.see_total)});
  }
  d.Table({"产品 Good", "CN 编码 CN code", "类别 Category", "产量 AL (t)", "直接 SEE direct",
           "间接 SEE indirect", "合计 SEE total"},
          std::move(rows));

  for (const auto& g : r.goods) {
    d.Heading(absl::StrCat("产品 Good: ", g.product, " (CN ", g.cn_code, ")"));
    d.Table({"项目 Item", "直接 Direct (tCO2e)", "间接 Indirect (tCO2e)"},
            {{T("归属排放 Attributed emissions AttrEm"), NumCell(g.attributed_direct),
              NumCell(g.attributed_indirect)},
             {T("前体内含排放 Precursors Σ M_i × SEE_i"), NumCell(g.precursors_direct),
              NumCell(g.precursors_indirect)},
             {T("内含排放 Embedded emissions"), NumCell(g.embedded_direct),
              NumCell(g.embedded_indirect)},
             {T("产量 Activity level AL (t)"), NumCell(g.activity_t), NumCell(g.activity_t)},
             {T("比内含排放 SEE (tCO2e/t)"), Opt(g.see_direct), Opt(g.see_indirect)}});
    d.Paragraph(absl::StrCat("系统边界 System boundary: ",
                             g.areas.empty() ? "全厂 whole site" : absl::StrJoin(g.areas, ", "),
                             "; 产量计量 output meter ", g.meter, ". ", kSeeDir, "; ", kSeeInd,
                             "."));
    d.Heading("直接排放明细 Direct emissions: ledger lines", 3);
    rows.clear();
    for (const Line& l : g.direct_lines) {
      std::vector<std::string> fs;
      for (const Factor& f : l.factors) fs.push_back(FactorText(f));
      rows.push_back({T(l.source), T(l.category), T(l.area), NumCell(l.amount), T(l.unit),
                      T(l.formula), T(absl::StrJoin(fs, "; ")), NumCell(l.tco2e)});
    }
    if (g.internal_tco2e != 0) {
      rows.push_back({T("internal sub-meters"), T("internal"), T(""), T(""), T(""), T(""),
                      T(absl::StrJoin(g.internal_meters, ", ")), NumCell(g.internal_tco2e, true)});
    }
    d.Table({"排放源 Source", "类别 Category", "区域 Area", "活动数据 Activity", "单位 Unit",
             "公式 Formula", "因子 Factors", "tCO2e"},
            std::move(rows));
    d.Heading("间接排放 Indirect emissions: electricity", 3);
    d.Table({"电力消费 Electricity (MWh)", "排放因子 EF_el", "tCO2e"},
            {{NumCell(g.electricity_mwh), T(FactorText(g.ef_electricity)),
              NumCell(g.attributed_indirect)}});
    if (!g.precursors.empty()) {
      d.Heading("前体 Precursors", 3);
      rows.clear();
      for (const auto& p : g.precursors) {
        std::vector<std::string> fs;
        for (const Factor& f : p.factors) fs.push_back(FactorText(f));
        bool low = false;
        for (const Factor& f : p.factors) low |= f.confidence == "low";
        rows.push_back(
            {T(p.id), T(p.origin), NumCell(p.mass_t), T(p.mass_basis), NumCell(p.see_direct, low),
             NumCell(p.see_indirect, low), NumCell(p.embedded_direct), NumCell(p.embedded_indirect),
             T(fs.empty() ? "SEE of the good in this report" : absl::StrJoin(fs, "; "))});
      }
      d.Table({"前体 Precursor", "来源 Origin", "质量 M_i (t)", "依据 Basis", "SEE direct",
               "SEE indirect", "直接 Direct (tCO2e)", "间接 Indirect (tCO2e)", "证据 Evidence"},
              std::move(rows));
    }
    if (!g.default_values.empty()) {
      d.Heading("缺省值对照 CBAM default values for comparison", 3);
      rows.clear();
      for (const Factor& f : g.default_values) {
        rows.push_back({T(f.key), NumCell(f.value), T(f.unit),
                        DocCell{f.confidence, false, f.confidence == "low"}, T(f.citation)});
      }
      d.Table({"参考键 Key", "数值 Value", "单位 Unit", "可信度 Confidence", "出处 Source"},
              std::move(rows));
    }
  }
  d.Heading("提示 Warnings");
  if (r.warnings.empty()) {
    d.Paragraph("无 None");
  } else {
    d.List(r.warnings);
  }
  return d;
}

}  // namespace

std::string CbamToHtml(const CbamReport& r) { return RenderHtml(CbamDoc(r)); }
std::string CbamToMarkdown(const CbamReport& r) { return RenderMarkdown(CbamDoc(r)); }

}  // namespace dc::accounting
