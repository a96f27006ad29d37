// CBAM report output: JSON, HTML and Markdown (CbamToJson, CbamToHtml, CbamToMarkdown).
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/cbam.h"
#include "accounting/json_fields.h"
#include "accounting/report.h"
#include "common/strings.h"
#include "common/time.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

using Json = nlohmann::ordered_json;
Json N(double v) { return NumberJson(v); }
Json N(const std::optional<double>& v) { return NumberJson(v); }
std::string Zoned(int64_t t, const std::string& tz) { return ZonedTime(t, tz); }

constexpr const char* kSeeDir = "SEE_dir = (AttrEm_dir + Σ M_i × SEE_dir,i) / AL";
constexpr const char* kSeeInd = "SEE_indir = (E_el × EF_el + Σ M_i × SEE_indir,i) / AL";
constexpr const char* kMethod =
    "Commission Implementing Regulation (EU) 2023/1773, Annex III (transitional period): "
    "AttrEm_dir = DirEm + Em_H,imp − Em_H,exp (the good's share of the inventory's scope 1 and "
    "heat lines); AttrEm_indir = E_el,cons × EF_el (grid factor of the inventory); SEE = (AttrEm + "
    "Σ M_i × SEE_i) / AL, direct and indirect separately";

constexpr const char* kMethodDefinitive =
    "Regulation (EU) 2023/956 Annex IV and Commission Implementing Regulation (EU) 2025/2547 "
    "(calculation methods, definitive period from 1 January 2026): AttrEm_dir = DirEm + Em_H,imp "
    "− Em_H,exp + WG_corr,imp − WG_corr,exp (waste-gas correction as in 2023/1773 Annex III "
    "section F; N2O in tCO2e with its GWP); AttrEm_indir = E_el,cons × EF_el, counted for "
    "certificates only where the good's category includes indirect emissions (cement, "
    "fertilisers); SEE = (AttrEm + Σ M_i × SEE_i) / AL, direct and indirect separately; default "
    "values of Implementing Regulation (EU) 2025/2621 with the year's mark-up, looked up by CN "
    "code, then 6-digit subheading, then 4-digit heading; certificates = EmbEm − FAA − "
    "CP_paid,EUR / P_cert (Regulation (EU) 2023/956 Art. 6(2)(c), 9, 22 and 31)";
constexpr const char* kCertFormula =
    "certificates = EmbEm − FAA − CP_paid,CNY / (CNY per EUR) / P_cert; EmbEm = embedded direct "
    "(+ indirect where counted); FAA = free_allocation_tco2e_per_t × AL; price due = "
    "certificates × P_cert";

Json FactorsJson(const std::vector<Factor>& fs) {
  Json a = Json::array();
  for (const Factor& f : fs) a.push_back(FactorJson(f));
  return a;
}

