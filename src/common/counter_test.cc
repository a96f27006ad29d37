#include "common/counter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
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
  CounterOptions roll{.rollover = 100000, .swaps = {}};
  bool disc;
  CounterEvent::Kind kind;
  EXPECT_DOUBLE_EQ(CounterDelta(10, 15, none, &disc, &kind), 5);
  EXPECT_FALSE(disc);
  EXPECT_DOUBLE_EQ(CounterDelta(500, 20, none, &disc, &kind), 20);
  EXPECT_TRUE(disc);
  EXPECT_EQ(kind, CounterEvent::Kind::kReset);
  // 99990 -> 100000 (10) -> 0 (1) -> 15 (15).
  EXPECT_DOUBLE_EQ(CounterDelta(99990, 15, roll, &disc, &kind), 26);
  EXPECT_EQ(kind, CounterEvent::Kind::kRollover);
  // The largest value followed by 0 is one unit.
  EXPECT_DOUBLE_EQ(CounterDelta(100000, 0, roll, &disc, &kind), 1);
  EXPECT_EQ(kind, CounterEvent::Kind::kRollover);
  EXPECT_DOUBLE_EQ(CounterDelta(99999, 0, roll, &disc, &kind), 2);
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
  auto inc = CounterIncreases(s, b, CounterOptions{.rollover = 100000, .swaps = {}}, &ev);
  EXPECT_DOUBLE_EQ(inc[0], 21 + 20 + 5);  // 99990 -> 100000 -> 0 -> 10: 21
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, CounterEvent::Kind::kRollover);
  EXPECT_EQ(ev[1].kind, CounterEvent::Kind::kReset);
}

TEST(Counter, SwapCountsOldAndNewMeterNeverTheResetRule) {
  // Old meter 1000 -> 1040 (final at the swap, t = 15); new meter 5 -> 25.
  auto s = S({{0, 1000}, {10, 1030}, {20, 25}, {30, 45}});
  CounterOptions opt;
  opt.swaps = {CounterSwap{15, 1040, 5}};
  CounterResult r = CounterOver(s, std::vector<int64_t>{0, 15, 30}, opt);
  // [0, 15]: 30 + the old meter's last 10; [15, 30]: 20 (new) + 20.
  EXPECT_EQ(r.increases, (std::vector<double>{40, 40}));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].kind, CounterEvent::Kind::kSwap);
  EXPECT_EQ(r.events[0].t_before, 10);
  EXPECT_EQ(r.events[0].t_after, 20);
  EXPECT_EQ(r.events[0].before, 1030);
  EXPECT_EQ(r.events[0].after, 25);
  // Without the swap the drop is a reset: 30 + 25 + 20.
  EXPECT_EQ(CounterOver(s, std::vector<int64_t>{0, 30}, {}).increases[0], 75);
  // A new meter starting higher than the old one: no negative, no doubled count.
  auto up = S({{0, 10}, {10, 20}, {20, 5005}});
  opt.swaps = {CounterSwap{12, 22, 5000}};
  EXPECT_EQ(CounterOver(up, std::vector<int64_t>{0, 20}, opt).increases[0], 17);
  // Swap exactly at a reading: that reading is the new meter's; two swaps between readings.
  opt.swaps = {CounterSwap{10, 15, 100}};
  EXPECT_EQ(CounterOver(up, std::vector<int64_t>{0, 20}, opt).increases[0], 5 + 0 + 4985);
  opt.swaps = {CounterSwap{12, 21, 0}, CounterSwap{15, 3, 4000}};
  EXPECT_EQ(CounterOver(up, std::vector<int64_t>{0, 20}, opt).increases[0], 10 + 1 + 3 + 1005);
  // Inconsistent entries (old_final below the last reading) count 0, never negative.
  opt.swaps = {CounterSwap{15, 5, 6000}};
  EXPECT_EQ(CounterOver(up, std::vector<int64_t>{0, 20}, opt).increases[0], 10);
  // Swaps before the first or after the last reading change nothing.
  opt.swaps = {CounterSwap{-5, 0, 0}, CounterSwap{50, 9e9, 0}};
  EXPECT_EQ(CounterOver(up, std::vector<int64_t>{0, 20}, opt).increases[0], 4995);
  EXPECT_TRUE(CounterSwapsValid(opt.swaps));
  EXPECT_FALSE(CounterSwapsValid({CounterSwap{5, 1, 1}, CounterSwap{5, 2, 2}}));
  EXPECT_FALSE(CounterSwapsValid({CounterSwap{5, std::nan(""), 1}}));
  EXPECT_FALSE(CounterSwapsValid({CounterSwap{5, -1, 1}}));
}

