// The CSV importer: both layouts, encodings, time formats, bad rows, keys, chunking.
#include "ingest/csv_import.h"

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

// key -> time (UTC, RFC 3339) -> value
using Points = std::map<std::string, std::map<std::string, double>>;

Points Collect(const PointBatch& b) {
  Points p;
  for (const auto& r : b.rows()) {
    p[b.keys()[r.series]]
     [absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixNanos(r.t), absl::UTCTimeZone())] = r.v;
  }
  return p;
}

struct Outcome {
  absl::Status status;
  CsvImportResult result;
  Points points;
};

Outcome Import(std::string_view text, const CsvImportOptions& o) {
  Outcome r;
  PointBatch b;
  r.status = ImportCsv(text, o, "f.csv", &b, &r.result);
  r.points = Collect(b);
  return r;
}

CsvImportOptions Wide() {
  CsvImportOptions o;
  o.layout = CsvLayout::kWide;
  return o;
}

TEST(CsvImportLong, SiteModelLayoutWithQualityAndDefaultKeys) {
  CsvImportOptions o;
  o.site = "a";
  o.zone = absl::FixedTimeZone(8 * 3600);
  auto r = Import(
      "time,meter,value,quality\n"
      "2025-03-01 00:15,grid-in,10234.5,\n"
      "2025-03-01T00:15:00+08:00,kiln coal,12.4,uncertain\n",
      o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.result.points, 2u);
  EXPECT_EQ(r.points["meter,id=grid-in,site=a value"]["2025-02-28T16:15:00Z"], 10234.5);
  EXPECT_EQ(r.points["meter,id=kiln\\ coal,site=a value"]["2025-02-28T16:15:00Z"], 12.4);
}

TEST(CsvImportLong, MappedMetersAndKnownMetersOnly) {
  CsvImportOptions o;
  o.map = {{"grid-in", "elec,site=a kwh"}};
  o.known_meters_only = true;
  auto r =
      Import("time,meter,value\n2025-03-01T00:00:00Z,grid-in,1\n2025-03-01T00:00:00Z,x,2\n", o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.points["elec,site=a kwh"].size(), 1u);
  ASSERT_EQ(r.result.errors.size(), 1u);
  EXPECT_EQ(r.result.errors[0].line, 3);
  EXPECT_EQ(r.result.errors[0].reason, "unknown meter \"x\" (not in the site file)");
}

TEST(CsvImportLong, MissingColumnsNameTheHeader) {
  auto r = Import("time,meter\n1,a\n", CsvImportOptions());
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.message(),
            "f.csv:1: header has no value column \"value\" (columns: time, meter)");
}

TEST(CsvImportWide, UciLikeFileWithBomDayFirstAndMidnightEndingTheDay) {
  CsvImportOptions o = Wide();
  o.time_column = "date";
  o.time_format = "%d/%m/%Y %H:%M";
  o.zone = *LoadZone("Asia/Seoul");
  o.midnight_ends_day = true;
  o.map = {{"Usage_kWh", "meter,id=usage,site=uci value"}};
  auto r = Import(
      "\xEF\xBB\xBF"
      "date,Usage_kWh,Load_Type\n"
      "01/01/2018 00:15,3.17,Light_Load\n"
      "02/01/2018 23:45,4,Light_Load\n"
      "02/01/2018 00:00,5,Light_Load\n",
      o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  const auto& s = r.points["meter,id=usage,site=uci value"];
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.at("2017-12-31T15:15:00Z"), 3.17);
  EXPECT_EQ(s.at("2018-01-02T14:45:00Z"), 4);
  EXPECT_EQ(s.at("2018-01-02T15:00:00Z"), 5);  // 03/01 00:00 Seoul = 24:00 of 02/01
  EXPECT_EQ(r.result.encoding, "utf-8");
  ASSERT_EQ(r.result.notes.size(), 1u);
  EXPECT_EQ(r.result.notes[0], "columns not mapped (skipped): Load_Type");
}

TEST(CsvImportWide, AutoDayFirstAndMonthFirst) {
  CsvImportOptions o = Wide();
  o.map = {{"v", "m value"}};
  o.dayfirst = true;
  auto r = Import("t,v\n02/01/2018 10:00,1\n3.1.2018,2\n", o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.points["m value"].count("2018-01-02T10:00:00Z"), 1u);
  EXPECT_EQ(r.points["m value"].count("2018-01-03T00:00:00Z"), 1u);
  o.dayfirst = false;
  r = Import("t,v\n02/01/2018 10:00,1\n13/01/2018 10:00,2\n", o);
  EXPECT_EQ(r.points["m value"].count("2018-02-01T10:00:00Z"), 1u);
  ASSERT_EQ(r.result.errors.size(), 1u);
  EXPECT_EQ(r.result.errors[0].line, 3);
  EXPECT_TRUE(absl::StrContains(r.result.errors[0].reason, "--dayfirst"));
}

