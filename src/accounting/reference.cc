#include "accounting/reference.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "accounting/csv.h"
#include "accounting/reference_internal.h"
#include "common/strings.h"

namespace dc::accounting {
namespace internal {

std::string Trim(std::string_view s) { return std::string(absl::StripAsciiWhitespace(AV(s))); }

double ParseNumber(std::string_view s) {
  std::string t = Trim(s);
  double v;
  if (!t.empty() && absl::SimpleAtod(t, &v) && std::isfinite(v)) return v;
  return kNaN;
}

std::string Path(const std::string& dir, std::string_view file) {
  return (std::filesystem::path(dir) / std::string(file)).string();
}

absl::StatusOr<CsvTable> Open(const std::string& dir, std::string_view file,
                              std::initializer_list<std::string_view> required) {
  auto t = CsvTable::ReadFile(Path(dir, file));
  if (!t.ok()) return t.status();
  for (auto col : required) {
    if (t->Column(col) < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Path(dir, file), ": missing column \"", AV(col), "\""));
    }
  }
  return t;
}

RefValue Make(std::string key, const CsvTable& t, const CsvRow& r, std::string_view value_col,
              std::string unit) {
  RefValue v;
  v.key = std::move(key);
  v.table = std::filesystem::path(t.name()).filename().string();
  v.text = Trim(t.Get(r, value_col));
  v.value = ParseNumber(v.text);
  v.unit = std::move(unit);
  v.source = Trim(t.Get(r, "source"));
  v.confidence = Trim(t.Get(r, "confidence"));
  v.level = ParseConfidence(v.confidence);
  v.note = Trim(t.Get(r, "note"));
  v.line = r.line;
  return v;
}

double TcePerBase(double coef, std::string_view coef_unit, std::string_view base) {
  std::string_view u = coef_unit;
  if (absl::StartsWith(AV(u), "kgce/")) u.remove_prefix(5);
  double per_base = 1;  // source units per base unit
  if (u == base) {
    per_base = 1;
  } else if (u == "kg" && base == "t") {
    per_base = 1000;
  } else if (u == "MJ" && base == "GJ") {
    per_base = 1000;
  }
  return coef * per_base / 1000.0;
}

}  // namespace internal

using internal::kNaN;
using internal::Make;
using internal::Open;
using internal::ParseNumber;
using internal::Path;
using internal::TcePerBase;
using internal::Trim;

Confidence ParseConfidence(std::string_view text) {
  std::string t = absl::AsciiStrToLower(AV(text));
  if (absl::StartsWith(t, "high")) return Confidence::kHigh;
  if (absl::StartsWith(t, "medium")) return Confidence::kMedium;
  return Confidence::kLow;  // low, low-medium, memory, unverified, n/a, empty
}

std::string_view ConfidenceName(Confidence c) {
  switch (c) {
    case Confidence::kHigh:
      return "high";
    case Confidence::kMedium:
      return "medium";
    case Confidence::kLow:
      return "low";
  }
  return "low";
}

absl::StatusOr<double> Carrier::ToBase(std::string_view unit) const {
  if (units.empty()) return 1.0;
  for (const auto& [u, m] : units) {
    if (u == unit) return m;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unit \"", AV(unit), "\" is not allowed for carrier ", key, " (allowed: ", UnitList(), ")"));
}

std::string Carrier::UnitList() const {
  if (units.empty()) return "any";
  std::vector<std::string> names;
  for (const auto& [u, m] : units) names.push_back(u);
  return absl::StrJoin(names, ", ");
}

std::string Reference::DefaultDir(std::string_view argv0) {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("DC_REFERENCE_DIR"); e && *e) return e;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) exe = fs::absolute(fs::path(std::string(argv0)), ec);
  fs::path d = exe.parent_path();
  for (const fs::path& cand : {d / "../reference", d / "../../reference", d / "../../../reference",
                               d / "../share/dualcarbon/reference"}) {
    if (fs::exists(cand / "VERSION", ec)) return fs::weakly_canonical(cand, ec).string();
  }
  if (const char* s = std::getenv("DC_SOURCE_DIR"); s && *s) return Path(s, "reference");
  return "reference";
}

