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
#include "model/site_fields.h"
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

// The stricter reads of these tables: no empty texts, numbers >= 0, meters that exist.
absl::Status Text(Reader& r, std::string_view key, std::string* out, bool required) {
  std::string v;
  if (auto s = r.String(key, &v, required); !s.ok()) return s;
  if (!r.table().contains(key)) return absl::OkStatus();
  if (v.empty()) return r.Error(key, "must not be empty (omit it instead)");
  *out = std::move(v);
  return absl::OkStatus();
}

absl::Status Choice(Reader& r, std::string_view key, std::string* out,
                    const std::vector<std::string>& allowed) {
  if (auto s = Text(r, key, out, true); !s.ok()) return s;
  if (std::find(allowed.begin(), allowed.end(), *out) != allowed.end()) return absl::OkStatus();
  return r.Error(key, absl::StrCat("\"", *out, "\" is not one of: ", absl::StrJoin(allowed, ", ")));
}

// A finite number >= 0 (> 0 when `positive`).
absl::Status Number(Reader& r, std::string_view key, std::optional<double>* out, bool required,
                    bool positive) {
  if (auto s = r.Number(key, out, required); !s.ok()) return s;
  if (*out && (positive ? !(**out > 0) : **out < 0)) {
    return r.Error(
        key, absl::StrCat(positive ? "must be > 0" : "must not be negative", ", got ", **out));
  }
  return absl::OkStatus();
}

absl::Status TextList(Reader& r, std::string_view key, std::vector<std::string>* out) {
  r.Use(key);
  const toml::node* n = r.table().get(key);
  if (!n) return absl::OkStatus();
  const toml::array* arr = n->as_array();
  if (!arr) return r.Error(key, "must be an array of strings");
  if (arr->size() > kMaxListEntries) {
    return r.Error(key, absl::StrCat("more than ", kMaxListEntries, " entries"));
  }
  for (const auto& e : *arr) {
    auto v = e.value<std::string>();
    if (!v) return r.Error(key, "must be an array of strings");
    if (auto s = CheckText("an entry", *v, kMaxSiteTextBytes); !s.ok()) {
      return r.Error(key, SV(s.message()));
    }
    if (v->empty()) return r.Error(key, "entries must not be empty");
    out->push_back(std::move(*v));
  }
  return absl::OkStatus();
}

// Field constructors for these tables.
template <typename T>
Field<T> TextField(std::string_view key, std::string T::*m, bool required) {
  const Json json = required ? Json::kAlways : Json::kIfSet;
  return {key, [=](Reader& r, T* t) { return Text(r, key, &(t->*m), required); },
          [=](const T& t) { return TextValue(t.*m, Json::kIfSet); },
          [=](const T& t) { return TextValue(t.*m, json); }};
}

template <typename T>
Field<T> ChoiceField(std::string_view key, std::string T::*m,
                     const std::vector<std::string>& (*allowed)()) {
  return {key, [=](Reader& r, T* t) { return Choice(r, key, &(t->*m), allowed()); },
          [=](const T& t) { return TextValue(t.*m, Json::kAlways); },
          [=](const T& t) { return TextValue(t.*m, Json::kAlways); }};
}

template <typename T>
Field<T> RequiredNumber(std::string_view key, double T::*m, bool positive) {
  auto value = [=](const T& t) { return FieldValue{t.*m}; };
  return {key,
          [=](Reader& r, T* t) {
            std::optional<double> v;
            absl::Status s = Number(r, key, &v, true, positive);
            if (v) t->*m = *v;
            return s;
          },
          value, value};
}

