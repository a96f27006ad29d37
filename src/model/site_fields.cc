// The field tables of the site file's sections (site_fields.h).
#include "model/site_fields.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "model/site_reader.h"

namespace dc::model::internal {
namespace {

template <typename T>
Field<T> Text(std::string_view key, std::string T::*m, bool required, Json json,
              size_t max_bytes = kMaxSiteTextBytes) {
  return {key, [=](Reader& r, T* t) { return r.String(key, &(t->*m), required, max_bytes); },
          [=](const T& t) { return TextValue(t.*m, Json::kIfSet); },
          [=](const T& t) { return TextValue(t.*m, json); }};
}

// A text that must be one of `allowed` when given (absent: the default).
template <typename T>
Field<T> OneOf(std::string_view key, std::string T::*m, std::vector<std::string_view> allowed) {
  return {key, [=](Reader& r, T* t) { return r.OneOf(key, &(t->*m), allowed, false); },
          [=](const T& t) { return TextValue(t.*m, Json::kIfSet); },
          [=](const T& t) { return TextValue(t.*m, Json::kAlways); }};
}

// A text that may be left out for `dflt` but not given empty; left out of both outputs when it
// is `dflt`.
template <typename T>
Field<T> NonEmpty(std::string_view key, std::string T::*m, std::string_view dflt) {
  auto value = [=](const T& t) { return t.*m == dflt ? FieldValue{} : FieldValue{t.*m}; };
  return {key,
          [=](Reader& r, T* t) -> absl::Status {
            if (auto s = r.String(key, &(t->*m), false); !s.ok()) return s;
            if (!(t->*m).empty()) return absl::OkStatus();
            return r.Error(key, absl::StrCat("must not be empty (omit it for \"", AV(dflt), "\")"));
          },
          value, value};
}

// One of the names of `table()`; `unset`, the default, is left out of both outputs when kIfSet.
template <typename T, typename E>
Field<T> Enum(std::string_view key, E T::*m, const std::vector<Named<E>>& (*table)(), bool required,
              Json json, E unset) {
  auto name = [=](const T& t) -> FieldValue {
    for (const auto& n : table()) {
      if (n.value == t.*m) return std::string(n.name);
    }
    return std::monostate{};  // a value without a name (Integration::kNone)
  };
  auto value = [=](const T& t) {
    return json == Json::kIfSet && t.*m == unset ? FieldValue{} : name(t);
  };
  return {key, [=](Reader& r, T* t) { return r.Enum(key, &(t->*m), table(), required); }, value,
          value};
}

enum class Rule { kAny, kPositive, kFraction };

// An optional number: any finite value, > 0, or a fraction in [0, 1].
template <typename T>
Field<T> Number(std::string_view key, std::optional<double> T::*m, Rule rule) {
  return {key,
          [=](Reader& r, T* t) {
            std::optional<double>* v = &(t->*m);
            return rule == Rule::kPositive   ? r.Positive(key, v)
                   : rule == Rule::kFraction ? r.Fraction(key, v)
                                             : r.Number(key, v, false);
          },
          [=](const T& t) { return NumberValue(t.*m); },
          [=](const T& t) { return NumberValue(t.*m); }};
}

// The fuel properties a meter and each of its lab values may give (absent: reference defaults).
template <typename T>
void AddFuelProperties(std::vector<Field<T>>* fields) {
  fields->push_back(Number("ncv_gj_per_t", &T::ncv_gj_per_t, Rule::kPositive));
  fields->push_back(Number("ncv_gj_per_10k_nm3", &T::ncv_gj_per_10k_nm3, Rule::kPositive));
  fields->push_back(Number("carbon_tc_per_gj", &T::carbon_tc_per_gj, Rule::kPositive));
  fields->push_back(Number("oxidation", &T::oxidation, Rule::kFraction));
}

// A key the section's parser reads itself (an id, a formula); written from `value`.
template <typename T>
Field<T> ParsedElsewhere(std::string_view key, std::function<std::string(const T&)> value) {
  return {key, nullptr, [=](const T& t) { return TextValue(value(t), Json::kIfSet); },
          [=](const T& t) { return TextValue(value(t), Json::kAlways); }};
}

// Every site id is also a path segment and a tag value: [a-z0-9_-]+.
absl::Status ReadSiteId(Reader& r, Site* site) {
  if (auto s = r.Id("id", &site->id); !s.ok()) return s;
  for (char c : site->id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return r.Error("id", absl::StrCat("\"", site->id, "\" must match [a-z0-9_-]+"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadGridYear(Reader& r, Site* site) {
  std::optional<double> year;
  if (auto s = r.Number("grid_year", &year, false); !s.ok()) return s;
  if (!year) return absl::OkStatus();
  if (*year != std::floor(*year) || *year < 1990 || *year > 2100) {
    return r.Error("grid_year", "must be a year like 2022");
  }
  site->grid_year = static_cast<int>(*year);
  return absl::OkStatus();
}

absl::Status ReadAreas(Reader& r, Product* p) {
  r.Use("areas");
  const toml::node* a = r.table().get("areas");
  if (!a) return absl::OkStatus();
  const toml::array* arr = a->as_array();
  if (!arr) return r.Error("areas", "must be an array of strings");
  if (arr->size() > kMaxListEntries) {
    return r.Error("areas", absl::StrCat("more than ", kMaxListEntries, " entries"));
  }
  for (const auto& e : *arr) {
    auto v = e.value<std::string>();
    if (!v) return r.Error("areas", "must be an array of strings");
    if (auto st = CheckText("an area", *v, kMaxSiteTextBytes); !st.ok()) {
      return r.Error("areas", SV(st.message()));
    }
    p->areas.push_back(*v);
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<Field<Site>>& SiteFields() {
  using S = Site;
  static const auto* t = new std::vector<Field<S>>{
      {"id", ReadSiteId, [](const S& s) { return TextValue(s.id, Json::kIfSet); },
       [](const S& s) { return TextValue(s.id, Json::kAlways); }},
      Text("name", &S::name, false, Json::kAlways),
      {"timezone",
       [](Reader& r, S* s) -> absl::Status {
         if (auto st = r.String("timezone", &s->timezone, false); !st.ok()) return st;
         if (!s->timezone.empty()) return absl::OkStatus();
         // Absent means the default zone; an empty name would be written back as absent.
         return r.Error("timezone",
                        "must be an IANA zone name like Asia/Shanghai (omit it for the default)");
       },
       [](const S& s) { return TextValue(s.timezone, Json::kIfSet); },
       [](const S& s) { return TextValue(s.timezone, Json::kAlways); }},
      OneOf("sector", &S::sector,
            {"cement", "steel", "aluminium", "flat_glass", "chemical", "generic"}),
      Text("grid_region", &S::grid_region, false, Json::kAlways),
      // The published factor types are checked by ValidateSite (accounting GridFactorTypes).
      NonEmpty("grid_factor", &S::grid_factor, "average"),
      OneOf("gwp", &S::gwp, {"SAR", "AR4", "AR5", "AR6"}),
      OneOf("fuel_table", &S::fuel_table, {"A", "B", "C"}),
      OneOf("electricity_tce", &S::electricity_tce, {"calorific", "equal_value"}),
      Number("electricity_coal_rate_gce_per_kwh", &S::electricity_coal_rate_gce_per_kwh,
             Rule::kPositive),
      {"grid_year", ReadGridYear,
       [](const S& s) { return s.grid_year ? FieldValue{int64_t{s.grid_year}} : FieldValue{}; },
       [](const S& s) { return s.grid_year ? FieldValue{int64_t{s.grid_year}} : FieldValue{}; }},
  };
  return *t;
}

const std::vector<Field<Meter>>& MeterFields() {
  using M = Meter;
  auto rollover = [](const M& m) { return m.rollover > 0 ? FieldValue{m.rollover} : FieldValue{}; };
  static const auto* t = [&] {
    auto* v = new std::vector<Field<M>>{
        ParsedElsewhere<M>("id", [](const M& m) { return m.id; }),
        Text("carrier", &M::carrier, true, Json::kAlways),
        Enum("kind", &M::kind, MeterKinds, true, Json::kAlways, MeterKind::kInterval),
        Text("unit", &M::unit, true, Json::kAlways),
        Enum("flow", &M::flow, Flows, false, Json::kAlways, Flow::kPurchased),
        Enum("integrate", &M::integrate, Integrations, false, Json::kIfSet, Integration::kNone),
        Text("area", &M::area, false, Json::kIfSet),
        Text("series", &M::series, false, Json::kIfSet, kMaxSeriesKeyBytes),
        // Only a counter rolls over (checked by the parser, which knows the kind by then).
        {"rollover",
         [](Reader& r, M* m) {
           std::optional<double> v;
           absl::Status s = r.Positive("rollover", &v);
           if (v) m->rollover = *v;
           return s;
         },
         rollover, rollover},
    };
    AddFuelProperties(v);
    v->push_back(Number("enthalpy_kj_per_kg", &M::enthalpy_kj_per_kg, Rule::kPositive));
    v->push_back(Number("temperature_c", &M::temperature_c, Rule::kAny));
    return v;
  }();
  return *t;
}

const std::vector<Field<LabValue>>& LabFields() {
  using L = LabValue;
  static const auto* t = [] {
    auto* v = new std::vector<Field<L>>{Text("period", &L::period, true, Json::kAlways)};
    AddFuelProperties(v);
    return v;
  }();
  return *t;
}

const std::vector<Field<VirtualMeter>>& VirtualMeterFields() {
  using V = VirtualMeter;
  static const auto* t = new std::vector<Field<V>>{
      ParsedElsewhere<V>("id", [](const V& v) { return v.id; }),
      ParsedElsewhere<V>("formula", [](const V& v) { return v.formula.text(); }),
      Text("carrier", &V::carrier, false, Json::kAlways),
      Text("unit", &V::unit, false, Json::kAlways),
      Enum("flow", &V::flow, Flows, false, Json::kAlways, Flow::kInternal),
      Text("area", &V::area, false, Json::kAlways),
  };
  return *t;
}

const std::vector<Field<Product>>& ProductFields() {
  using P = Product;
  static const auto* t = new std::vector<Field<P>>{
      ParsedElsewhere<P>("id", [](const P& p) { return p.id; }),
      Text("meter", &P::meter, true, Json::kAlways),
      Text("benchmark", &P::benchmark, false, Json::kAlways),
      {"areas", ReadAreas,
       [](const P& p) { return p.areas.empty() ? FieldValue{} : FieldValue{p.areas}; },
       [](const P& p) { return FieldValue{p.areas}; }},
  };
  return *t;
}

const std::vector<Field<Process>>& ProcessFields() {
  using P = Process;
  static const auto* t = new std::vector<Field<P>>{
      ParsedElsewhere<P>("method", [](const P& p) { return std::string(Name(p.method)); }),
      Text("id", &P::id, false, Json::kAlways),
      Text("area", &P::area, false, Json::kIfSet),
      Enum("tier", &P::tier, Tiers, false, Json::kIfSet, Tier::kGuideline),
  };
  return *t;
}

const std::vector<Field<ProcessItem>>& ItemFields() {
  using I = ProcessItem;
  static const auto* t = new std::vector<Field<I>>{
      Text("meter", &I::meter, true, Json::kAlways),
      Text("material", &I::material, false, Json::kIfSet),
      Number("purity", &I::purity, Rule::kFraction),
      Number("fraction", &I::fraction, Rule::kFraction),
      Number("ef_tco2_per_t", &I::ef_tco2_per_t, Rule::kPositive),
      Number("carbon_content", &I::carbon_content, Rule::kFraction),
  };
  return *t;
}

}  // namespace dc::model::internal