TEST(CsvImportWide, TemplateSemicolonsDecimalCommaAndEmptyCells) {
  CsvImportOptions o = Wide();
  o.delimiter = ';';
  o.decimal_comma = true;
  o.site = "p 1";
  o.key_template = "meter,id={column},site={site} value";
  o.ignore = {"note"};
  auto r = Import(
      "time;Kiln A;mill;note\n2025-01-01T00:00:00Z;3,5;NA;x\n"
      "2025-01-01T01:00:00Z;-;1 234;y\n2025-01-01T02:00:00Z;;7;z\n",
      o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.points["meter,id=Kiln\\ A,site=p\\ 1 value"]["2025-01-01T00:00:00Z"], 3.5);
  EXPECT_EQ(r.points["meter,id=mill,site=p\\ 1 value"]["2025-01-01T02:00:00Z"], 7);
  EXPECT_EQ(r.result.empty_cells, 3u);    // NA, -, ""
  ASSERT_EQ(r.result.errors.size(), 1u);  // "1 234": not a number, its row's other cells kept
  EXPECT_EQ(r.result.errors[0].line, 3);
  EXPECT_EQ(r.result.errors[0].reason, "column 3: \"1 234\" is not a number");
  EXPECT_EQ(r.result.points, 2u);
}

TEST(CsvImportWide, BadRowsAreNamedAndGoodRowsKept) {
  CsvImportOptions o = Wide();
  o.map = {{"a", "a value"}};
  auto r = Import(
      "time,a\n"
      "2025-01-01T00:00:00Z,1\n"
      "yesterday,2\n"
      "2025-01-01T00:15:00Z,2,extra\n"
      "99999-01-01T00:00:00Z,3\n"
      "2025-01-01T00:30:00Z,abc\n"
      "2025-01-01T00:45:00Z,4\n",
      o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.points["a value"].size(), 2u);
  EXPECT_EQ(r.result.rows, 6u);
  EXPECT_EQ(r.result.bad_rows, 4u);
  ASSERT_EQ(r.result.errors.size(), 4u);
  EXPECT_EQ(r.result.errors[0].line, 3);
  EXPECT_TRUE(absl::StrContains(r.result.errors[0].reason, "time \"yesterday\""))
      << r.result.errors[0].reason;
  EXPECT_EQ(r.result.errors[1].line, 4);
  EXPECT_EQ(r.result.errors[1].reason, "has 3 fields, the header has 2");
  EXPECT_EQ(r.result.errors[2].line, 5);
  EXPECT_EQ(r.result.errors[3].reason, "column 2: \"abc\" is not a number");
}

TEST(CsvImportWide, EpochTimesAndTheTimeRangeRule) {
  CsvImportOptions o = Wide();
  o.map = {{"v", "m value"}};
  auto r = Import("t,v\n1700000000,1\n1700000000000,2\n", o);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.points["m value"].size(), 1u);  // both are the same instant
  EXPECT_EQ(r.points["m value"]["2023-11-14T22:13:20Z"], 2);
  o.time_format = "epoch_s";
  r = Import("t,v\n9300000000000,1\n", o);
  ASSERT_EQ(r.result.errors.size(), 1u);
  EXPECT_TRUE(absl::StrContains(r.result.errors[0].reason, kTimeRangeText));
  o.time_format = "epoch_hours";
  EXPECT_FALSE(Import("t,v\n1,1\n", o).status.ok());
}

TEST(CsvImportKeys, InvalidKeysAreRefusedByTheSharedRules) {
  CsvImportOptions o = Wide();
  o.key_template = "m,id={column} value";
  auto r = Import("time,ok,\"bad\x01\"\n2025-01-01T00:00:00Z,1,2\n", o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.points.size(), 1u);
  ASSERT_EQ(r.result.errors.size(), 1u);
  EXPECT_EQ(r.result.errors[0].line, 1);
  EXPECT_TRUE(absl::StrContains(r.result.errors[0].reason, "column 3"))
      << r.result.errors[0].reason;
  EXPECT_FALSE(ParseCsvMap("a=").ok());
  EXPECT_FALSE(ParseCsvMap("nokey").ok());
  EXPECT_EQ(ParseCsvMap(" a =m,site=b,id=c v")->second, "m,id=c,site=b v");
  CsvImportOptions l;
  r = Import("time,meter,value\n2025-01-01T00:00:00Z,\"a\nb\",1\n", l);
  ASSERT_EQ(r.result.errors.size(), 1u);
  EXPECT_TRUE(absl::StrContains(r.result.errors[0].reason, "control")) << r.result.errors[0].reason;
  o.key_template = "m,id={col} value";
  EXPECT_FALSE(Import("time,a\n2025-01-01T00:00:00Z,1\n", o).status.ok());
}

