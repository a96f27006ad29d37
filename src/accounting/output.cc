// Inventory renderings: JSON (docs/site-model.md), CSV ledger, Markdown and simple HTML.
#include <cstdio>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "accounting/breakdown.h"
#include "accounting/inventory.h"
#include "accounting/json_fields.h"
#include "accounting/report.h"
#include "common/csv_writer.h"
#include "common/time.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

using Json = nlohmann::ordered_json;
Json N(double v) { return NumberJson(v); }
Json N(const std::optional<double>& v) { return NumberJson(v); }
std::string Zoned(int64_t t, const std::string& tz) { return ZonedTime(t, tz); }

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", RoundOutput(v));
  return buf;
}

Json LineJson(const Line& l) {
  Json j = {{"source", l.source},
            {"category", CategoryName(l.category)},
            {"scope", l.scope},
            {"activity", {{"amount", N(l.amount)}, {"unit", l.unit}}}};
  j["factors"] = Json::array();
  for (const Factor& f : l.factors) j["factors"].push_back(FactorJson(f));
  j["formula"] = l.formula;
  j["tco2e"] = N(l.tco2e);
  if (!l.meter.empty()) j["meter"] = l.meter;
  if (!l.area.empty()) j["area"] = l.area;
  if (!l.method.empty()) j["method"] = l.method;
  if (!l.parts.empty()) {
    j["parts"] = Json::array();
    for (const Part& p : l.parts)
      j["parts"].push_back({{"meter", p.meter}, {"amount", N(p.amount)}, {"unit", p.unit}});
  }
  return j;
}

// Market-based scope 2 beside the location-based figures (GHG Protocol Scope 2 Guidance).
Json MarketJson(const Inventory& inv) {
  const MarketScope2& m = inv.market;
  Json j = {{"scope2_location_tco2e", N(inv.scope2_tco2e)},
            {"scope2_market_tco2e", N(inv.scope2_market_tco2e)},
            {"total_location_tco2e", N(inv.total_tco2e)},
            {"total_market_tco2e", N(inv.total_market_tco2e)},
            {"electricity_mwh", N(m.electricity_mwh)},
            {"covered_mwh", N(m.covered_mwh)},
            {"residual_mwh", N(m.residual_mwh)},
            {"electricity_tco2e", N(m.electricity_tco2e)}};
  j["instruments"] = Json::array();
  for (const InstrumentUse& u : m.instruments) {
    Json x = {{"id", u.id},
              {"type", u.type},
              {"period", u.period},
              {"mwh", N(u.mwh)},
              {"counted_mwh", N(u.counted_mwh)},
              {"used_mwh", N(u.used_mwh)},
              {"factor", FactorJson(u.factor)},
              {"tco2e", N(u.tco2e)},
              {"certificates", u.certificates},
              {"source", u.source}};
    if (!u.meter.empty()) x["meter"] = u.meter;
    x["parts"] = Json::array();
    for (const Part& p : u.parts)
      x["parts"].push_back({{"meter", p.meter}, {"amount", N(p.amount)}, {"unit", p.unit}});
    j["instruments"].push_back(x);
  }
  j["residual"] = Json::array();
  for (const ResidualUse& r : m.residual) {
    j["residual"].push_back({{"meter", r.meter},
                             {"mwh", N(r.mwh)},
                             {"factor", FactorJson(r.factor)},
                             {"tco2e", N(r.tco2e)}});
  }
  return j;
}

