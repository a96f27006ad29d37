// Printable inventory reports: a monthly / quarterly / annual energy and carbon inventory of a
// site as a self-contained HTML page (inline CSS, A4 print styles) or as Markdown, with
// Chinese and English labels side by side. Start here: InventoryReportHtml.
//
// Both renderings carry the same content: the headline figures (综合能源消费量 tce, 温室气体
// 排放总量 tCO2e, scope 1/2, exports), energy by carrier and by meter, emissions by category,
// every ledger line with its activity, formula and each factor (value, unit, source, reference
// key, confidence, citation), products with intensity and 标杆/基准 grade, warnings, the
// reference version, the period and the data source.
//
// Deterministic: a pure function of (Inventory, ReportOptions); the clock is never read.
// Every text that comes from users or tables (site name, ids, citations, warnings) is escaped.
// Numbers are printed with FormatNumber (12 significant digits), so a figure of the report is
// the same string as in InventoryToJson.
#ifndef DC_ACCOUNTING_REPORT_H_
#define DC_ACCOUNTING_REPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "accounting/inventory.h"
#include "accounting/reference.h"

namespace dc::accounting {

struct ReportOptions {
  // Printed in the header when not empty (e.g. "2025-04-02 09:00"); never read from the clock.
  std::string generated_at;
  // Nullable borrow: when given, carriers are shown with their Chinese and English names.
  const Reference* reference = nullptr;
};

std::string InventoryReportHtml(const Inventory& inv, const ReportOptions& opt = {});
std::string InventoryReportMarkdown(const Inventory& inv, const ReportOptions& opt = {});

// "月度 Monthly", "季度 Quarterly", "年度 Annual", "日 Daily" or "期间 Period" from the period text.
std::string PeriodKindLabel(std::string_view period_text);

// --- a small document model shared with the CBAM report (cbam.cc) ---
// Both renderings are produced from one Doc, so the HTML and the Markdown carry the same
// content. All texts are plain text: the renderers escape them.

struct DocCell {
  std::string text;
  bool numeric = false;  // right-aligned
  bool flag = false;     // highlighted (low confidence, below baseline, negative)
};

struct DocBlock {
  enum class Kind { kHeading, kParagraph, kTable, kList };
  Kind kind = Kind::kParagraph;
  int level = 2;                              // headings: 2 or 3 (1 is the title)
  std::string text;                           // heading / paragraph
  std::vector<std::string> header;            // table
  std::vector<std::vector<DocCell>> rows;     // table
  std::vector<std::string> items;             // list
};

struct Doc {
  std::string title;     // the <h1> and <title>
  std::string subtitle;  // a line under the title
  std::vector<DocBlock> blocks;

  void Heading(std::string text, int level = 2);
  void Paragraph(std::string text);
  void Table(std::vector<std::string> header, std::vector<std::vector<DocCell>> rows);
  void List(std::vector<std::string> items);
};

std::string RenderHtml(const Doc& doc);
std::string RenderMarkdown(const Doc& doc);

// A numeric table cell printed with FormatNumber; `flag` highlights it.
DocCell NumCell(double v, bool flag = false);


// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view s);
// Makes text safe inside a Markdown paragraph or table cell: backslash-escapes Markdown and
// HTML punctuation (\ ` * _ [ ] | < > # ! & ~), turns line breaks into spaces.
std::string MarkdownEscape(std::string_view s);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_REPORT_H_
