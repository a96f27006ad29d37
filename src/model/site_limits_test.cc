// Bounds of site files (docs/site-file.md "Limits"): oversized, overlong, overcounted and
// overnested input is an error naming file:line:column and the field, never a crash.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/site.h"

namespace dc::model {
namespace {

std::string ErrorOf(const std::string& toml) {
  auto s = ParseSite(toml, "big.toml");
  return s.ok() ? "" : std::string(s.status().message());
}

std::string Meter(size_t i) {
  return absl::StrCat("[[meter]]\nid = \"m", i,
                      "\"\ncarrier = \"electricity\"\nkind = \"interval\"\nunit = \"kWh\"\n");
}

TEST(SiteLimits, NameLengthAndText) {
  std::string e = ErrorOf("[site]\nid = \"a\"\nname = \"" + std::string(300, 'x') + "\"\n");
  EXPECT_TRUE(absl::StrContains(e, "big.toml:3:8: [site] field 'name'")) << e;
  EXPECT_TRUE(absl::StrContains(e, "300 bytes long; the limit is 256")) << e;
  EXPECT_EQ(ErrorOf("[site]\nid = \"a\"\nname = \"" + std::string(256, 'x') + "\"\n"), "");
  e = ErrorOf("[site]\nid = \"a\"\nname = \"bell\\u0007\"\n");
  EXPECT_TRUE(absl::StrContains(e, "field 'name'")) << e;
  EXPECT_TRUE(absl::StrContains(e, "control character 0x07")) << e;
  e = ErrorOf("[site]\nid = \"a\"\n" + Meter(1) + "area = \"line\\nbreak\"\n");
  EXPECT_TRUE(absl::StrContains(e, "meter 'm1' field 'area'")) << e;
  // Formulas may be written over several lines.
  EXPECT_EQ(ErrorOf("[site]\nid = \"a\"\n" + Meter(1) + Meter(2) +
                    "[[virtual_meter]]\nid = \"v\"\nformula = \"\"\"m1 -\n\tm2\"\"\"\n"),
            "");
}

TEST(SiteLimits, TenMebibyteNameIsRefusedBySize) {
  std::string e = ErrorOf("[site]\nid = \"a\"\nname = \"" + std::string(10 << 20, 'x') + "\"\n");
  EXPECT_TRUE(absl::StrContains(e, "big.toml: site file of")) << e.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(e, "larger than the limit of 4194304 bytes")) << e.substr(0, 200);
}

TEST(SiteLimits, IdsAreBounded) {
  std::string e = ErrorOf("[site]\nid = \"" + std::string(65, 'a') + "\"\n");
  EXPECT_TRUE(absl::StrContains(e, "[site] field 'id'")) << e;
  EXPECT_TRUE(absl::StrContains(e, "limit is 64")) << e;
  e = ErrorOf("[site]\nid = \"a\"\n[[meter]]\nid = \"" + std::string(100, 'm') + "\"\n");
  EXPECT_TRUE(absl::StrContains(e, "big.toml:4:6: [[meter]] #1 field 'id'")) << e;
}

TEST(SiteLimits, MeterCountIsBounded) {
  std::string text = "[site]\nid = \"a\"\n";
  for (size_t i = 0; i <= kMaxMeters; ++i) text += Meter(i);
  std::string e = ErrorOf(text);
  EXPECT_TRUE(absl::StrContains(e, "[[meter]]: more than 10000 entries (10001)")) << e;
  EXPECT_TRUE(absl::StrContains(e, absl::StrCat("big.toml:", 3 + 5 * kMaxMeters, ":"))) << e;
}

TEST(SiteLimits, UnknownMeterMessageIsShort) {
  std::string text = "[site]\nid = \"a\"\n";
  for (size_t i = 0; i < 500; ++i) text += Meter(i);
  text += "[[product]]\nid = \"p\"\nmeter = \"nope\"\n";
  std::string e = ErrorOf(text);
  EXPECT_TRUE(absl::StrContains(e, "unknown meter \"nope\"")) << e;
  EXPECT_TRUE(absl::StrContains(e, "... 480 more)")) << e;
  EXPECT_LT(e.size(), 500u);
}

TEST(SiteLimits, DeepTomlIsAnErrorWithItsPosition) {
  std::string dots;
  for (int i = 0; i < 100000; ++i) dots += ".a";
  for (const std::string& bad :
       {"[site]\nid = \"a\"\nx" + dots + " = 1\n", "[site]\nid = \"a\"\n[x" + dots + "]\n",
        "[site]\nid = \"a\"\nx = " + std::string(100000, '[') + std::string(100000, ']')}) {
    std::string e = ErrorOf(bad);
    EXPECT_TRUE(absl::StrContains(e, "big.toml:3:")) << e;
    EXPECT_TRUE(absl::StrContains(e, "TOML nests deeper than 32 levels")) << e;
  }
}

TEST(SiteLimits, DeepFormulaNamesTheField) {
  std::string e =
      ErrorOf("[site]\nid = \"a\"\n" + Meter(1) + "[[virtual_meter]]\nid = \"v\"\nformula = \"" +
              std::string(20000, '(') + "m1" + std::string(20000, ')') + "\"\n");
  EXPECT_TRUE(absl::StrContains(e, "big.toml:10:11: virtual_meter 'v' field 'formula'")) << e;
  EXPECT_TRUE(absl::StrContains(e, "limit is 4096")) << e;
  e = ErrorOf("[site]\nid = \"a\"\n" + Meter(1) + "[[virtual_meter]]\nid = \"v\"\nformula = \"" +
              std::string(100, '(') + "m1" + std::string(100, ')') + "\"\n");
  EXPECT_TRUE(absl::StrContains(e, "nested deeper than 64")) << e;
}

TEST(SiteLimits, LoadSiteFileNamesDirectoriesAndMissingFiles) {
  std::string dir = ::testing::TempDir();
  auto s = LoadSiteFile(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "is a directory, expected a site file"))
      << s.status();
  s = LoadSiteFile(dir + "/no-such-site.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "no such file")) << s.status();
}

TEST(SiteLimits, LongestVirtualMeterChainParses) {
  // Cycle detection walks chains of virtual meters; the longest allowed chain must not
  // exhaust the stack, and one more virtual meter is refused by count.
  std::string text = "[site]\nid = \"a\"\n" + Meter(0);
  std::string prev = "m0";
  for (size_t i = 0; i < kMaxVirtualMeters; ++i) {
    std::string id = absl::StrCat("v", i);
    absl::StrAppend(&text, "[[virtual_meter]]\nid = \"", id, "\"\nformula = \"", prev, " + 1\"\n");
    prev = id;
  }
  EXPECT_EQ(ErrorOf(text), "");
  absl::StrAppend(&text, "[[virtual_meter]]\nid = \"extra\"\nformula = \"m0\"\n");
  EXPECT_TRUE(absl::StrContains(ErrorOf(text), "more than 1000 entries")) << ErrorOf(text);
}

}  // namespace
}  // namespace dc::model
