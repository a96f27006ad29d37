// Inventory reports from a real inventory (the cement golden case through CsvReadings and
// ComputeInventory): the figures are in both renderings and parse back, hostile names are
// escaped, and the output is byte-identical when computed twice.
#include "accounting/report.h"

#include <cmath>
#include <cstdlib>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "accounting/csv.h"
#include "accounting/test_util.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace dc::accounting {
namespace {

const std::string kCase = DC_SOURCE_DIR "/tests/accounting/golden/cement_clinker_product/";

Inventory Compute(const std::string& site_name = "", const std::string& dir = kCase) {
  auto toml = ReadTextFile(dir + "site.toml");
  EXPECT_TRUE(toml.ok());
  auto site = model::ParseSite(*toml, "site.toml");
  EXPECT_TRUE(site.ok()) << site.status();
  if (!site_name.empty()) site->name = site_name;
  auto zone = LoadZone(site->timezone);
  auto readings = CsvReadings::ReadFile(dir + "readings.csv", *site, *zone);
  EXPECT_TRUE(readings.ok()) << readings.status();
  auto inv = ComputeInventory(*site, *readings, "2025-03", Ref());
  EXPECT_TRUE(inv.ok()) << inv.status();
  return *inv;
}

// Every figure of the inventory, as the report prints it.
std::vector<std::string> Figures(const Inventory& inv) {
  std::vector<std::string> f = {FormatNumber(inv.total_tce), FormatNumber(inv.total_tco2e),
                                FormatNumber(inv.scope1_tco2e), FormatNumber(inv.scope2_tco2e),
                                FormatNumber(inv.grid_tco2_per_mwh)};
  for (const auto& c : inv.by_carrier) {
    f.push_back(FormatNumber(c.amount));
    f.push_back(FormatNumber(c.tce));
  }
  for (const auto& m : inv.by_meter) f.push_back(FormatNumber(m.tce));
  for (const Line& l : inv.lines) {
    f.push_back(FormatNumber(l.amount));
    f.push_back(FormatNumber(l.tco2e));
    for (const Factor& x : l.factors) f.push_back(FormatNumber(x.value));
  }
  for (const auto& p : inv.products) {
    f.push_back(FormatNumber(p.output));
    f.push_back(FormatNumber(*p.energy_kgce_per_unit));
    f.push_back(FormatNumber(*p.co2e_t_per_unit));
    f.push_back(FormatNumber(p.benchmark->benchmark));
    f.push_back(FormatNumber(p.benchmark->baseline));
  }
  return f;
}

// The number in the Markdown table row whose first cell starts with `label`.
double MdRowValue(const std::string& md, const std::string& label) {
  for (absl::string_view line : absl::StrSplit(md, '\n')) {
    std::string l(line);
    if (!absl::StartsWith(l, "| " + label)) continue;
    std::vector<std::string> cells = absl::StrSplit(l, " | ");
    EXPECT_GE(cells.size(), 2u) << l;
    std::string v = cells[1];
    while (!v.empty() && (v.back() == '|' || v.back() == ' ')) v.pop_back();
    return std::strtod(v.c_str(), nullptr);
  }
  ADD_FAILURE() << "no row " << label;
  return NAN;
}

// The number in the HTML row whose first cell is exactly `label`.
double HtmlRowValue(const std::string& html, const std::string& label) {
  std::regex re("<tr><td>" + std::regex_replace(label, std::regex(R"([()])"), R"(\$&)") +
                "</td><td class=\"num\">([^<]*)</td></tr>");
  std::smatch m;
  if (!std::regex_search(html, m, re)) {
    ADD_FAILURE() << "no row " << label;
    return NAN;
  }
  return std::strtod(m[1].str().c_str(), nullptr);
}

void ExpectNear(double want, double got) {
  EXPECT_LE(std::fabs(want - got), 1e-9 * std::fabs(want)) << want << " vs " << got;
}

TEST(Report, HtmlHasEveryFigureAndParsesBack) {
  Inventory inv = Compute();
  std::string html = InventoryReportHtml(inv, {"", &Ref()});
  for (const auto& f : Figures(inv)) EXPECT_TRUE(absl::StrContains(html, f)) << f;
  ExpectNear(inv.total_tce, HtmlRowValue(html, "综合能源消费量 Total energy consumption (tce)"));
  ExpectNear(inv.total_tco2e, HtmlRowValue(html, "温室气体排放总量 Total GHG emissions (tCO2e)"));
  ExpectNear(inv.scope1_tco2e,
             HtmlRowValue(html, "范围一 直接排放 Scope 1 direct emissions (tCO2e)"));
  // 85 089.839047619 tCO2e by hand (tests/accounting/golden/cement_clinker_product/README.md).
  ExpectNear(85089.839047619, HtmlRowValue(html, "温室气体排放总量 Total GHG emissions (tCO2e)"));
  for (const char* s : {"<!doctype html>", "@page { size: A4", "@media print", "dc-ref-",
                        "readings.csv", "标杆与基准之间 between", "FC × NCV × CC × OF × 44/12",
                        "烟煤 ", "2025-03-01T00:00:00+08:00", "月度 Monthly", "cement_clinker",
                        "Example Cement Co., Line 1"}) {
    EXPECT_TRUE(absl::StrContains(html, s)) << s;
  }
  EXPECT_FALSE(absl::StrContains(html, "生成时间")) << "no time unless passed in";
  EXPECT_TRUE(absl::StrContains(InventoryReportHtml(inv, {"2025-04-02 09:00", nullptr}),
                                "2025-04-02 09:00"));
}

TEST(Report, MarkdownHasEveryFigureAndParsesBack) {
  Inventory inv = Compute();
  std::string md = InventoryReportMarkdown(inv);
  for (const auto& f : Figures(inv)) EXPECT_TRUE(absl::StrContains(md, f)) << f;
  ExpectNear(inv.total_tce, MdRowValue(md, "综合能源消费量 Total energy consumption (tce)"));
  ExpectNear(inv.total_tco2e, MdRowValue(md, "温室气体排放总量 Total GHG emissions (tCO2e)"));
  ExpectNear(inv.scope2_tco2e, MdRowValue(md, "范围二 外购电力与热力"));
  EXPECT_TRUE(absl::StartsWith(md, "# 能源与碳排放清单报告 Energy and Carbon Inventory Report\n"));
  EXPECT_TRUE(absl::StrContains(md, "| 排放源 Source |"));
  EXPECT_TRUE(absl::StrContains(md, "| raw\\_mill |"));  // escaped underscore
}

// Counts the unescaped '|' of a Markdown line.
int Pipes(const std::string& line) {
  int n = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == '|') {
      ++n;
    }
  }
  return n;
}

