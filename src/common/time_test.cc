#include "common/time.h"

#include "gtest/gtest.h"

namespace dc {
namespace {

int64_t T(const char* s, const char* zone = "UTC") { return *ParseTime(s, *LoadZone(zone)); }

TEST(Time, ParsesOffsetsLocalTimesAndIntegers) {
  EXPECT_EQ(T("2025-03-01T00:15:00+08:00"), T("2025-02-28T16:15:00Z"));
  EXPECT_EQ(T("2025-03-01 00:15", "Asia/Shanghai"), T("2025-02-28T16:15:00Z"));
  EXPECT_EQ(T("2025-03-01", "Asia/Shanghai"), T("2025-02-28T16:00:00Z"));
  EXPECT_EQ(T("0"), 0);
  EXPECT_EQ(T("-5"), -5);
  EXPECT_EQ(T("1740758100000000000"), 1740758100000000000);
  EXPECT_FALSE(ParseTime("2025-13-01", absl::UTCTimeZone()).ok());
  EXPECT_FALSE(ParseTime("yesterday", absl::UTCTimeZone()).ok());
  EXPECT_FALSE(ParseTime("", absl::UTCTimeZone()).ok());
  EXPECT_FALSE(ParseTime("-", absl::UTCTimeZone()).ok());
}

TEST(Time, FormatsInZone) {
  EXPECT_EQ(FormatTime(T("2025-02-28T16:15:00Z"), *LoadZone("Asia/Shanghai")),
            "2025-03-01T00:15:00+08:00");
  EXPECT_EQ(FormatTime(1, absl::UTCTimeZone()), "1970-01-01T00:00:00.000000001+00:00");
  // Found by time_fuzz: a local mean time offset (+08:05:43) has no RFC 3339 form; the time is
  // written in UTC so that it parses back to the same instant.
  int64_t lmt = T("1677-09-22", "Asia/Shanghai");
  std::string text = FormatTime(lmt, *LoadZone("Asia/Shanghai"));
  EXPECT_EQ(text, "1677-09-21T15:54:17+00:00");
  EXPECT_EQ(T(text.c_str()), lmt);
}

TEST(Time, CalendarBucketsInZone) {
  absl::TimeZone sh = *LoadZone("Asia/Shanghai");
  Step day = *ParseStep("1d"), month = *ParseStep("1mo"), week = *ParseStep("1w");
  int64_t t = T("2025-03-15T10:00:00+08:00");
  EXPECT_EQ(BucketStart(t, day, sh), T("2025-03-15T00:00:00+08:00"));
  EXPECT_EQ(BucketStart(t, month, sh), T("2025-03-01T00:00:00+08:00"));
  EXPECT_EQ(NextBucket(BucketStart(t, month, sh), month, sh), T("2025-04-01T00:00:00+08:00"));
  EXPECT_EQ(BucketStart(t, week, sh), T("2025-03-10T00:00:00+08:00"));  // Monday
  // DST: a Berlin day in March 2025 that has 23 hours.
  absl::TimeZone be = *LoadZone("Europe/Berlin");
  int64_t d = BucketStart(T("2025-03-30T12:00:00+02:00"), day, be);
  EXPECT_EQ(NextBucket(d, day, be) - d, 23 * kNanosPerHour);
  // Fixed steps that divide a day align to local midnight (+05:30).
  absl::TimeZone in = *LoadZone("Asia/Kolkata");
  EXPECT_EQ(BucketStart(T("2025-03-01T10:50:00+05:30"), *ParseStep("1h"), in),
            T("2025-03-01T10:00:00+05:30"));
}

TEST(Time, StepErrors) {
  EXPECT_FALSE(ParseStep("5q").ok());
  EXPECT_FALSE(ParseStep("0h").ok());
  EXPECT_EQ(ParseStep("15m")->n, 15 * kNanosPerMinute);
  EXPECT_EQ(ParseStep("1mo")->unit, Step::Unit::kMonth);
}

}  // namespace
}  // namespace dc

namespace dc {
namespace {

TEST(ParseTimeRange, OutsideInt64NanosIsAnErrorNamingTheValue) {
  for (const char* text : {"9999-12-31T23:59:59Z", "1000-01-01", "2262-04-12T00:00:00Z",
                           "1677-09-21T00:12:42Z", "99999999999999999999"}) {
    auto t = ParseTime(text, absl::UTCTimeZone());
    ASSERT_FALSE(t.ok()) << text << " gave " << *t;
    EXPECT_NE(t.status().message().find(text), std::string::npos) << t.status();
    EXPECT_NE(t.status().message().find("outside the storable range"), std::string::npos);
  }
  EXPECT_TRUE(ParseTime("2262-04-11T23:47:16Z", absl::UTCTimeZone()).ok());
  EXPECT_TRUE(ParseTime("1677-09-21T00:12:44Z", absl::UTCTimeZone()).ok());
}

}  // namespace
}  // namespace dc
