#include "ingest/hj212.h"

#include <string>

#include "gtest/gtest.h"

namespace dc::hj212 {
namespace {

// The example packet of HJ 212-2017 (set the real-time data interval), CRC as printed there.
constexpr char kStandardExample[] =
    "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&";

constexpr char kRealtime[] =
    "QN=20250301101500001;ST=31;CN=2011;PW=123456;MN=88888880000001;Flag=5;"
    "CP=&&DataTime=20250301101500;a21026-Rtd=12.3,a21026-Flag=N;"
    "a21002-Rtd=45.6,a21002-Flag=C;a19001-Rtd=8.2,a19001-Flag=D&&";

constexpr char kHourly[] =
    "QN=20250301110000123;ST=31;CN=2061;PW=123456;MN=88888880000001;Flag=4;"
    "CP=&&DataTime=20250301100000;a21026-Min=10.0,a21026-Avg=12.5,a21026-Max=15.0,"
    "a21026-ZsAvg=14.1,a21026-Cou=3.2,a21026-Flag=N&&";

PointOptions Utc() {
  PointOptions o;
  o.zone = absl::UTCTimeZone();
  return o;
}

TEST(Hj212Crc, MatchesTheStandardsExampleAndIsNotModbus) {
  EXPECT_EQ(Crc16(kStandardExample), 0x1C80);
  EXPECT_EQ(Frame(kStandardExample), std::string("##0101") + kStandardExample + "1C80\r\n");
  // CRC-16/MODBUS of "123456789" is 0x4B37; the HJ 212 algorithm differs.
  EXPECT_NE(Crc16("123456789"), 0x4B37);
}

TEST(Hj212Parse, HeaderAndCp) {
  auto p = ParseData(kStandardExample, {.strict = true});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->qn, "20160801085857223");
  EXPECT_EQ(p->st, 32);
  EXPECT_EQ(p->cn, 1062);
  EXPECT_EQ(p->pw, "100000");
  EXPECT_EQ(p->mn, "010000A8900016F000169DC0");
  EXPECT_TRUE(p->wants_reply());
  EXPECT_FALSE(p->split());
  EXPECT_EQ(p->edition(), 2017);
  ASSERT_NE(p->CpValue("RtdInterval"), nullptr);
  EXPECT_EQ(*p->CpValue("RtdInterval"), "30");
}

TEST(Hj212Parse, ErrorsNameTheField) {
  for (auto [data, field] : std::initializer_list<std::pair<const char*, const char*>>{
           {"QN=1;ST=31;CN=2011;MN=a;Flag=4;CP=&&&&", "field QN"},
           {"QN=20250301101500001;ST=x;CN=2011;MN=a;Flag=4;CP=&&&&", "field ST"},
           {"QN=20250301101500001;ST=31;CN=2011;Flag=4;CP=&&&&", "field MN"},
           {"QN=20250301101500001;ST=31;CN=2011;MN=a;Flag=4", "field CP"},
           {"QN=20250301101500001;ST=31;CN=2011;MN=a;Flag=7;PNUM=2;CP=&&&&", "PNUM/PNO"},
           {"QN=20250301101500001;ST=31;CN=2011;MN=a;Flag=7;PNUM=2;PNO=3;CP=&&&&", "PNO"},
           {"QN=20250301101500001;ST=31;CN=2011;MN=a b;Flag=4;CP=&&&&", "field MN"},
       }) {
    auto p = ParseData(data);
    ASSERT_FALSE(p.ok()) << data;
    EXPECT_NE(p.status().message().find(field), std::string::npos) << p.status();
  }
}

TEST(Hj212Parse, LenientToleratesAndSaysSo) {
  const char* data = "ST=31;CN=2011;PW=1;MN=M1;CP=&&DataTime=20250301101500;a21026-Rtd=1";
  EXPECT_FALSE(ParseData(data, {.strict = true}).ok());
  auto p = ParseData(data);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->edition(), 2005);
  EXPECT_EQ(p->notes.size(), 3u);  // no QN, no Flag, no closing &&
}

TEST(Hj212Points, RealtimeValuesFlagsAndQuality) {
  auto p = ParseData(kRealtime, {.strict = true});
  ASSERT_TRUE(p.ok()) << p.status();
  PointBatch batch;
  PointOptions opt{
      .measurement = "cems", .site = "cement-a", .zone = absl::FixedTimeZone(8 * 3600)};
  PointsResult r = ToPoints(*p, opt, &batch);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.points, 6u);                      // 3 values + 3 flags
  const int64_t t = 1740795300LL * 1000000000;  // 2025-03-01T10:15:00+08:00
  const auto& rows = batch.rows();
  EXPECT_EQ(batch.keys()[rows[0].series], "cems,code=a21026,mn=88888880000001,site=cement-a rtd");
  EXPECT_EQ(rows[0].t, t);
  EXPECT_EQ(rows[0].v, 12.3);
  EXPECT_EQ(rows[0].q, Quality::kGood);
  EXPECT_EQ(batch.keys()[rows[1].series], "cems,code=a21026,mn=88888880000001,site=cement-a flag");
  EXPECT_EQ(rows[1].v, 'N');
  EXPECT_EQ(rows[2].v, 45.6);
  EXPECT_EQ(rows[2].q, Quality::kUncertain);  // C: calibration
  EXPECT_EQ(rows[4].q, Quality::kBad);        // D: fault
  EXPECT_EQ(rows[5].v, 'D');
}

