#include "server/time_format.h"

#include <random>

#include "common/time.h"
#include "gtest/gtest.h"

namespace dc::server {
namespace {

TEST(TimeFormatTest, SameAsFormatTime) {
  std::mt19937_64 rng(7);
  for (const char* name : {"UTC", "Asia/Shanghai", "Asia/Kolkata", "Europe/Berlin",
                           "America/St_Johns", "Pacific/Chatham", "America/Los_Angeles"}) {
    auto zone = LoadZone(name);
    ASSERT_TRUE(zone.ok()) << name;
    std::vector<int64_t> times = {0,
                                  -1 * kNanosPerSecond,
                                  1'700'000'000 * kNanosPerSecond,
                                  1'700'000'000 * kNanosPerSecond + 500'000'000,
                                  INT64_MAX / kNanosPerSecond * kNanosPerSecond,  // year 2262
                                  INT64_MIN / kNanosPerSecond * kNanosPerSecond,
                                  INT64_MAX,
                                  INT64_MIN};
    for (int i = 0; i < 20000; ++i) {
      times.push_back(static_cast<int64_t>(rng() % 4'000'000'000ULL) * kNanosPerSecond);
    }
    for (int64_t t : times) {
      std::string fast;
      AppendRfc3339(t, *zone, &fast);
      ASSERT_EQ(fast, FormatTime(t, *zone)) << name << " " << t;
    }
  }
}

}  // namespace
}  // namespace dc::server