TEST(CsvImportEncoding, GbkBytesWithChineseMeterNames) {
  // "时间,电表,用电" / "2025-01-01 08:00,1,2" in GBK.
  const std::string gbk =
      "\xca\xb1\xbc\xe4,\xb5\xe7\xb1\xed,\xd3\xc3\xb5\xe7\n2025-01-01 08:00,1.5,2\n";
  CsvImportOptions o = Wide();
  o.time_column = "时间";
  o.key_template = "meter,id={column} value";
  for (CsvEncoding e : {CsvEncoding::kGbk, CsvEncoding::kAuto}) {
    o.encoding = e;
    auto r = Import(gbk, o);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.result.encoding, "gbk");
    EXPECT_EQ(r.points["meter,id=电表 value"]["2025-01-01T08:00:00Z"], 1.5);
    EXPECT_EQ(r.points["meter,id=用电 value"]["2025-01-01T08:00:00Z"], 2);
  }
  o.encoding = CsvEncoding::kUtf8;  // read as UTF-8 the names are not valid: refused, not stored
  auto r = Import(gbk, o);
  EXPECT_FALSE(r.status.ok());  // the time column is not found
}

TEST(CsvImportEncoding, InvalidGbkBytesAreReplacedAndCounted) {
  CsvImportOptions o = Wide();
  o.encoding = CsvEncoding::kGbk;
  o.key_template = "m,id={column} value";
  auto r = Import("time,a\xff\n2025-01-01T00:00:00Z,1\n", o);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.points.count("m,id=a\xEF\xBF\xBD value"), 1u);
  EXPECT_TRUE(absl::StrContains(r.result.notes.back(), "1 byte(s) not valid gbk"));
}

TEST(CsvImportChunks, EverySplitGivesTheSamePoints) {
  const std::string gbk =
      "\xEF\xBB\xBFtime,a,\"b\"\"q\"\n2025-01-01T00:00:00Z,1,2\n\"2025-01-01T01:00:00Z\",3,"
      "\"4\"\r\n"
      "bad,5,6\n2025-01-01T02:00:00Z,7,8";
  CsvImportOptions o = Wide();
  o.key_template = "m,id={column} value";
  Outcome whole = Import(gbk, o);
  ASSERT_TRUE(whole.status.ok()) << whole.status;
  EXPECT_EQ(whole.result.points, 6u);
  for (CsvEncoding e : {CsvEncoding::kAuto, CsvEncoding::kUtf8}) {
    o.encoding = e;
    for (size_t cut = 0; cut <= gbk.size(); ++cut) {
      CsvImporter imp(o, "f.csv");
      PointBatch b;
      ASSERT_TRUE(imp.Feed(gbk.substr(0, cut), &b).ok());
      ASSERT_TRUE(imp.Feed(gbk.substr(cut), &b).ok());
      ASSERT_TRUE(imp.Finish(&b).ok());
      EXPECT_EQ(Collect(b), whole.points) << cut;
      ASSERT_EQ(imp.result().errors.size(), 1u);
      EXPECT_EQ(imp.result().errors[0].line, 4) << cut;
    }
  }
}

TEST(CsvImportChunks, GbkCharactersSplitAcrossChunks) {
  const std::string gbk = "time,\xb5\xe7\xb1\xed\n2025-01-01T00:00:00Z,1\n";
  CsvImportOptions o = Wide();
  o.encoding = CsvEncoding::kGbk;
  o.key_template = "m,id={column} value";
  for (size_t cut = 0; cut <= gbk.size(); ++cut) {
    CsvImporter imp(o, "f.csv");
    PointBatch b;
    ASSERT_TRUE(imp.Feed(gbk.substr(0, cut), &b).ok());
    ASSERT_TRUE(imp.Feed(gbk.substr(cut), &b).ok());
    ASSERT_TRUE(imp.Finish(&b).ok());
    EXPECT_EQ(Collect(b)["m,id=电表 value"].size(), 1u) << cut;
  }
}

TEST(CsvImportFile, EmptyFileAndUnterminatedQuote) {
  EXPECT_EQ(Import("", Wide()).status.message(), "f.csv: empty file (a header is required)");
  CsvImportOptions o = Wide();
  o.map = {{"a", "a value"}};
  auto r = Import("time,a\n2025-01-01T00:00:00Z,1\n\"2025", o);
  EXPECT_EQ(r.status.message(), "f.csv:3: unterminated quoted field");
  EXPECT_EQ(r.points["a value"].size(), 1u);  // the good row before it is kept
}

}  // namespace
}  // namespace dc
