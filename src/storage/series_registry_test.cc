#include "storage/series_registry.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

TEST(SeriesRegistry, InternsDenselyAndFindsByKey) {
  SeriesRegistry r;
  EXPECT_EQ(r.size(), 0u);
  EXPECT_FALSE(r.Find("a").has_value());
  EXPECT_EQ(r.Intern("energy,meter=m1 kwh"), 0u);
  EXPECT_EQ(r.Intern("energy,meter=m2 kwh"), 1u);
  EXPECT_EQ(r.Intern("energy,meter=m1 kwh"), 0u);
  EXPECT_EQ(r.Intern(""), 2u);  // the empty key is a key like any other
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1], "energy,meter=m2 kwh");
  EXPECT_EQ(r.Find("energy,meter=m2 kwh"), 1u);
  EXPECT_TRUE(r.contains(""));
  EXPECT_FALSE(r.contains("energy,meter=m3 kwh"));
}

TEST(SeriesRegistry, KeysStayValidAsItGrows) {
  SeriesRegistry r;
  std::string_view first;
  const std::string long_key(700'000, 'x');  // longer than a quarter chunk: a chunk of its own
  auto key = [](uint32_t i) {
    return absl::StrCat("energy,meter=m", i, ",site=s", i % 97, " kwh");
  };
  auto id_of = [](uint32_t i) { return i <= 1000 ? i : i + 1; };  // the long key is id 1001
  for (uint32_t i = 0; i < 200'000; ++i) {
    ASSERT_EQ(r.Intern(key(i)), id_of(i));
    if (i == 0) first = r[0];
    if (i == 1000) {
      ASSERT_EQ(r.Intern(long_key), 1001u);
    }
  }
  EXPECT_EQ(first, "energy,meter=m0,site=s0 kwh");  // bytes never moved
  EXPECT_EQ(r.Find(long_key), 1001u);
  EXPECT_EQ(r[1001], long_key);
  for (uint32_t i = 0; i < 200'000; i += 997) {
    ASSERT_EQ(r.Find(key(i)), id_of(i)) << key(i);
    ASSERT_EQ(r[id_of(i)], key(i));
  }
  // Memory: keys once, plus a few bytes per id (no per-key heap object).
  EXPECT_LT(r.MemoryBytes(), 200'001 * (28 + 32) + long_key.size() + (2 << 20));
}

TEST(SeriesRegistry, ReserveKeepsContents) {
  SeriesRegistry r;
  r.Intern("a");
  r.Reserve(100'000);
  EXPECT_EQ(r.Find("a"), 0u);
  EXPECT_EQ(r.Intern("b"), 1u);
}

}  // namespace
}  // namespace dc
