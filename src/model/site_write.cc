// Writing a Site back: TOML (SiteToToml) and the JSON form (SiteToJson).
#include <sstream>

#include "model/site.h"
#include "model/site_internal.h"
#include "model/site_factors_internal.h"
#include "nlohmann/json.hpp"
#include "toml++/toml.h"

namespace dc::model {

namespace {

void PutOpt(toml::table* t, std::string_view key, const std::optional<double>& v) {
  if (v) t->insert_or_assign(key, *v);
}
void PutStr(toml::table* t, std::string_view key, std::string_view v) {
  if (!v.empty()) t->insert_or_assign(key, std::string(v));
}

template <typename T>
void PutNumbers(toml::table* t, const std::vector<internal::NumberField<T>>& fields, const T& v) {
  for (const auto& f : fields) PutOpt(t, f.key, v.*f.member);
}

template <typename T>
void JsonNumbers(nlohmann::json* j, const std::vector<internal::NumberField<T>>& fields,
                 const T& v) {
  for (const auto& f : fields) {
    if (const auto& x = v.*f.member) (*j)[std::string(f.key)] = *x;
  }
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
  if (site.grid_factor != "average") PutStr(&s, "grid_factor", site.grid_factor);
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
    PutStr(&t, "kind", Name(m.kind));
    PutStr(&t, "unit", m.unit);
    PutStr(&t, "flow", Name(m.flow));
    PutStr(&t, "integrate", Name(m.integrate));
    PutStr(&t, "area", m.area);
    PutStr(&t, "series", m.series);
    if (m.rollover > 0) t.insert_or_assign("rollover", m.rollover);
    PutNumbers(&t, internal::MeterNumbers(), m);
    if (!m.lab.empty()) {
      toml::array lab;
      for (const auto& l : m.lab) {
        toml::table lt;
        PutStr(&lt, "period", l.period);
        PutNumbers(&lt, internal::LabNumbers(), l);
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
    PutStr(&t, "flow", Name(v.flow));
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
        const auto& it = items[i];
        toml::table x;
        PutStr(&x, "meter", it.meter);
        PutStr(&x, "material", it.material);
        PutNumbers(&x, internal::ItemNumbers(), it);
        arr.push_back(std::move(x));
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
  if (site.grid_factor != "average") j["grid_factor"] = site.grid_factor;
  opt(&j, "electricity_coal_rate_gce_per_kwh", site.electricity_coal_rate_gce_per_kwh);
  j["meters"] = json::array();
  for (const auto& m : site.meters) {
    json x = {{"id", m.id},
              {"carrier", m.carrier},
              {"kind", Name(m.kind)},
              {"unit", m.unit},
              {"flow", Name(m.flow)}};
    if (m.integrate != Integration::kNone) x["integrate"] = Name(m.integrate);
    if (!m.area.empty()) x["area"] = m.area;
    if (!m.series.empty()) x["series"] = m.series;
    if (m.rollover > 0) x["rollover"] = m.rollover;
    JsonNumbers(&x, internal::MeterNumbers(), m);
    for (const auto& l : m.lab) {
      json y = {{"period", l.period}};
      JsonNumbers(&y, internal::LabNumbers(), l);
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
                                   {"flow", Name(v.flow)},
                                   {"area", v.area}});
  }
  j["products"] = json::array();
  for (const auto& p : site.products) {
    j["products"].push_back(
        {{"id", p.id}, {"meter", p.meter}, {"areas", p.areas}, {"benchmark", p.benchmark}});
  }
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
      for (const auto& it : items) {
        json y = {{"meter", it.meter}};
        if (!it.material.empty()) y["material"] = it.material;
        JsonNumbers(&y, internal::ItemNumbers(), it);
        x[std::string(list)].push_back(y);
      }
    }
    j["processes"].push_back(x);
  }
  internal::FactorTablesToJson(site, &j);
  return j;
}

}  // namespace dc::model
