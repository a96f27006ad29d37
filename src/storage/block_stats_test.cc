// Block stats: computed as a naive reference does, encoded and decoded bit-exactly, flags,
// truncation, and decoding only some of the value fields.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "storage/block.h"
#include "storage/block_test_util.h"

namespace dc {
namespace {

using namespace block_test;  // NOLINT(build/namespaces)
using ::testing::HasSubstr;

// Returns the encoded size.
size_t StatsRoundTrip(const BlockStats& s) {
  std::string enc = "x";
  EncodeStats(s, &enc);
  enc += "tail";
  std::string_view in(enc);
  in.remove_prefix(1);
  BlockStats d;
  absl::Status st = DecodeStats(&in, &d);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(in, "tail");
  ExpectStatsBitsEqual(s, d);
  return enc.size() - 5;
}

// ---- Stats -------------------------------------------------------------------------------

BlockStats NaiveStats(const std::vector<Sample>& pts) {
  BlockStats s;
  s.count = static_cast<int64_t>(pts.size());
  s.t_first = pts.front().t;
  s.t_last = pts.back().t;
  s.first = pts.front().v;
  s.last = pts.back().v;
  s.min = kInf;
  s.max = -kInf;
  s.sum = 0;
  s.nondecreasing = true;
  s.finite = true;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (!std::isfinite(pts[i].v)) s.finite = false;
    if (!std::isfinite(pts[i].v) || (i > 0 && pts[i].v < pts[i - 1].v)) s.nondecreasing = false;
  }
  for (const auto& p : pts) {
    if (std::isnan(p.v)) continue;
    s.sum += p.v;
    s.min = std::min(s.min, p.v);
    s.max = std::max(s.max, p.v);
  }
  return s;
}

TEST(BlockStatsTest, MatchesNaiveComputation) {
  std::mt19937_64 rng(8);
  for (int trial = 0; trial < 200; ++trial) {
    size_t n = 1 + rng() % 500;
    std::vector<double> v;
    switch (trial % 6) {
      case 0:
        v = RandomWalk(rng, n, 2, 100, 3);
        break;
      case 4:  // a counter register, sometimes with one drop
        v.push_back(100);
        for (size_t i = 1; i < n; ++i) v.push_back(v.back() + static_cast<double>(rng() % 3));
        if (trial % 12 == 4) v[rng() % n] = 50;
        break;
      case 5:  // a counter register with a NaN or an infinity somewhere
        for (size_t i = 0; i < n; ++i) v.push_back(static_cast<double>(i));
        v[rng() % n] = trial % 12 == 5 ? std::nan("") : kInf;
        break;
      case 1:
        for (size_t i = 0; i < n; ++i) v.push_back(FromBits(rng()));
        break;
      case 2:
        for (size_t i = 0; i < n; ++i) v.push_back(i % 3 ? std::nan("") : -0.5 * i);
        break;
      default:
        for (size_t i = 0; i < n; ++i) v.push_back(i % 5 == 0 ? kInf : 1.25);
    }
    auto pts = Series(v);
    BlockStats s = ComputeStats(pts);
    ExpectStatsBitsEqual(s, NaiveStats(pts));
    StatsRoundTrip(s);
  }
}

TEST(BlockStatsTest, NondecreasingFlag) {
  auto up = [](const std::vector<double>& v) { return ComputeStats(Series(v)).nondecreasing; };
  EXPECT_TRUE(up({5}));
  EXPECT_TRUE(up({1, 1, 2.5, 2.5, 7}));
  EXPECT_TRUE(up({-0.0, 0.0, -0.0}));  // equal values
  EXPECT_FALSE(up({1, 2, 1.999}));
  EXPECT_FALSE(up({1, std::nan(""), 3}));
  EXPECT_FALSE(up({1, 2, kInf}));
  EXPECT_FALSE(up({-kInf, 1}));
  EXPECT_FALSE(ComputeStats({}).nondecreasing);
  // The flag survives encoding with raw and decimal fields alike.
  for (std::vector<double> v : {std::vector<double>{1, 2, 3}, {0.1, 1e300, 1e301}, {3, 2, 1}}) {
    StatsRoundTrip(ComputeStats(Series(v)));
  }
  BlockStats raw{2, 0, 5, -DBL_MAX, DBL_MAX, kInf, -DBL_MAX, DBL_MAX, true};
  StatsRoundTrip(raw);
}

// The index of the one byte in which `a` and `b` (of equal size) differ; a.size() (and a test
// failure) otherwise.
size_t OnlyDifferingByte(const std::string& a, const std::string& b) {
  EXPECT_EQ(a.size(), b.size());
  if (a.size() != b.size()) return a.size();
  size_t diff = 0, at = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) ++diff, at = i;
  }
  EXPECT_EQ(diff, 1u);
  return diff == 1 ? at : a.size();
}