absl::StatusOr<Reference> Reference::Load(const std::string& dir) {
  Reference r;
  r.dir_ = dir;
  auto version = ReadTextFile(Path(dir, "VERSION"));
  if (!version.ok()) {
    return absl::NotFoundError(
        absl::StrCat("reference library not found in \"", dir,
                     "\" (no VERSION file); pass --reference DIR or set DC_REFERENCE_DIR"));
  }
  r.version_ = Trim(*version);
  for (auto load : {&Reference::LoadGbt2589, &Reference::LoadCarriers, &Reference::LoadFuelDefaults,
                    &Reference::LoadGrid, &Reference::LoadGwp, &Reference::LoadProcess,
                    &Reference::LoadBenchmarks, &Reference::LoadMisc, &Reference::LoadCbam}) {
    if (absl::Status s = (r.*load)(dir); !s.ok()) return s;
  }
  return r;
}

void Reference::Put(RefValue v) {
  std::string k = v.key;
  values_[k] = std::move(v);
}

absl::Status Reference::LoadGbt2589(const std::string& dir) {
  for (std::string_view file :
       {"gbt2589_standard_coal_coefficients.csv", "gbt2589_energy_media_equivalents.csv"}) {
    bool media = absl::StrContains(AV(file), "media");
    auto t = Open(dir, file, {"coefficient", "coefficient_unit", "source", "confidence"});
    if (!t.ok()) return t.status();
    for (const auto& row : t->rows()) {
      std::string en = Trim(t->Get(row, media ? "medium_en" : "item_en"));
      if (en.empty()) continue;
      // Stored under the English item name; carriers link to it (carriers.csv gbt2589_item).
      Put(Make(absl::StrCat(media ? "media." : "gbt2589.", en), *t, row, "coefficient",
               Trim(t->Get(row, "coefficient_unit"))));
    }
  }
  return absl::OkStatus();
}

absl::Status Reference::LoadCarriers(const std::string& dir) {
  auto t = Open(dir, "carriers.csv", {"key", "class", "base_unit", "units", "tce_rule"});
  if (!t.ok()) return t.status();
  static const std::map<std::string, CarrierClass, std::less<>> kClasses = {
      {"electricity", CarrierClass::kElectricity},
      {"heat", CarrierClass::kHeat},
      {"steam", CarrierClass::kSteam},
      {"hot_water", CarrierClass::kHotWater},
      {"solid", CarrierClass::kSolid},
      {"liquid", CarrierClass::kLiquid},
      {"gas", CarrierClass::kGas},
      {"medium", CarrierClass::kMedium},
      {"product", CarrierClass::kProduct}};
  for (const auto& row : t->rows()) {
    Carrier c;
    c.key = Trim(t->Get(row, "key"));
    c.name_cn = Trim(t->Get(row, "name_cn"));
    c.name_en = Trim(t->Get(row, "name_en"));
    auto cls = kClasses.find(Trim(t->Get(row, "class")));
    if (cls == kClasses.end()) {
      return absl::InvalidArgumentError(absl::StrCat(t->name(), ":", row.line, ": unknown class"));
    }
    c.cls = cls->second;
    c.base_unit = Trim(t->Get(row, "base_unit"));
    std::string units = Trim(t->Get(row, "units"));
    if (units != "*") {
      for (absl::string_view part : absl::StrSplit(units, ';', absl::SkipEmpty())) {
        std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, '=');
        double m = ParseNumber(SV(kv.second));
        if (!(m > 0)) {
          return absl::InvalidArgumentError(
              absl::StrCat(t->name(), ":", row.line, ": bad unit multiplier in \"", part, "\""));
        }
        c.units.emplace_back(std::string(kv.first), m);
      }
    }
    c.tce_rule = Trim(t->Get(row, "tce_rule"));
    c.fuel_item = Trim(t->Get(row, "fuel_item"));
    c.note = Trim(t->Get(row, "note"));
    std::string item = Trim(t->Get(row, "gbt2589_item"));
    if (c.tce_rule == "gbt2589" || c.tce_rule == "gbt2589_upper" || c.tce_rule == "media" ||
        (c.tce_rule == "heat" && c.cls == CarrierClass::kHeat)) {
      const RefValue* src = Find(absl::StrCat(c.tce_rule == "media" ? "media." : "gbt2589.", item));
      if (!src) {
        return absl::InvalidArgumentError(absl::StrCat(t->name(), ":", row.line, ": carrier ",
                                                       c.key, " links to unknown GB/T 2589 item \"",
                                                       item, "\""));
      }
      RefValue v = *src;
      v.key = absl::StrCat("tce.", c.key);
      if (c.tce_rule == "gbt2589_upper") {
        std::pair<absl::string_view, absl::string_view> lohi = absl::StrSplit(v.text, '-');
        v.value = ParseNumber(SV(lohi.second));
        v.note = absl::StrCat("upper value of the range ", v.text, "; ", c.note);
        v.text = Trim(SV(lohi.second));
      }
      if (!v.numeric()) {
        return absl::InvalidArgumentError(absl::StrCat(t->name(), ":", row.line, ": carrier ",
                                                       c.key, ": coefficient \"", v.text,
                                                       "\" is not a number"));
      }
      c.tce_key = v.key;
      c.tce_per_base = TcePerBase(v.value, v.unit, c.base_unit);
      Put(std::move(v));
    }
    carriers_[c.key] = std::move(c);
  }
  return IndexCarrierNames();
}

