// Writing a Site back: TOML (SiteToToml) and the JSON form (SiteToJson).
#include <sstream>
#include <type_traits>
#include <variant>

#include "model/site.h"
#include "model/site_factors_internal.h"
#include "model/site_fields.h"
#include "model/site_internal.h"
#include "nlohmann/json.hpp"
#include "toml++/toml.h"

namespace dc::model {

namespace {

using internal::Field;
using internal::FieldValue;

// A field's value into a TOML table (nothing for monostate).
void PutValue(toml::table* t, std::string_view key, const FieldValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) t->insert_or_assign(key, *s);
  if (const auto* d = std::get_if<double>(&v)) t->insert_or_assign(key, *d);
  if (const auto* i = std::get_if<int64_t>(&v)) t->insert_or_assign(key, *i);
  if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    toml::array a;
    for (const auto& x : *l) a.push_back(x);
    t->insert_or_assign(key, std::move(a));
  }
}

void JsonValue(nlohmann::json* j, std::string_view key, const FieldValue& v) {
  std::visit(
      [&](const auto& x) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) {
          (*j)[std::string(key)] = x;
        }
      },
      v);
}

template <typename T>
toml::table TomlOf(const std::vector<Field<T>>& fields, const T& v) {
  toml::table t;
  for (const auto& f : fields) PutValue(&t, f.key, f.toml(v));
  return t;
}

template <typename T>
nlohmann::json JsonOf(const std::vector<Field<T>>& fields, const T& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : fields) JsonValue(&j, f.key, f.json(v));
  return j;
}

void PutStr(toml::table* t, std::string_view key, std::string_view v) {
  if (!v.empty()) t->insert_or_assign(key, std::string(v));
}

}  // namespace

std::string SiteToToml(const Site& site) {
  toml::table root;
  root.insert_or_assign("site", TomlOf(internal::SiteFields(), site));
  toml::array meters;
  for (const auto& m : site.meters) {
    toml::table t = TomlOf(internal::MeterFields(), m);
    if (!m.lab.empty()) {
      toml::array lab;
      for (const auto& l : m.lab) lab.push_back(TomlOf(internal::LabFields(), l));
      t.insert_or_assign("lab", std::move(lab));
    }
    meters.push_back(std::move(t));
  }
  if (!meters.empty()) root.insert_or_assign("meter", std::move(meters));
  toml::array virt;
  for (const auto& v : site.virtual_meters)
    virt.push_back(TomlOf(internal::VirtualMeterFields(), v));
  if (!virt.empty()) root.insert_or_assign("virtual_meter", std::move(virt));
  toml::array products;
  for (const auto& p : site.products) products.push_back(TomlOf(internal::ProductFields(), p));
  if (!products.empty()) root.insert_or_assign("product", std::move(products));
  toml::array processes;
  for (const auto& p : site.processes) {
    toml::table t;
    PutStr(&t, "method", Name(p.method));
    PutStr(&t, "id", p.id);
    if (p.tier != Tier::kGuideline) PutStr(&t, "tier", Name(p.tier));
    PutStr(&t, "area", p.area);
    bool inline_item = p.meters.count("meter") > 0;
    for (const auto& [k, v] : p.meters) t.insert_or_assign(k, v);
    for (const auto& [k, v] : p.numbers) t.insert_or_assign(k, v);
    for (const auto& [k, v] : p.strings) t.insert_or_assign(k, v);
    for (std::string_view list : {"inputs", "outputs"}) {
      const auto& items = list == "inputs" ? p.inputs : p.outputs;
      toml::array arr;
      for (size_t i = (list == "inputs" && inline_item) ? 1 : 0; i < items.size(); ++i) {
        arr.push_back(TomlOf(internal::ItemFields(), items[i]));
      }
      if (!arr.empty()) t.insert_or_assign(list, std::move(arr));
    }
    processes.push_back(std::move(t));
  }
  if (!processes.empty()) root.insert_or_assign("process", std::move(processes));
  internal::FactorTablesToToml(site, &root);  // [[factor]], [[instrument]] (site_factors.cc)
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

nlohmann::json SiteToJson(const Site& site) {
  using nlohmann::json;
  json j = JsonOf(internal::SiteFields(), site);
  j["meters"] = json::array();
  for (const auto& m : site.meters) {
    json x = JsonOf(internal::MeterFields(), m);
    for (const auto& l : m.lab) x["lab"].push_back(JsonOf(internal::LabFields(), l));
    j["meters"].push_back(x);
  }
  j["virtual_meters"] = json::array();
  for (const auto& v : site.virtual_meters) {
    j["virtual_meters"].push_back(JsonOf(internal::VirtualMeterFields(), v));
  }
  j["products"] = json::array();
  for (const auto& p : site.products) j["products"].push_back(JsonOf(internal::ProductFields(), p));
  j["processes"] = json::array();
  for (const auto& p : site.processes) {
    json x = {{"method", Name(p.method)}, {"id", p.id}};
    if (p.tier != Tier::kGuideline) x["tier"] = Name(p.tier);
    if (!p.area.empty()) x["area"] = p.area;
    for (const auto& [k, v] : p.meters) x[k] = v;
    for (const auto& [k, v] : p.numbers) x[k] = v;
    for (const auto& [k, v] : p.strings) x[k] = v;
    for (std::string_view list : {"inputs", "outputs"}) {
      const auto& items = list == "inputs" ? p.inputs : p.outputs;
      for (const auto& it : items)
        x[std::string(list)].push_back(JsonOf(internal::ItemFields(), it));
    }
    j["processes"].push_back(x);
  }
  internal::FactorTablesToJson(site, &j);
  return j;
}

}  // namespace dc::model