Json ToJson(const Inventory& inv) {
  Json j;
  j["site"] = inv.site;
  j["period"] = {{"start", Zoned(inv.period.start, inv.timezone)},
                 {"end", Zoned(inv.period.end, inv.timezone)},
                 {"text", inv.period.text},
                 {"timezone", inv.timezone}};
  j["reference"] = {{"version", inv.reference_version},
                    {"gwp", inv.gwp},
                    {"grid",
                     {{"region", inv.grid_region},
                      {"year", inv.grid_year},
                      {"tco2_per_mwh", N(inv.grid_tco2_per_mwh)},
                      {"key", inv.grid_key}}},
                    {"fuel_table", inv.fuel_table},
                    {"electricity_tce", inv.electricity_tce}};
  if (inv.grid_site) j["reference"]["grid"]["site_factor"] = FactorJson(*inv.grid_site);
  j["data_source"] = inv.data_source;
  Json energy = {{"total_tce", N(inv.total_tce)}};
  energy["by_carrier"] = Json::array();
  for (const auto& c : inv.by_carrier) {
    energy["by_carrier"].push_back(
        {{"carrier", c.carrier}, {"amount", N(c.amount)}, {"unit", c.unit}, {"tce", N(c.tce)}});
  }
  energy["by_meter"] = Json::array();
  for (const auto& m : inv.by_meter) {
    Json x = {{"meter", m.meter}, {"carrier", m.carrier},  {"flow", model::Name(m.flow)},
              {"area", m.area},   {"amount", N(m.amount)}, {"unit", m.unit},
              {"tce", N(m.tce)},  {"basis", m.basis},      {"tce_per_unit", N(m.coefficient)}};
    if (!m.coefficient_key.empty()) x["key"] = m.coefficient_key;
    energy["by_meter"].push_back(x);
  }
  j["energy"] = energy;
  Json em = {{"total_tco2e", N(inv.total_tco2e)},
             {"scope1_tco2e", N(inv.scope1_tco2e)},
             {"scope2_tco2e", N(inv.scope2_tco2e)},
             {"exports_tco2e", N(inv.exports_tco2e)}};
  em["lines"] = Json::array();
  for (const Line& l : inv.lines) em["lines"].push_back(LineJson(l));
  em["market_based"] = MarketJson(inv);
  j["emissions"] = em;
  j["products"] = Json::array();
  for (const auto& p : inv.products) {
    Json x = {{"id", p.id},
              {"output", N(p.output)},
              {"unit", p.unit},
              {"energy_kgce_per_unit", N(p.energy_kgce_per_unit)},
              {"co2e_t_per_unit", N(p.co2e_t_per_unit)}};
    if (p.benchmark) {
      const auto& b = *p.benchmark;
      x["benchmark"] = {{"key", b.key},
                        {"benchmark", N(b.benchmark)},
                        {"baseline", N(b.baseline)},
                        {"unit", b.unit},
                        {"grade", b.grade.empty() ? Json(nullptr) : Json(b.grade)},
                        {"basis", b.basis},
                        {"value", p.output > 0 ? N(b.value) : Json(nullptr)},
                        {"confidence", b.confidence}};
    } else {
      x["benchmark"] = nullptr;
    }
    x["meter"] = p.meter;
    x["areas"] = p.areas;
    x["energy_tce"] = N(p.energy_tce);
    x["co2e_t"] = N(p.co2e_t);
    x["electricity_kwh"] = N(p.electricity_kwh);
    j["products"].push_back(x);
  }
  j["warnings"] = inv.warnings;
  return j;
}

// The inventory CSV's columns after the optional leading one (breakdowns add "month").
const std::vector<std::string> kCsvColumns = {"section", "category", "source", "scope",  "amount",
                                              "unit",    "tco2e",    "tce",    "formula"};

// The rows of `inv`, each starting with `lead` when it is not null.
void CsvRows(const Inventory& inv, const std::string* lead, CsvWriter& w) {
  auto row = [&](std::string_view section, std::string_view category) -> CsvWriter& {
    if (lead != nullptr) w.Text(*lead);
    return w.Text(section).Text(category);
  };
  for (const Line& l : inv.lines) {
    row("emissions", CategoryName(l.category)).Text(l.source).Number(absl::StrCat(l.scope));
    w.Number(Num(l.amount)).Text(l.unit).Number(Num(l.tco2e)).Empty().Text(l.formula).EndRow();
  }
  for (const auto& c : inv.by_carrier) {
    row("energy", c.carrier).Empty().Empty().Number(Num(c.amount)).Text(c.unit).Empty();
    w.Number(Num(c.tce)).Empty().EndRow();
  }
  row("total", "scope1").Empty().Number("1").Empty().Empty().Number(Num(inv.scope1_tco2e));
  w.Empty().Empty().EndRow();
  row("total", "scope2").Empty().Number("2").Empty().Empty().Number(Num(inv.scope2_tco2e));
  w.Empty().Empty().EndRow();
  row("total", "exports").Empty().Empty().Empty().Empty().Number(Num(inv.exports_tco2e));
  w.Empty().Empty().EndRow();
  row("total", "total").Empty().Empty().Empty().Empty().Number(Num(inv.total_tco2e));
  w.Number(Num(inv.total_tce)).Empty().EndRow();
  for (const auto& p : inv.products) {
    row("product", p.id).Empty().Empty().Number(Num(p.output)).Text(p.unit);
    w.Number(Num(p.co2e_t)).Number(Num(p.energy_tce)).Empty().EndRow();
  }
}