// Chinese and English names -> key. A name that is another carrier's key or name would make a
// site file ambiguous: an error naming both.
absl::Status Reference::IndexCarrierNames() {
  carrier_names_.clear();
  for (const auto& [key, c] : carriers_) {
    for (std::string name : {c.name_cn, absl::AsciiStrToLower(c.name_en)}) {
      if (name.empty() || name == key) continue;
      const Carrier* other = FindCarrier(name);
      auto [it, added] = carrier_names_.emplace(name, key);
      if ((other != nullptr && other->key != key) || (!added && it->second != key)) {
        return absl::InvalidArgumentError(absl::StrCat("carriers.csv: the name \"", name,
                                                       "\" is used by carriers ", key, " and ",
                                                       other != nullptr ? other->key : it->second));
      }
    }
  }
  // Electricity equal-value (等价值) and heat for steam/hot water use the heat coefficient.
  return absl::OkStatus();
}

absl::Status Reference::LoadFuelDefaults(const std::string& dir) {
  auto t = Open(dir, "cn_fuel_defaults_guideline.csv",
                {"fuel_cn", "fuel_en", "table_variant", "ncv", "ncv_unit",
                 "carbon_content_per_heat", "oxidation_rate_pct", "source", "confidence"});
  if (!t.ok()) return t.status();
  // Chinese name -> carrier key, from variant A's English names and the carriers' names.
  std::map<std::string, std::string, std::less<>> by_cn;
  for (const auto& row : t->rows()) {
    std::string en = Trim(t->Get(row, "fuel_en"));
    for (const auto& [key, c] : carriers_) {
      if (!c.fuel_item.empty() &&
          (c.fuel_item == en || c.name_cn == Trim(t->Get(row, "fuel_cn")))) {
        by_cn[Trim(t->Get(row, "fuel_cn"))] = key;
      }
    }
  }
  for (const auto& row : t->rows()) {
    auto it = by_cn.find(Trim(t->Get(row, "fuel_cn")));
    if (it == by_cn.end()) continue;  // a fuel with no carrier key: listed in the file only
    std::string variant = Trim(t->Get(row, "table_variant"));
    std::string base = absl::StrCat("fuel.", variant, ".", it->second, ".");
    std::string ncv_unit = Trim(t->Get(row, "ncv_unit"));
    Put(Make(base + "ncv", *t, row, "ncv", ncv_unit));
    Put(Make(base + "cc", *t, row, "carbon_content_per_heat", "tC/TJ"));
    RefValue of = Make(base + "of", *t, row, "oxidation_rate_pct", "fraction");
    if (of.numeric()) {
      of.note = absl::StrCat(of.text, " % in the source table; ", of.note);
      of.value /= 100.0;
      of.text_unit = "%";
      Put(std::move(of));
    }
  }
  return absl::OkStatus();
}

absl::Status Reference::LoadGwp(const std::string& dir) {
  auto t = Open(dir, "gwp_values.csv", {"gas", "SAR", "AR4", "AR5", "AR6", "source", "confidence"});
  if (!t.ok()) return t.status();
  for (const auto& row : t->rows()) {
    std::string gas = Trim(t->Get(row, "gas"));
    if (gas.empty() || absl::StartsWith(gas, "note")) continue;
    gas = gas.substr(0, gas.find(' '));  // "CF4 (PFC-14)" -> "CF4"
    for (std::string_view set : {"SAR", "AR4", "AR5", "AR6"}) {
      RefValue v = Make(absl::StrCat("gwp.", AV(set), ".", gas), *t, row, set, "-");
      if (!v.numeric()) {
        // "24300 | 25200 (disputed)": the first value, flagged low.
        double first = ParseNumber(
            SV(absl::StripAsciiWhitespace(absl::string_view(v.text).substr(0, v.text.find('|')))));
        if (!(first == first)) continue;
        v.value = first;
        v.level = Confidence::kLow;
        v.note = absl::StrCat("disputed: ", v.text, "; first value used; ", v.note);
      }
      // A confidence qualified by a set ("low (AR6)") applies to that set only.
      if (auto p = v.confidence.find('('); p != std::string::npos && p > 0) {
        bool names_set = absl::StrContains(v.confidence.substr(p), AV(set));
        bool names_any = absl::StrContains(v.confidence.substr(p), "AR");
        if (names_any && !names_set) v.level = Confidence::kHigh;
      }
      Put(std::move(v));
    }
  }
  return absl::OkStatus();
}

