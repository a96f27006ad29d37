#include "common/series_key.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;

TEST(SeriesKey, ValidateAppliesTheOneSetOfRules) {
  EXPECT_TRUE(ValidateSeriesKey("energy,site=s1 kwh").ok());
  EXPECT_TRUE(ValidateSeriesKey("电表,站=一号 千瓦时").ok());
  EXPECT_TRUE(ValidateSeriesKey(std::string(kMaxSeriesKeyBytes, 'x')).ok());
  absl::Status too_long = ValidateSeriesKey(std::string(kMaxSeriesKeyBytes + 1, 'x'));
  EXPECT_THAT(too_long.message(), HasSubstr("1025 bytes long; the limit is 1024"));
  EXPECT_THAT(ValidateSeriesKey("a\0b"s).message(), HasSubstr("control character 0x00 at byte 1"));
  EXPECT_THAT(ValidateSeriesKey("a\tb").message(), HasSubstr("control character 0x09"));
  EXPECT_THAT(ValidateSeriesKey("a\xff").message(), HasSubstr("invalid UTF-8 at byte 1"));
}

TEST(SeriesKey, CanonicalRefusesWhatValidateRefuses) {
  EXPECT_FALSE(CanonicalSeriesKey(std::string(2000, 'x')).ok());
  EXPECT_FALSE(CanonicalSeriesKey("m\n v").ok());
  EXPECT_EQ(*CanonicalSeriesKey("m,b=2,a=1"), "m,a=1,b=2 value");
}

// A key as line protocol stores it (backslashes other than before ", =" kept as written) parses
// back to itself, so a key listed by /api/v1/series queries the same series.
TEST(SeriesKey, BackslashesRoundTrip) {
  for (const char* key : {"m,id=a\\\\b v", "m,id=c\\d v", "m,id=a\\\\ v", "m,id=x\\,y v",
                          "m\\ n,id=a\\=b v", "m,id=a\\\\\\,b v"}) {
    auto canon = CanonicalSeriesKey(key);
    ASSERT_TRUE(canon.ok()) << key << ": " << canon.status();
    EXPECT_EQ(*canon, key);
  }
  auto parts = ParseSeriesKey("m,id=a\\\\,b=c v");  // "\\\\" then a separator
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->tags.size(), 2u);
  EXPECT_EQ(parts->tags[1].second, "a\\\\");
  EXPECT_EQ(parts->tags[0].second, "c");
}

}  // namespace
}  // namespace dc