TEST(Hj212Points, HourlyStatisticsOneSeriesEach) {
  auto p = ParseData(kHourly, {.strict = true});
  ASSERT_TRUE(p.ok()) << p.status();
  PointBatch batch;
  PointsResult r = ToPoints(*p, Utc(), &batch);
  EXPECT_EQ(r.points, 6u);
  std::vector<std::string> fields;
  for (const auto& k : batch.keys()) fields.push_back(k.substr(k.rfind(' ') + 1));
  EXPECT_EQ(fields, (std::vector<std::string>{"min", "avg", "max", "zsavg", "cou", "flag"}));
}

TEST(Hj212Points, BadItemsReportedGoodKept) {
  auto p = ParseData(
      "QN=20250301101500001;ST=31;CN=2011;PW=1;MN=M1;Flag=4;CP=&&DataTime=20250301101500;"
      "a21026-Rtd=abc,a21002-Rtd=5,a21002-Flag=NN;a$-Rtd=1&&");
  ASSERT_TRUE(p.ok()) << p.status();
  PointBatch batch;
  PointsResult r = ToPoints(*p, Utc(), &batch);
  EXPECT_EQ(r.points, 1u);
  EXPECT_EQ(r.errors.size(), 3u);
  auto nodt = ParseData(
      "QN=20250301101500001;ST=31;CN=2011;PW=1;MN=M1;Flag=4;"
      "CP=&&DataTime=20250230101500;a21026-Rtd=1&&");
  ASSERT_TRUE(nodt.ok());
  r = ToPoints(*nodt, Utc(), &batch);
  EXPECT_EQ(r.points, 0u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("DataTime"), std::string::npos);
}

TEST(Hj212Reply, CarriesTheRequestsQnPwMn) {
  auto p = ParseData(kRealtime);
  ASSERT_TRUE(p.ok());
  std::string reply = ReplyData(*p, 9014, 0);
  EXPECT_EQ(reply, "QN=20250301101500001;ST=91;CN=9014;PW=123456;MN=88888880000001;Flag=4;CP=&&&&");
  EXPECT_EQ(ReplyData(*p, 9011, 1).find("CP=&&QnRtn=1&&") != std::string::npos, true);
  auto back = ParseData(reply, {.strict = true});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->wants_reply());
}

std::vector<std::string> SplitAll(FrameSplitter& s, std::vector<std::string>* errors) {
  std::vector<std::string> frames;
  std::string data, err;
  for (;;) {
    auto r = s.Next(&data, &err);
    if (r == FrameSplitter::Result::kNeedMore) break;
    if (r == FrameSplitter::Result::kFrame) frames.push_back(data);
    if (r == FrameSplitter::Result::kRejected) errors->push_back(err);
  }
  return frames;
}

TEST(Hj212Splitter, FragmentsAndSeveralFramesPerRead) {
  std::string stream = Frame(kRealtime) + Frame(kHourly) + Frame(kStandardExample);
  for (size_t chunk : {1u, 3u, 7u, 64u, 100000u}) {
    FrameSplitter s;
    std::vector<std::string> frames, errors;
    for (size_t i = 0; i < stream.size(); i += chunk) {
      s.Append(std::string_view(stream).substr(i, chunk));
      auto got = SplitAll(s, &errors);
      frames.insert(frames.end(), got.begin(), got.end());
    }
    EXPECT_TRUE(errors.empty()) << chunk << ": " << errors[0];
    ASSERT_EQ(frames.size(), 3u) << chunk;
    EXPECT_EQ(frames[0], kRealtime);
    EXPECT_EQ(frames[2], kStandardExample);
    EXPECT_EQ(s.buffered(), 0u);
  }
}

TEST(Hj212Splitter, RejectsBadCrcBadLengthAndGarbageThenResynchronises) {
  std::string good = Frame(kRealtime);
  std::string bad_crc = good;
  bad_crc[bad_crc.size() - 3] = bad_crc[bad_crc.size() - 3] == '0' ? '1' : '0';
  std::string bad_len = good;
  bad_len[5] = static_cast<char>(bad_len[5] == '0' ? '1' : '0');  // length off by one or so
  std::string stream = "\x01\xff garbage" + bad_crc + bad_len + "##abcd" + good;
  FrameSplitter s;
  s.Append(stream);
  std::vector<std::string> errors;
  auto frames = SplitAll(s, &errors);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], kRealtime);
  bool saw_crc = false, saw_len = false, saw_garbage = false;
  for (const auto& e : errors) {
    saw_crc |= e.find("CRC") != std::string::npos;
    saw_len |= e.find("length") != std::string::npos;
    saw_garbage |= e.find("garbage") != std::string::npos;
  }
  EXPECT_TRUE(saw_crc && saw_len && saw_garbage);
}

TEST(Hj212Splitter, StrictLimitsLengthTo1024) {
  std::string big = std::string("QN=20250301101500001;ST=31;CN=2011;PW=1;MN=M1;Flag=4;CP=&&") +
                    std::string(1100, 'a') + "=1&&";
  FrameSplitter strict({.strict = true}), lenient;
  strict.Append(Frame(big));
  lenient.Append(Frame(big));
  std::vector<std::string> errors;
  EXPECT_TRUE(SplitAll(strict, &errors).empty());
  EXPECT_FALSE(errors.empty());
  errors.clear();
  EXPECT_EQ(SplitAll(lenient, &errors).size(), 1u);
}

}  // namespace
}  // namespace dc::hj212
