#include "server/xlsx.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dc::server {
namespace {

using ::testing::HasSubstr;

TEST(XlsxSpec, ParsesCellsOfEveryKind) {
  auto book = ParseXlsxSpec(
      R"({"filename": "a.xlsx", "sheets": [{"name": "S", "title": "T",
          "columns": [{"name": "x", "unit": "kWh"}, "y"], "rows": [[1.5, "s"], [null], []]}]})");
  ASSERT_TRUE(book.ok()) << book.status();
  ASSERT_EQ(book->sheets.size(), 1u);
  const XlsxSheet& s = book->sheets[0];
  EXPECT_EQ(s.columns[0].unit, "kWh");
  EXPECT_EQ(s.columns[1].name, "y");
  ASSERT_EQ(s.rows.size(), 3u);
  EXPECT_EQ(std::get<double>(s.rows[0][0]), 1.5);
  EXPECT_EQ(std::get<std::string>(s.rows[0][1]), "s");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(s.rows[1][0]));
}

TEST(XlsxSpec, ErrorsNameTheElement) {
  auto bad =
      ParseXlsxSpec(R"({"sheets": [{"columns": ["a"]}, {"columns": ["a"], "rows": [[[1]]]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("body.sheets[1].rows[0][0]"));
  EXPECT_FALSE(ParseXlsxSpec("[]").ok());
  EXPECT_FALSE(ParseXlsxSpec(R"({"sheets": [{"columns": []}]})").ok());
  EXPECT_FALSE(ParseXlsxSpec(std::string(100, '[')).ok());
}

TEST(XlsxSheetName, FollowsExcelRules) {
  EXPECT_EQ(SanitizeSheetName("a:b/c?d*e[f]g\\h", 0, {}), "a_b_c_d_e_f_g_h");
  EXPECT_EQ(SanitizeSheetName("''x''", 0, {}), "x");
  EXPECT_EQ(SanitizeSheetName("", 2, {}), "Sheet3");
  EXPECT_EQ(SanitizeSheetName("History", 0, {}), "Sheet1");
  EXPECT_EQ(SanitizeSheetName("Data", 1, {"data"}), "Data (2)");
  EXPECT_EQ(SanitizeSheetName("Data", 2, {"data", "Data (2)"}), "Data (3)");
  std::string longname(40, 'x');
  EXPECT_EQ(SanitizeSheetName(longname, 0, {}).size(), kXlsxMaxSheetName);
  // 31 characters, not bytes: Chinese names are cut on character boundaries.
  std::string zh;
  for (int i = 0; i < 40; ++i) zh += "电";
  EXPECT_EQ(SanitizeSheetName(zh, 0, {}).size(), 31u * 3);
  EXPECT_EQ(SanitizeSheetName(std::string(31, 'd'), 1, {std::string(31, 'd')}),
            std::string(27, 'd') + " (2)");
}

TEST(XlsxFileName, IsSafe) {
  EXPECT_EQ(SanitizeFileName("../etc/passwd"), "_etc_passwd.xlsx");
  EXPECT_EQ(SanitizeFileName(""), "export.xlsx");
  EXPECT_EQ(SanitizeFileName("能耗 2025.xlsx"), "能耗 2025.xlsx");
  EXPECT_EQ(SanitizeFileName("a\"b\r\n"), "a_b__.xlsx");
}

TEST(XlsxWrite, ProducesAZip) {
  auto book = ParseXlsxSpec(R"({"sheets": [{"columns": ["a"], "rows": [[1]]}]})");
  ASSERT_TRUE(book.ok());
  auto bytes = WriteXlsx(*book, ::testing::TempDir());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->substr(0, 2), "PK");
  EXPECT_FALSE(WriteXlsx(*book, "/nonexistent/dir").ok());
}

}  // namespace
}  // namespace dc::server
