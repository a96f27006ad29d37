#include "ingest/json_write.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(JsonWrite, GoodElements) {
  PointBatch b;
  auto r = ParseJsonWrite(R"([
    {"series": "energy,site=s1,meter=m1 kwh", "t": 1700000000000000000, "v": 12.5},
    {"series": "energy,meter=m1,site=s1 kwh", "t": "2023-11-14T22:13:21Z", "v": 13, "q": 1},
    {"series": "flow", "t": "2023-11-14T22:13:20+08:00", "v": true, "q": 2},
    {"series": "flow value", "t": -5, "v": -1e300}
  ])",
                          {}, &b);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok()) << r->errors[0].ToString();
  EXPECT_EQ(r->elements, 4u);
  EXPECT_EQ(r->points, 4u);
  EXPECT_THAT(b.keys(), ElementsAre("energy,meter=m1,site=s1 kwh", "flow value"));
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b.rows()[0].t, 1700000000000000000);
  EXPECT_EQ(b.rows()[0].v, 12.5);
  EXPECT_EQ(b.rows()[1].series, 0u);
  EXPECT_EQ(b.rows()[1].t, 1700000001000000000);
  EXPECT_EQ(b.rows()[1].q, Quality::kUncertain);
  EXPECT_EQ(b.rows()[2].t, 1700000000000000000 - 8 * 3600 * 1000000000LL);
  EXPECT_EQ(b.rows()[2].v, 1.0);
  EXPECT_EQ(b.rows()[2].q, Quality::kBad);
  EXPECT_EQ(b.rows()[3].series, 1u);
  EXPECT_EQ(b.rows()[3].t, -5);
}

TEST(JsonWrite, SingleObjectAndEmptyArray) {
  PointBatch b;
  auto r = ParseJsonWrite(R"({"series": "m v", "t": 1, "v": 2})", {}, &b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->points, 1u);
  auto e = ParseJsonWrite("[]", {}, &b);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->elements, 0u);
}

TEST(JsonWrite, BadElementsReportedGoodKept) {
  PointBatch b;
  auto r = ParseJsonWrite(R"([
    {"series": "m v", "t": 1, "v": 1},
    {"t": 1, "v": 1},
    {"series": "m v", "v": 1},
    {"series": "m v", "t": 1},
    {"series": 5, "t": 1, "v": 1},
    {"series": "m,=x v", "t": 1, "v": 1},
    {"series": "m v", "t": 1.5, "v": 1},
    {"series": "m v", "t": "yesterday", "v": 1},
    {"series": "m v", "t": 9223372036854775808, "v": 1},
    {"series": "m v", "t": 1, "v": "12"},
    {"series": "m v", "t": 1, "v": null},
    {"series": "m v", "t": 1, "v": [1]},
    {"series": "m v", "t": 1, "v": 1, "q": 3},
    {"series": "m v", "t": 1, "v": 1, "q": "good"},
    {"series": "m v", "t": 1, "v": 1, "value": 2},
    [1, 2],
    {"series": "m v", "t": 2, "v": 2}
  ])",
                          {}, &b);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->elements, 17u);
  EXPECT_EQ(r->points, 2u);
  EXPECT_EQ(r->error_count, 15u);
  ASSERT_EQ(r->errors.size(), 15u);
  const char* expect[] = {"missing \"series\"",
                          "missing \"t\"",
                          "missing \"v\"",
                          "\"series\" must be a string",
                          "empty tag key",
                          "\"t\" must be an integer",
                          "\"t\":",
                          "storable range",
                          "\"v\" must be a number",
                          "\"v\" must be a number",
                          "\"v\" must be a number",
                          "\"q\" must be",
                          "\"q\" must be",
                          "unknown member",
                          "must be an object"};
  for (size_t i = 0; i < 15; ++i) {
    EXPECT_EQ(r->errors[i].index, i + 1);
    EXPECT_THAT(r->errors[i].message, HasSubstr(expect[i])) << i;
  }
  EXPECT_EQ(r->errors[0].ToString(), "element 1: missing \"series\"");
  EXPECT_EQ(b.size(), 2u);
}

