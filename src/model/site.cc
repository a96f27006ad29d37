#include "model/site.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "toml++/toml.h"

namespace dc::model {
namespace {

Pos PosOf(const toml::source_region& r) {
  return Pos{static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

struct MethodSchema {
  std::vector<std::string> required_meters, optional_meters, required_numbers, optional_numbers,
      strings;
  bool items = false;  // inputs/outputs arrays allowed
};

const std::map<std::string, MethodSchema, std::less<>>& Schemas() {
  static const auto* m = new std::map<std::string, MethodSchema, std::less<>>{
      {"cement_clinker",
       {{"clinker_meter"},
        {"kiln_dust_meter", "bypass_dust_meter"},
        {"cao", "mgo"},
        {"cao_non_carbonate", "mgo_non_carbonate"},
        {},
        false}},
      {"cement_raw_meal", {{"raw_meal_meter"}, {}, {"organic_carbon"}, {}, {}, false}},
      {"carbonate",
       {{}, {"meter"}, {}, {"purity", "fraction", "ef_tco2_per_t"}, {"material"}, true}},
      {"glass_carbonates",
       {{},
        {"meter", "carbon_powder_meter"},
        {},
        {"purity", "fraction", "ef_tco2_per_t", "carbon_content"},
        {"material"},
        true}},
      {"steel_carbon_balance", {{}, {}, {}, {}, {}, true}},
      {"aluminium_anode",
       {{"production_meter"},
        {},
        {},
        {"net_anode_t_per_t", "sulfur", "ash", "ef_tco2_per_t"},
        {},
        false}},
      {"aluminium_pfc",
       {{"production_meter"},
        {},
        {},
        {"anode_effect_minutes_per_cell_day", "ef_cf4_kg_per_t", "ef_c2f6_kg_per_t"},
        {},
        false}},
  };
  return *m;
}

// Reads one table of the file with positions and type checks.
class Reader {
 public:
  Reader(Site* site, const toml::table& t, std::string what)
      : site_(site), t_(t), what_(std::move(what)) {
    pos_.table = PosOf(t.source());
    for (auto&& [k, v] : t) pos_.keys[std::string(k.str())] = PosOf(v.source());
  }

  absl::Status Error(std::string_view key, std::string_view msg) const {
    Pos p = key.empty() ? pos_.table : pos_.of(key);
    return absl::InvalidArgumentError(
        absl::StrCat(site_->Where(p), what_,
                     key.empty() ? "" : absl::StrCat(" field '", AV(key), "'"), ": ", AV(msg)));
  }

  absl::Status String(std::string_view key, std::string* out, bool required) {
    used_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (!n) return required ? Error(key, "required (missing)") : absl::OkStatus();
    auto v = n->value<std::string>();
    if (!v) return Error(key, "must be a string");
    *out = *v;
    return absl::OkStatus();
  }
  absl::Status Number(std::string_view key, std::optional<double>* out, bool required) {
    used_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (!n) return required ? Error(key, "required (missing)") : absl::OkStatus();
    if (!n->is_number()) return Error(key, "must be a number");
    double v = *n->value<double>();
    if (!std::isfinite(v)) return Error(key, "must be finite");
    *out = v;
    return absl::OkStatus();
  }
  absl::Status Fraction(std::string_view key, std::optional<double>* out) {
    if (auto s = Number(key, out, false); !s.ok()) return s;
    if (*out && (**out < 0 || **out > 1)) {
      return Error(key,
                   absl::StrCat("must be a fraction between 0 and 1 (0.98 = 98 %), got ", **out));
    }
    return absl::OkStatus();
  }
  absl::Status Positive(std::string_view key, std::optional<double>* out) {
    if (auto s = Number(key, out, false); !s.ok()) return s;
    if (*out && !(**out > 0)) return Error(key, absl::StrCat("must be > 0, got ", **out));
    return absl::OkStatus();
  }
  absl::Status OneOf(std::string_view key, std::string* out, std::vector<std::string_view> allowed,
                     bool required) {
    if (auto s = String(key, out, required); !s.ok()) return s;
    if (!required && out->empty()) return absl::OkStatus();
    if (std::find(allowed.begin(), allowed.end(), *out) == allowed.end()) {
      return Error(
          key, absl::StrCat(
                   "\"", *out, "\" is not one of: ",
                   absl::StrJoin(std::vector<std::string>(allowed.begin(), allowed.end()), ", ")));
    }
    return absl::OkStatus();
  }
  absl::Status Id(std::string_view key, std::string* out) {
    if (auto s = String(key, out, true); !s.ok()) return s;
    if (out->empty()) return Error(key, "must not be empty");
    for (char c : *out) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                (c >= 'A' && c <= 'Z') || c == '.';
      if (!ok)
        return Error(
            key, absl::StrCat("\"", *out, "\" may only contain letters, digits, '_', '-', '.'"));
    }
    return absl::OkStatus();
  }
  void Use(std::string_view key) { used_.insert(std::string(key)); }
  // Unknown keys are reported as warnings (the format may grow; typos should be visible).
  void WarnUnknown() {
    for (auto&& [k, v] : t_) {
      std::string key(k.str());
      if (!used_.count(key)) {
        site_->warnings.push_back(
            absl::StrCat(site_->Where(pos_.of(key)), what_, ": unknown key '", key, "' ignored"));
      }
    }
  }
  const Positions& pos() const { return pos_; }
  const toml::table& table() const { return t_; }

 private:
  Site* site_;
  const toml::table& t_;
  std::string what_;
  Positions pos_;
  std::set<std::string> used_;
};

// Calls fn(table, index) for each table of the array `key` in `root`.
template <typename Fn>
absl::Status EachTable(Site* site, const toml::table& root, std::string_view key, Fn fn) {
  const toml::node* n = root.get(key);
  if (!n) return absl::OkStatus();
  const toml::array* arr = n->as_array();
  if (!arr) {
    return absl::InvalidArgumentError(absl::StrCat(site->Where(PosOf(n->source())), "'", AV(key),
                                                   "' must be an array of tables ([[", AV(key),
                                                   "]])"));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    if (!t) {
      return absl::InvalidArgumentError(absl::StrCat(site->Where(PosOf((*arr)[i].source())), "'",
                                                     AV(key), "' entries must be tables"));
    }
    if (auto s = fn(*t, i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParseSiteTable(Site* site, const toml::table& root) {
  const toml::node* n = root.get("site");
  if (!n || !n->as_table()) {
    return absl::InvalidArgumentError(absl::StrCat(site->file, ": missing [site] table"));
  }
  Reader r(site, *n->as_table(), "[site]");
  if (auto s = r.Id("id", &site->id); !s.ok()) return s;
  for (char c : site->id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return r.Error("id", absl::StrCat("\"", site->id, "\" must match [a-z0-9_-]+"));
    }
  }
  absl::Status s = r.String("name", &site->name, false);
  if (s.ok()) s = r.String("timezone", &site->timezone, false);
  if (s.ok())
    s = r.OneOf("sector", &site->sector,
                {"cement", "steel", "aluminium", "flat_glass", "chemical", "generic"}, false);
  if (s.ok()) s = r.String("grid_region", &site->grid_region, false);
  if (s.ok()) s = r.OneOf("gwp", &site->gwp, {"SAR", "AR4", "AR5", "AR6"}, false);
  if (s.ok()) s = r.OneOf("fuel_table", &site->fuel_table, {"A", "B", "C"}, false);
  if (s.ok())
    s = r.OneOf("electricity_tce", &site->electricity_tce, {"calorific", "equal_value"}, false);
  if (s.ok())
    s = r.Positive("electricity_coal_rate_gce_per_kwh", &site->electricity_coal_rate_gce_per_kwh);
  if (!s.ok()) return s;
  std::optional<double> year;
  if (auto s2 = r.Number("grid_year", &year, false); !s2.ok()) return s2;
  if (year) {
    if (*year != std::floor(*year) || *year < 1990 || *year > 2100) {
      return r.Error("grid_year", "must be a year like 2022");
    }
    site->grid_year = static_cast<int>(*year);
  }
  site->pos = r.pos();
  r.WarnUnknown();
  return absl::OkStatus();
}

absl::Status ParseLab(Site* site, Meter* m, const toml::table& t) {
  LabValue lab;
  Reader r(site, t, absl::StrCat("meter '", m->id, "' [[meter.lab]]"));
  absl::Status s = r.String("period", &lab.period, true);
  if (s.ok()) s = r.Positive("ncv_gj_per_t", &lab.ncv_gj_per_t);
  if (s.ok()) s = r.Positive("ncv_gj_per_10k_nm3", &lab.ncv_gj_per_10k_nm3);
  if (s.ok()) s = r.Positive("carbon_tc_per_gj", &lab.carbon_tc_per_gj);
  if (s.ok()) s = r.Fraction("oxidation", &lab.oxidation);
  if (!s.ok()) return s;
  lab.pos = r.pos();
  r.WarnUnknown();
  m->lab.push_back(std::move(lab));
  return absl::OkStatus();
}

absl::Status ParseMeter(Site* site, const toml::table& t, size_t i) {
  Meter m;
  m.site = site->id;
  Reader r(site, t, absl::StrCat("[[meter]] #", i + 1));
  if (auto s = r.Id("id", &m.id); !s.ok()) return s;
  Reader rm(site, t, absl::StrCat("meter '", m.id, "'"));
  rm.Use("id");
  absl::Status s = rm.String("carrier", &m.carrier, true);
  if (s.ok()) s = rm.OneOf("kind", &m.kind, {"counter", "interval", "gauge"}, true);
  if (s.ok()) s = rm.String("unit", &m.unit, true);
  if (s.ok())
    s = rm.OneOf("flow", &m.flow, {"purchased", "exported", "generated", "internal"}, false);
  if (s.ok()) s = rm.String("area", &m.area, false);
  if (s.ok()) s = rm.String("series", &m.series, false);
  std::optional<double> rollover;
  if (s.ok()) s = rm.Positive("rollover", &rollover);
  if (s.ok()) s = rm.Positive("ncv_gj_per_t", &m.ncv_gj_per_t);
  if (s.ok()) s = rm.Positive("ncv_gj_per_10k_nm3", &m.ncv_gj_per_10k_nm3);
  if (s.ok()) s = rm.Positive("carbon_tc_per_gj", &m.carbon_tc_per_gj);
  if (s.ok()) s = rm.Fraction("oxidation", &m.oxidation);
  if (s.ok()) s = rm.Positive("enthalpy_kj_per_kg", &m.enthalpy_kj_per_kg);
  if (s.ok()) s = rm.Number("temperature_c", &m.temperature_c, false);
  if (!s.ok()) return s;
  if (m.flow.empty()) m.flow = "purchased";
  if (m.unit.empty()) return rm.Error("unit", "must not be empty");
  if (rollover) {
    if (m.kind != "counter") return rm.Error("rollover", "only a counter can roll over");
    m.rollover = *rollover;
  }
  if (!m.series.empty()) {
    auto key = CanonicalSeriesKey(m.series);
    if (!key.ok()) return rm.Error("series", SV(key.status().message()));
    m.series = *key;
  }
  m.pos = rm.pos();
  rm.Use("lab");
  rm.WarnUnknown();
  if (auto s2 = EachTable(site, t, "lab",
                          [&](const toml::table& lt, size_t) { return ParseLab(site, &m, lt); });
      !s2.ok()) {
    return s2;
  }
  site->meters.push_back(std::move(m));
  return absl::OkStatus();
}

absl::Status ParseVirtual(Site* site, const toml::table& t, size_t i) {
  VirtualMeter v;
  Reader r(site, t, absl::StrCat("[[virtual_meter]] #", i + 1));
  if (auto s = r.Id("id", &v.id); !s.ok()) return s;
  Reader rv(site, t, absl::StrCat("virtual_meter '", v.id, "'"));
  rv.Use("id");
  std::string formula;
  absl::Status s = rv.String("formula", &formula, true);
  if (s.ok()) s = rv.String("carrier", &v.carrier, false);
  if (s.ok()) s = rv.String("unit", &v.unit, false);
  if (s.ok())
    s = rv.OneOf("flow", &v.flow, {"purchased", "exported", "generated", "internal"}, false);
  if (s.ok()) s = rv.String("area", &v.area, false);
  if (!s.ok()) return s;
  auto f = Formula::Parse(formula);
  if (!f.ok()) return rv.Error("formula", SV(f.status().message()));
  v.formula = std::move(*f);
  if (v.flow.empty()) v.flow = "internal";
  if (v.carrier.empty()) v.carrier = "product";
  v.pos = rv.pos();
  rv.WarnUnknown();
  site->virtual_meters.push_back(std::move(v));
  return absl::OkStatus();
}

absl::Status ParseProduct(Site* site, const toml::table& t, size_t i) {
  Product p;
  Reader r(site, t, absl::StrCat("[[product]] #", i + 1));
  if (auto s = r.Id("id", &p.id); !s.ok()) return s;
  Reader rp(site, t, absl::StrCat("product '", p.id, "'"));
  rp.Use("id");
  absl::Status s = rp.String("meter", &p.meter, true);
  if (s.ok()) s = rp.String("benchmark", &p.benchmark, false);
  if (!s.ok()) return s;
  rp.Use("areas");
  if (const toml::node* a = t.get("areas")) {
    const toml::array* arr = a->as_array();
    if (!arr) return rp.Error("areas", "must be an array of strings");
    for (const auto& e : *arr) {
      auto v = e.value<std::string>();
      if (!v) return rp.Error("areas", "must be an array of strings");
      p.areas.push_back(*v);
    }
  }
  p.pos = rp.pos();
  rp.WarnUnknown();
  site->products.push_back(std::move(p));
  return absl::OkStatus();
}

absl::Status ParseItem(Site* site, const std::string& what, const toml::table& t,
                       ProcessItem* item) {
  Reader r(site, t, what);
  absl::Status s = r.String("meter", &item->meter, true);
  if (s.ok()) s = r.String("material", &item->material, false);
  if (s.ok()) s = r.Fraction("purity", &item->purity);
  if (s.ok()) s = r.Fraction("fraction", &item->fraction);
  if (s.ok()) s = r.Positive("ef_tco2_per_t", &item->ef_tco2_per_t);
  if (s.ok()) s = r.Fraction("carbon_content", &item->carbon_content);
  if (!s.ok()) return s;
  item->pos = r.pos();
  r.WarnUnknown();
  return absl::OkStatus();
}

absl::Status ParseProcess(Site* site, const toml::table& t, size_t i) {
  Process p;
  Reader r(site, t, absl::StrCat("[[process]] #", i + 1));
  if (auto s = r.String("method", &p.method, true); !s.ok()) return s;
  auto schema = Schemas().find(p.method);
  if (schema == Schemas().end()) {
    return r.Error("method", absl::StrCat("unknown method \"", p.method,
                                          "\"; known: ", absl::StrJoin(ProcessMethods(), ", ")));
  }
  if (auto s = r.String("id", &p.id, false); !s.ok()) return s;
  if (p.id.empty()) p.id = absl::StrCat(p.method, "-", i + 1);
  if (auto s = r.String("area", &p.area, false); !s.ok()) return s;
  const MethodSchema& m = schema->second;
  std::string what = absl::StrCat("process '", p.id, "'");
  for (const auto& key : m.required_meters) {
    if (auto s = r.String(key, &p.meters[key], true); !s.ok()) return s;
  }
  for (const auto& key : m.optional_meters) {
    std::string v;
    if (auto s = r.String(key, &v, false); !s.ok()) return s;
    if (!v.empty()) p.meters[key] = v;
  }
  for (const auto& key : m.required_numbers) {
    std::optional<double> v;
    if (auto s = r.Fraction(key, &v); !s.ok()) return s;
    if (!v) return r.Error(key, "required (missing)");
    p.numbers[key] = *v;
  }
  for (const auto& key : m.optional_numbers) {
    std::optional<double> v;
    bool fraction = key != "ef_tco2_per_t" && key != "net_anode_t_per_t" &&
                    key != "anode_effect_minutes_per_cell_day" && !absl::StartsWith(key, "ef_");
    absl::Status s = fraction ? r.Fraction(key, &v) : r.Number(key, &v, false);
    if (!s.ok()) return s;
    if (v && *v < 0) return r.Error(key, "must not be negative");
    if (v) p.numbers[key] = *v;
  }
  for (const auto& key : m.strings) {
    std::string v;
    if (auto s = r.String(key, &v, false); !s.ok()) return s;
    if (!v.empty()) p.strings[key] = v;
  }
  if (m.items) {
    for (std::string_view list : {"inputs", "outputs"}) {
      r.Use(list);
      auto* items = list == "inputs" ? &p.inputs : &p.outputs;
      auto s = EachTable(site, t, list, [&](const toml::table& it, size_t k) {
        ProcessItem item;
        auto st = ParseItem(site, absl::StrCat(what, " ", AV(list), "[", k, "]"), it, &item);
        if (st.ok()) items->push_back(std::move(item));
        return st;
      });
      if (!s.ok()) return s;
    }
    // A single item written inline (meter/material/purity/fraction on the process table).
    if (auto mt = p.meters.find("meter"); mt != p.meters.end()) {
      ProcessItem item;
      item.meter = mt->second;
      if (auto x = p.strings.find("material"); x != p.strings.end()) item.material = x->second;
      for (auto [key, dst] :
           {std::pair<std::string_view, std::optional<double>*>{"purity", &item.purity},
            {"fraction", &item.fraction},
            {"ef_tco2_per_t", &item.ef_tco2_per_t}}) {
        if (auto x = p.numbers.find(key); x != p.numbers.end()) *dst = x->second;
      }
      item.pos = r.pos();
      p.inputs.insert(p.inputs.begin(), std::move(item));
    }
    if (p.inputs.empty() && p.outputs.empty() && !p.meters.count("carbon_powder_meter")) {
      return r.Error("inputs",
                     "required: a meter (meter = ..., material = ...) or [[process.inputs]]");
    }
  }
  p.pos = r.pos();
  r.WarnUnknown();
  site->processes.push_back(std::move(p));
  return absl::OkStatus();
}

// Cross-references: unique ids, references to meters, formula cycles.
absl::Status CheckReferences(const Site& site) {
  std::map<std::string, Pos> seen;
  auto unique = [&](const std::string& id, const Positions& pos,
                    std::string_view what) -> absl::Status {
    auto [it, fresh] = seen.emplace(id, pos.of("id"));
    if (!fresh) {
      return absl::InvalidArgumentError(
          absl::StrCat(site.Where(pos.of("id")), AV(what), " field 'id': \"", id,
                       "\" already defined at line ", it->second.line));
    }
    return absl::OkStatus();
  };
  for (const auto& m : site.meters) {
    if (auto s = unique(m.id, m.pos, "[[meter]]"); !s.ok()) return s;
  }
  for (const auto& v : site.virtual_meters) {
    if (auto s = unique(v.id, v.pos, "[[virtual_meter]]"); !s.ok()) return s;
  }
  auto known = [&](const std::string& id, Pos p, std::string_view what) -> absl::Status {
    if (site.HasMeter(id)) return absl::OkStatus();
    std::vector<std::string> ids;
    for (const auto& m : site.meters) ids.push_back(m.id);
    for (const auto& v : site.virtual_meters) ids.push_back(v.id);
    return absl::InvalidArgumentError(absl::StrCat(site.Where(p), AV(what), ": unknown meter \"",
                                                   id, "\" (meters: ", absl::StrJoin(ids, ", "),
                                                   ")"));
  };
  for (const auto& v : site.virtual_meters) {
    for (const auto& ref : v.formula.Refs()) {
      if (auto s = known(ref, v.pos.of("formula"),
                         absl::StrCat("virtual_meter '", v.id, "' field 'formula'"));
          !s.ok()) {
        return s;
      }
    }
  }
  // Cycles among virtual meters (depth-first search).
  std::map<std::string, int> state;  // 1 visiting, 2 done
  std::function<absl::Status(const VirtualMeter&)> visit =
      [&](const VirtualMeter& v) -> absl::Status {
    state[v.id] = 1;
    for (const auto& ref : v.formula.Refs()) {
      const VirtualMeter* w = site.FindVirtual(ref);
      if (!w) continue;
      if (state[ref] == 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(site.Where(v.pos.of("formula")), "virtual_meter '", v.id,
                         "' field 'formula': refers to itself through '", ref, "'"));
      }
      if (state[ref] == 0) {
        if (auto s = visit(*w); !s.ok()) return s;
      }
    }
    state[v.id] = 2;
    return absl::OkStatus();
  };
  for (const auto& v : site.virtual_meters) {
    if (state[v.id] == 0) {
      if (auto s = visit(v); !s.ok()) return s;
    }
  }
  std::set<std::string> product_ids;
  for (const auto& p : site.products) {
    if (!product_ids.insert(p.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(site.Where(p.pos.of("id")), "product '", p.id,
                                                     "' field 'id': defined twice"));
    }
    if (auto s =
            known(p.meter, p.pos.of("meter"), absl::StrCat("product '", p.id, "' field 'meter'"));
        !s.ok()) {
      return s;
    }
  }
  for (const auto& p : site.processes) {
    for (const auto& [key, id] : p.meters) {
      if (key == "meter") continue;  // checked as an input item
      if (auto s = known(id, p.pos.of(key), absl::StrCat("process '", p.id, "' field '", key, "'"));
          !s.ok()) {
        return s;
      }
    }
    for (const auto* items : {&p.inputs, &p.outputs}) {
      for (const auto& it : *items) {
        if (auto s = known(it.meter, it.pos.of("meter"),
                           absl::StrCat("process '", p.id, "' field 'meter'"));
            !s.ok()) {
          return s;
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& ProcessMethods() {
  static const auto* v = [] {
    auto* out = new std::vector<std::string>();
    for (const auto& [k, s] : Schemas()) out->push_back(k);
    return out;
  }();
  return *v;
}

const Meter* Site::FindMeter(std::string_view id) const {
  for (const auto& m : meters) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

const VirtualMeter* Site::FindVirtual(std::string_view id) const {
  for (const auto& v : virtual_meters) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

std::string Site::Where(Pos p) const {
  if (p.line <= 0) return absl::StrCat(file, ": ");
  return absl::StrCat(file, ":", p.line, ":", p.column, ": ");
}

absl::StatusOr<Site> ParseSite(std::string_view text, std::string_view file) {
  Site site;
  site.file = std::string(file);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(site.Where(PosOf(e.source())), "TOML syntax: ", std::string(e.description())));
  }
  if (auto s = ParseSiteTable(&site, root); !s.ok()) return s;
  for (auto&& [k, v] : root) {
    std::string key(k.str());
    // [cbam] is read by the CBAM report (accounting/cbam.h), not by the site model.
    if (key != "site" && key != "meter" && key != "virtual_meter" && key != "product" &&
        key != "process" && key != "cbam") {
      site.warnings.push_back(
          absl::StrCat(site.Where(PosOf(v.source())), "unknown table '", key, "' ignored"));
    }
  }
  absl::Status s = EachTable(&site, root, "meter", [&](const toml::table& t, size_t i) {
    return ParseMeter(&site, t, i);
  });
  if (s.ok())
    s = EachTable(&site, root, "virtual_meter",
                  [&](const toml::table& t, size_t i) { return ParseVirtual(&site, t, i); });
  if (s.ok())
    s = EachTable(&site, root, "product",
                  [&](const toml::table& t, size_t i) { return ParseProduct(&site, t, i); });
  if (s.ok())
    s = EachTable(&site, root, "process",
                  [&](const toml::table& t, size_t i) { return ParseProcess(&site, t, i); });
  if (s.ok()) s = CheckReferences(site);
  if (!s.ok()) return s;
  return site;
}

absl::StatusOr<Site> LoadSiteFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open site file"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseSite(ss.str(), path);
}

namespace {

void PutOpt(toml::table* t, std::string_view key, const std::optional<double>& v) {
  if (v) t->insert_or_assign(key, *v);
}
void PutStr(toml::table* t, std::string_view key, const std::string& v) {
  if (!v.empty()) t->insert_or_assign(key, v);
}

}  // namespace

std::string SiteToToml(const Site& site) {
  toml::table root;
  toml::table s;
  PutStr(&s, "id", site.id);
  PutStr(&s, "name", site.name);
  PutStr(&s, "timezone", site.timezone);
  PutStr(&s, "sector", site.sector);
  PutStr(&s, "grid_region", site.grid_region);
  if (site.grid_year) s.insert_or_assign("grid_year", site.grid_year);
  PutStr(&s, "gwp", site.gwp);
  PutStr(&s, "fuel_table", site.fuel_table);
  PutStr(&s, "electricity_tce", site.electricity_tce);
  PutOpt(&s, "electricity_coal_rate_gce_per_kwh", site.electricity_coal_rate_gce_per_kwh);
  root.insert_or_assign("site", std::move(s));
  toml::array meters;
  for (const auto& m : site.meters) {
    toml::table t;
    PutStr(&t, "id", m.id);
    PutStr(&t, "carrier", m.carrier);
    PutStr(&t, "kind", m.kind);
    PutStr(&t, "unit", m.unit);
    PutStr(&t, "flow", m.flow);
    PutStr(&t, "area", m.area);
    PutStr(&t, "series", m.series);
    if (m.rollover > 0) t.insert_or_assign("rollover", m.rollover);
    PutOpt(&t, "ncv_gj_per_t", m.ncv_gj_per_t);
    PutOpt(&t, "ncv_gj_per_10k_nm3", m.ncv_gj_per_10k_nm3);
    PutOpt(&t, "carbon_tc_per_gj", m.carbon_tc_per_gj);
    PutOpt(&t, "oxidation", m.oxidation);
    PutOpt(&t, "enthalpy_kj_per_kg", m.enthalpy_kj_per_kg);
    PutOpt(&t, "temperature_c", m.temperature_c);
    if (!m.lab.empty()) {
      toml::array lab;
      for (const auto& l : m.lab) {
        toml::table lt;
        PutStr(&lt, "period", l.period);
        PutOpt(&lt, "ncv_gj_per_t", l.ncv_gj_per_t);
        PutOpt(&lt, "ncv_gj_per_10k_nm3", l.ncv_gj_per_10k_nm3);
        PutOpt(&lt, "carbon_tc_per_gj", l.carbon_tc_per_gj);
        PutOpt(&lt, "oxidation", l.oxidation);
        lab.push_back(std::move(lt));
      }
      t.insert_or_assign("lab", std::move(lab));
    }
    meters.push_back(std::move(t));
  }
  if (!meters.empty()) root.insert_or_assign("meter", std::move(meters));
  toml::array virt;
  for (const auto& v : site.virtual_meters) {
    toml::table t;
    PutStr(&t, "id", v.id);
    PutStr(&t, "formula", v.formula.text());
    PutStr(&t, "carrier", v.carrier);
    PutStr(&t, "unit", v.unit);
    PutStr(&t, "flow", v.flow);
    PutStr(&t, "area", v.area);
    virt.push_back(std::move(t));
  }
  if (!virt.empty()) root.insert_or_assign("virtual_meter", std::move(virt));
  toml::array products;
  for (const auto& p : site.products) {
    toml::table t;
    PutStr(&t, "id", p.id);
    PutStr(&t, "meter", p.meter);
    if (!p.areas.empty()) {
      toml::array a;
      for (const auto& x : p.areas) a.push_back(x);
      t.insert_or_assign("areas", std::move(a));
    }
    PutStr(&t, "benchmark", p.benchmark);
    products.push_back(std::move(t));
  }
  if (!products.empty()) root.insert_or_assign("product", std::move(products));
  toml::array processes;
  for (const auto& p : site.processes) {
    toml::table t;
    PutStr(&t, "method", p.method);
    PutStr(&t, "id", p.id);
    PutStr(&t, "area", p.area);
    bool inline_item = p.meters.count("meter") > 0;
    for (const auto& [k, v] : p.meters) t.insert_or_assign(k, v);
    for (const auto& [k, v] : p.numbers) t.insert_or_assign(k, v);
    for (const auto& [k, v] : p.strings) t.insert_or_assign(k, v);
    for (std::string_view list : {"inputs", "outputs"}) {
      const auto& items = list == "inputs" ? p.inputs : p.outputs;
      toml::array arr;
      for (size_t i = (list == "inputs" && inline_item) ? 1 : 0; i < items.size(); ++i) {
        const auto& it = items[i];
        toml::table x;
        PutStr(&x, "meter", it.meter);
        PutStr(&x, "material", it.material);
        PutOpt(&x, "purity", it.purity);
        PutOpt(&x, "fraction", it.fraction);
        PutOpt(&x, "ef_tco2_per_t", it.ef_tco2_per_t);
        PutOpt(&x, "carbon_content", it.carbon_content);
        arr.push_back(std::move(x));
      }
      if (!arr.empty()) t.insert_or_assign(list, std::move(arr));
    }
    processes.push_back(std::move(t));
  }
  if (!processes.empty()) root.insert_or_assign("process", std::move(processes));
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

nlohmann::json SiteToJson(const Site& site) {
  using nlohmann::json;
  auto opt = [](json* j, const char* k, const std::optional<double>& v) {
    if (v) (*j)[k] = *v;
  };
  json j = {{"id", site.id},
            {"name", site.name},
            {"timezone", site.timezone},
            {"sector", site.sector},
            {"grid_region", site.grid_region},
            {"gwp", site.gwp},
            {"fuel_table", site.fuel_table},
            {"electricity_tce", site.electricity_tce}};
  if (site.grid_year) j["grid_year"] = site.grid_year;
  opt(&j, "electricity_coal_rate_gce_per_kwh", site.electricity_coal_rate_gce_per_kwh);
  j["meters"] = json::array();
  for (const auto& m : site.meters) {
    json x = {
        {"id", m.id}, {"carrier", m.carrier}, {"kind", m.kind}, {"unit", m.unit}, {"flow", m.flow}};
    if (!m.area.empty()) x["area"] = m.area;
    if (!m.series.empty()) x["series"] = m.series;
    if (m.rollover > 0) x["rollover"] = m.rollover;
    opt(&x, "ncv_gj_per_t", m.ncv_gj_per_t);
    opt(&x, "ncv_gj_per_10k_nm3", m.ncv_gj_per_10k_nm3);
    opt(&x, "carbon_tc_per_gj", m.carbon_tc_per_gj);
    opt(&x, "oxidation", m.oxidation);
    opt(&x, "enthalpy_kj_per_kg", m.enthalpy_kj_per_kg);
    opt(&x, "temperature_c", m.temperature_c);
    for (const auto& l : m.lab) {
      json y = {{"period", l.period}};
      opt(&y, "ncv_gj_per_t", l.ncv_gj_per_t);
      opt(&y, "ncv_gj_per_10k_nm3", l.ncv_gj_per_10k_nm3);
      opt(&y, "carbon_tc_per_gj", l.carbon_tc_per_gj);
      opt(&y, "oxidation", l.oxidation);
      x["lab"].push_back(y);
    }
    j["meters"].push_back(x);
  }
  j["virtual_meters"] = json::array();
  for (const auto& v : site.virtual_meters) {
    j["virtual_meters"].push_back({{"id", v.id},
                                   {"formula", v.formula.text()},
                                   {"carrier", v.carrier},
                                   {"unit", v.unit},
                                   {"flow", v.flow},
                                   {"area", v.area}});
  }
  j["products"] = json::array();
  for (const auto& p : site.products) {
    j["products"].push_back(
        {{"id", p.id}, {"meter", p.meter}, {"areas", p.areas}, {"benchmark", p.benchmark}});
  }
  j["processes"] = json::array();
  for (const auto& p : site.processes) {
    json x = {{"method", p.method}, {"id", p.id}};
    if (!p.area.empty()) x["area"] = p.area;
    for (const auto& [k, v] : p.meters) x[k] = v;
    for (const auto& [k, v] : p.numbers) x[k] = v;
    for (const auto& [k, v] : p.strings) x[k] = v;
    for (std::string_view list : {"inputs", "outputs"}) {
      const auto& items = list == "inputs" ? p.inputs : p.outputs;
      for (const auto& it : items) {
        json y = {{"meter", it.meter}};
        if (!it.material.empty()) y["material"] = it.material;
        opt(&y, "purity", it.purity);
        opt(&y, "fraction", it.fraction);
        opt(&y, "ef_tco2_per_t", it.ef_tco2_per_t);
        opt(&y, "carbon_content", it.carbon_content);
        x[std::string(list)].push_back(y);
      }
    }
    j["processes"].push_back(x);
  }
  return j;
}

}  // namespace dc::model