absl::Status Reference::LoadProcess(const std::string& dir) {
  auto keys = Open(dir, "process_factor_keys.csv", {"key", "sector", "parameter_en"});
  if (!keys.ok()) return keys.status();
  auto t = Open(dir, "cn_process_emission_factors.csv",
                {"sector", "parameter_en", "value", "unit", "source", "confidence"});
  if (!t.ok()) return t.status();
  for (const auto& k : keys->rows()) {
    std::string key = Trim(keys->Get(k, "key"));
    const CsvRow* found = nullptr;
    for (const auto& row : t->rows()) {
      if (Trim(t->Get(row, "sector")) == Trim(keys->Get(k, "sector")) &&
          Trim(t->Get(row, "parameter_en")) == Trim(keys->Get(k, "parameter_en"))) {
        found = &row;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat(keys->name(), ":", k.line, ": ", key, " links to no row of ", t->name()));
    }
    RefValue v =
        Make(absl::StrCat("process.", key), *t, *found, "value", Trim(t->Get(*found, "unit")));
    if (v.unit == "%") {
      v.note = absl::StrCat(v.text, " % in the source table; ", v.note);
      v.value /= 100.0;
      v.unit = "fraction";
      v.text_unit = "%";
    }
    Put(std::move(v));
  }
  return absl::OkStatus();
}

absl::Status Reference::LoadBenchmarks(const std::string& dir) {
  auto keys = Open(dir, "benchmark_keys.csv", {"key", "sector", "product_or_process", "basis"});
  if (!keys.ok()) return keys.status();
  auto t = Open(dir, "cn_energy_efficiency_benchmarks.csv",
                {"sector", "product_or_process", "benchmark_标杆", "baseline_基准", "unit",
                 "source", "confidence"});
  if (!t.ok()) return t.status();
  for (const auto& k : keys->rows()) {
    std::string key = Trim(keys->Get(k, "key"));
    const CsvRow* found = nullptr;
    for (const auto& row : t->rows()) {
      if (Trim(t->Get(row, "sector")) == Trim(keys->Get(k, "sector")) &&
          Trim(t->Get(row, "product_or_process")) == Trim(keys->Get(k, "product_or_process"))) {
        found = &row;
        break;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat(keys->name(), ":", k.line, ": ", key, " links to no row of ", t->name()));
    }
    std::string unit = Trim(t->Get(*found, "unit"));
    for (auto [suffix, col] :
         {std::pair<std::string_view, std::string_view>{"benchmark", "benchmark_标杆"},
          {"baseline", "baseline_基准"}}) {
      RefValue v = Make(absl::StrCat("benchmark.", key, ".", AV(suffix)), *t, *found, col, unit);
      v.note = absl::StrCat(Trim(t->Get(*found, "product_or_process")), " ",
                            Trim(t->Get(*found, "indicator")), "; basis ",
                            Trim(keys->Get(k, "basis")), "; ", v.note);
      v.basis = Trim(keys->Get(k, "basis"));
      Put(std::move(v));
    }
  }
  return absl::OkStatus();
}

absl::Status Reference::LoadMisc(const std::string& dir) {
  auto t = Open(dir, "cn_energy_misc.csv", {"item", "value", "unit", "source", "confidence"});
  if (!t.ok()) return t.status();
  int year = 2020;
  for (const auto& row : t->rows()) {
    std::string item = Trim(t->Get(row, "item"));
    if (absl::StrContains(item, "coal consumption for power") || absl::StartsWith(item, "... ")) {
      if (absl::StartsWith(item, "... ") && !absl::SimpleAtoi(AV(item.substr(4)), &year)) continue;
      RefValue v =
          Make(absl::StrCat("coal_rate.", year), *t, row, "value", Trim(t->Get(row, "unit")));
      v.note = absl::StrCat(item, "; ", v.note);
      Put(std::move(v));
    } else if (item == "tce -> GJ") {
      Put(Make("energy.gj_per_tce", *t, row, "value", "GJ/tce"));
    } else if (absl::StartsWith(item, "kgoe")) {
      Put(Make("energy.kgce_per_kgoe", *t, row, "value", "kgce/kgoe"));
    } else if (absl::StartsWith(item, "legacy NBS equal-value")) {
      Put(Make("energy.legacy_equal_value_electricity", *t, row, "value", "kgce/kWh"));
    }
  }
  return absl::OkStatus();
}

