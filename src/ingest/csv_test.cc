// The CSV reader on bad and unusual input: errors name the file and line, nothing good is lost.
#include "ingest/csv.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace dc {
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
}  // namespace dc

namespace dc {
namespace {

// Every split of the input into two pieces (and byte by byte) gives the same rows as the whole.
TEST(CsvReaderChunks, AnySplitGivesTheSameRows) {
  const std::string text = "\xEF\xBB\xBFh1;h2\r\n\"a;\"\"b\";c\n\n\"multi\nline\";\"\"\r\nlast;1";
  CsvReader whole(';');
  std::vector<CsvRow> want;
  ASSERT_TRUE(whole.Feed(text, "r.csv", &want).ok());
  ASSERT_TRUE(whole.Finish("r.csv", &want).ok());
  ASSERT_EQ(want.size(), 4u);
  EXPECT_EQ(want[0].fields, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ(want[1].fields, (std::vector<std::string>{"a;\"b", "c"}));
  EXPECT_EQ(want[3].line, 6);
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    CsvReader r(';');
    std::vector<CsvRow> got;
    ASSERT_TRUE(r.Feed(text.substr(0, cut), "r.csv", &got).ok());
    ASSERT_TRUE(r.Feed(text.substr(cut), "r.csv", &got).ok());
    ASSERT_TRUE(r.Finish("r.csv", &got).ok());
    ASSERT_EQ(got.size(), want.size()) << cut;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].fields, want[i].fields) << cut;
      EXPECT_EQ(got[i].line, want[i].line) << cut;
    }
  }
  CsvReader bytewise(';');
  std::vector<CsvRow> got;
  for (char c : text) ASSERT_TRUE(bytewise.Feed(std::string_view(&c, 1), "r.csv", &got).ok());
  ASSERT_TRUE(bytewise.Finish("r.csv", &got).ok());
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(got[3].fields, want[3].fields);
}

TEST(CsvReaderChunks, ShortInputThatLooksLikeABomIsData) {
  CsvReader r;
  std::vector<CsvRow> rows;
  ASSERT_TRUE(r.Feed("\xEF\xBB", "r.csv", &rows).ok());
  ASSERT_TRUE(r.Finish("r.csv", &rows).ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields[0], "\xEF\xBB");
}

TEST(CsvReaderChunks, AStrayQuoteIsBoundedNotBuffered) {
  CsvReader r(',', 16);
  std::vector<CsvRow> rows;
  absl::Status s = r.Feed("a,b\n1,\"x\n" + std::string(100, 'y'), "r.csv", &rows);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "r.csv:2: quoted field longer than 16 bytes (an unterminated quote?)");
  EXPECT_EQ(rows.size(), 1u);  // the good row before it was delivered
}

}  // namespace
}  // namespace dc
