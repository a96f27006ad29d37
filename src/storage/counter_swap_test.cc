// The counter rules on random registers with meter swaps, resets, rollovers, gaps, duplicate
// times, failed polls (NaN, quality bad) and late writes: the store's CounterIncrease (block
// stats fast path, head, several segment files, compaction) equals CounterOver on the readings
// equals a naive reference built from the true consumption the generator knows.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/store.h"

namespace dc {
namespace {

// What the generator knows: the readings as written, the meter swaps, and the true cumulative
// consumption at every finite reading and at every swap (the points the reference
// interpolates between).
struct Register {
  std::vector<Sample> readings;  // time order; a duplicate time follows the reading it replaces
  std::vector<CounterSwap> swaps;
  std::map<int64_t, double> consumed;  // time -> cumulative consumption
};

Register Generate(std::mt19937_64& rng, double rollover, int n, int64_t base) {
  Register r;
  double reg = 50000 + static_cast<double>(rng() % 1000), total = 0;
  int64_t t = base;
  bool prev_nan = false;
  auto unit = [&] { return static_cast<double>(rng() % 500) / 100.0; };
  for (int i = 0; i < n; ++i) {
    const bool dup = i > 0 && !prev_nan && rng() % 40 == 0;
    const int64_t t_prev = t;
    if (!dup)
      t += rng() % 60 == 0 ? (1 + static_cast<int64_t>(rng() % 3)) * kNanosPerDay
                           : (1 + static_cast<int64_t>(rng() % 9)) * kNanosPerMinute;
    const bool nan = !dup && rng() % 150 == 0;
    const double d = unit();
    const bool calm = i > 0 && !dup && !nan && !prev_nan;  // no event next to a NaN or duplicate
    const uint64_t ev = calm ? rng() % 120 : 99;
    const bool room = rollover == 0 || reg + 5 < rollover;
    if (ev == 0 && reg >= 1000 && (rollover == 0 || reg < rollover / 2)) {
      reg = d;  // reset: the register restarted from 0
    } else if (ev == 1 && room) {
      // Swap at a time in (t_prev, t]: the old meter counts d1 more, the new one d - d1.
      CounterSwap s;
      s.t = t_prev + 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(t - t_prev));
      const double d1 = d * static_cast<double>(rng() % 100) / 100.0;
      s.old_final = reg + d1;
      s.new_initial =
          static_cast<double>(rng() % static_cast<uint64_t>(rollover > 0 ? rollover / 2 : 1e6));
      r.swaps.push_back(s);
      r.consumed[s.t] = total + d1;
      reg = s.new_initial + (d - d1);
    } else {
      reg += d;
      if (rollover > 0 && reg > rollover) reg -= rollover + 1;  // N is the largest value
    }
    total += d;
    const double v = nan ? std::nan("") : reg;
    r.readings.push_back(Sample{t, v, nan ? Quality::kBad : Quality::kGood});
    if (!nan) r.consumed[t] = total;  // a duplicate overwrites: the last reading counts
    prev_nan = nan;
  }
  return r;
}

// The increases by interpolating the true consumption between its known points, clamped to
// the first and last finite reading; swap points outside the readings are not counted.
std::vector<double> Reference(const Register& r, const std::vector<int64_t>& bounds) {
  std::map<int64_t, double> pts;
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const Sample& s : r.readings) {
    if (std::isfinite(s.v)) first = std::min(first, s.t), last = std::max(last, s.t);
  }
  for (const auto& [t, c] : r.consumed) {
    if (t >= first && t <= last) pts[t] = c;
  }
  auto at = [&](int64_t t) {
    if (t <= pts.begin()->first) return pts.begin()->second;
    if (t >= pts.rbegin()->first) return pts.rbegin()->second;
    auto hi = pts.lower_bound(t);
    if (hi->first == t) return hi->second;
    auto lo = std::prev(hi);
    const double frac =
        static_cast<double>(t - lo->first) / static_cast<double>(hi->first - lo->first);
    return lo->second + (hi->second - lo->second) * frac;
  };
  std::vector<double> out;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) out.push_back(at(bounds[i + 1]) - at(bounds[i]));
  return out;
}

// Writes the readings late and out of order in several batches (each flushed to its own
// segment file, the last left in the head), some first with a wrong value that a later write
// replaces; duplicate times keep their order, so the last reading wins as in the rules.
void WriteShuffled(Store* store, const std::string& key, const Register& r, std::mt19937_64& rng) {
  std::map<int64_t, Sample> last;
  for (const Sample& s : r.readings) last[s.t] = s;
  std::vector<Sample> pts;
  for (const auto& [t, s] : last) pts.push_back(s);
  std::shuffle(pts.begin(), pts.end(), rng);
  const size_t batches = 4;
  for (size_t b = 0; b < batches; ++b) {
    PointBatch batch, wrong;
    for (size_t i = b; i < pts.size(); i += batches) {
      if (rng() % 30 == 0) wrong.Add(key, pts[i].t, 1e9 + static_cast<double>(rng() % 1000));
      batch.Add(key, pts[i].t, pts[i].v, pts[i].q);
    }
    ASSERT_TRUE(store->Write(wrong).ok());
    ASSERT_TRUE(store->Write(batch).ok());
    if (b + 1 < batches) {
      ASSERT_TRUE(store->Flush().ok());
    }
  }
}