TEST(JsonWrite, MaxErrors) {
  std::string body = "[";
  for (int i = 0; i < 20; ++i) body += R"({"x": 1},)";
  body += R"({"series": "m", "t": 1, "v": 1}])";
  PointBatch b;
  auto r = ParseJsonWrite(body, JsonWriteOptions{.max_errors = 2}, &b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->error_count, 20u);
  EXPECT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(r->points, 1u);
}

TEST(JsonWrite, WholeBodyErrors) {
  PointBatch b;
  auto bad = ParseJsonWrite(R"([{"series": "m v", "t": 1, "v": 1},)", {}, &b);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("invalid JSON"));
  EXPECT_FALSE(ParseJsonWrite("42", {}, &b).ok());
  // JSON numbers beyond double are rejected by the JSON parser (a whole-body error).
  EXPECT_THAT(
      std::string(
          ParseJsonWrite(R"([{"series": "m", "t": 1, "v": 1e999}])", {}, &b).status().message()),
      HasSubstr("overflow"));
  EXPECT_FALSE(ParseJsonWrite("", {}, &b).ok());
  EXPECT_FALSE(ParseJsonWrite("\xff\xfe", {}, &b).ok());
  EXPECT_TRUE(b.empty());
}

// Refused by CheckJsonDepth before the (recursive) parser sees it.
TEST(JsonWrite, DeepNestingIsRefusedBeforeParsing) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  PointBatch b;
  auto r = ParseJsonWrite(deep, {}, &b);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("invalid JSON"));
  EXPECT_THAT(r.status().message(), HasSubstr("64"));
  EXPECT_TRUE(b.empty());
  // 64 levels are fine.
  std::string ok =
      std::string(63, '[') + R"({"series": "m", "t": 1, "v": 1})" + std::string(63, ']');
  EXPECT_TRUE(ParseJsonWrite(ok, {}, &b).ok());
}

TEST(JsonWrite, TimesOutsideTheStorableRangeAreRejectedNamingTheValue) {
  PointBatch b;
  auto r = ParseJsonWrite(R"([
    {"series": "jn v", "t": "9999-12-31T23:59:59Z", "v": 7},
    {"series": "jn v", "t": "1000-01-01T00:00:00Z", "v": 8},
    {"series": "jn v", "t": 18446744073709551615, "v": 9},
    {"series": "jn v", "t": "2025-01-01T00:00:00Z", "v": 10}
  ])",
                          {}, &b);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error_count, 3u);
  ASSERT_EQ(r->errors.size(), 3u);
  EXPECT_THAT(r->errors[0].message, HasSubstr("9999-12-31T23:59:59Z"));
  EXPECT_THAT(r->errors[0].message, HasSubstr("storable range"));
  EXPECT_THAT(r->errors[1].message, HasSubstr("1000-01-01"));
  EXPECT_THAT(r->errors[2].message, HasSubstr("18446744073709551615"));
  ASSERT_EQ(b.size(), 1u);  // only the good one, never a clamped time
  EXPECT_EQ(b.rows()[0].v, 10);
}

TEST(JsonWrite, SeriesKeyRulesApply) {
  PointBatch b;
  std::string long_key(1100, 'k');
  std::string body = R"([{"series": "a\u0000b", "t": 1, "v": 1},
                         {"series": ")" +
                     long_key + R"(", "t": 1, "v": 1},
                         {"series": "ok", "t": 1, "v": 1}])";
  auto r = ParseJsonWrite(body, {}, &b);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error_count, 2u);
  EXPECT_THAT(r->errors[0].message, HasSubstr("control character 0x00"));
  EXPECT_THAT(r->errors[1].message, HasSubstr("the limit is 1024"));
  EXPECT_THAT(b.keys(), ElementsAre("ok value"));
}

}  // namespace
}  // namespace dc
