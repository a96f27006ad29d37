// A period broken down by month: the parts tile the period, and their amounts add up to it.
#include "accounting/breakdown.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/test_util.h"
#include "common/csv_writer.h"
#include "common/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

absl::TimeZone Shanghai() { return *LoadZone("Asia/Shanghai"); }
int64_t T(const char* s) { return *ParseTime(s, Shanghai()); }

std::vector<Period> Split(const char* text) {
  auto p = ParsePeriod(text, Shanghai());
  EXPECT_TRUE(p.ok()) << p.status();
  auto parts = SplitPeriod(*p, "month", Shanghai());
  EXPECT_TRUE(parts.ok()) << parts.status();
  // Contiguous, in order, covering the period exactly.
  EXPECT_EQ(parts->front().start, p->start) << text;
  EXPECT_EQ(parts->back().end, p->end) << text;
  for (size_t i = 1; i < parts->size(); ++i) {
    EXPECT_EQ((*parts)[i].start, (*parts)[i - 1].end) << text;
    EXPECT_LT((*parts)[i].start, (*parts)[i].end) << text;
  }
  return *parts;
}

TEST(SplitPeriod, MonthsOfAYearAQuarterAndARange) {
  auto year = Split("2025");
  ASSERT_EQ(year.size(), 12u);
  EXPECT_EQ(year[0].text, "2025-01");
  EXPECT_EQ(year[1].start, T("2025-02-01 00:00"));
  EXPECT_EQ(year[11].text, "2025-12");
  auto q = Split("2024-Q1");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[1].end - q[1].start, 29 * kNanosPerDay);  // leap February
  auto r = Split("2025-03-15..2025-05-10");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].start, T("2025-03-15 00:00"));
  EXPECT_EQ(r[0].end, T("2025-04-01 00:00"));
  EXPECT_EQ(r[2].text, "2025-05");
  EXPECT_EQ(r[2].end, T("2025-05-11 00:00"));
  EXPECT_EQ(Split("2025-03").size(), 1u);
  EXPECT_EQ(Split("2025-03-01T06:00..2025-03-01T18:00").size(), 1u);
}

TEST(SplitPeriod, ErrorsNameWhatIsWrong) {
  auto p = ParsePeriod("2025", Shanghai());
  auto week = SplitPeriod(*p, "week", Shanghai());
  ASSERT_FALSE(week.ok());
  EXPECT_TRUE(absl::StrContains(week.status().message(), "expected month")) << week.status();
  auto long_range = ParsePeriod("2000..2025", Shanghai());
  auto many = SplitPeriod(*long_range, "month", Shanghai());
  ASSERT_FALSE(many.ok());
  EXPECT_TRUE(absl::StrContains(many.status().message(), "more than 120 months")) << many.status();
}

constexpr char kSite[] = R"toml([site]
id = "bd"
timezone = "Asia/Shanghai"
grid_year = 2022

[[meter]]
id = "grid"
carrier = "electricity"
kind = "counter"
unit = "kWh"
rollover = 99999

[[meter]]
id = "coal"
carrier = "coke"
kind = "interval"
unit = "t"

[[meter]]
id = "steam"
carrier = "steam"
kind = "interval"
unit = "t"
flow = "exported"
enthalpy_kj_per_kg = 2900

[[meter]]
id = "out"
carrier = "product"
kind = "interval"
unit = "t"

[[product]]
id = "p"
meter = "out"
)toml";

// A year of readings every 7 hours: the counter rolls over (99999 -> 0) in March and is reset
// (replaced register, restarts at 0) in June; intervals land on month boundaries too.
std::string YearCsv() {
  std::string csv = "time,meter,value\n";
  double reg = 90000;
  int k = 0;
  for (int64_t t = T("2024-12-20 00:00"); t < T("2026-01-10 00:00"); t += 7 * kNanosPerHour, ++k) {
    std::string ts = FormatTime(t, Shanghai());
    reg += 37.5 + (k % 11);
    if (reg > 99999) reg -= 100000;
    if (t >= T("2025-06-12 00:00") && t < T("2025-06-12 07:00")) reg = 3;  // reset
    absl::StrAppend(&csv, ts, ",grid,", FormatNumber(reg), "\n");
    absl::StrAppend(&csv, ts, ",coal,", FormatNumber(0.25 + (k % 5) * 0.1), "\n");
    if (k % 3 == 0) absl::StrAppend(&csv, ts, ",steam,", FormatNumber(1.5 + (k % 4)), "\n");
    // Stamped exactly at midnight of a month's end: belongs to the month that ends there.
    double out = t == T("2025-08-01 00:00") ? 1000 : 2 + (k % 7);
    absl::StrAppend(&csv, ts, ",out,", FormatNumber(out), "\n");
  }
  return csv;
}