TEST(BlockStatsTest, FiniteFlag) {
  auto finite = [](const std::vector<double>& v) { return ComputeStats(Series(v)).finite; };
  EXPECT_TRUE(finite({5}));
  EXPECT_TRUE(finite({3, 2, -1e300}));
  EXPECT_FALSE(finite({1, std::nan(""), 3}));
  EXPECT_FALSE(finite({1, 2, kInf}));
  EXPECT_FALSE(finite({-kInf}));
  EXPECT_FALSE(ComputeStats({}).finite);
  // The flag is bit 6 of the raw mask: without it the bytes are those of the format before it.
  BlockStats s = ComputeStats(Series({10, 9, 12}));
  ASSERT_TRUE(s.finite);
  StatsRoundTrip(s);
  std::string with, without;
  EncodeStats(s, &with);
  s.finite = false;
  EncodeStats(s, &without);
  StatsRoundTrip(s);
  size_t at = OnlyDifferingByte(with, without);
  ASSERT_LT(at, with.size());
  EXPECT_EQ(static_cast<uint8_t>(with[at]) ^ static_cast<uint8_t>(without[at]), 0x40);
}

TEST(BlockStatsTest, NondecreasingIsBit5OfTheRawMask) {
  // Without the flag the bytes are those of the format before it existed, so stats written then
  // decode with nondecreasing = false.
  BlockStats s = ComputeStats(Series({10, 11, 12}));
  ASSERT_TRUE(s.nondecreasing);
  std::string with, without;
  EncodeStats(s, &with);
  s.nondecreasing = false;
  EncodeStats(s, &without);
  size_t at = OnlyDifferingByte(with, without);
  ASSERT_LT(at, with.size());
  EXPECT_EQ(static_cast<uint8_t>(with[at]) ^ static_cast<uint8_t>(without[at]), 0x20);
  // Bit 7 stays reserved (bit 6 is `finite`).
  for (uint8_t bit : {0x80}) {
    std::string bad = with;
    bad[at] = static_cast<char>(static_cast<uint8_t>(bad[at]) | bit);
    std::string_view in(bad);
    BlockStats d;
    EXPECT_EQ(DecodeStats(&in, &d).code(), absl::StatusCode::kDataLoss) << int(bit);
  }
}

TEST(BlockStatsTest, AllNaNAndEmpty) {
  auto pts = Series(std::vector<double>(10, std::nan("")));
  BlockStats s = ComputeStats(pts);
  EXPECT_EQ(s.count, 10);
  EXPECT_EQ(s.min, kInf);
  EXPECT_EQ(s.max, -kInf);
  EXPECT_EQ(s.sum, 0);
  EXPECT_TRUE(std::isnan(s.first));
  StatsRoundTrip(s);
  BlockStats e = ComputeStats({});
  EXPECT_EQ(e.count, 0);
  EXPECT_EQ(e.min, kInf);
  EXPECT_EQ(e.max, -kInf);
  StatsRoundTrip(e);
}

TEST(BlockStatsTest, ExtremeFieldsRoundTrip) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<BlockStats> cases = {
      {1, kMin, kMin, -0.0, -0.0, -0.0, -0.0, -0.0},
      {2, kMin, kMax, -DBL_MAX, DBL_MAX, kInf, 1e-320, std::nan("")},
      {kMax, kMax, kMax, 0.1, 0.2, 0.30000000000000004, 0.1, 0.2},
      {3, -5, kMax, -kInf, kInf, std::nan(""), -kInf, kInf},
      {7, 0, 1, 123.45, 123.46, 864.15000000000009, 123.45, 123.46},
  };
  for (const auto& s : cases) StatsRoundTrip(s);
}