// A site-wide [[factor]] key = "grid" replaces the published grid factor: the report's grid row
// shows the value used, with the site's source and confidence, and the published one it replaced.
TEST(Report, GridRowShowsTheSiteFactorUsed) {
  Inventory inv = Compute("", DC_SOURCE_DIR "/tests/accounting/golden/factor_overrides/");
  ASSERT_TRUE(inv.grid_site.has_value());
  EXPECT_DOUBLE_EQ(inv.grid_site->value, 0.55);
  std::string md = InventoryReportMarkdown(inv);
  std::string row = absl::StrCat("| 电网排放因子 Grid emission factor | ", FormatNumber(0.55),
                                 " tCO2/MWh — 场所给定 site \\[\\[factor\\]\\]");
  EXPECT_TRUE(absl::StrContains(md, row)) << md.substr(0, 2000);
  EXPECT_TRUE(absl::StrContains(md, "table 4 (typed in)"));
  EXPECT_TRUE(
      absl::StrContains(md, absl::StrCat("替代 replaces ", FormatNumber(inv.grid_tco2_per_mwh))));
  // Without the override the row is the published factor alone.
  Inventory plain = Compute();
  EXPECT_FALSE(plain.grid_site.has_value());
  EXPECT_FALSE(absl::StrContains(InventoryReportMarkdown(plain), "替代 replaces"));
}

TEST(Report, HostileSiteNameIsEscaped) {
  const std::string evil = "<script>alert('x')</script> & \"Co\" | *bold* [l](javascript:1)\n# h";
  Inventory inv = Compute(evil);
  inv.warnings.push_back("<img src=x onerror=alert(1)>");
  std::string html = InventoryReportHtml(inv);
  EXPECT_FALSE(absl::StrContains(html, "<script>"));
  EXPECT_FALSE(absl::StrContains(html, "<img"));
  EXPECT_TRUE(absl::StrContains(
      html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot; | *bold*"));
  EXPECT_TRUE(absl::StrContains(html, "&lt;img src=x onerror=alert(1)&gt;"));

  std::string md = InventoryReportMarkdown(inv);
  for (size_t i = md.find('<'); i != std::string::npos; i = md.find('<', i + 1)) {
    EXPECT_TRUE(i > 0 && md[i - 1] == '\\') << "raw '<' at " << md.substr(i, 20);
  }
  EXPECT_TRUE(absl::StrContains(md, "\\<script\\>"));
  EXPECT_TRUE(absl::StrContains(md, "\\[l\\](javascript:1) \\# h"));  // newline flattened
  // Every table row keeps as many cells as its header: the name's '|' cannot add a column.
  int header_pipes = -1;
  for (absl::string_view sv : absl::StrSplit(md, '\n')) {
    std::string line(sv);
    if (!absl::StartsWith(line, "|")) {
      header_pipes = -1;
      continue;
    }
    if (header_pipes < 0) header_pipes = Pipes(line);
    EXPECT_EQ(header_pipes, Pipes(line)) << line;
  }
}

TEST(Report, Deterministic) {
  Inventory a = Compute(), b = Compute();
  EXPECT_EQ(InventoryReportHtml(a, {"", &Ref()}), InventoryReportHtml(b, {"", &Ref()}));
  EXPECT_EQ(InventoryReportMarkdown(a), InventoryReportMarkdown(b));
}

TEST(Report, PeriodKind) {
  EXPECT_EQ("年度 Annual", PeriodKindLabel("2025"));
  EXPECT_EQ("季度 Quarterly", PeriodKindLabel("2025-Q1"));
  EXPECT_EQ("月度 Monthly", PeriodKindLabel("2025-03"));
  EXPECT_EQ("日 Daily", PeriodKindLabel("2025-03-01"));
  EXPECT_EQ("期间 Period", PeriodKindLabel("2025-01..2025-03"));
}

TEST(Report, EscapeHelpers) {
  EXPECT_EQ("a&amp;b&lt;c&gt;&quot;&#39;", HtmlEscape("a&b<c>\"'"));
  EXPECT_EQ("a\\|b\\_c\\*d e", MarkdownEscape("a|b_c*d\ne"));
}

}  // namespace
}  // namespace dc::accounting
