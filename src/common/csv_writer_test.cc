#include "common/csv_writer.h"

#include <cmath>

#include "gtest/gtest.h"

namespace dc {
namespace {

TEST(CsvWriter, BomHeaderQuotedTextBareNumbers) {
  CsvWriter w({"meter", "名称", "value"});
  w.Text("grid-in").Text("电力, \"外购\"").Number(1.5).EndRow();
  w.Text("").Empty().Number("12.25").EndRow();
  EXPECT_EQ(w.str(),
            "\xEF\xBB\xBF\"meter\",\"名称\",\"value\"\n"
            "\"grid-in\",\"电力, \"\"外购\"\"\",1.5\n"
            "\"\",,12.25\n");
}

TEST(CsvWriter, NumbersRoundTripAndNonFiniteIsEmpty) {
  CsvWriter w({"v"});
  w.Number(0.1 + 0.2).Number(-3.0).Number(std::nan("")).EndRow();
  EXPECT_EQ(w.str().substr(kUtf8Bom.size()), "\"v\"\n0.30000000000000004,-3,\n");
}

TEST(CsvWriter, FormulaLikeTextIsGuarded) {
  for (const char* s : {"=1+1", "+1", "-2", "@SUM(A1)", "\tx"}) {
    std::string out;
    AppendCsvText(s, &out);
    EXPECT_EQ(out, std::string("\"'") + s + "\"") << s;
  }
  std::string out;
  AppendCsvText("a=b", &out);
  EXPECT_EQ(out, "\"a=b\"");
}

}  // namespace
}  // namespace dc
