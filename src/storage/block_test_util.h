// Helpers shared by the block tests (block_test.cc, block_stats_test.cc).
#ifndef DC_STORAGE_BLOCK_TEST_UTIL_H_
#define DC_STORAGE_BLOCK_TEST_UTIL_H_

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "common/sample.h"
#include "gtest/gtest.h"
#include "storage/block.h"

namespace dc::block_test {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

inline uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }
inline double FromBits(uint64_t b) { return std::bit_cast<double>(b); }

// Points at t0, t0 + step, ... with the values `v`.
inline std::vector<Sample> Series(const std::vector<double>& v,
                                  int64_t t0 = 1'700'000'000'000'000'000,
                                  int64_t step = 1'000'000'000) {
  std::vector<Sample> s(v.size());
  for (size_t i = 0; i < v.size(); ++i) s[i] = {t0 + static_cast<int64_t>(i) * step, v[i]};
  return s;
}

// A Gaussian random walk rounded to `decimals` places.
inline std::vector<double> RandomWalk(std::mt19937_64& rng, size_t n, int decimals, double start,
                                      double sigma) {
  std::normal_distribution<double> noise(0, sigma);
  double scale = std::pow(10.0, decimals);
  std::vector<double> v(n);
  double x = start;
  for (size_t i = 0; i < n; ++i) {
    x += noise(rng);
    v[i] = std::round(x * scale) / scale;
  }
  return v;
}

// Every field equal, bit for bit.
inline void ExpectStatsBitsEqual(const BlockStats& a, const BlockStats& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.t_first, b.t_first);
  EXPECT_EQ(a.t_last, b.t_last);
  EXPECT_EQ(Bits(a.min), Bits(b.min)) << a.min << " vs " << b.min;
  EXPECT_EQ(Bits(a.max), Bits(b.max)) << a.max << " vs " << b.max;
  EXPECT_EQ(Bits(a.sum), Bits(b.sum)) << a.sum << " vs " << b.sum;
  EXPECT_EQ(Bits(a.first), Bits(b.first)) << a.first << " vs " << b.first;
  EXPECT_EQ(Bits(a.last), Bits(b.last)) << a.last << " vs " << b.last;
  EXPECT_EQ(a.nondecreasing, b.nondecreasing);
  EXPECT_EQ(a.finite, b.finite);
}

}  // namespace dc::block_test

#endif  // DC_STORAGE_BLOCK_TEST_UTIL_H_
