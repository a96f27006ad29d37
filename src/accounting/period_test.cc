#include "accounting/period.h"

#include "absl/strings/match.h"
#include "common/time.h"
#include "gtest/gtest.h"

namespace dc::accounting {
namespace {

std::string ErrorOf(std::string_view text) {
  auto p = ParsePeriod(text, absl::UTCTimeZone());
  return p.ok() ? "" : std::string(p.status().message());
}

TEST(Period, CalendarAndRanges) {
  auto p = ParsePeriod("2025-Q1", absl::UTCTimeZone());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*ParseTime("2025-01-01T00:00:00Z", absl::UTCTimeZone()), p->start);
  EXPECT_EQ(*ParseTime("2025-04-01T00:00:00Z", absl::UTCTimeZone()), p->end);
  auto r = ParsePeriod("2025-01..2025-03", absl::UTCTimeZone());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->end, p->end);
  EXPECT_TRUE(ParsePeriod("1735689600000000000..2025-02", absl::UTCTimeZone()).ok());
}

TEST(Period, JunkIsAnErrorSayingWhatIsExpected) {
  for (const char* bad : {"", "junk", "2025-13", "2025-Q5", "2025-02-30", "2025-03..2025-02",
                          "2025..", "..2025", "2025-03-01T00:00:00Z..2025-03-01T00:00:00Z"}) {
    std::string e = ErrorOf(bad);
    EXPECT_TRUE(absl::StrContains(e, "expected 2025, 2025-Q1")) << bad << ": " << e;
  }
}

TEST(Period, OutsideTheStorableRangeIsAnError) {
  for (const char* bad : {"9999", "0001-01", "2262", "1677-Q4", "2025..3000-01-01"}) {
    std::string e = ErrorOf(bad);
    EXPECT_TRUE(absl::StrContains(e, "storable range")) << bad << ": " << e;
  }
  EXPECT_EQ(ErrorOf("2261"), "");
  EXPECT_EQ(ErrorOf("1678"), "");
}

TEST(ParseUserTime, BareNumbersMustBeEpochNanoseconds) {
  auto zone = absl::UTCTimeZone();
  for (const char* bad : {"2025", "1700000000", "1700000000000", "-5", "123456789012345678"}) {
    auto t = ParseUserTime(bad, zone);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_TRUE(absl::StrContains(t.status().message(), "write a date (2025-01-01)")) << t.status();
  }
  EXPECT_EQ(*ParseUserTime("0", zone), 0);
  EXPECT_EQ(*ParseUserTime("1735689600000000000", zone), 1735689600000000000);
  EXPECT_EQ(*ParseUserTime("2025-01-01", zone), 1735689600000000000);
  EXPECT_FALSE(ParseUserTime("9999999999999999999", zone).ok());  // 19 digits, past int64
  EXPECT_TRUE(absl::StrContains(ErrorOf("2025..123"), "bare number")) << ErrorOf("2025..123");
}

}  // namespace
}  // namespace dc::accounting