Breakdown YearByMonth() {
  auto site = model::ParseSite(kSite, "bd.toml");
  EXPECT_TRUE(site.ok()) << site.status();
  auto data = CsvReadings::Parse(YearCsv(), "year.csv", *site, Shanghai());
  EXPECT_TRUE(data.ok()) << data.status();
  auto period = ParsePeriod("2025", Shanghai());
  auto b = ComputeBreakdown(*site, *data, *period, Ref(), "month");
  EXPECT_TRUE(b.ok()) << b.status();
  return *b;
}

void ExpectSum(const Breakdown& b, double (*get)(const Inventory&), const char* what) {
  double sum = 0;
  for (const Inventory& p : b.parts) sum += get(p);
  double whole = get(b.total);
  EXPECT_NEAR(sum, whole, 1e-9 * std::max(1.0, std::fabs(whole))) << what;
  EXPECT_NE(whole, 0) << what;
}

TEST(Breakdown, MonthsAddUpToTheYearThroughARolloverAndAReset) {
  Breakdown b = YearByMonth();
  ASSERT_EQ(b.parts.size(), 12u);
  EXPECT_EQ(b.by, "month");
  EXPECT_EQ(b.parts[5].period.text, "2025-06");
  ExpectSum(
      b, [](const Inventory& i) { return i.total_tce; }, "total_tce");
  ExpectSum(
      b, [](const Inventory& i) { return i.total_tco2e; }, "total_tco2e");
  ExpectSum(
      b, [](const Inventory& i) { return i.scope1_tco2e; }, "scope1");
  ExpectSum(
      b, [](const Inventory& i) { return i.scope2_tco2e; }, "scope2");
  ExpectSum(
      b, [](const Inventory& i) { return i.exports_tco2e; }, "exports");
  ExpectSum(
      b, [](const Inventory& i) { return i.products.at(0).output; }, "output");
  for (const char* carrier : {"electricity", "coke", "steam"}) {
    double sum = 0, whole = 0;
    for (const Inventory& p : b.parts)
      for (const auto& c : p.by_carrier) sum += c.carrier == carrier ? c.amount : 0;
    for (const auto& c : b.total.by_carrier) whole += c.carrier == carrier ? c.amount : 0;
    EXPECT_NEAR(sum, whole, 1e-9 * std::fabs(whole)) << carrier;
  }
  // The midnight reading of 1 August is July's; the reset and rollover are warned about in
  // the months they happen in.
  EXPECT_GT(b.parts[6].products[0].output, 1000);
  EXPECT_LT(b.parts[7].products[0].output, 1000);
  auto warned = [](const Inventory& i, const char* what) {
    for (const auto& w : i.warnings)
      if (absl::StrContains(w, what)) return true;
    return false;
  };
  EXPECT_TRUE(warned(b.parts[5], "reset")) << absl::StrJoin(b.parts[5].warnings, "\n");
  EXPECT_FALSE(warned(b.parts[4], "reset")) << absl::StrJoin(b.parts[4].warnings, "\n");
}

TEST(Breakdown, JsonCsvAndMarkdownCarryEveryMonth) {
  Breakdown b = YearByMonth();
  auto j = nlohmann::json::parse(BreakdownToJson(b));
  EXPECT_EQ(j["by"], "month");
  ASSERT_EQ(j["parts"].size(), 12u);
  EXPECT_EQ(j["parts"][2]["period"]["text"], "2025-03");
  EXPECT_EQ(j["period"]["text"], "2025");
  EXPECT_DOUBLE_EQ(j["emissions"]["total_tco2e"].get<double>(), RoundOutput(b.total.total_tco2e));

  std::string csv = BreakdownToCsv(b);
  ASSERT_TRUE(csv.starts_with(kUtf8Bom));
  EXPECT_TRUE(absl::StartsWith(csv.substr(kUtf8Bom.size()),
                               "\"month\",\"section\",\"category\",\"source\",\"scope\","
                               "\"amount\",\"unit\",\"tco2e\",\"tce\",\"formula\"\n"));
  // One "total,total" row per month and one for the year, with the inventory's figures.
  int totals = 0;
  for (const Inventory& p : b.parts) {
    std::string row = absl::StrCat("\"", p.period.text, "\",\"total\",\"total\",,,,,",
                                   FormatNumber(p.total_tco2e), ",", FormatNumber(p.total_tce));
    totals += absl::StrContains(csv, row);
  }
  EXPECT_EQ(totals, 12);
  EXPECT_TRUE(absl::StrContains(
      csv, absl::StrCat("\"total\",\"total\",\"total\",,,,,", FormatNumber(b.total.total_tco2e))));

  std::string md = BreakdownToMarkdown(b);
  for (const Inventory& p : b.parts) {
    EXPECT_TRUE(absl::StrContains(md, absl::StrCat("| ", p.period.text, " | "))) << p.period.text;
  }
  EXPECT_TRUE(absl::StrContains(md, "合计 total"));
}

}  // namespace
}  // namespace dc::accounting