TEST(Counter, RunsAcrossASwapAreRefused) {
  std::vector<int64_t> b = {0, 100};
  CounterOptions opt;
  opt.swaps = {CounterSwap{50, 10, 0}};
  CounterAccumulator acc(b, opt);
  EXPECT_TRUE(acc.RunAllowed(0, 49));
  EXPECT_FALSE(acc.RunAllowed(0, 50));  // the reading at 50 is the new meter's
  EXPECT_TRUE(acc.RunAllowed(50, 99));
  EXPECT_FALSE(acc.RunAllowed(0, 200));  // across a bound
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

// The rules written out naively (the implementation before CounterAccumulator): dedupe, unwrap
// every reading, then interpolate at each bound by binary search.
std::vector<double> ReferenceIncreases(std::span<const Sample> samples,
                                       std::span<const int64_t> bounds, const CounterOptions& opt,
                                       std::vector<CounterEvent>* events) {
  std::vector<double> out(bounds.size() - 1, 0.0);
  std::vector<Sample> s;
  for (const Sample& x : samples) {
    if (!std::isfinite(x.v)) continue;
    if (!s.empty() && s.back().t == x.t) {
      s.back() = x;
    } else {
      s.push_back(x);
    }
  }
  if (s.empty() || out.empty()) return out;
  std::vector<double> u(s.size(), 0.0);
  for (size_t i = 1; i < s.size(); ++i) {
    bool disc = false;
    CounterEvent::Kind kind = CounterEvent::Kind::kReset;
    u[i] = u[i - 1] + CounterDelta(s[i - 1].v, s[i].v, opt, &disc, &kind);
    if (disc && s[i].t > bounds.front() && s[i - 1].t < bounds.back()) {
      events->push_back(CounterEvent{kind, s[i - 1].t, s[i].t, s[i - 1].v, s[i].v});
    }
  }
  auto value_at = [&](int64_t t) {
    if (t <= s.front().t) return u.front();
    if (t >= s.back().t) return u.back();
    size_t j = std::upper_bound(s.begin(), s.end(), t,
                                [](int64_t x, const Sample& a) { return x < a.t; }) -
               s.begin();
    size_t i = j - 1;
    if (s[i].t == t) return u[i];
    double frac = static_cast<double>(t - s[i].t) / static_cast<double>(s[j].t - s[i].t);
    return u[i] + (u[j] - u[i]) * frac;
  };
  for (size_t i = 0; i + 1 < bounds.size(); ++i)
    out[i] = value_at(bounds[i + 1]) - value_at(bounds[i]);
  return out;
}

// Random register readings with resets, rollovers, gaps, duplicate times and NaNs.
std::vector<Sample> RandomCounter(std::mt19937_64& rng, double rollover, int n) {
  std::vector<Sample> s;
  double v = rollover > 0 ? static_cast<double>(rng() % static_cast<uint64_t>(rollover)) : 1000;
  int64_t t = static_cast<int64_t>(rng() % 100) - 50;
  for (int i = 0; i < n; ++i) {
    t += (rng() % 50 == 0) ? 200 + static_cast<int64_t>(rng() % 500) : 1 + rng() % 9;
    if (rng() % 40 == 0 && !s.empty()) t = s.back().t;  // duplicate time: the last counts
    v += static_cast<double>(rng() % 500) / 100.0;
    // `rollover` is the largest value: the one after it is 0.
    if (rollover > 0 && v > rollover) v -= rollover + 1;
    if (rng() % 150 == 0) v = static_cast<double>(rng() % 100) / 10.0;  // reset
    double x = v;
    if (rng() % 200 == 0) x = std::nan("");
    s.push_back(Sample{t, x});
  }
  return s;
}

std::vector<int64_t> RandomBounds(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  std::vector<int64_t> b;
  for (int64_t t = lo; t < hi; t += 1 + static_cast<int64_t>(rng() % 300)) b.push_back(t);
  b.push_back(hi);
  return b;
}

void ExpectEventsEqual(const std::vector<CounterEvent>& a, const std::vector<CounterEvent>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind, b[i].kind) << i;
    EXPECT_EQ(a[i].t_before, b[i].t_before) << i;
    EXPECT_EQ(a[i].t_after, b[i].t_after) << i;
    EXPECT_EQ(a[i].before, b[i].before) << i;
    EXPECT_EQ(a[i].after, b[i].after) << i;
  }
}

TEST(Counter, AccumulatorEqualsNaiveRulesExactly) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    CounterOptions opt{.rollover = trial % 2 ? 10000.0 : 0.0, .swaps = {}};
    auto s = RandomCounter(rng, opt.rollover, 1 + static_cast<int>(rng() % 2000));
    auto b = RandomBounds(rng, s.front().t - 100 + static_cast<int64_t>(rng() % 500),
                          s.back().t + 100 - static_cast<int64_t>(rng() % 500));
    if (b.front() > b.back()) std::swap(b.front(), b.back());
    std::sort(b.begin(), b.end());
    std::vector<CounterEvent> ev_ref, ev;
    auto want = ReferenceIncreases(s, b, opt, &ev_ref);
    auto got = CounterIncreases(s, b, opt, &ev);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << trial << " " << i;
    ExpectEventsEqual(ev, ev_ref);
  }
}

