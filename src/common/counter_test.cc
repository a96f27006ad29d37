#include "common/counter.h"

#include <random>

#include "gtest/gtest.h"

namespace dc {
namespace {

std::vector<Sample> S(std::initializer_list<std::pair<int64_t, double>> v) {
  std::vector<Sample> out;
  for (auto [t, x] : v) out.push_back(Sample{t, x});
  return out;
}

TEST(Counter, DeltaRules) {
  CounterOptions none;
  CounterOptions roll{.rollover = 100000};
  bool disc;
  CounterEvent::Kind kind;
  EXPECT_DOUBLE_EQ(CounterDelta(10, 15, none, &disc, &kind), 5);
  EXPECT_FALSE(disc);
  EXPECT_DOUBLE_EQ(CounterDelta(500, 20, none, &disc, &kind), 20);
  EXPECT_TRUE(disc);
  EXPECT_EQ(kind, CounterEvent::Kind::kReset);
  EXPECT_DOUBLE_EQ(CounterDelta(99990, 15, roll, &disc, &kind), 25);
  EXPECT_EQ(kind, CounterEvent::Kind::kRollover);
  // A drop far from the top is a reset even with a rollover configured.
  EXPECT_DOUBLE_EQ(CounterDelta(500, 20, roll, &disc, &kind), 20);
  EXPECT_EQ(kind, CounterEvent::Kind::kReset);
}

TEST(Counter, InterpolatesAtBounds) {
  auto s = S({{0, 100}, {10, 110}, {20, 130}});
  std::vector<int64_t> b = {5, 15};
  auto inc = CounterIncreases(s, b, {}, nullptr);
  ASSERT_EQ(inc.size(), 1u);
  // value at 5 = 105, at 15 = 120
  EXPECT_DOUBLE_EQ(inc[0], 15);
}

TEST(Counter, ClampsOutsideData) {
  auto s = S({{10, 100}, {20, 150}});
  std::vector<int64_t> b = {0, 10, 20, 30};
  auto inc = CounterIncreases(s, b, {}, nullptr);
  EXPECT_EQ(inc, (std::vector<double>{0, 50, 0}));
}

TEST(Counter, ResetAndRolloverReported) {
  auto s = S({{0, 99990}, {10, 10}, {20, 30}, {30, 5}});
  std::vector<CounterEvent> ev;
  std::vector<int64_t> b = {0, 30};
  auto inc = CounterIncreases(s, b, CounterOptions{.rollover = 100000}, &ev);
  EXPECT_DOUBLE_EQ(inc[0], 20 + 20 + 5);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, CounterEvent::Kind::kRollover);
  EXPECT_EQ(ev[1].kind, CounterEvent::Kind::kReset);
}

TEST(Counter, SplitIntervalsAddUp) {
  std::mt19937_64 rng(7);
  std::vector<Sample> s;
  double v = 0;
  for (int64_t t = 0; t < 1000; t += 1 + rng() % 7) {
    v += (rng() % 100) / 10.0;
    if (rng() % 97 == 0) v = 0;  // occasional reset
    s.push_back(Sample{t, v});
  }
  std::vector<int64_t> whole = {-5, 1005};
  double total = CounterIncreases(s, whole, {}, nullptr)[0];
  std::vector<int64_t> parts;
  for (int64_t t = -5; t <= 1005; t += 1 + static_cast<int64_t>(rng() % 50)) parts.push_back(t);
  parts.push_back(1005);
  auto inc = CounterIncreases(s, parts, {}, nullptr);
  double sum = 0;
  for (double x : inc) {
    EXPECT_GE(x, 0);
    sum += x;
  }
  EXPECT_NEAR(sum, total, 1e-9 * total);
}

}  // namespace
}  // namespace dc
