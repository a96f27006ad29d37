// Inventory reports (HTML and Markdown from one Doc) and the Doc renderers.
#include "accounting/report.h"

#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "common/time.h"

namespace dc::accounting {

// ---------------------------------------------------------------- Doc

void Doc::Heading(std::string text, int level) {
  DocBlock b;
  b.kind = DocBlock::Kind::kHeading;
  b.level = level;
  b.text = std::move(text);
  blocks.push_back(std::move(b));
}

void Doc::Paragraph(std::string text) {
  DocBlock b;
  b.kind = DocBlock::Kind::kParagraph;
  b.text = std::move(text);
  blocks.push_back(std::move(b));
}

void Doc::Table(std::vector<std::string> header, std::vector<std::vector<DocCell>> rows) {
  DocBlock b;
  b.kind = DocBlock::Kind::kTable;
  b.header = std::move(header);
  b.rows = std::move(rows);
  blocks.push_back(std::move(b));
}

void Doc::List(std::vector<std::string> items) {
  DocBlock b;
  b.kind = DocBlock::Kind::kList;
  b.items = std::move(items);
  blocks.push_back(std::move(b));
}

DocCell NumCell(double v, bool flag) { return DocCell{FormatNumber(v), true, flag}; }

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string MarkdownEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\': case '`': case '*': case '_': case '[': case ']': case '|':
      case '<': case '>': case '#': case '!': case '&': case '~':
        out.push_back('\\');
        out.push_back(c);
        break;
      case '\r': case '\n': case '\t': out.push_back(' '); break;
      default: out.push_back(c);
    }
  }
  return out;
}

namespace {

constexpr std::string_view kCss = R"(
@page { size: A4; margin: 15mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       Arial, sans-serif; font-size: 10pt; color: #111; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; border-bottom: 1px solid #888; }
h3 { font-size: 10.5pt; margin: 4mm 0 1mm; }
p.subtitle { color: #444; margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }
th, td { border: 1px solid #999; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #eee; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.flag { background: #fff3cd; font-weight: 600; }
footer { margin-top: 6mm; font-size: 8.5pt; color: #555; border-top: 1px solid #888; }
@media print {
  body { max-width: none; }
  thead { display: table-header-group; }
  tr, td, th { page-break-inside: avoid; }
  h2, h3 { page-break-after: avoid; }
}
)";

bool NumericColumn(const DocBlock& b, size_t c) {
  for (const auto& r : b.rows) {
    if (c < r.size() && r[c].numeric) return true;
  }
  return false;
}

}  // namespace

std::string RenderHtml(const Doc& doc) {
  std::ostringstream o;
  o << "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>" << HtmlEscape(doc.title) << "</title>\n<style>" << kCss << "</style>\n"
    << "</head>\n<body>\n<h1>" << HtmlEscape(doc.title) << "</h1>\n";
  if (!doc.subtitle.empty()) o << "<p class=\"subtitle\">" << HtmlEscape(doc.subtitle) << "</p>\n";
  for (const DocBlock& b : doc.blocks) {
    switch (b.kind) {
      case DocBlock::Kind::kHeading:
        o << "<h" << b.level << ">" << HtmlEscape(b.text) << "</h" << b.level << ">\n";
        break;
      case DocBlock::Kind::kParagraph:
        o << "<p>" << HtmlEscape(b.text) << "</p>\n";
        break;
      case DocBlock::Kind::kList:
        o << "<ul>\n";
        for (const auto& i : b.items) o << "<li>" << HtmlEscape(i) << "</li>\n";
        o << "</ul>\n";
        break;
      case DocBlock::Kind::kTable:
        o << "<table>\n<thead><tr>";
        for (const auto& h : b.header) o << "<th>" << HtmlEscape(h) << "</th>";
        o << "</tr></thead>\n<tbody>\n";
        for (const auto& r : b.rows) {
          o << "<tr>";
          for (const auto& c : r) {
            std::string cls = absl::StrCat(c.numeric ? "num" : "", c.numeric && c.flag ? " " : "",
                                           c.flag ? "flag" : "");
            o << "<td" << (cls.empty() ? "" : " class=\"" + cls + "\"") << ">"
              << HtmlEscape(c.text) << "</td>";
          }
          o << "</tr>\n";
        }
        o << "</tbody>\n</table>\n";
        break;
    }
  }
  o << "</body>\n</html>\n";
  return o.str();
}

std::string RenderMarkdown(const Doc& doc) {
  std::ostringstream o;
  o << "# " << MarkdownEscape(doc.title) << "\n\n";
  if (!doc.subtitle.empty()) o << MarkdownEscape(doc.subtitle) << "\n\n";
  for (const DocBlock& b : doc.blocks) {
    switch (b.kind) {
      case DocBlock::Kind::kHeading:
        o << std::string(static_cast<size_t>(b.level), '#') << " " << MarkdownEscape(b.text)
          << "\n\n";
        break;
      case DocBlock::Kind::kParagraph:
        o << MarkdownEscape(b.text) << "\n\n";
        break;
      case DocBlock::Kind::kList:
        for (const auto& i : b.items) o << "- " << MarkdownEscape(i) << "\n";
        o << "\n";
        break;
      case DocBlock::Kind::kTable: {
        o << "|";
        for (const auto& h : b.header) o << " " << MarkdownEscape(h) << " |";
        o << "\n|";
        for (size_t c = 0; c < b.header.size(); ++c) o << (NumericColumn(b, c) ? "---:|" : "---|");
        o << "\n";
        for (const auto& r : b.rows) {
          o << "|";
          for (const auto& c : r) {
            o << " " << MarkdownEscape(c.text) << (c.flag ? " ⚠" : "") << " |";
          }
          o << "\n";
        }
        o << "\n";
        break;
      }
    }
  }
  return o.str();
}

// ---------------------------------------------------------------- inventory report

std::string PeriodKindLabel(std::string_view t) {
  auto digits = [&](size_t from, size_t n) {
    if (t.size() < from + n) return false;
    for (size_t i = from; i < from + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
    }
    return true;
  };
  if (t.size() == 4 && digits(0, 4)) return "年度 Annual";
  if (t.size() == 7 && digits(0, 4) && t[4] == '-' && t[5] == 'Q') return "季度 Quarterly";
  if (t.size() == 7 && digits(0, 4) && t[4] == '-' && digits(5, 2)) return "月度 Monthly";
  if (t.size() == 10 && digits(0, 4) && t[4] == '-' && digits(5, 2) && t[7] == '-' &&
      digits(8, 2)) {
    return "日 Daily";
  }
  return "期间 Period";
}

namespace {

std::string CategoryLabel(LineCategory c) {
  switch (c) {
    case LineCategory::kCombustion: return "化石燃料燃烧 Fuel combustion";
    case LineCategory::kProcess: return "工业生产过程 Industrial processes";
    case LineCategory::kPurchasedElectricity: return "购入电力 Purchased electricity";
    case LineCategory::kPurchasedHeat: return "购入热力 Purchased heat";
    case LineCategory::kExportedElectricity: return "输出电力 Exported electricity";
    case LineCategory::kExportedHeat: return "输出热力 Exported heat";
  }
  return std::string(CategoryName(c));
}

std::string FlowLabel(model::Flow f) {
  switch (f) {
    case model::Flow::kPurchased: return "购入 purchased";
    case model::Flow::kExported: return "输出 exported";
    case model::Flow::kGenerated: return "自产 generated";
    case model::Flow::kInternal: return "分表 internal";
  }
  return std::string(model::Name(f));
}

std::string FactorSourceLabel(std::string_view s) {
  if (s == "measured") return "实测 measured";
  if (s == "lab") return "化验 lab";
  if (s == "site") return "现场参数 site";
  if (s == "reference") return "参考库 reference";
  if (s == "formula") return "公式常数 formula";
  if (s == "supplier") return "供应商 supplier";
  if (s == "published") return "公开缺省值录入 published default";
  if (s == "calculated") return "计算 calculated";
  if (s == "estimated") return "估算 estimated";
  if (s == "instrument") return "合同工具 instrument";
  return std::string(s);
}

// The grid factor row: the published factor, or the site-wide [[factor]] that replaced it (with
// its origin, source and confidence) and the published one it replaced.
std::string GridFactorText(const Inventory& inv) {
  std::string published = absl::StrCat(FormatNumber(inv.grid_tco2_per_mwh), " tCO2/MWh (",
                                       inv.grid_region, " ", inv.grid_year, ", ", inv.grid_key, ")");
  if (!inv.grid_site) return published;
  const Factor& f = *inv.grid_site;
  return absl::StrCat(FormatNumber(f.value), " ", f.unit, " — 场所给定 site [[factor]] (",
                      FactorSourceLabel(f.source), ": ", f.citation, "; 可信度 confidence ",
                      f.confidence, "); 替代 replaces ", published);
}

std::string GradeLabel(std::string_view g) {
  if (g == "benchmark") return "达到标杆 benchmark";
  if (g == "between") return "标杆与基准之间 between";
  if (g == "below_baseline") return "未达基准 below baseline";
  return "—";
}

std::string CarrierLabel(const std::string& key, const ReportOptions& opt) {
  if (opt.reference) {
    if (const Carrier* c = opt.reference->FindCarrier(key); c && !c->name_cn.empty()) {
      return absl::StrCat(c->name_cn, " ", c->name_en.empty() ? key : c->name_en, " (", key, ")");
    }
  }
  return key;
}

std::string Zoned(int64_t t, const std::string& tz) {
  auto zone = LoadZone(tz);
  return FormatTime(t, zone.ok() ? *zone : absl::UTCTimeZone());
}

DocCell T(std::string s) { return DocCell{std::move(s), false, false}; }

bool LowConfidence(const std::string& c) {
  return !c.empty() && ParseConfidence(c) == Confidence::kLow;
}

void GeneralInfo(const Inventory& inv, const ReportOptions& opt, Doc* d) {
  d->Heading("基本信息 General information");
  std::vector<std::vector<DocCell>> rows = {
      {T("企业/场所 Site"), T(inv.site_name)},
      {T("场所编号 Site ID"), T(inv.site)},
      {T("报告类型 Report type"), T(PeriodKindLabel(inv.period.text))},
      {T("核算期 Accounting period"),
       T(absl::StrCat(Zoned(inv.period.start, inv.timezone), " – ",
                      Zoned(inv.period.end, inv.timezone), " (", inv.period.text, ", ",
                      inv.timezone, ")"))},
      {T("数据来源 Data source"), T(inv.data_source)},
      {T("参考库版本 Reference version"), T(inv.reference_version)},
      {T("全球增温潜势 GWP set"), T(inv.gwp)},
      {T("电网排放因子 Grid emission factor"),
       T(GridFactorText(inv))},
      {T("燃料缺省值表 Fuel defaults table"), T(inv.fuel_table)},
      {T("电力折标方法 Electricity to tce"),
       T(inv.electricity_tce == "equal_value" ? "等价值 equal value" : "当量值 calorific value")},
  };
  if (!opt.generated_at.empty()) rows.push_back({T("生成时间 Generated"), T(opt.generated_at)});
  d->Table({"项目 Item", "内容 Value"}, std::move(rows));
}

void KeyFigures(const Inventory& inv, Doc* d) {
  d->Heading("主要指标 Key figures");
  d->Table({"指标 Indicator", "数值 Value"},
           {{T("综合能源消费量 Total energy consumption (tce)"), NumCell(inv.total_tce)},
            {T("温室气体排放总量 Total GHG emissions (tCO2e)"), NumCell(inv.total_tco2e)},
            {T("范围一 直接排放 Scope 1 direct emissions (tCO2e)"), NumCell(inv.scope1_tco2e)},
            {T("范围二 外购电力与热力 Scope 2 purchased electricity and heat (tCO2e)"),
             NumCell(inv.scope2_tco2e)},
            {T("输出电力与热力扣减 Exported electricity and heat deducted (tCO2e)"),
             NumCell(inv.exports_tco2e)},
            {T("范围二 基于市场 Scope 2 market-based (tCO2e)"), NumCell(inv.scope2_market_tco2e)},
            {T("排放总量 基于市场 Total, market-based (tCO2e)"),
             NumCell(inv.total_market_tco2e)}});
  d->Paragraph(
      "排放总量 = 范围一 + 范围二 − 输出 (GB/T 32150). Total = scope 1 + scope 2 − exports. "
      "综合能源消费量按 GB/T 2589-2020 折标准煤, 输出能源扣减. Energy per GB/T 2589-2020, exports "
      "deducted; internal sub-meters are not added.");
}

void Energy(const Inventory& inv, const ReportOptions& opt, Doc* d) {
  d->Heading("分品种能源消费 Energy by carrier");
  std::vector<std::vector<DocCell>> rows;
  for (const auto& c : inv.by_carrier) {
    rows.push_back({T(CarrierLabel(c.carrier, opt)), NumCell(c.amount), T(c.unit), NumCell(c.tce)});
  }
  rows.push_back({T("合计 Total"), T(""), T(""), NumCell(inv.total_tce)});
  d->Table({"能源品种 Carrier", "实物量 Amount", "单位 Unit", "折标准煤 tce"}, std::move(rows));

  d->Heading("分计量器具能源 Energy by meter");
  rows.clear();
  for (const auto& m : inv.by_meter) {
    rows.push_back({T(m.meter), T(CarrierLabel(m.carrier, opt)), T(FlowLabel(m.flow)), T(m.area),
                    NumCell(m.amount), T(m.unit), NumCell(m.coefficient),
                    T(m.coefficient_key.empty() ? m.basis
                                                : absl::StrCat(m.basis, " (", m.coefficient_key,
                                                               ")")),
                    NumCell(m.tce)});
  }
  d->Table({"计量器具 Meter", "品种 Carrier", "流向 Flow", "区域 Area", "实物量 Amount",
            "单位 Unit", "折标系数 tce/unit", "折标依据 Basis", "折标准煤 tce"},
           std::move(rows));
}

// Market-based scope 2: the instruments and the residual mix (GHG Protocol Scope 2 Guidance).
void MarketBased(const Inventory& inv, Doc* d) {
  const MarketScope2& m = inv.market;
  d->Heading("范围二 基于位置与基于市场 Scope 2, location- and market-based", 3);
  d->Paragraph(absl::StrCat(
      "基于位置 Location-based ", FormatNumber(inv.scope2_tco2e), " tCO2e; 基于市场 Market-based ",
      FormatNumber(inv.scope2_market_tco2e), " tCO2e. 外购电力 Purchased electricity ",
      FormatNumber(m.electricity_mwh), " MWh, 合同工具覆盖 covered by instruments ",
      FormatNumber(m.covered_mwh), " MWh, 剩余 residual ", FormatNumber(m.residual_mwh), " MWh."));
  if (m.instruments.empty() && m.residual.empty()) return;
  std::vector<std::vector<DocCell>> rows;
  for (const InstrumentUse& u : m.instruments) {
    rows.push_back({T(u.id), T(u.type), T(u.period), T(u.meter.empty() ? "全厂 site" : u.meter),
                    NumCell(u.mwh), NumCell(u.counted_mwh), NumCell(u.used_mwh),
                    NumCell(u.factor.value), NumCell(u.tco2e),
                    T(absl::StrJoin(u.certificates, ", ")), T(u.source)});
  }
  for (const ResidualUse& r : m.residual) {
    rows.push_back({T("剩余组合 residual"), T(FactorSourceLabel(r.factor.source)), T(""),
                    T(r.meter), NumCell(r.mwh), T(""), NumCell(r.mwh), NumCell(r.factor.value),
                    NumCell(r.tco2e), T(r.factor.key.empty() ? r.factor.site_factor : r.factor.key),
                    T(r.factor.citation)});
  }
  d->Table({"工具 Instrument", "类型 Type", "期间 Period", "计量器具 Meter", "MWh",
            "期内 Counted MWh", "使用 Used MWh", "因子 tCO2/MWh", "排放 tCO2e",
            "证书 Certificates", "出处 Source"},
           std::move(rows));
}

void Emissions(const Inventory& inv, Doc* d) {
  d->Heading("分类别排放 Emissions by category");
  std::vector<std::vector<DocCell>> rows;
  for (LineCategory c : kLineCategories) {
    double sum = 0;
    int n = 0, scope = 0;
    for (const Line& l : inv.lines) {
      if (l.category != c) continue;
      sum += l.tco2e;
      scope = l.scope;
      ++n;
    }
    if (n == 0) continue;
    rows.push_back({T(CategoryLabel(c)), T(std::to_string(scope)), T(std::to_string(n)),
                    NumCell(sum)});
  }
  rows.push_back({T("合计 Total"), T(""), T(""), NumCell(inv.total_tco2e)});
  d->Table({"类别 Category", "范围 Scope", "明细行数 Lines", "排放量 tCO2e"}, std::move(rows));

  d->Heading("排放明细 Ledger lines");
  rows.clear();
  for (size_t i = 0; i < inv.lines.size(); ++i) {
    const Line& l = inv.lines[i];
    rows.push_back({T(std::to_string(i + 1)), T(l.source), T(CategoryLabel(l.category)),
                    T(std::to_string(l.scope)), T(l.area), NumCell(l.amount), T(l.unit),
                    T(l.formula), NumCell(l.tco2e, l.tco2e < 0)});
  }
  d->Table({"# ", "排放源 Source", "类别 Category", "范围 Scope", "区域 Area", "活动数据 Activity",
            "单位 Unit", "公式 Formula", "排放量 tCO2e"},
           std::move(rows));

  bool parts = false;
  rows.clear();
  for (size_t i = 0; i < inv.lines.size(); ++i) {
    for (const Part& p : inv.lines[i].parts) {
      parts = true;
      rows.push_back({T(std::to_string(i + 1)), T(inv.lines[i].source), T(p.meter),
                      NumCell(p.amount), T(p.unit)});
    }
  }
  if (parts) {
    d->Heading("活动数据组成 Activity parts", 3);
    d->Table({"# ", "排放源 Source", "计量器具 Meter", "数量 Amount", "单位 Unit"},
             std::move(rows));
  }

  MarketBased(inv, d);

  d->Heading("排放因子 Factors");
  rows.clear();
  for (size_t i = 0; i < inv.lines.size(); ++i) {
    for (const Factor& f : inv.lines[i].factors) {
      bool low = LowConfidence(f.confidence);
      rows.push_back({T(std::to_string(i + 1)), T(inv.lines[i].source), T(f.name),
                      NumCell(f.value), T(f.unit),
                      T(f.site_factor.empty()
                            ? FactorSourceLabel(f.source)
                            : absl::StrCat(FactorSourceLabel(f.source), " (site [[factor]] ",
                                           f.site_factor, ")")),
                      T(f.key),
                      DocCell{f.confidence, false, low}, T(f.citation)});
    }
  }
  d->Table({"# ", "排放源 Source", "因子 Factor", "数值 Value", "单位 Unit", "来源 Source",
            "参考键 Key", "可信度 Confidence", "出处 Citation"},
           std::move(rows));
}

void Products(const Inventory& inv, Doc* d) {
  if (inv.products.empty()) return;
  d->Heading("产品与能效对标 Products and 标杆/基准 grading");
  std::vector<std::vector<DocCell>> rows;
  auto opt_num = [](const std::optional<double>& v) {
    return v ? NumCell(*v) : DocCell{"—", true, false};
  };
  for (const auto& p : inv.products) {
    std::vector<DocCell> r = {T(p.id),
                              NumCell(p.output),
                              T(p.unit),
                              T(p.areas.empty() ? "全厂 whole site" : absl::StrJoin(p.areas, ", ")),
                              NumCell(p.energy_tce),
                              opt_num(p.energy_kgce_per_unit),
                              NumCell(p.co2e_t),
                              opt_num(p.co2e_t_per_unit)};
    if (p.benchmark) {
      const auto& b = *p.benchmark;
      bool bad = b.grade == "below_baseline";
      r.push_back(T(b.key));
      r.push_back(NumCell(b.benchmark));
      r.push_back(NumCell(b.baseline));
      r.push_back(T(b.unit));
      r.push_back(b.grade.empty() ? DocCell{"—", true, false} : NumCell(b.value));
      r.push_back(DocCell{GradeLabel(b.grade), false, bad});
    } else {
      for (int i = 0; i < 6; ++i) r.push_back(T("—"));
    }
    rows.push_back(std::move(r));
  }
  d->Table({"产品 Product", "产量 Output", "单位 Unit", "区域 Areas", "能耗 Energy (tce)",
            "单位产品能耗 kgce/unit", "排放 tCO2e", "单位产品排放 tCO2e/unit", "对标 Benchmark key",
            "标杆 Benchmark", "基准 Baseline", "对标单位 Unit", "评价值 Value", "等级 Grade"},
           std::move(rows));
}

Doc InventoryDoc(const Inventory& inv, const ReportOptions& opt) {
  Doc d;
  d.title = "能源与碳排放清单报告 Energy and Carbon Inventory Report";
  d.subtitle = absl::StrCat(PeriodKindLabel(inv.period.text), " · ", inv.site_name, " (",
                            inv.site, ") · ", inv.period.text);
  GeneralInfo(inv, opt, &d);
  KeyFigures(inv, &d);
  Energy(inv, opt, &d);
  Emissions(inv, &d);
  Products(inv, &d);
  d.Heading("提示 Warnings");
  if (inv.warnings.empty()) {
    d.Paragraph("无 None");
  } else {
    d.List(inv.warnings);
  }
  d.Paragraph(absl::StrCat("参考库 Reference ", inv.reference_version, " · 核算期 Period ",
                           inv.period.text, " (", Zoned(inv.period.start, inv.timezone), " – ",
                           Zoned(inv.period.end, inv.timezone), ") · 数据来源 Data source ",
                           inv.data_source, " · dualcarbon"));
  return d;
}

}  // namespace

std::string InventoryReportHtml(const Inventory& inv, const ReportOptions& opt) {
  return RenderHtml(InventoryDoc(inv, opt));
}

std::string InventoryReportMarkdown(const Inventory& inv, const ReportOptions& opt) {
  return RenderMarkdown(InventoryDoc(inv, opt));
}

}  // namespace dc::accounting
