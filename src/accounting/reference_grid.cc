// The reference library's electricity factors: regions, the published factor types and the
// choice of a factor for a period (nearest earlier data year when the period's year has none).
#include <array>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/reference.h"
#include "accounting/reference_internal.h"
#include "common/strings.h"

namespace dc::accounting {
namespace {

using internal::Make;
using internal::Open;
using internal::Trim;

constexpr std::array<GridFactorType, 5> kGridTypes = {{
    {"average", "grid", "电力平均二氧化碳排放因子",
     "MEE/NBS average CO2 factor of electricity (national, regional, provincial)", true},
    {"excl_market_nonfossil", "grid_excl_market", "电力平均(不包括市场化交易的非化石能源电量)",
     "MEE/NBS national average excluding market-traded non-fossil power", true},
    {"fossil", "grid_fossil", "化石能源电力二氧化碳排放因子",
     "MEE/NBS national factor of fossil-fuelled power", true},
    {"carbon_market", "grid_carbon_market", "全国碳市场电网排放因子(企业温室气体排放核算用)",
     "the national carbon market's grid factor for enterprise GHG accounting (MEE)", true},
    {"footprint", "grid_footprint", "电力平均碳足迹因子 (life-cycle, CPCD)",
     "life-cycle carbon-footprint factor (product footprints, not scope 2)", false},
}};

const GridFactorType* TypeByCn(std::string_view cn) {
  for (const auto& t : kGridTypes) {
    if (t.factor_type_cn == cn) return &t;
  }
  return nullptr;
}

int KeyYear(const RefValue& v) {
  int y = 0;
  (void)absl::SimpleAtoi(AV(std::string_view(v.key).substr(v.key.rfind('.') + 1)), &y);
  return y;
}

std::string Years(const std::vector<const RefValue*>& list) {
  std::vector<int> years;
  for (const RefValue* v : list) years.push_back(KeyYear(*v));
  return absl::StrJoin(years, ", ");
}

}  // namespace

std::span<const GridFactorType> GridFactorTypes() { return kGridTypes; }

const GridFactorType* FindGridFactorType(std::string_view name) {
  for (const auto& t : kGridTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string GridFactorTypeNames() {
  std::vector<std::string> names;
  for (const auto& t : kGridTypes) {
    if (t.selectable) names.emplace_back(t.name);
  }
  return absl::StrJoin(names, ", ");
}

std::string DescribeUse(const RefValue& v, double used, std::string_view used_unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", used);
  std::string out = absl::StrCat(v.key, " = ", buf, " ", AV(used_unit));
  std::string_view text_unit = v.text_unit.empty() ? std::string_view(v.unit) : v.text_unit;
  if (v.text != buf || text_unit != used_unit) {
    absl::StrAppend(&out, " (published as ", v.text, " ", AV(text_unit), ")");
  }
  return out;
}

absl::Status Reference::LoadGrid(const std::string& dir) {
  auto regions = Open(dir, "grid_regions.csv", {"key", "area_cn"});
  if (!regions.ok()) return regions.status();
  std::map<std::string, std::string, std::less<>> cn_to_key;
  for (const auto& row : regions->rows()) {
    std::string key = Trim(regions->Get(row, "key"));
    std::string cn = Trim(regions->Get(row, "area_cn"));
    regions_[key] = key;
    regions_[cn] = key;
    cn_to_key[cn] = key;
  }
  auto t =
      Open(dir, "cn_grid_emission_factors.csv",
           {"data_year", "scope", "area", "factor_type", "value", "unit", "source", "confidence"});
  if (!t.ok()) return t.status();
  for (const auto& row : t->rows()) {
    const GridFactorType* type = TypeByCn(Trim(t->Get(row, "factor_type")));
    int year;
    if (!type || !absl::SimpleAtoi(AV(Trim(t->Get(row, "data_year"))), &year)) continue;
    auto key = cn_to_key.find(Trim(t->Get(row, "area")));
    if (key == cn_to_key.end()) continue;
    std::string unit = Trim(t->Get(row, "unit"));
    bool co2e = unit == "kgCO2e/kWh";
    RefValue v = Make(absl::StrCat(AV(type->prefix), ".", key->second, ".", year), *t, row, "value",
                      co2e ? "tCO2e/MWh" : "tCO2/MWh");
    if (!v.numeric()) continue;
    v.text_unit = unit;  // kgCO2/kWh = tCO2/MWh: the same number
    v.note = absl::StrCat(AV(type->factor_type_cn), "; published as ", v.text, " ", unit, "; ",
                          Trim(t->Get(row, "published")), "; ", v.note);
    Put(std::move(v));
  }
  return absl::OkStatus();
}

std::string Reference::RegionKey(std::string_view region) const {
  auto it = regions_.find(region);
  return it == regions_.end() ? "" : it->second;
}

std::string Reference::RegionKeys() const {
  std::vector<std::string> keys;
  for (const auto& [alias, key] : regions_) {
    if (alias == key) keys.push_back(key);
  }
  return absl::StrJoin(keys, ", ");
}

absl::StatusOr<const RefValue*> Reference::GridFactor(std::string_view region, int year) const {
  GridRequest req;
  req.region = region;
  req.year = year;
  auto c = SelectGridFactor(req);
  if (!c.ok()) return c.status();
  return c->value;
}

absl::StatusOr<GridChoice> Reference::SelectGridFactor(const GridRequest& req) const {
  const GridFactorType* type = FindGridFactorType(req.type);
  if (!type || !type->selectable) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown grid_factor \"", AV(req.type), "\"; known: ", GridFactorTypeNames()));
  }
  std::string key = RegionKey(req.region);
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown grid_region \"", AV(req.region), "\"; known: ", RegionKeys()));
  }
  auto list = List(absl::StrCat(AV(type->prefix), ".", key));  // sorted by year (4 digits)
  if (list.empty()) {
    return absl::NotFoundError(absl::StrCat("missing factor: reference ", version_, " has no ",
                                            AV(type->name), " grid factor for region ", key));
  }
  GridChoice c;
  if (req.year != 0) {
    c.value = Find(absl::StrCat(AV(type->prefix), ".", key, ".", req.year));
    if (!c.value) {
      return absl::NotFoundError(absl::StrCat("missing factor: no ", AV(type->name),
                                              " grid factor for region ", key, " in ", req.year,
                                              " (reference ", version_, " has ", Years(list), ")"));
    }
  } else if (req.data_year == 0) {
    c.value = list.back();
  } else {
    for (const RefValue* v : list) {
      if (KeyYear(*v) <= req.data_year) c.value = v;
    }
    if (!c.value) {
      return absl::NotFoundError(
          absl::StrCat("missing factor: no ", AV(type->name), " grid factor for region ", key,
                       " in ", req.data_year, " or earlier (reference ", version_, " has ",
                       Years(list), "); set grid_year to choose a published year"));
    }
  }
  c.year = KeyYear(*c.value);
  if (req.year == 0 && req.data_year != 0 && c.year != req.data_year) {
    c.warning = absl::StrCat("grid factor: none published for the data year ", req.data_year, " (",
                             AV(type->name), ", ", key, "); the nearest earlier year ", c.year,
                             " is used: ", c.value->key, " = ", c.value->text, " ", c.value->unit);
  }
  if (req.year == 0 && req.data_year_end > req.data_year) {
    absl::StrAppend(&c.warning, c.warning.empty() ? "" : "; ", "grid factor: the period spans ",
                    req.data_year, "-", req.data_year_end, "; the factor is chosen for ",
                    req.data_year, ", the year it starts (set grid_year to choose another)");
  }
  return c;
}

}  // namespace dc::accounting