// The method items of a good: in every definitive report, elsewhere only when given.
void MethodJson(const CbamGood& g, bool definitive, Json* j) {
  if (definitive || g.n2o_t != 0) {
    (*j)["direct"]["n2o"] = {{"n2o_t", N(g.n2o_t)},
                             {"tco2e", N(g.n2o_tco2e)},
                             {"gwp", g.gwp_n2o ? FactorJson(*g.gwp_n2o) : Json(nullptr)}};
  }
  if (definitive || !g.waste_gas.empty()) {
    Json w = Json::array();
    for (const auto& x : g.waste_gas) {
      w.push_back({{"direction", x.direction},
                   {"name", x.name},
                   {"energy_tj", N(x.energy_tj)},
                   {"tco2e", N(x.tco2e)},
                   {"formula", x.formula}});
    }
    (*j)["direct"]["waste_gas"] = {
        {"tco2e", N(g.waste_gas_tco2e)}, {"gases", w}, {"factors", FactorsJson(g.ref_waste_gas)}};
  }
  if (definitive) {
    (*j)["indirect"]["electricity_mwh_per_t"] = N(g.electricity_mwh_per_t);
    (*j)["indirect"]["counted_for_certificates"] = g.indirect_counted;
  }
  if (definitive || !g.qualifying.empty())
    (*j)["qualifying_parameters"] = FactorsJson(g.qualifying);
  bool over = g.estimated_share && *g.estimated_share > 0.2;
  if (definitive || over) {
    (*j)["estimated"] = {{"tco2e", N(g.estimated_tco2e)},
                         {"share", N(g.estimated_share)},
                         {"limit", 0.2},
                         {"over_limit", over}};
  }
  if (g.certificates) {
    const CbamCertificates& c = *g.certificates;
    (*j)["certificates"] = {{"embedded_tco2e", N(c.embedded_tco2e)},
                            {"free_allocation_tco2e", N(c.free_allocation_tco2e)},
                            {"carbon_price_paid_cny", N(c.price_paid_cny)},
                            {"carbon_price_paid_eur", N(c.price_paid_eur)},
                            {"reduction_certificates", N(c.reduction_certificates)},
                            {"certificates", N(c.certificates)},
                            {"price_due_eur", N(c.price_due_eur)},
                            {"inputs", FactorsJson(c.inputs)},
                            {"formula", kCertFormula}};
  }
}

Json GoodJson(const CbamGood& g, bool definitive) {
  Json j = {{"product", g.product},
            {"cn_code", g.cn_code},
            {"sector", g.sector},
            {"aggregated_goods_category", g.category},
            {"activity_level", {{"amount", N(g.activity_t)}, {"unit", "t"}, {"meter", g.meter}}},
            {"areas", g.areas}};
  Json lines = Json::array();
  for (const Line& l : g.direct_lines) {
    Json x = {{"source", l.source},   {"category", CategoryName(l.category)},
              {"area", l.area},       {"activity", {{"amount", N(l.amount)}, {"unit", l.unit}}},
              {"formula", l.formula}, {"tco2e", N(l.tco2e)}};
    x["factors"] = Json::array();
    for (const Factor& f : l.factors) x["factors"].push_back(FactorJson(f));
    lines.push_back(x);
  }
  j["direct"] = {
      {"attributed_tco2e", N(g.attributed_direct)},
      {"lines", lines},
      {"internal_submeters", {{"tco2e", N(g.internal_tco2e)}, {"meters", g.internal_meters}}},
      {"precursors_tco2e", N(g.precursors_direct)},
      {"embedded_tco2e", N(g.embedded_direct)},
      {"see_tco2e_per_t", N(g.see_direct)},
      {"formula", kSeeDir}};
  j["indirect"] = {{"electricity_mwh", N(g.electricity_mwh)},
                   {"ef_electricity", FactorJson(g.ef_electricity)},
                   {"attributed_tco2e", N(g.attributed_indirect)},
                   {"precursors_tco2e", N(g.precursors_indirect)},
                   {"embedded_tco2e", N(g.embedded_indirect)},
                   {"see_tco2e_per_t", N(g.see_indirect)},
                   {"formula", kSeeInd}};
  Json pre = Json::array();
  for (const auto& p : g.precursors) {
    Json x = {{"id", p.id},
              {"origin", p.origin},
              {"mass_t", N(p.mass_t)},
              {"mass_basis", p.mass_basis},
              {"see_direct", N(p.see_direct)},
              {"see_indirect", N(p.see_indirect)},
              {"embedded_direct_tco2e", N(p.embedded_direct)},
              {"embedded_indirect_tco2e", N(p.embedded_indirect)}};
    x["factors"] = Json::array();
    for (const Factor& f : p.factors) x["factors"].push_back(FactorJson(f));
    if (definitive && p.origin == "default") {
      x["default_lookup"] = {{"cn_used", p.cn_used},
                             {"level", p.cn_level},
                             {"markup", N(p.markup)},
                             {"basis", p.markup_basis}};
    }
    if (definitive) x["estimated_tco2e"] = N(p.estimated_tco2e);
    pre.push_back(x);
  }
  j["precursors"] = pre;
  j["see_total_tco2e_per_t"] = N(g.see_total);
  j["default_values"] = Json::array();
  for (const Factor& f : g.default_values) j["default_values"].push_back(FactorJson(f));
  MethodJson(g, definitive, &j);
  return j;
}

}  // namespace

