// The CSV reader on bad and unusual input: errors name the file and line, nothing good is lost.
#include "accounting/csv.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace dc::accounting {
namespace {

TEST(CsvBadRows, UnterminatedQuoteNamesItsLine) {
  auto rows = ParseCsv("time,meter,value\nx,y,1\n\"open,\n\nmore\n", "r.csv");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), "r.csv:3: unterminated quoted field");
}

TEST(CsvBadRows, RaggedRowsAndOddBytesAreKeptAsWritten) {
  static constexpr char kText[] =
      "h1,h2\r\n\xEF\xBB\xBF,x\nonly\n1,2,3\na\"b,\"c\"\"d\"\nnul\0byte,2\n";
  std::string text(kText, sizeof kText - 1);
  auto rows = ParseCsv(text, "r.csv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 6u);
  EXPECT_EQ((*rows)[0].fields, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ((*rows)[2].fields, std::vector<std::string>{"only"});
  EXPECT_EQ((*rows)[3].fields.size(), 3u);
  EXPECT_EQ((*rows)[4].fields, (std::vector<std::string>{"a\"b", "c\"d"}));
  EXPECT_EQ((*rows)[5].fields[0], std::string("nul\0byte", 8));
  EXPECT_EQ((*rows)[5].line, 6);
}

TEST(CsvBadRows, LineNumbersCountNewlinesInsideQuotes) {
  auto rows = ParseCsv("a\n\"x\ny\nz\",1\n\nb,2\n", "r.csv");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1].line, 2);
  EXPECT_EQ((*rows)[2].line, 6);
}

TEST(CsvBadRows, EmptyFileNeedsAHeader) {
  auto t = CsvTable::Parse("\n\n", "r.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(absl::StrContains(t.status().message(), "r.csv: empty file")) << t.status();
}

TEST(CsvFiles, DirectoriesAndMissingFilesAreNamed) {
  auto t = CsvTable::ReadFile(::testing::TempDir());
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(absl::StrContains(t.status().message(), "is a directory, expected a CSV file"))
      << t.status();
  auto m = ReadTextFile(::testing::TempDir() + "/none.csv", "a readings CSV file");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::StrContains(m.status().message(), "none.csv: no such file")) << m.status();
}

}  // namespace
}  // namespace dc::accounting
