// Writing a Site back: TOML (SiteToToml) and the JSON form (SiteToJson).
#include <sstream>

#include "model/site.h"
#include "model/site_factors_internal.h"
#include "model/site_fields.h"
#include "model/site_internal.h"
#include "nlohmann/json.hpp"
#include "toml++/toml.h"

namespace dc::model {

using internal::JsonOf;
using internal::TomlOf;

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
    toml::table t = TomlOf(internal::ProcessFields(), p);
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
    json x = JsonOf(internal::ProcessFields(), p);
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