std::vector<int64_t> RandomBounds(std::mt19937_64& rng, int64_t lo, int64_t hi, bool days) {
  std::vector<int64_t> b;
  const int64_t span = std::max<int64_t>(1, hi - lo);
  for (int64_t t = lo; t < hi;) {
    b.push_back(t);
    t += days ? kNanosPerDay : 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(span / 5));
  }
  b.push_back(hi);
  return b;
}

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double total = 1;
  for (double w : want) total += std::fabs(w);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_GE(got[i], -1e-9 * total) << what << " " << i;  // never negative
    EXPECT_NEAR(got[i], want[i], 1e-9 * total) << what << " " << i;
  }
}

// The neighbour reading outside the bounds is the nearest finite one, not a failed poll.
TEST(CounterSwaps, NeighbourSkipsFailedPolls) {
  const std::string dir = std::string(DC_BINARY_DIR) + "/counter_neighbour_test";
  std::filesystem::remove_all(dir);
  StoreOptions o;
  o.dir = dir;
  o.background = false;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  PointBatch b;
  b.Add("c value", 0, 100);
  b.Add("c value", 10, std::nan(""), Quality::kBad);
  b.Add("c value", 30, 130);
  b.Add("c value", 40, std::nan(""), Quality::kBad);
  ASSERT_TRUE((*store)->Write(b).ok());
  const std::vector<int64_t> bounds = {20, 25};
  for (int pass = 0; pass < 2; ++pass) {
    auto got = (*store)->CounterIncrease("c value", bounds, {}, 0);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_DOUBLE_EQ(got->increases[0], 5);  // 120 -> 125, interpolated between 0 and 30
    EXPECT_EQ(got->t_first, 0);
    EXPECT_EQ(got->t_last, 30);
    ASSERT_TRUE((*store)->Flush().ok());
  }
  store = decltype(store)(absl::UnknownError("closed"));
  std::filesystem::remove_all(dir);
}

TEST(CounterSwaps, StoreEqualsRulesEqualsReference) {
  const std::string dir = std::string(DC_BINARY_DIR) + "/counter_swap_test";
  std::mt19937_64 rng(2026);
  const int64_t base = 1735689600LL * kNanosPerSecond;  // 2025-01-01T00:00Z
  int64_t swaps = 0, events = 0, runs = 0;
  for (int trial = 0; trial < 12; ++trial) {
    std::filesystem::remove_all(dir);
    StoreOptions o;
    o.dir = dir;
    o.background = false;
    o.fsync.mode = FsyncPolicy::Mode::kOff;
    o.block_min_points = 40;
    o.block_max_points = 300;
    o.block_zone = "UTC";  // blocks never cross UTC midnight: whole blocks inside day bounds
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok()) << store.status();
    CounterOptions opt;
    opt.rollover = trial % 2 ? 100000.0 : 0.0;
    const std::string key = "meter,id=c value";
    Register r = Generate(rng, opt.rollover, 2000 + static_cast<int>(rng() % 3000), base);
    opt.swaps = r.swaps;
    swaps += static_cast<int64_t>(r.swaps.size());
    WriteShuffled(store->get(), key, r, rng);
    for (int phase = 0; phase < 2; ++phase) {
      if (phase == 1) {
        ASSERT_TRUE((*store)->Flush().ok());
        ASSERT_TRUE((*store)->Compact().ok());
      }
      const int64_t t0 = r.readings.front().t, t1 = r.readings.back().t;
      for (int round = 0; round < 8; ++round) {
        // UTC-day bounds (whole blocks inside intervals: runs) or anywhere, some outside.
        const bool days = round % 2 == 0;
        int64_t lo = t0 - kNanosPerDay + static_cast<int64_t>(rng() % 2) * kNanosPerDay;
        int64_t hi = t1 + kNanosPerDay - static_cast<int64_t>(rng() % 2) * kNanosPerDay;
        if (days) {
          lo = base - static_cast<int64_t>(rng() % 2) * kNanosPerDay;  // base is a UTC midnight
          hi = lo + ((t1 - lo) / kNanosPerDay + static_cast<int64_t>(rng() % 2)) * kNanosPerDay;
        }
        auto bounds = RandomBounds(rng, lo, hi, days);
        const std::string what = absl::StrCat("trial ", trial, " phase ", phase, " round ", round);
        auto got = (*store)->CounterIncrease(key, bounds, opt, 0);
        ASSERT_TRUE(got.ok()) << got.status();
        CounterResult rules = CounterOver(r.readings, bounds, opt);
        ExpectNear(got->increases, rules.increases, what + " store vs rules");
        ExpectNear(rules.increases, Reference(r, bounds), what + " rules vs reference");
        ASSERT_EQ(got->events.size(), rules.events.size()) << what;
        for (size_t i = 0; i < rules.events.size(); ++i) {
          EXPECT_EQ(got->events[i].kind, rules.events[i].kind) << what;
          EXPECT_EQ(got->events[i].t_after, rules.events[i].t_after) << what;
        }
        events += static_cast<int64_t>(rules.events.size());
        runs += got->runs;
      }
    }
  }
  EXPECT_GT(swaps, 50);
  EXPECT_GT(events, 500);
  EXPECT_GT(runs, 100);  // the block stats fast path was taken
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dc