absl::Status Reference::LoadCbam(const std::string& dir) {
  auto d = Open(dir, "cbam_default_values.csv",
                {"period", "country", "cn_code", "direct_tCO2e_per_t", "indirect_tCO2e_per_t",
                 "source", "confidence"});
  if (!d.ok()) return d.status();
  for (const auto& row : d->rows()) {
    std::string period = Trim(d->Get(row, "period"));
    std::string p = period.substr(0, period.find(' '));
    std::string code = Trim(d->Get(row, "cn_code"));
    std::string compact;
    for (char c : code) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c))) compact.push_back(c);
    }
    std::string base =
        absl::StrCat("cbam.", p, ".", Trim(d->Get(row, "country")), ".", compact, ".");
    for (auto [suffix, col] :
         {std::pair<std::string_view, std::string_view>{"direct", "direct_tCO2e_per_t"},
          {"indirect", "indirect_tCO2e_per_t"}}) {
      RefValue v = Make(base + std::string(suffix), *d, row, col, "tCO2e/t");
      if (v.text.empty()) continue;
      v.note = absl::StrCat(Trim(d->Get(row, "description")), " (CN ", code, ", ", period, "); ",
                            v.note);
      if (v.text.back() == '?') v.level = Confidence::kLow;
      if (!v.numeric())
        v.value = ParseNumber(std::string_view(v.text).substr(0, v.text.size() - 1));
      Put(std::move(v));
    }
  }
  auto c = Open(dir, "cbam_formulas_constants.csv",
                {"parameter", "value", "unit", "source", "confidence"});
  if (!c.ok()) return c.status();
  for (const auto& row : c->rows()) {
    std::string param = Trim(c->Get(row, "parameter"));
    std::string key;
    for (char ch : param) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(ch))) {
        key.push_back(absl::ascii_tolower(static_cast<unsigned char>(ch)));
      } else if (!key.empty() && key.back() != '_') {
        key.push_back('_');
      }
    }
    while (!key.empty() && key.back() == '_') key.pop_back();
    RefValue v =
        Make(absl::StrCat("cbam.const.", key), *c, row, "value", Trim(c->Get(row, "unit")));
    v.note = absl::StrCat(param, "; ", Trim(c->Get(row, "formula_context")), "; ", v.note);
    Put(std::move(v));
  }
  return absl::OkStatus();
}

const RefValue* Reference::Find(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

absl::StatusOr<const RefValue*> Reference::Get(std::string_view key) const {
  if (const RefValue* v = Find(key); v && v->numeric()) return v;
  return absl::NotFoundError(
      absl::StrCat("missing factor: reference ", version_, " has no value for \"", AV(key), "\""));
}

std::vector<const RefValue*> Reference::List(std::string_view prefix) const {
  std::vector<const RefValue*> out;
  for (auto it = values_.lower_bound(prefix); it != values_.end(); ++it) {
    if (!absl::StartsWith(it->first, AV(prefix))) break;
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    if (!prefix.empty() && prefix.back() != '.' && !rest.empty() && rest.front() != '.') continue;
    out.push_back(&it->second);
  }
  return out;
}

std::vector<std::string> Reference::Tables() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : values_) {
    std::string t = k.substr(0, k.find('.'));
    if (out.empty() || out.back() != t) out.push_back(t);
  }
  return out;
}

const Carrier* Reference::FindCarrier(std::string_view name) const {
  if (auto it = carriers_.find(name); it != carriers_.end()) return &it->second;
  const std::string lower = absl::AsciiStrToLower(AV(name));
  if (auto it = carriers_.find(lower); it != carriers_.end()) return &it->second;
  auto n = carrier_names_.find(name);
  if (n == carrier_names_.end()) n = carrier_names_.find(lower);
  if (n == carrier_names_.end()) return nullptr;
  auto it = carriers_.find(n->second);
  return it == carriers_.end() ? nullptr : &it->second;
}

std::string Reference::CarrierKeys() const {
  std::vector<std::string> keys;
  for (const auto& [k, c] : carriers_) {
    keys.push_back(c.name_cn.empty() ? k : absl::StrCat(k, " (", c.name_cn, ")"));
  }
  return absl::StrJoin(keys, ", ");
}

}  // namespace dc::accounting
