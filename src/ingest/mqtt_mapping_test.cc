#include "ingest/mqtt_mapping.h"

#include <string>

#include "gtest/gtest.h"

namespace dc::mqtt {
namespace {

Mapping M(std::string_view topic, PayloadFormat format) {
  Mapping m;
  auto t = TopicTemplate::Parse(topic);
  EXPECT_TRUE(t.ok()) << t.status();
  m.topic = *t;
  m.format = format;
  m.zone = absl::FixedTimeZone(8 * 3600);
  return m;
}

std::string KeyOf(const PointBatch& b, size_t row) { return b.keys()[b.rows()[row].series]; }

TEST(TopicTemplate, FilterAndTags) {
  auto t = TopicTemplate::Parse("plant/{site}/{meter}/#");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->filter(), "plant/+/+/#");
  std::vector<std::pair<std::string, std::string>> tags;
  EXPECT_TRUE(t->Match("plant/cement-a/grid-in/energy/total", &tags));
  EXPECT_EQ(tags, (decltype(tags){{"site", "cement-a"}, {"id", "grid-in"}}));
  EXPECT_TRUE(t->Match("plant/a/b", &tags));  // '#' also matches the parent level
  EXPECT_FALSE(t->Match("plant/a", &tags));
  EXPECT_FALSE(t->Match("other/a/b/c", &tags));
  auto shared = TopicTemplate::Parse("$share/dc/sensors/+/{meter}");
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->filter(), "$share/dc/sensors/+/+");
  EXPECT_TRUE(shared->Match("sensors/x/m1", &tags));
  EXPECT_FALSE(shared->Match("sensors/x/m1/extra", &tags));
  for (const char* bad : {"a/#/b", "a/{}/b", "a/x{site}", "a/{si te}", "$share/g", ""}) {
    EXPECT_FALSE(TopicTemplate::Parse(bad).ok()) << bad;
  }
}

TEST(MapMessage, PlainNumberAtArrivalTime) {
  Mapping m = M("plant/{site}/{meter}", PayloadFormat::kNumber);
  PointBatch b;
  MapResult r = MapMessage(m, "plant/cement-a/grid-in", " 10234.5\n", 1000, &b);
  ASSERT_EQ(r.points, 1u);
  EXPECT_EQ(KeyOf(b, 0), "meter,id=grid-in,site=cement-a value");
  EXPECT_EQ(b.rows()[0].t, 1000);
  EXPECT_EQ(b.rows()[0].v, 10234.5);
  r = MapMessage(m, "plant/cement-a/grid-in", "nan", 1000, &b);
  EXPECT_EQ(r.points, 0u);
  ASSERT_EQ(r.errors.size(), 1u);
  r = MapMessage(m, "plant/cement-a/gr\xff", "1", 1000, &b);
  EXPECT_EQ(r.points, 0u);
  EXPECT_NE(r.errors[0].find("invalid UTF-8"), std::string::npos);
  r = MapMessage(m, "plant/cement-a/a\\,b", "1", 1000, &b);
  EXPECT_EQ(r.points, 0u);
  EXPECT_NE(r.errors[0].find("backslash"), std::string::npos);
}

TEST(MapMessage, JsonPathsTimesAndArrays) {
  Mapping m = M("gw/{site}/{meter}", PayloadFormat::kJson);
  m.values = {{"kwh", "energy"}, {"data.kw", "power"}};
  m.time_path = "ts";
  PointBatch b;
  MapResult r =
      MapMessage(m, "gw/a/m1", R"({"ts":1740758100,"kwh":10.5,"data":{"kw":"3.25"}})", 0, &b);
  ASSERT_EQ(r.points, 2u) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_EQ(KeyOf(b, 0), "meter,id=m1,site=a energy");
  EXPECT_EQ(KeyOf(b, 1), "meter,id=m1,site=a power");
  EXPECT_EQ(b.rows()[0].t, 1740758100LL * 1000000000);
  EXPECT_EQ(b.rows()[1].v, 3.25);

  m.records_path = "rows";
  m.time_format = TimeFormat::kRfc3339;
  b.Clear();
  r = MapMessage(
      m, "gw/a/m1",
      R"({"rows":[{"ts":"2025-03-01 00:15","kwh":1},{"ts":"2025-03-01T00:30:00Z","kwh":2},
                    {"ts":5,"kwh":3},{"ts":"2025-03-01T00:45:00Z","kwh":[1]}]})",
      0, &b);
  EXPECT_EQ(r.points, 2u);
  EXPECT_EQ(r.errors.size(), 2u);  // a number where RFC 3339 belongs; an array where a number does
  EXPECT_EQ(b.rows()[0].t, 1740759300LL * 1000000000);  // 00:15 at +08:00
  EXPECT_EQ(b.rows()[1].t, 1740789000LL * 1000000000);

  b.Clear();
  r = MapMessage(m, "gw/a/m1", std::string(100000, '['), 0, &b);
  EXPECT_EQ(r.points, 0u);
  EXPECT_NE(r.errors[0].find("deeper than"), std::string::npos);
  r = MapMessage(m, "gw/a/m1", "{not json", 0, &b);
  EXPECT_EQ(r.errors[0], "payload is not JSON");
}

TEST(MapMessage, EpochUnitsByMagnitudeOrConfigured) {
  Mapping m = M("x/{meter}", PayloadFormat::kJson);
  m.values = {{"v", "value"}};
  m.time_path = "t";
  PointBatch b;
  for (const char* t : {"1740758100", "1740758100000", "1740758100000000", "1740758100000000000"}) {
    b.Clear();
    MapMessage(m, "x/m", absl::StrCat(R"({"t":)", t, R"(,"v":1})"), 0, &b);
    ASSERT_EQ(b.size(), 1u) << t;
    EXPECT_EQ(b.rows()[0].t, 1740758100LL * 1000000000) << t;
  }
  m.time_format = TimeFormat::kEpochMs;
  b.Clear();
  MapMessage(m, "x/m", R"({"t":"1740758100000","v":1})", 0, &b);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.rows()[0].t, 1740758100LL * 1000000000);
  MapResult r = MapMessage(m, "x/m", R"({"t":1e300,"v":1})", 0, &b);
  EXPECT_NE(r.errors[0].find("outside the storable range"), std::string::npos);
}

TEST(MapMessage, LineProtocolGetsTopicTags) {
  Mapping m = M("lp/{site}", PayloadFormat::kLineProtocol);
  PointBatch b;
  MapResult r = MapMessage(
      m, "lp/a", "meter,id=m1 value=1 1000\nbad line\nmeter,id=m2,site=b value=2 2000", 0, &b);
  EXPECT_EQ(r.points, 2u);
  EXPECT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(KeyOf(b, 0), "meter,id=m1,site=a value");
  EXPECT_EQ(KeyOf(b, 1), "meter,id=m2,site=b value");  // the payload's own tag wins
}

}  // namespace
}  // namespace dc::mqtt