TEST(BlockStatsTest, TypicalStatsAreSmall) {
  std::mt19937_64 rng(9);
  // A day of 15-min values with 2 decimals (the steel plant data).
  auto v = RandomWalk(rng, 96, 2, 40, 2);
  auto pts = Series(v, 1'514'764'800'000'000'000 + 900'000'000'000, 900'000'000'000);
  EXPECT_LE(StatsRoundTrip(ComputeStats(pts)), 26u);
  // An hour of 1 Hz kWh register readings with 3 decimals.
  std::vector<double> reg;
  double r = 123456.789;
  for (int i = 0; i < 3600; ++i) reg.push_back(r += 0.139 + 0.001 * (rng() % 20));
  for (auto& x : reg) x = std::round(x * 1000) / 1000;
  EXPECT_LE(StatsRoundTrip(ComputeStats(Series(reg))), 30u);
}

TEST(BlockStatsTest, TruncationIsAnError) {
  std::mt19937_64 rng(10);
  auto pts = Series(RandomWalk(rng, 100, 3, 5, 1));
  pts[3].v = std::nan("");
  for (const BlockStats& s : {ComputeStats(pts), BlockStats{1, -1, 5, kInf, -kInf, 0, 1, 2}}) {
    std::string enc;
    EncodeStats(s, &enc);
    for (size_t len = 0; len < enc.size(); ++len) {
      std::string_view in(enc.data(), len);
      BlockStats d;
      absl::Status st = DecodeStats(&in, &d);
      EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << len;
      EXPECT_THAT(std::string(st.message()), HasSubstr("corrupt block stats"));
    }
  }
}

// A query decodes only the value fields it reads: those equal the full decode bit for bit, the
// others are 0, the same bytes are consumed and the same entries are rejected.
TEST(BlockStatsTest, DecodingSomeFieldsMatchesTheFullDecode) {
  std::mt19937_64 rng(11);
  std::vector<BlockStats> cases;
  for (int trial = 0; trial < 60; ++trial) {
    std::vector<double> v = RandomWalk(rng, 1 + rng() % 300, trial % 4, 100, 2);
    if (trial % 5 == 1) v[rng() % v.size()] = FromBits(rng());  // some raw fields
    if (trial % 7 == 2) v[0] = std::nan("");
    cases.push_back(ComputeStats(Series(v)));
  }
  cases.push_back(BlockStats{2, 0, 5, -DBL_MAX, DBL_MAX, kInf, -DBL_MAX, DBL_MAX, true});
  for (const BlockStats& s : cases) {
    std::string enc;
    EncodeStats(s, &enc);
    enc += "tail";
    for (unsigned fields = 0; fields <= kAllStatFields; ++fields) {
      std::string_view in(enc);
      BlockStats d;
      ASSERT_TRUE(DecodeStats(&in, &d, fields).ok());
      EXPECT_EQ(in, "tail") << fields;
      EXPECT_EQ(d.count, s.count);
      EXPECT_EQ(d.t_first, s.t_first);
      EXPECT_EQ(d.t_last, s.t_last);
      EXPECT_EQ(d.finite, s.finite);
      EXPECT_EQ(d.nondecreasing, s.nondecreasing);
      const std::pair<unsigned, std::pair<double, double>> each[] = {
          {kStatFirst, {s.first, d.first}},
          {kStatLast, {s.last, d.last}},
          {kStatMin, {s.min, d.min}},
          {kStatMax, {s.max, d.max}},
          {kStatSum, {s.sum, d.sum}}};
      for (const auto& [bit, vals] : each) {
        EXPECT_EQ(Bits(vals.second), Bits(fields & bit ? vals.first : 0.0))
            << "field " << bit << " of mask " << fields;
      }
      for (size_t len = 0; len < enc.size() - 4; len += 3) {  // truncated: an error either way
        std::string_view cut(enc.data(), len);
        EXPECT_FALSE(DecodeStats(&cut, &d, fields).ok()) << len;
      }
    }
  }
}

}  // namespace
}  // namespace dc