std::string Html(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

}  // namespace

std::string InventoryToJson(const Inventory& inv) { return ToJson(inv).dump(2) + "\n"; }

std::string InventoryToCsv(const Inventory& inv) {
  CsvWriter w(kCsvColumns);
  CsvRows(inv, nullptr, w);
  return std::move(w).Take();
}

std::string InventoryToMarkdown(const Inventory& inv) {
  std::ostringstream o;
  o << "# Energy and carbon inventory 能源与碳排放清单 — " << inv.site << "\n\n";
  o << "- Period 核算期: " << Zoned(inv.period.start, inv.timezone) << " .. "
    << Zoned(inv.period.end, inv.timezone) << "\n- Reference 参考库: " << inv.reference_version
    << " (grid " << inv.grid_region << " " << inv.grid_year << ": " << Num(inv.grid_tco2_per_mwh)
    << " tCO2/MWh";
  if (inv.grid_site)
    o << "; site-wide grid factor used instead: " << Num(inv.grid_site->value) << " "
      << inv.grid_site->unit << ", " << inv.grid_site->source << " — " << inv.grid_site->citation;
  o << "; GWP " << inv.gwp << ")\n\n";
  o << "| 项目 item | value |\n|---|---:|\n";
  o << "| 综合能耗 energy (tce) | " << Num(inv.total_tce) << " |\n";
  o << "| 排放总量 total (tCO2e) | " << Num(inv.total_tco2e) << " |\n";
  o << "| 范围一 scope 1 (tCO2e) | " << Num(inv.scope1_tco2e) << " |\n";
  o << "| 范围二 scope 2 (tCO2e) | " << Num(inv.scope2_tco2e) << " |\n";
  o << "| 输出 exports (tCO2e) | " << Num(inv.exports_tco2e) << " |\n\n";
  o << "## Ledger 排放明细\n\n| source | category | activity | formula | tCO2e "
       "|\n|---|---|---:|---|---:|\n";
  for (const Line& l : inv.lines) {
    o << "| " << l.source << " | " << CategoryName(l.category) << " | " << Num(l.amount) << " "
      << l.unit << " | " << l.formula << " | " << Num(l.tco2e) << " |\n";
  }
  if (!inv.products.empty()) {
    o << "\n## Products 产品\n\n| product | output | kgce/unit | tCO2e/unit | grade "
         "|\n|---|---:|---:|---:|---|\n";
    for (const auto& p : inv.products) {
      o << "| " << p.id << " | " << Num(p.output) << " " << p.unit << " | "
        << (p.energy_kgce_per_unit ? Num(*p.energy_kgce_per_unit) : "—") << " | "
        << (p.co2e_t_per_unit ? Num(*p.co2e_t_per_unit) : "—") << " | "
        << (p.benchmark && !p.benchmark->grade.empty() ? p.benchmark->grade : "—") << " |\n";
    }
  }
  if (!inv.warnings.empty()) {
    o << "\n## Warnings 提示\n\n";
    for (const auto& w : inv.warnings) o << "- " << w << "\n";
  }
  return o.str();
}