TEST(Counter, RunsEqualTheirReadings) {
  std::mt19937_64 rng(12);
  size_t runs = 0;
  for (int trial = 0; trial < 300; ++trial) {
    CounterOptions opt{.rollover = trial % 2 ? 10000.0 : 0.0, .swaps = {}};
    auto raw = RandomCounter(rng, opt.rollover, 1 + static_cast<int>(rng() % 3000));
    // Runs are built from resolved readings (as storage blocks are): finite, one per time.
    std::vector<Sample> s;
    for (const Sample& x : raw) {
      if (!std::isfinite(x.v)) continue;
      if (!s.empty() && s.back().t == x.t) {
        s.back() = x;
      } else {
        s.push_back(x);
      }
    }
    if (s.empty()) continue;
    auto b = RandomBounds(rng, s.front().t + static_cast<int64_t>(rng() % 200) - 100,
                          s.back().t - static_cast<int64_t>(rng() % 200) + 100);
    std::sort(b.begin(), b.end());
    CounterResult want = CounterOver(s, b, opt);
    // Cut the readings into random "blocks"; a block that never decreases and has no bound
    // strictly inside goes in as a run.
    CounterAccumulator acc(b, opt);
    for (size_t i = 0; i < s.size();) {
      size_t j = std::min(s.size(), i + 1 + static_cast<size_t>(rng() % 60));
      bool up = true;
      for (size_t k = i + 1; k < j; ++k) up = up && s[k].v >= s[k - 1].v;
      auto inner = std::upper_bound(b.begin(), b.end(), s[i].t);
      bool one_interval = inner == b.end() || *inner >= s[j - 1].t;
      if (up && one_interval) {
        acc.AddRun(s[i].t, s[i].v, s[j - 1].t, s[j - 1].v);
        ++runs;
      } else {
        for (size_t k = i; k < j; ++k) acc.Add(s[k].t, s[k].v);
      }
      i = j;
    }
    CounterResult got = std::move(acc).Finish();
    double total = 0;
    for (double x : want.increases) total += std::fabs(x);
    ASSERT_EQ(got.increases.size(), want.increases.size());
    for (size_t i = 0; i < got.increases.size(); ++i) {
      EXPECT_NEAR(got.increases[i], want.increases[i], 1e-12 * std::max(total, 1.0))
          << trial << " " << i;
    }
    ExpectEventsEqual(got.events, want.events);
    EXPECT_EQ(got.any, want.any);
    EXPECT_EQ(got.t_first, want.t_first);
    EXPECT_EQ(got.t_last, want.t_last);
  }
  EXPECT_GT(runs, 1000u);
}

TEST(Counter, FirstAndLastReadingAndDuplicates) {
  std::vector<int64_t> b = {0, 100};
  CounterResult none = CounterOver({}, b, {});
  EXPECT_FALSE(none.any);
  EXPECT_EQ(none.increases, (std::vector<double>{0}));
  // NaN readings are skipped; of two readings at t = 50 the last counts.
  auto s = S({{-10, std::nan("")}, {20, 5}, {50, 7}, {50, 9}, {80, 12}, {90, std::nan("")}});
  CounterResult r = CounterOver(s, b, {});
  EXPECT_TRUE(r.any);
  EXPECT_EQ(r.t_first, 20);
  EXPECT_EQ(r.t_last, 80);
  EXPECT_EQ(r.increases, (std::vector<double>{7}));
  EXPECT_TRUE(r.events.empty());
  // A single bound: no intervals, no events.
  std::vector<int64_t> one = {50};
  EXPECT_TRUE(CounterOver(S({{0, 9}, {100, 1}}), one, {}).increases.empty());
  EXPECT_TRUE(CounterOver(S({{0, 9}, {100, 1}}), one, {}).events.empty());
}

TEST(Counter, ExtremeTimesDoNotOverflow) {
  auto s = S({{INT64_MIN, 0}, {INT64_MAX, 100}});
  std::vector<int64_t> b = {INT64_MIN, 0, INT64_MAX};
  auto inc = CounterIncreases(s, b, {}, nullptr);
  ASSERT_EQ(inc.size(), 2u);
  EXPECT_NEAR(inc[0], 50, 1e-9);
  EXPECT_NEAR(inc[1], 50, 1e-9);
}

}  // namespace
}  // namespace dc
