// [[factor]] and [[instrument]] tables of a site file: parsing, TOML and JSON writing.
#include "model/site_factors.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "common/text.h"
#include "model/site_factors_internal.h"
#include "model/site_reader.h"
#include "nlohmann/json.hpp"

namespace dc::model {

const std::vector<std::string>& FactorOrigins() {
  static const auto* v =
      new std::vector<std::string>{"measured", "supplier", "published", "calculated", "estimated"};
  return *v;
}

const std::vector<std::string>& InstrumentTypes() {
  static const auto* v = new std::vector<std::string>{"gec", "green_power", "ppa"};
  return *v;
}

namespace internal {
namespace {

const std::vector<std::string>& Confidences() {
  static const auto* v = new std::vector<std::string>{"high", "medium", "low"};
  return *v;
}

// The site reader, with the stricter reads of these tables (no empty texts, bounded numbers).
class Fields : public Reader {
 public:
  using Reader::Reader;
  absl::Status Text(std::string_view key, std::string* out, bool required) {
    std::string v;
    if (auto s = String(key, &v, required); !s.ok()) return s;
    if (!t_.contains(key)) return absl::OkStatus();
    if (v.empty()) return Error(key, "must not be empty (omit it instead)");
    *out = std::move(v);
    return absl::OkStatus();
  }
  absl::Status Choice(std::string_view key, std::string* out,
                      const std::vector<std::string>& allowed) {
    if (auto s = Text(key, out, true); !s.ok()) return s;
    if (std::find(allowed.begin(), allowed.end(), *out) != allowed.end()) return absl::OkStatus();
    return Error(key, absl::StrCat("\"", *out, "\" is not one of: ", absl::StrJoin(allowed, ", ")));
  }
  // A finite number >= 0 (> 0 when `positive`).
  absl::Status Number(std::string_view key, std::optional<double>* out, bool required,
                      bool positive) {
    if (auto s = Reader::Number(key, out, required); !s.ok()) return s;
    if (*out && (positive ? !(**out > 0) : **out < 0)) {
      return Error(
          key, absl::StrCat(positive ? "must be > 0" : "must not be negative", ", got ", **out));
    }
    return absl::OkStatus();
  }
  absl::Status TextList(std::string_view key, std::vector<std::string>* out) {
    Use(key);
    const toml::node* n = t_.get(key);
    if (!n) return absl::OkStatus();
    const toml::array* arr = n->as_array();
    if (!arr) return Error(key, "must be an array of strings");
    if (arr->size() > kMaxListEntries) {
      return Error(key, absl::StrCat("more than ", kMaxListEntries, " entries"));
    }
    for (const auto& e : *arr) {
      auto v = e.value<std::string>();
      if (!v) return Error(key, "must be an array of strings");
      if (auto s = CheckText("an entry", *v, kMaxSiteTextBytes); !s.ok()) {
        return Error(key, SV(s.message()));
      }
      if (v->empty()) return Error(key, "entries must not be empty");
      out->push_back(std::move(*v));
    }
    return absl::OkStatus();
  }
  absl::Status Meter(std::string* out) {
    if (auto s = Text("meter", out, false); !s.ok()) return s;
    if (out->empty() || site_->HasMeter(*out)) return absl::OkStatus();
    return Error("meter", absl::StrCat("unknown meter \"", *out, "\""));
  }
};

// The key grammar (which keys exist is checked against the reference in ValidateSite).
bool KnownKeyShape(std::string_view key) {
  if (key == "grid" || key == "residual_mix" || key == "heat") return true;
  if (absl::StartsWith(AV(key), "process.")) return key.size() > 8;
  if (!absl::StartsWith(AV(key), "fuel.")) return false;
  std::string_view rest = key.substr(5);
  size_t dot = rest.rfind('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  std::string_view prop = rest.substr(dot + 1);
  return prop == "ncv" || prop == "cc" || prop == "of";
}

template <typename Fn>
absl::Status EachTable(Site* site, const toml::table& root, std::string_view key, size_t max,
                       Fn fn) {
  const toml::node* n = root.get(key);
  if (!n) return absl::OkStatus();
  const toml::array* arr = n->as_array();
  auto error = [&](const toml::node& at, std::string msg) {
    return absl::InvalidArgumentError(absl::StrCat(site->Where(PosOf(at.source())), msg));
  };
  if (!arr)
    return error(*n,
                 absl::StrCat("'", AV(key), "' must be an array of tables ([[", AV(key), "]])"));
  if (arr->size() > max) {
    return error((*arr)[max], absl::StrCat("[[", AV(key), "]]: more than ", max, " entries (",
                                           arr->size(), ")"));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    if (!t) return error((*arr)[i], absl::StrCat("'", AV(key), "' entries must be tables"));
    if (auto s = fn(*t, i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParseFactor(Site* site, const toml::table& t, size_t i) {
  FactorOverride f;
  Fields r(site, t, absl::StrCat("[[factor]] #", i + 1));
  if (auto s = r.Text("key", &f.key, true); !s.ok()) return s;
  if (!KnownKeyShape(f.key)) {
    return r.Error("key", absl::StrCat("unknown factor key \"", f.key,
                                       "\"; known: grid, residual_mix, heat, "
                                       "fuel.<carrier>.ncv|cc|of, process.<reference key>"));
  }
  std::optional<double> value;
  absl::Status s = r.Meter(&f.meter);
  if (s.ok()) s = r.Number("value", &value, true, false);
  if (s.ok()) s = r.Text("unit", &f.unit, true);
  if (s.ok()) s = r.Choice("origin", &f.origin, FactorOrigins());
  if (s.ok()) s = r.Text("source", &f.source, true);
  if (s.ok()) s = r.Choice("confidence", &f.confidence, Confidences());
  if (!s.ok()) return s;
  if (!f.meter.empty() && absl::StartsWith(f.key, "process.")) {
    return r.Error("meter",
                   "a process factor is given per site (omit meter); a per-item factor is the "
                   "process input's ef_tco2_per_t");
  }
  f.value = *value;
  f.pos = r.pos();
  for (const auto& other : site->factors) {
    if (other.key == f.key && other.meter == f.meter) {
      return r.Error(
          "key", absl::StrCat("factor \"", f.key, "\"",
                              f.meter.empty() ? "" : absl::StrCat(" for meter \"", f.meter, "\""),
                              " already given at line ", other.pos.table.line));
    }
  }
  r.WarnUnknown();
  site->factors.push_back(std::move(f));
  return absl::OkStatus();
}

absl::Status ParseInstrument(Site* site, const toml::table& t, size_t i) {
  Instrument in;
  Fields r(site, t, absl::StrCat("[[instrument]] #", i + 1));
  if (auto s = r.Text("id", &in.id, true); !s.ok()) return s;
  for (char c : in.id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok || in.id.size() > kMaxSiteIdBytes) {
      return r.Error("id", absl::StrCat("\"", in.id,
                                        "\" may only contain letters, digits, '_', "
                                        "'-', '.' (at most ",
                                        kMaxSiteIdBytes, " bytes)"));
    }
  }
  Fields ri(site, t, absl::StrCat("instrument '", in.id, "'"));
  ri.Text("id", &in.id, true).IgnoreError();  // marks it used; checked above
  std::optional<double> mwh, factor;
  std::string for_site, unit;
  absl::Status s = ri.Choice("type", &in.type, InstrumentTypes());
  if (s.ok()) s = ri.Number("mwh", &mwh, true, true);
  if (s.ok()) s = ri.Text("period", &in.period, true);
  if (s.ok()) s = ri.Meter(&in.meter);
  if (s.ok()) s = ri.Text("site", &for_site, false);
  if (s.ok()) s = ri.Number("factor", &factor, false, false);
  if (s.ok()) s = ri.Text("unit", &unit, false);
  if (s.ok()) s = ri.TextList("certificates", &in.certificates);
  if (s.ok()) s = ri.Text("source", &in.source, true);
  if (!s.ok()) return s;
  if (!for_site.empty() && for_site != site->id) {
    return ri.Error("site", absl::StrCat("\"", for_site, "\" is not this site (\"", site->id,
                                         "\"); an instrument counts only for the site it names"));
  }
  if (!unit.empty()) {
    if (!factor) return ri.Error("unit", "given without factor");
    in.unit = unit;
  }
  in.mwh = *mwh;
  in.factor = factor;
  in.pos = ri.pos();
  for (const auto& other : site->instruments) {
    if (other.id == in.id) {
      return r.Error("id", absl::StrCat("instrument \"", in.id, "\" already defined at line ",
                                        other.pos.table.line));
    }
  }
  ri.WarnUnknown();
  site->instruments.push_back(std::move(in));
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseFactorTables(Site* site, const toml::table& root) {
  absl::Status s =
      EachTable(site, root, "factor", kMaxFactors,
                [&](const toml::table& t, size_t i) { return ParseFactor(site, t, i); });
  if (!s.ok()) return s;
  return EachTable(site, root, "instrument", kMaxInstruments,
                   [&](const toml::table& t, size_t i) { return ParseInstrument(site, t, i); });
}

void FactorTablesToToml(const Site& site, toml::table* root) {
  toml::array factors;
  for (const auto& f : site.factors) {
    toml::table t;
    t.insert_or_assign("key", f.key);
    if (!f.meter.empty()) t.insert_or_assign("meter", f.meter);
    t.insert_or_assign("value", f.value);
    t.insert_or_assign("unit", f.unit);
    t.insert_or_assign("origin", f.origin);
    t.insert_or_assign("source", f.source);
    t.insert_or_assign("confidence", f.confidence);
    factors.push_back(std::move(t));
  }
  if (!factors.empty()) root->insert_or_assign("factor", std::move(factors));
  toml::array instruments;
  for (const auto& in : site.instruments) {
    toml::table t;
    t.insert_or_assign("id", in.id);
    t.insert_or_assign("type", in.type);
    t.insert_or_assign("mwh", in.mwh);
    t.insert_or_assign("period", in.period);
    if (!in.meter.empty()) t.insert_or_assign("meter", in.meter);
    if (in.factor) {
      t.insert_or_assign("factor", *in.factor);
      t.insert_or_assign("unit", in.unit);
    }
    if (!in.certificates.empty()) {
      toml::array a;
      for (const auto& c : in.certificates) a.push_back(c);
      t.insert_or_assign("certificates", std::move(a));
    }
    t.insert_or_assign("source", in.source);
    instruments.push_back(std::move(t));
  }
  if (!instruments.empty()) root->insert_or_assign("instrument", std::move(instruments));
}

void FactorTablesToJson(const Site& site, nlohmann::json* j) {
  using nlohmann::json;
  for (const auto& f : site.factors) {
    json x = {{"key", f.key},       {"value", f.value},   {"unit", f.unit},
              {"origin", f.origin}, {"source", f.source}, {"confidence", f.confidence}};
    if (!f.meter.empty()) x["meter"] = f.meter;
    (*j)["factors"].push_back(x);
  }
  for (const auto& in : site.instruments) {
    json x = {{"id", in.id},         {"type", in.type},     {"mwh", in.mwh},
              {"period", in.period}, {"source", in.source}, {"certificates", in.certificates}};
    if (!in.meter.empty()) x["meter"] = in.meter;
    if (in.factor) x["factor"] = *in.factor, x["unit"] = in.unit;
    (*j)["instruments"].push_back(x);
  }
}

}  // namespace internal
}  // namespace dc::model
