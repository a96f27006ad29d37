// The naive reference the engine tests compare against: a map of every series' points (last
// write wins), and bucketed aggregates computed from it point by point.
#ifndef DC_STORAGE_ENGINE_TEST_MODEL_H_
#define DC_STORAGE_ENGINE_TEST_MODEL_H_

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "storage/store.h"

namespace dc {
namespace test_model {

// Reference model: last write wins per series and timestamp.
using Model = std::map<std::string, std::map<int64_t, double>>;

// A NaN is written as a failed poll (quality bad).
inline void WriteBoth(Store* s, Model* m, const std::string& key, int64_t t, double v) {
  PointBatch b;
  b.Add(key, t, v, std::isnan(v) ? Quality::kBad : Quality::kGood);
  ASSERT_TRUE(s->Write(b).ok());
  (*m)[key][t] = v;
}

struct NaiveAcc {
  int64_t n = 0;
  double sum = 0, mn = 0, mx = 0, first = 0, last = 0;
};

inline std::map<int64_t, NaiveAcc> NaiveBuckets(const std::map<int64_t, double>& pts,
                                                const AggregateRequest& r) {
  std::map<int64_t, NaiveAcc> out;
  for (const auto& [t, v] : pts) {
    if (!std::isfinite(v)) continue;  // a failed poll: no value to aggregate
    bool in = r.closed_right ? (t > r.start && t <= r.end) : (t >= r.start && t < r.end);
    if (!in) continue;
    int64_t at = r.closed_right ? t - 1 : t;
    int64_t b = BucketStart(at, r.step, r.zone);
    if (r.closed_right) b = NextBucket(b, r.step, r.zone);
    NaiveAcc& a = out[b];
    if (a.n == 0) {
      a.mn = a.mx = a.first = v;
    }
    a.mn = std::min(a.mn, v);
    a.mx = std::max(a.mx, v);
    a.last = v;  // map iterates in time order
    a.sum += v;
    ++a.n;
  }
  return out;
}

inline double NaiveValue(const NaiveAcc& a, Agg agg) {
  switch (agg) {
    case Agg::kSum:
      return a.sum;
    case Agg::kMean:
      return a.sum / static_cast<double>(a.n);
    case Agg::kMin:
      return a.mn;
    case Agg::kMax:
      return a.mx;
    case Agg::kCount:
      return static_cast<double>(a.n);
    case Agg::kFirst:
      return a.first;
    case Agg::kLast:
      return a.last;
    default:
      return 0;
  }
}

inline void CheckAgainstModel(Store* s, const Model& m, std::mt19937_64& rng, int rounds) {
  const char* zones[] = {"UTC", "Asia/Shanghai", "Asia/Kolkata", "Europe/Berlin"};
  const char* steps[] = {"1m", "15m", "1h", "1d", "1w", "1mo"};
  const Agg aggs[] = {Agg::kSum,   Agg::kMean,  Agg::kMin, Agg::kMax,
                      Agg::kCount, Agg::kFirst, Agg::kLast};
  for (int round = 0; round < rounds; ++round) {
    auto it = m.begin();
    std::advance(it, static_cast<long>(rng() % m.size()));
    const auto& [key, pts] = *it;
    int64_t t0 = pts.begin()->first, t1 = pts.rbegin()->first;
    AggregateRequest r;
    r.series = key;
    r.start = t0 - kNanosPerHour + static_cast<int64_t>(rng() % (2 * kNanosPerHour));
    r.end = t1 + kNanosPerHour - static_cast<int64_t>(rng() % (2 * kNanosPerHour));
    if (r.end <= r.start) r.end = r.start + kNanosPerDay;
    r.step = *ParseStep(steps[rng() % 6]);
    r.zone = *LoadZone(zones[rng() % 4]);
    r.agg = aggs[rng() % 7];
    r.closed_right = rng() % 2;
    auto got = s->Aggregate(r);
    ASSERT_TRUE(got.ok()) << got.status();
    auto want = NaiveBuckets(pts, r);
    ASSERT_EQ(got->size(), want.size()) << key << " agg=" << AggName(r.agg);
    size_t i = 0;
    for (const auto& [bt, acc] : want) {
      const Bucket& b = (*got)[i++];
      EXPECT_EQ(b.t, bt);
      double w = NaiveValue(acc, r.agg);
      EXPECT_NEAR(b.v, w, 1e-9 * std::max(1.0, std::fabs(w))) << key << " " << AggName(r.agg);
    }
    // Raw range.
    auto raw = s->QueryRaw(key, r.start, r.end);
    ASSERT_TRUE(raw.ok());
    auto lo = pts.lower_bound(r.start), hi = pts.lower_bound(r.end);
    ASSERT_EQ(raw->size(), static_cast<size_t>(std::distance(lo, hi)));
    size_t k = 0;
    for (auto p = lo; p != hi; ++p, ++k) {
      ASSERT_EQ((*raw)[k].t, p->first);
      if (std::isnan(p->second)) {
        ASSERT_TRUE(std::isnan((*raw)[k].v));
        ASSERT_EQ((*raw)[k].q, Quality::kBad);
      } else {
        ASSERT_EQ((*raw)[k].v, p->second);
      }
    }
  }
}

}  // namespace test_model
}  // namespace dc

#endif  // DC_STORAGE_ENGINE_TEST_MODEL_H_