// An optional meter id, which must name a meter of the site.
template <typename T>
Field<T> MeterField(std::string T::*m) {
  auto value = [=](const T& t) { return TextValue(t.*m, Json::kIfSet); };
  return {"meter",
          [=](Reader& r, T* t) -> absl::Status {
            std::string* out = &(t->*m);
            if (auto s = Text(r, "meter", out, false); !s.ok()) return s;
            if (out->empty() || r.site().HasMeter(*out)) return absl::OkStatus();
            return r.Error("meter", absl::StrCat("unknown meter \"", *out, "\""));
          },
          value, value};
}

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
  Reader r(site, t, absl::StrCat("[[factor]] #", i + 1));
  if (absl::Status s = r.Fields(FactorFields(), &f); !s.ok()) return s;
  if (!f.meter.empty() && absl::StartsWith(f.key, "process.")) {
    return r.Error("meter",
                   "a process factor is given per site (omit meter); a per-item factor is the "
                   "process input's ef_tco2_per_t");
  }
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
  Reader r(site, t, absl::StrCat("[[instrument]] #", i + 1));
  if (auto s = Text(r, "id", &in.id, true); !s.ok()) return s;
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
  Reader ri(site, t, absl::StrCat("instrument '", in.id, "'"));
  if (absl::Status s = ri.Fields(InstrumentFields(), &in); !s.ok()) return s;
  if (t.contains("unit") && !in.factor) return ri.Error("unit", "given without factor");
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
  toml::array factors, instruments;
  for (const auto& f : site.factors) factors.push_back(TomlOf(FactorFields(), f));
  if (!factors.empty()) root->insert_or_assign("factor", std::move(factors));
  for (const auto& in : site.instruments) instruments.push_back(TomlOf(InstrumentFields(), in));
  if (!instruments.empty()) root->insert_or_assign("instrument", std::move(instruments));
}

void FactorTablesToJson(const Site& site, nlohmann::json* j) {
  for (const auto& f : site.factors) (*j)["factors"].push_back(JsonOf(FactorFields(), f));
  for (const auto& in : site.instruments) {
    (*j)["instruments"].push_back(JsonOf(InstrumentFields(), in));
  }
}

const std::vector<Field<FactorOverride>>& FactorFields() {
  using F = FactorOverride;
  static const auto* t = new std::vector<Field<F>>{
      {"key",
       [](Reader& r, F* f) -> absl::Status {
         if (auto s = Text(r, "key", &f->key, true); !s.ok()) return s;
         if (KnownKeyShape(f->key)) return absl::OkStatus();
         return r.Error("key", absl::StrCat("unknown factor key \"", f->key,
                                            "\"; known: grid, residual_mix, heat, "
                                            "fuel.<carrier>.ncv|cc|of, process.<reference key>"));
       },
       [](const F& f) { return TextValue(f.key, Json::kAlways); },
       [](const F& f) { return TextValue(f.key, Json::kAlways); }},
      MeterField(&F::meter),
      RequiredNumber("value", &F::value, false),
      TextField("unit", &F::unit, true),
      ChoiceField("origin", &F::origin, FactorOrigins),
      TextField("source", &F::source, true),
      ChoiceField("confidence", &F::confidence, Confidences),
  };
  return *t;
}

const std::vector<Field<Instrument>>& InstrumentFields() {
  using I = Instrument;
  // `unit` is the unit of `factor`: written with it, read only when given (else the default).
  auto unit = [](const I& in) { return in.factor ? FieldValue{in.unit} : FieldValue{}; };
  static const auto* t = new std::vector<Field<I>>{
      {"id", nullptr, [](const I& in) { return TextValue(in.id, Json::kAlways); },
       [](const I& in) { return TextValue(in.id, Json::kAlways); }},
      ChoiceField("type", &I::type, InstrumentTypes),
      RequiredNumber("mwh", &I::mwh, true),
      TextField("period", &I::period, true),
      MeterField(&I::meter),
      // Only this site may be named: an instrument counts for the site it names.
      {"site",
       [](Reader& r, I*) -> absl::Status {
         std::string for_site;
         if (auto s = Text(r, "site", &for_site, false); !s.ok()) return s;
         if (for_site.empty() || for_site == r.site().id) return absl::OkStatus();
         return r.Error("site",
                        absl::StrCat("\"", for_site, "\" is not this site (\"", r.site().id,
                                     "\"); an instrument counts only for the site it names"));
       },
       [](const I&) { return FieldValue{}; }, [](const I&) { return FieldValue{}; }},
      {"factor", [](Reader& r, I* in) { return Number(r, "factor", &in->factor, false, false); },
       [](const I& in) { return NumberValue(in.factor); },
       [](const I& in) { return NumberValue(in.factor); }},
      {"unit", [](Reader& r, I* in) { return Text(r, "unit", &in->unit, false); }, unit, unit},
      {"certificates",
       [](Reader& r, I* in) { return TextList(r, "certificates", &in->certificates); },
       [](const I& in) {
         return in.certificates.empty() ? FieldValue{} : FieldValue{in.certificates};
       },
       [](const I& in) { return FieldValue{in.certificates}; }},
      TextField("source", &I::source, true),
  };
  return *t;
}

}  // namespace internal
}  // namespace dc::model