std::string InventoryToHtml(const Inventory& inv) {
  std::ostringstream o;
  o << "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>Inventory "
    << Html(inv.site) << "</title></head><body>\n";
  o << "<h1>能源与碳排放清单 Energy and carbon inventory — " << Html(inv.site) << "</h1>\n";
  o << "<p>" << Html(Zoned(inv.period.start, inv.timezone)) << " .. "
    << Html(Zoned(inv.period.end, inv.timezone)) << "; reference " << Html(inv.reference_version)
    << "</p>\n<table>\n";
  o << "<tr><th>综合能耗 energy (tce)</th><td>" << Num(inv.total_tce) << "</td></tr>\n";
  o << "<tr><th>排放总量 total (tCO2e)</th><td>" << Num(inv.total_tco2e) << "</td></tr>\n";
  o << "<tr><th>范围一 scope 1</th><td>" << Num(inv.scope1_tco2e) << "</td></tr>\n";
  o << "<tr><th>范围二 scope 2</th><td>" << Num(inv.scope2_tco2e) << "</td></tr>\n</table>\n";
  o << "<table>\n<tr><th>source</th><th>category</th><th>activity</th><th>formula</th><th>tCO2e</"
       "th></tr>\n";
  for (const Line& l : inv.lines) {
    o << "<tr><td>" << Html(l.source) << "</td><td>" << Html(std::string(CategoryName(l.category)))
      << "</td><td>" << Num(l.amount) << " " << Html(l.unit) << "</td><td>" << Html(l.formula)
      << "</td><td>" << Num(l.tco2e) << "</td></tr>\n";
  }
  o << "</table>\n";
  if (!inv.warnings.empty()) {
    o << "<ul>\n";
    for (const auto& w : inv.warnings) o << "<li>" << Html(w) << "</li>\n";
    o << "</ul>\n";
  }
  o << "</body></html>\n";
  return o.str();
}

std::string BreakdownToJson(const Breakdown& b) {
  Json j = ToJson(b.total);
  j["by"] = b.by;
  j["parts"] = Json::array();
  for (const Inventory& p : b.parts) j["parts"].push_back(ToJson(p));
  return j.dump(2) + "\n";
}

std::string BreakdownToCsv(const Breakdown& b) {
  std::vector<std::string> columns = {b.by};
  columns.insert(columns.end(), kCsvColumns.begin(), kCsvColumns.end());
  CsvWriter w(columns);
  for (const Inventory& p : b.parts) CsvRows(p, &p.period.text, w);
  const std::string total = "total";
  CsvRows(b.total, &total, w);
  return std::move(w).Take();
}

namespace {

std::vector<DocCell> BreakdownRow(const std::string& label, const Inventory& inv) {
  std::vector<DocCell> row = {{label},
                              NumCell(inv.total_tce),
                              NumCell(inv.scope1_tco2e),
                              NumCell(inv.scope2_tco2e),
                              NumCell(inv.exports_tco2e),
                              NumCell(inv.total_tco2e)};
  for (const auto& p : inv.products) row.push_back(NumCell(p.output));
  return row;
}

}  // namespace

std::string BreakdownToMarkdown(const Breakdown& b, const ReportOptions& opt) {
  Doc d;
  d.title = absl::StrCat("逐月能源与碳排放 Energy and carbon by ", b.by, " — ", b.total.site);
  d.subtitle =
      absl::StrCat(b.total.period.text, " · ", ZonedTime(b.total.period.start, b.total.timezone),
                   " .. ", ZonedTime(b.total.period.end, b.total.timezone));
  std::vector<std::string> header = {b.by,
                                     "综合能耗 energy (tce)",
                                     "范围一 scope 1 (tCO2e)",
                                     "范围二 scope 2 (tCO2e)",
                                     "输出 exports (tCO2e)",
                                     "排放总量 total (tCO2e)"};
  for (const auto& p : b.total.products) {
    header.push_back(absl::StrCat("产量 ", p.id, " (", p.unit, ")"));
  }
  std::vector<std::vector<DocCell>> rows;
  for (const Inventory& p : b.parts) rows.push_back(BreakdownRow(p.period.text, p));
  rows.push_back(BreakdownRow("合计 total", b.total));
  d.Table(std::move(header), std::move(rows));
  return RenderMarkdown(d) + "\n" + InventoryReportMarkdown(b.total, opt);
}

Json NumberJson(double v) { return RoundOutput(v); }
Json NumberJson(const std::optional<double>& v) {
  return v ? Json(RoundOutput(*v)) : Json(nullptr);
}

std::string ZonedTime(int64_t t, const std::string& tz) {
  auto zone = LoadZone(tz);
  return FormatTime(t, zone.ok() ? *zone : absl::UTCTimeZone());
}

Json FactorJson(const Factor& f) {
  Json j = {
      {"name", f.name}, {"value", NumberJson(f.value)}, {"unit", f.unit}, {"source", f.source}};
  if (!f.key.empty()) j["key"] = f.key;
  if (!f.confidence.empty()) j["confidence"] = f.confidence;
  if (!f.citation.empty()) j["citation"] = f.citation;
  if (!f.site_factor.empty()) j["site_factor"] = f.site_factor;
  return j;
}

}  // namespace dc::accounting
