// Engine tests: every aggregate against a naive reference on random data with late writes and
// duplicates, across head, flushed segments, overlapping segments and compaction; persistence;
// retention; fault injection.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "gtest/gtest.h"
#include "storage/engine_test_model.h"
#include "storage/store.h"

namespace dc {
namespace {

namespace fs = std::filesystem;
using namespace test_model;  // NOLINT: the reference model's helpers

std::string TempDir(const std::string& name) {
  std::string d =
      (fs::temp_directory_path() / ("dc_engine_" + name + "_" + std::to_string(getpid()))).string();
  fs::remove_all(d);
  return d;
}

StoreOptions Opts(const std::string& dir) {
  StoreOptions o;
  o.dir = dir;
  o.fsync.mode = FsyncPolicy::Mode::kOff;
  o.background = false;
  o.head_max_points = 1 << 30;
  return o;
}

TEST(Engine, AggregatesMatchNaiveAcrossHeadSegmentsAndCompaction) {
  std::string dir = TempDir("agg");
  auto store = Store::Open(Opts(dir));
  ASSERT_TRUE(store.ok()) << store.status();
  Store* s = store->get();
  std::mt19937_64 rng(42);
  Model m;
  const int64_t base = 1735689600LL * kNanosPerSecond;  // 2025-01-01T00:00Z
  std::vector<std::string> keys = {"meter,id=a value", "meter,id=b value", "gauge,id=c kw"};
  for (int phase = 0; phase < 4; ++phase) {
    for (int i = 0; i < 4000; ++i) {
      const auto& key = keys[rng() % keys.size()];
      // Mostly 1-minute data over ~10 days; some late and duplicate timestamps.
      int64_t t = base + static_cast<int64_t>(rng() % (10 * 1440)) * kNanosPerMinute;
      double v = static_cast<double>(static_cast<int64_t>(rng() % 100000)) / 100.0;
      if (rng() % 300 == 0) v = std::nan("");  // failed polls: their blocks are decoded
      WriteBoth(s, &m, key, t, v);
    }
    CheckAgainstModel(s, m, rng, 40);
    ASSERT_TRUE(s->Flush().ok());  // leaves several overlapping segments per partition
    CheckAgainstModel(s, m, rng, 40);
  }
  ASSERT_TRUE(s->Compact().ok());
  CheckAgainstModel(s, m, rng, 60);
  // Reopen: everything is still there.
  store->reset();
  store = Store::Open(Opts(dir));
  ASSERT_TRUE(store.ok()) << store.status();
  CheckAgainstModel(store->get(), m, rng, 60);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

// A flush keeps the previous flush's key order and merges in the series new since then. As the
// set of series changes from flush to flush (some gone, new ones sorting before, between and
// after the old; "m10" < "m9"), every flush writes its keys in order (a segment writer refuses
// any other), series spread over several partitions get each file's ids right, and merges of
// files holding different series sets keep every point.
TEST(Engine, FlushesKeepKeyOrderAsTheSetOfSeriesChanges) {
  std::string dir = TempDir("flush_order");
  auto store = Store::Open(Opts(dir));
  ASSERT_TRUE(store.ok()) << store.status();
  Store* s = store->get();
  std::mt19937_64 rng(11);
  Model m;
  const int64_t base = 1735689600LL * kNanosPerSecond;  // 2025-01-01T00:00Z
  for (int round = 0; round < 16; ++round) {
    const int key_space = 20 + 15 * round;
    for (int k = 0; k < 40; ++k) {
      const std::string key = "m" + std::to_string(rng() % key_space) + " kwh";
      for (int p = 0; p < 3; ++p) {
        const int64_t t = base + static_cast<int64_t>(rng() % (90 * 1440)) * kNanosPerMinute;
        WriteBoth(s, &m, key, t, static_cast<double>(rng() % 10000) / 10.0);
      }
    }
    ASSERT_TRUE(s->Flush().ok()) << "round " << round;
    if (round % 5 == 4) {
      ASSERT_TRUE(s->Compact().ok()) << "round " << round;
    }
    CheckAgainstModel(s, m, rng, 10);
  }
  store->reset();
  store = Store::Open(Opts(dir));
  ASSERT_TRUE(store.ok()) << store.status();
  CheckAgainstModel(store->get(), m, rng, 40);
  EXPECT_EQ(store->get()->ListSeries("").size(), m.size());
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

TEST(Engine, ReopenKeepsEverythingAndListsSeries) {
  std::string dir = TempDir("replay");
  Model m;
  std::mt19937_64 rng(1);
  {
    auto store = Store::Open(Opts(dir));
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 1000; ++i) {
      WriteBoth(store->get(), &m, "x,id=" + std::to_string(i % 7) + " value",
                static_cast<int64_t>(rng() % 100000) * kNanosPerSecond, static_cast<double>(i));
    }
  }
  auto store = Store::Open(Opts(dir));
  ASSERT_TRUE(store.ok());
  CheckAgainstModel(store->get(), m, rng, 30);
  EXPECT_EQ(store->get()->ListSeries("x,").size(), 7u);
  EXPECT_EQ(store->get()->ListSeries("id=3").size(), 1u);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

TEST(Engine, IncreaseHandlesResetsAndRolloverAcrossBuckets) {
  std::string dir = TempDir("increase");
  auto store = Store::Open(Opts(dir));
  ASSERT_TRUE(store.ok());
  PointBatch b;
  const std::string key = "meter,id=grid value";
  // 15-minute register readings over 2 days, 10 kWh per interval, rollover at 1000 (the
  // largest value: 990 -> 1000 -> 9 is 10 kWh).
  double reg = 900;
  const int64_t base = 1735689600LL * kNanosPerSecond;
  for (int i = 0; i <= 2 * 96; ++i) {
    b.Add(key, base + i * 15 * kNanosPerMinute, reg);
    reg += 10;
    if (reg > 1000) reg -= 1001;
  }
  ASSERT_TRUE((*store)->Write(b).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  AggregateRequest r;
  r.series = key;
  r.start = base;
  r.end = base + 2 * kNanosPerDay;
  r.step = *ParseStep("1d");
  r.agg = Agg::kIncrease;
  r.counter.rollover = 1000;
  auto got = (*store)->Aggregate(r);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_NEAR((*got)[0].v, 960, 1e-9);
  EXPECT_NEAR((*got)[1].v, 960, 1e-9);
  // Half-day window starting mid-interval: interpolated at the bounds.
  r.start = base + 7 * kNanosPerMinute + 30 * kNanosPerSecond;  // halfway into 1st interval
  r.end = base + kNanosPerDay;
  auto half = (*store)->Aggregate(r);
  ASSERT_TRUE(half.ok());
  ASSERT_EQ(half->size(), 1u);
  EXPECT_NEAR((*half)[0].v, 955, 1e-9);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

// CounterIncrease against the counter rules over QueryRaw: the readings it must use are those
// in [front, back] and the nearest within the window on either side.
void CheckCounters(Store* s, const std::vector<std::string>& keys, const CounterOptions& opt,
                   std::mt19937_64& rng, int rounds, int64_t* runs) {
  for (int round = 0; round < rounds; ++round) {
    const std::string& key = keys[rng() % keys.size()];
    auto all = s->QueryRaw(key, INT64_MIN, INT64_MAX);
    ASSERT_TRUE(all.ok()) << all.status();
    ASSERT_FALSE(all->empty());
    const int64_t t0 = all->front().t, t1 = all->back().t;
    // Bounds: day-aligned (blocks fit in the intervals) or anywhere, some outside the data.
    std::vector<int64_t> bounds;
    const bool aligned = rng() % 2;
    int64_t b = t0 - kNanosPerDay + static_cast<int64_t>(rng() % (t1 - t0 + 2 * kNanosPerDay));
    if (aligned) b -= b % kNanosPerDay;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i <= n; ++i) {
      bounds.push_back(b);
      b += aligned ? (1 + static_cast<int64_t>(rng() % 3)) * kNanosPerDay
                   : static_cast<int64_t>(rng() % (2 * kNanosPerDay));
    }
    const int64_t windows[] = {0, 6 * kNanosPerHour, 3 * kNanosPerDay};
    const int64_t window = windows[rng() % 3];
    auto got = s->CounterIncrease(key, bounds, opt, window);
    ASSERT_TRUE(got.ok()) << got.status();
    *runs += got->runs;
    // The readings it should have used.
    const int64_t front = bounds.front(), back = bounds.back();
    std::vector<Sample> used;
    const Sample* before = nullptr;
    const Sample* after = nullptr;
    for (const Sample& x : *all) {
      if (x.t < front && (window == 0 || x.t >= front - window)) before = &x;
      if (x.t > back && (window == 0 || x.t < back + window) && !after) after = &x;
      if (x.t >= front && x.t <= back) used.push_back(x);
    }
    if (before) used.insert(used.begin(), *before);
    if (after) used.push_back(*after);
    CounterResult want = CounterOver(used, bounds, opt);
    ASSERT_EQ(got->increases.size(), want.increases.size());
    double total = 0;
    for (double x : want.increases) total += std::fabs(x);
    for (size_t i = 0; i < want.increases.size(); ++i) {
      EXPECT_NEAR(got->increases[i], want.increases[i], 1e-12 * std::max(1.0, total))
          << key << " interval " << i << " of " << want.increases.size();
    }
    ASSERT_EQ(got->events.size(), want.events.size()) << key;
    for (size_t i = 0; i < want.events.size(); ++i) {
      EXPECT_EQ(got->events[i].kind, want.events[i].kind);
      EXPECT_EQ(got->events[i].t_before, want.events[i].t_before);
      EXPECT_EQ(got->events[i].t_after, want.events[i].t_after);
      EXPECT_EQ(got->events[i].before, want.events[i].before);
      EXPECT_EQ(got->events[i].after, want.events[i].after);
    }
    EXPECT_EQ(got->any, want.any);
    if (want.any) {
      EXPECT_EQ(got->t_first, want.t_first);
      EXPECT_EQ(got->t_last, want.t_last);
    }
    // The accounting path before CounterIncrease: the rules over the raw readings of
    // [front - window, back + window) give the same increases and events.
    if (window > 0) {
      auto raw = s->QueryRaw(key, front - window, back + window);
      ASSERT_TRUE(raw.ok());
      std::vector<CounterEvent> events;
      auto inc = CounterIncreases(*raw, bounds, opt, &events);
      for (size_t i = 0; i < inc.size(); ++i) {
        EXPECT_NEAR(got->increases[i], inc[i], 1e-12 * std::max(1.0, total));
      }
      EXPECT_EQ(got->events.size(), events.size());
      EXPECT_EQ(got->any, !raw->empty());
    }
  }
}

TEST(Engine, CounterIncreaseEqualsRulesOverRawAcrossHeadSegmentsAndCompaction) {
  std::string dir = TempDir("counter");
  StoreOptions o = Opts(dir);
  o.block_min_points = 30;  // many blocks: hourly after 30 points
  o.block_max_points = 200;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  std::mt19937_64 rng(77);
  const CounterOptions opt{.rollover = 100000, .swaps = {}};
  const int64_t base = 1735689600LL * kNanosPerSecond;  // 2025-01-01T00:00Z
  const std::vector<std::string> keys = {"meter,id=c1 value", "meter,id=c2 value",
                                         "meter,id=c3 value"};
  // Clean 1-minute registers over 10 days, with resets and rollovers; one series has gaps.
  std::map<std::string, std::map<int64_t, double>> m;
  for (size_t k = 0; k < keys.size(); ++k) {
    PointBatch b;
    double v = k == 0 ? 99000 : 1000 * static_cast<double>(k);
    for (int64_t i = 0; i < 10 * 1440; ++i) {
      if (k == 2 && (i / 600) % 3 == 1) continue;  // 10-hour gaps
      v += static_cast<double>(rng() % 500) / 100.0;
      if (v > opt.rollover) v -= opt.rollover + 1;                  // the largest value, then 0
      if (rng() % 3000 == 0) v = static_cast<double>(rng() % 100);  // reset
      b.Add(keys[k], base + i * kNanosPerMinute, v);
      m[keys[k]][base + i * kNanosPerMinute] = v;
    }
    ASSERT_TRUE((*store)->Write(b).ok());
  }
  int64_t runs = 0;
  CheckCounters(store->get(), keys, opt, rng, 30, &runs);  // all in the head
  ASSERT_TRUE((*store)->Flush().ok());
  CheckCounters(store->get(), keys, opt, rng, 40, &runs);
  EXPECT_GT(runs, 0);
  // Late data and duplicates into new segments overlapping the old ones, and into the head:
  // rewritten readings (some lower: resets), readings between minutes, readings before the
  // start.
  for (int phase = 0; phase < 3; ++phase) {
    PointBatch b;
    for (int i = 0; i < 300; ++i) {
      const std::string& key = keys[rng() % keys.size()];
      auto& pts = m[key];
      auto it = pts.begin();
      std::advance(it, static_cast<long>(rng() % pts.size()));
      int64_t t = it->first;
      double v = it->second;
      switch (rng() % 3) {
        case 0:
          v += static_cast<double>(rng() % 200) / 100.0 - 1.0;  // duplicate, maybe lower
          break;
        case 1:
          t += 30 * kNanosPerSecond;  // between minutes
          break;
        default:
          t -= (1 + static_cast<int64_t>(rng() % 3)) * kNanosPerDay;  // far back in time
          v = static_cast<double>(rng() % 1000);
      }
      b.Add(key, t, v);
      pts[t] = v;
    }
    ASSERT_TRUE((*store)->Write(b).ok());
    CheckCounters(store->get(), keys, opt, rng, 30, &runs);
    if (phase < 2) {
      ASSERT_TRUE((*store)->Flush().ok());
    }
    CheckCounters(store->get(), keys, opt, rng, 30, &runs);
  }
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE((*store)->Compact().ok());
  const int64_t runs_before = runs;
  CheckCounters(store->get(), keys, opt, rng, 60, &runs);
  EXPECT_GT(runs, runs_before);
  // The store holds exactly the model.
  for (const auto& key : keys) {
    auto raw = (*store)->QueryRaw(key, INT64_MIN, INT64_MAX);
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(raw->size(), m[key].size());
  }
  // Bad bounds are an error, not a crash.
  std::vector<int64_t> none, unsorted = {5, 3};
  EXPECT_EQ((*store)->CounterIncrease(keys[0], none, opt, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->CounterIncrease(keys[0], unsorted, opt, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  // An unknown series has no readings.
  std::vector<int64_t> b2 = {base, base + kNanosPerDay};
  auto unknown = (*store)->CounterIncrease("meter,id=none value", b2, opt, 0);
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->any);
  EXPECT_EQ(unknown->increases, (std::vector<double>{0}));
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

TEST(Engine, RetentionDropsWholePartitions) {
  std::string dir = TempDir("retention");
  StoreOptions o = Opts(dir);
  o.partition_ns = kNanosPerDay;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok());
  PointBatch b;
  for (int d = 0; d < 10; ++d) b.Add("m value", d * kNanosPerDay + kNanosPerHour, d);
  ASSERT_TRUE((*store)->Write(b).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  auto dropped = (*store)->DropPartitionsBefore(5 * kNanosPerDay);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 5);
  auto raw = (*store)->QueryRaw("m value", INT64_MIN, INT64_MAX);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 5u);
  EXPECT_EQ(raw->front().v, 5);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

TEST(Engine, RetentionRetriesARemovalThatFailedAndReportsIt) {
  std::string dir = TempDir("retention-fault");
  FaultInjectionEnv env(Env::Default());
  StoreOptions opt = Opts(dir);
  opt.env = &env;
  opt.partition_ns = kNanosPerDay;
  auto store = Store::Open(opt);
  ASSERT_TRUE(store.ok());
  PointBatch b;
  for (int d = 0; d < 10; ++d) b.Add("m value", d * kNanosPerDay + kNanosPerHour, d);
  ASSERT_TRUE((*store)->Write(b).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  auto segment_files = [&] {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      n += e.path().extension() == ".dcs";
    }
    return n;
  };
  const size_t before = segment_files();
  ASSERT_GE(before, 10u);
  env.SetRemoveFails(true);
  auto dropped = (*store)->DropPartitionsBefore(5 * kNanosPerDay);
  ASSERT_FALSE(dropped.ok());  // reported, not swallowed
  EXPECT_NE(dropped.status().message().find("could not remove 5"), std::string::npos)
      << dropped.status();
  EXPECT_EQ(segment_files(), before);  // still on disk
  auto raw = (*store)->QueryRaw("m value", INT64_MIN, INT64_MAX);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), 5u);  // but no longer served
  env.SetRemoveFails(false);
  dropped = (*store)->DropPartitionsBefore(5 * kNanosPerDay);  // nothing new; retries the rest
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 0);
  EXPECT_EQ(segment_files(), before - 5);
  store = decltype(store)(absl::UnknownError("closed"));
  store = Store::Open(opt);  // the dropped partitions do not come back
  ASSERT_TRUE(store.ok());
  raw = (*store)->QueryRaw("m value", INT64_MIN, INT64_MAX);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), 5u);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

TEST(Engine, NonFiniteValuesRejectedGoodOnesKept) {
  std::string dir = TempDir("nonfinite");
  auto store = Store::Open(Opts(dir));
  ASSERT_TRUE(store.ok());
  PointBatch b;
  b.Add("m value", 1, 1.5);
  b.Add("m value", 2, std::nan(""));
  b.Add("m value", 3, INFINITY);
  b.Add("m value", 4, 2.5);
  b.Add("m value", 5, std::nan(""), Quality::kBad);  // a failed poll: kept
  b.Add("m value", 6, -INFINITY, Quality::kBad);
  absl::Status s = (*store)->Write(b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("3 of 6"), std::string::npos) << s;
  auto raw = (*store)->QueryRaw("m value", 0, 10);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 3u);
  EXPECT_TRUE(std::isnan((*raw)[2].v));
  EXPECT_EQ((*raw)[2].q, Quality::kBad);
  // Aggregates skip the NaN, in the head and from flushed blocks alike.
  for (int pass = 0; pass < 2; ++pass) {
    AggregateRequest r;
    r.series = "m value";
    r.start = 0;
    r.end = 10;
    r.step = *ParseStep("1d");
    for (Agg agg : {Agg::kCount, Agg::kSum, Agg::kMax, Agg::kLast}) {
      r.agg = agg;
      auto got = (*store)->Aggregate(r);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(got->size(), 1u);
      EXPECT_EQ((*got)[0].v, agg == Agg::kCount ? 2 : agg == Agg::kSum ? 4 : 2.5) << pass;
    }
    ASSERT_TRUE((*store)->Flush().ok());
  }
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

TEST(Engine, DiskFullGivesErrorsNotCorruption) {
  std::string dir = TempDir("diskfull");
  FaultInjectionEnv env(Env::Default());
  StoreOptions o = Opts(dir);
  o.env = &env;
  Model m;
  {
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 100; ++i) WriteBoth(store->get(), &m, "m value", i * kNanosPerSecond, i);
    env.SetWriteBudget(200);
    int failures = 0;
    for (int i = 100; i < 200; ++i) {
      PointBatch b;
      b.Add("m value", i * kNanosPerSecond, i);
      absl::Status s = (*store)->Write(b);
      if (s.ok()) {
        m["m value"][i * kNanosPerSecond] = i;
      } else {
        ++failures;
      }
    }
    EXPECT_GT(failures, 0);
    // Flush fails too while the disk is full, and must not lose the head.
    EXPECT_FALSE((*store)->Flush().ok());
    env.SetWriteBudget(-1);
    ASSERT_TRUE((*store)->Flush().ok());
  }
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  auto raw = (*store)->QueryRaw("m value", 0, INT64_MAX);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), m["m value"].size());
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

TEST(Engine, SecondOpenOfSameDirectoryIsRefused) {
  std::string dir = TempDir("lock");
  auto a = Store::Open(Opts(dir));
  ASSERT_TRUE(a.ok());
  auto b = Store::Open(Opts(dir));
  EXPECT_FALSE(b.ok());
  a = decltype(a)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dc

namespace dc {
namespace {

TEST(Engine, ExtremeTimestampsSurviveFlushAndReopen) {
  std::string dir = TempDir("extreme");
  std::vector<int64_t> times = {INT64_MIN, INT64_MIN + 1,        -kNanosPerDay - 1, -1,       0,
                                1,         kNanosPerDay * 20000, INT64_MAX - 1,     INT64_MAX};
  {
    auto store = Store::Open(Opts(dir));
    ASSERT_TRUE(store.ok()) << store.status();
    PointBatch b;
    for (size_t i = 0; i < times.size(); ++i) b.Add("x value", times[i], static_cast<double>(i));
    ASSERT_TRUE((*store)->Write(b).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  auto store = Store::Open(Opts(dir));
  ASSERT_TRUE(store.ok()) << store.status();
  auto raw = (*store)->QueryRaw("x value", INT64_MIN, INT64_MAX);
  ASSERT_TRUE(raw.ok());
  // [INT64_MIN, INT64_MAX) excludes INT64_MAX itself.
  ASSERT_EQ(raw->size(), times.size() - 1);
  for (size_t i = 0; i + 1 < times.size(); ++i) EXPECT_EQ((*raw)[i].t, times[i]);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

TEST(Engine, PartitionsStartAtLocalMidnightAndLayoutPersists) {
  std::string dir = TempDir("layout");
  StoreOptions o = Opts(dir);
  o.block_zone = "Asia/Shanghai";
  o.partition_ns = kNanosPerDay;
  {
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok());
    PointBatch b;
    // 2025-03-01 23:30 and 2025-03-02 00:30 local (+08:00): two partitions.
    int64_t t = *ParseTime("2025-03-01T23:30:00+08:00", absl::UTCTimeZone());
    b.Add("x value", t, 1);
    b.Add("x value", t + kNanosPerHour, 2);
    ASSERT_TRUE((*store)->Write(b).ok());
    ASSERT_TRUE((*store)->Flush().ok());
    EXPECT_EQ((*store)->Stats().partitions, 2);
  }
  // Reopening with another zone keeps the grid the store was created with.
  o.block_zone = "UTC";
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok());
  PointBatch b;
  b.Add("x value", *ParseTime("2025-03-02T01:30:00+08:00", absl::UTCTimeZone()), 3);
  ASSERT_TRUE((*store)->Write(b).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  EXPECT_EQ((*store)->Stats().partitions, 2);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dc