std::string CbamToJson(const CbamReport& r) {
  Json j;
  j["site"] = r.site;
  j["site_name"] = r.site_name;
  j["installation"] = r.installation;
  j["country"] = r.country;
  j["period"] = {{"start", Zoned(r.period.start, r.timezone)},
                 {"end", Zoned(r.period.end, r.timezone)},
                 {"text", r.period.text},
                 {"timezone", r.timezone}};
  j["reference"] = {{"version", r.reference_version}, {"gwp", r.gwp}};
  j["data_source"] = r.data_source;
  j["method"] = r.definitive ? kMethodDefinitive : kMethod;
  if (r.definitive) j["rules"] = {{"period", "definitive"}, {"year", r.year}};
  j["goods"] = Json::array();
  for (const auto& g : r.goods) j["goods"].push_back(GoodJson(g, r.definitive));
  j["warnings"] = r.warnings;
  return j.dump(2) + "\n";
}

namespace {

DocCell T(std::string s) { return DocCell{std::move(s), false, false}; }
DocCell Opt(const std::optional<double>& v) { return v ? NumCell(*v) : DocCell{"—", true, false}; }

std::string FactorText(const Factor& f) {
  std::string s = absl::StrCat(f.name, " = ", FormatNumber(f.value), " ", f.unit, " (", f.source);
  if (!f.key.empty()) absl::StrAppend(&s, ", ", f.key);
  if (!f.confidence.empty()) absl::StrAppend(&s, ", confidence ", f.confidence);
  if (!f.citation.empty()) absl::StrAppend(&s, ", ", f.citation);
  return s + ")";
}

// The method items of a good (N2O, waste gas, qualifying parameters, estimated share,
// electricity per tonne, certificates) as one table; nothing when there are none.
void MethodDoc(const CbamGood& g, bool definitive, Doc* d) {
  std::vector<std::vector<DocCell>> rows;
  auto row = [&](std::string item, DocCell v, std::string basis) {
    rows.push_back({T(std::move(item)), std::move(v), T(std::move(basis))});
  };
  if (g.n2o_t != 0) {
    row("N2O (tCO2e)", NumCell(g.n2o_tco2e),
        absl::StrCat(FormatNumber(g.n2o_t), " t N2O × ", g.gwp_n2o ? FactorText(*g.gwp_n2o) : ""));
  }
  for (const auto& w : g.waste_gas) {
    row(absl::StrCat("废气 Waste gas ", w.direction, " ", w.name, " (tCO2e)"), NumCell(w.tco2e),
        w.formula);
  }
  for (const Factor& q : g.qualifying) {
    row(absl::StrCat("限定参数 Qualifying parameter ", q.name, " (", q.unit, ")"), NumCell(q.value),
        absl::StrCat(q.source, "; ", q.citation));
  }
  if (definitive || (g.estimated_share && *g.estimated_share > 0.2)) {
    row("估算排放 Estimated emissions (tCO2e)", NumCell(g.estimated_tco2e),
        g.estimated_share ? absl::StrCat("share ", FormatNumber(*g.estimated_share * 100),
                                         " % of embedded emissions (limit 20 %)")
                          : "");
  }
  if (g.electricity_mwh_per_t) {
    row("电耗 Electricity (MWh/t)", NumCell(*g.electricity_mwh_per_t),
        g.indirect_counted ? "indirect emissions counted for certificates"
                           : "indirect emissions reported, not counted for certificates");
  }
  if (const auto& c = g.certificates) {
    std::vector<std::string> in;
    for (const Factor& f : c->inputs) in.push_back(FactorText(f));
    row("内含排放 EmbEm counted (tCO2e)", NumCell(c->embedded_tco2e), "");
    row("免费配额调整 FAA (tCO2e)", NumCell(c->free_allocation_tco2e), "");
    row("已付碳价 Carbon price paid (CNY)", NumCell(c->price_paid_cny),
        absl::StrCat("= ", FormatNumber(c->price_paid_eur), " EUR"));
    row("碳价扣减 Reduction (certificates)", NumCell(c->reduction_certificates), "");
    row("CBAM 证书 Certificates", NumCell(c->certificates), absl::StrJoin(in, "; "));
    row("应付碳价 Carbon price due (EUR)", Opt(c->price_due_eur), kCertFormula);
  }
  if (rows.empty()) return;
  d->Heading("方法项 Method items", 3);
  d->Table({"项目 Item", "数值 Value", "依据 Basis"}, std::move(rows));
}

// One good's section: emissions table, ledger lines, electricity, precursors, method items,
// default values for comparison.
void GoodDoc(const CbamReport& r, const CbamGood& g, Doc* d) {
  std::vector<std::vector<DocCell>> rows;
  d->Heading(absl::StrCat("产品 Good: ", g.product, " (CN ", g.cn_code, ")"));
  d->Table(
      {"项目 Item", "直接 Direct (tCO2e)", "间接 Indirect (tCO2e)"},
      {{T("归属排放 Attributed emissions AttrEm"), NumCell(g.attributed_direct),
        NumCell(g.attributed_indirect)},
       {T("前体内含排放 Precursors Σ M_i × SEE_i"), NumCell(g.precursors_direct),
        NumCell(g.precursors_indirect)},
       {T("内含排放 Embedded emissions"), NumCell(g.embedded_direct), NumCell(g.embedded_indirect)},
       {T("产量 Activity level AL (t)"), NumCell(g.activity_t), NumCell(g.activity_t)},
       {T("比内含排放 SEE (tCO2e/t)"), Opt(g.see_direct), Opt(g.see_indirect)}});
  d->Paragraph(absl::StrCat("系统边界 System boundary: ",
                            g.areas.empty() ? "全厂 whole site" : absl::StrJoin(g.areas, ", "),
                            "; 产量计量 output meter ", g.meter, ". ", kSeeDir, "; ", kSeeInd,
                            "."));
  d->Heading("直接排放明细 Direct emissions: ledger lines", 3);
  rows.clear();
  for (const Line& l : g.direct_lines) {
    std::vector<std::string> fs;
    for (const Factor& f : l.factors) fs.push_back(FactorText(f));
    rows.push_back({T(l.source), T(std::string(CategoryName(l.category))), T(l.area),
                    NumCell(l.amount), T(l.unit), T(l.formula), T(absl::StrJoin(fs, "; ")),
                    NumCell(l.tco2e)});
  }
  if (g.internal_tco2e != 0) {
    rows.push_back({T("internal sub-meters"), T("internal"), T(""), T(""), T(""), T(""),
                    T(absl::StrJoin(g.internal_meters, ", ")), NumCell(g.internal_tco2e, true)});
  }
  d->Table({"排放源 Source", "类别 Category", "区域 Area", "活动数据 Activity", "单位 Unit",
            "公式 Formula", "因子 Factors", "tCO2e"},
           std::move(rows));
  d->Heading("间接排放 Indirect emissions: electricity", 3);
  d->Table({"电力消费 Electricity (MWh)", "排放因子 EF_el", "tCO2e"},
           {{NumCell(g.electricity_mwh), T(FactorText(g.ef_electricity)),
             NumCell(g.attributed_indirect)}});
  if (!g.precursors.empty()) {
    d->Heading("前体 Precursors", 3);
    rows.clear();
    for (const auto& p : g.precursors) {
      std::vector<std::string> fs;
      for (const Factor& f : p.factors) fs.push_back(FactorText(f));
      bool low = false;
      for (const Factor& f : p.factors) low |= f.confidence == "low";
      rows.push_back(
          {T(p.id), T(p.origin), NumCell(p.mass_t), T(p.mass_basis), NumCell(p.see_direct, low),
           NumCell(p.see_indirect, low), NumCell(p.embedded_direct), NumCell(p.embedded_indirect),
           T(fs.empty() ? "SEE of the good in this report"
                        : absl::StrCat(absl::StrJoin(fs, "; "),
                                       p.markup_basis.empty() || !r.definitive
                                           ? ""
                                           : absl::StrCat("; CN ", p.cn_used, " (", p.cn_level,
                                                          "), ", p.markup_basis)))});
    }
    d->Table({"前体 Precursor", "来源 Origin", "质量 M_i (t)", "依据 Basis", "SEE direct",
              "SEE indirect", "直接 Direct (tCO2e)", "间接 Indirect (tCO2e)", "证据 Evidence"},
             std::move(rows));
  }
  MethodDoc(g, r.definitive, d);
  if (!g.default_values.empty()) {
    d->Heading("缺省值对照 CBAM default values for comparison", 3);
    rows.clear();
    for (const Factor& f : g.default_values) {
      rows.push_back({T(f.key), NumCell(f.value), T(f.unit),
                      DocCell{f.confidence, false, f.confidence == "low"}, T(f.citation)});
    }
    d->Table({"参考键 Key", "数值 Value", "单位 Unit", "可信度 Confidence", "出处 Source"},
             std::move(rows));
  }
}

Doc CbamDoc(const CbamReport& r) {
  Doc d;
  d.title = "CBAM 内含排放报告 CBAM Embedded Emissions Report";
  d.subtitle = absl::StrCat(r.site_name, " (", r.site, ") · ", r.period.text);
  d.Heading("基本信息 General information");
  d.Table({"项目 Item", "内容 Value"},
          {{T("设施 Installation"), T(r.installation.empty() ? r.site_name : r.installation)},
           {T("原产国 Country of origin"), T(r.country)},
           {T("报告期 Reporting period"),
            T(absl::StrCat(Zoned(r.period.start, r.timezone), " – ",
                           Zoned(r.period.end, r.timezone), " (", r.period.text, ")"))},
           {T("数据来源 Data source"), T(r.data_source)},
           {T("参考库版本 Reference version"), T(r.reference_version)},
           {T("全球增温潜势 GWP set"), T(r.gwp)}});
  d.Paragraph(absl::StrCat("方法 Method: ", r.definitive ? kMethodDefinitive : kMethod, "."));

  d.Heading("汇总 Summary (tCO2e/t)");
  std::vector<std::vector<DocCell>> rows;
  for (const auto& g : r.goods) {
    rows.push_back({T(g.product), T(g.cn_code), T(g.category), NumCell(g.activity_t),
                    Opt(g.see_direct), Opt(g.see_indirect), Opt(g.see_total)});
  }
  d.Table({"产品 Good", "CN 编码 CN code", "类别 Category", "产量 AL (t)", "直接 SEE direct",
           "间接 SEE indirect", "合计 SEE total"},
          std::move(rows));

  for (const auto& g : r.goods) GoodDoc(r, g, &d);
  d.Heading("提示 Warnings");
  if (r.warnings.empty()) {
    d.Paragraph("无 None");
  } else {
    d.List(r.warnings);
  }
  return d;
}

}  // namespace

std::string CbamToHtml(const CbamReport& r) { return RenderHtml(CbamDoc(r)); }
std::string CbamToMarkdown(const CbamReport& r) { return RenderMarkdown(CbamDoc(r)); }

}  // namespace dc::accounting
