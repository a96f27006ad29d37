#include "storage/block.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/env.h"
#include "storage/block_test_util.h"
#include "storage/segment.h"

namespace dc {
namespace {

using namespace block_test;  // NOLINT(build/namespaces)

using ::testing::HasSubstr;

const bool kSanitized = std::getenv("DC_SANITIZED") != nullptr;

// Encodes, decodes and checks every field bit for bit; returns the encoded block.
std::string RoundTrip(const std::vector<Sample>& pts) {
  std::string enc = "prefix";  // EncodeBlock appends
  EncodeBlock(pts, &enc);
  EXPECT_EQ(enc.substr(0, 6), "prefix");
  enc.erase(0, 6);
  std::vector<Sample> out = {Sample{1, 2}};  // DecodeBlock appends
  absl::Status st = DecodeBlock(enc, static_cast<int64_t>(pts.size()), &out);
  EXPECT_TRUE(st.ok()) << st;
  if (!st.ok()) return enc;
  EXPECT_EQ(out.size(), pts.size() + 1);
  for (size_t i = 0; i < pts.size() && i + 1 < out.size(); ++i) {
    const Sample& a = pts[i];
    const Sample& b = out[i + 1];
    if (a.t != b.t || Bits(a.v) != Bits(b.v) || a.q != b.q) {
      ADD_FAILURE() << "point " << i << " of " << pts.size() << ": t " << a.t << " vs " << b.t
                    << ", v bits " << std::hex << Bits(a.v) << " vs " << Bits(b.v) << std::dec
                    << ", q " << int(a.q) << " vs " << int(b.q);
      break;
    }
  }
  return enc;
}

int Codec(const std::string& block) { return static_cast<uint8_t>(block[0]) & 3; }

// ---- Values ------------------------------------------------------------------------------

TEST(BlockTest, SizesOneToManyRandomDoubles) {
  std::mt19937_64 rng(1);
  for (size_t n : {1, 2, 3, 4, 31, 32, 33, 34, 63, 64, 65, 100, 1000, 8192, 10000}) {
    std::vector<double> v(n);
    for (auto& x : v) x = FromBits(rng());  // any bit pattern, incl. NaNs and denormals
    std::string b = RoundTrip(Series(v));
    if (n > 4) {
      EXPECT_EQ(Codec(b), 1) << n;
    }
  }
}

TEST(BlockTest, AdversarialValues) {
  const std::vector<double> special = {
      0.0,
      -0.0,
      kInf,
      -kInf,
      std::numeric_limits<double>::quiet_NaN(),
      -std::numeric_limits<double>::quiet_NaN(),
      FromBits(0x7FF0000000000001ull),  // signalling NaN, payload 1
      FromBits(0x7FF8DEADBEEF0001ull),  // quiet NaN with payload
      FromBits(0xFFFFFFFFFFFFFFFFull),
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      FromBits(0x000FFFFFFFFFFFFFull),  // largest denormal
      DBL_MIN,
      DBL_MAX,
      -DBL_MAX,
      1e300,
      -1e-300,
      9.2e18,
      -9.3e18,
      4.0e18,
      9007199254740993.0,
      0.1,
      1.5,
      -2.25,
  };
  // Each special value alone, and mixed into a decimal series at every position class.
  for (double x : special) {
    RoundTrip(Series({x}));
    RoundTrip(Series({x, x, x}));
    for (size_t pos : {0, 1, 31, 32, 99}) {
      std::vector<double> v(100);
      for (size_t i = 0; i < v.size(); ++i) v[i] = 100.25 + 0.5 * static_cast<double>(i % 7);
      v[pos] = x;
      RoundTrip(Series(v));
    }
  }
  RoundTrip(Series(special));
  std::mt19937_64 rng(2);
  std::vector<double> shuffled;
  for (int i = 0; i < 40; ++i) shuffled.insert(shuffled.end(), special.begin(), special.end());
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  RoundTrip(Series(shuffled));
}

TEST(BlockTest, SpecialValuesInDecimalSeriesAreExceptions) {
  std::string b = RoundTrip(Series({1.5, 0.0, 2.5}));
  EXPECT_EQ(Codec(b), 0);
  RoundTrip(Series({1.5, -0.0, 2.5}));
  // A meter series with gaps (NaN), a "-0.00" reading and an overflow (inf) stays decimal
  // and pays only for the exceptions.
  std::mt19937_64 rng(17);
  auto v = RandomWalk(rng, 3600, 2, 500, 0.3);
  std::string clean = RoundTrip(Series(v));
  const double nan = std::nan("");
  v[0] = nan;
  v[1] = -0.0;
  v[500] = kInf;
  v[501] = FromBits(0x7FF4000000000123ull);
  v[3599] = -kInf;
  b = RoundTrip(Series(v));
  EXPECT_EQ(Codec(b), 0);
  EXPECT_LE(b.size(), clean.size() + 5 * 10 + 8);
  // Exceptions everywhere but one value; all exceptions (Gorilla); every other one.
  RoundTrip(Series({nan, nan, 1.5, nan}));
  RoundTrip(Series({-0.0, 3.25}));
  EXPECT_EQ(Codec(RoundTrip(Series(std::vector<double>(100, nan)))), 1);
  for (size_t i = 0; i < v.size(); i += 2) v[i] = nan;
  RoundTrip(Series(v));
}

TEST(BlockTest, DecimalSeriesAreDecimalCodedAndSmall) {
  std::mt19937_64 rng(3);
  for (int decimals = 0; decimals <= 6; ++decimals) {
    for (size_t n : {1, 2, 3, 50, 3600}) {
      auto v = RandomWalk(rng, n, decimals, 1234.0, 0.5);
      std::string b = RoundTrip(Series(v));
      if (n >= 50) {
        EXPECT_EQ(Codec(b), 0) << decimals;
      }
      if (n == 3600) {
        EXPECT_LT(b.size(), n * 3) << decimals;
      }
    }
  }
  // Mixed numbers of decimals in one block, negative values, large magnitudes.
  RoundTrip(Series({1, 2.5, -3.25, 4.125, 1e-10, -7e12, 123456.789012}));
  RoundTrip(Series({1e15, 2e15, -3e15}));
  // Large integers well inside int64 are decimal with e = 0.
  std::vector<double> big;
  for (int i = 0; i < 100; ++i) big.push_back(1e15 + i * 1000);
  EXPECT_EQ(Codec(RoundTrip(Series(big))), 0);
}

TEST(BlockTest, ConstantSeriesCostsAlmostNothing) {
  for (double c : {0.0, 42.0, 3.14, -1e-5}) {
    std::string b = RoundTrip(Series(std::vector<double>(3600, c)));
    EXPECT_LT(b.size(), 150u) << c;
  }
  std::string nan = RoundTrip(Series(std::vector<double>(3600, std::nan(""))));
  EXPECT_LT(nan.size(), 3600 / 8 + 40);
}

TEST(BlockTest, CountersWithResets) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int> inc(100, 160);
  std::vector<double> v;
  int64_t reg = 99'990'000;  // near a rollover, 3 decimals
  for (int i = 0; i < 8192; ++i) {
    reg += inc(rng);
    if (i == 1000 || i == 5000) reg = 0;  // meter replaced
    if (reg > 99'999'999) reg -= 100'000'000;
    v.push_back(static_cast<double>(reg) / 1000.0);
  }
  std::string b = RoundTrip(Series(v));
  EXPECT_EQ(Codec(b), 0);
  EXPECT_LT(static_cast<double>(b.size()) / v.size(), 1.2);
}

TEST(BlockTest, DecimalBeatsGorillaOnMeterData) {
  std::mt19937_64 rng(5);
  auto v = RandomWalk(rng, 3600, 2, 500.0, 0.3);
  std::string b = RoundTrip(Series(v));
  std::string g;
  EncodeGorillaValues(v, &g);
  EXPECT_LT(b.size(), g.size());
}

TEST(BlockTest, EveryGroupSizeIsUsedAndRoundTrips) {
  std::mt19937_64 rng(16);
  std::set<int> codes;
  for (int trial = 0; trial < 60; ++trial) {
    size_t n = 50 + rng() % 4000;
    std::vector<double> v;
    if (trial % 3 == 0) {
      // Load steps: spread changes every few points (favours small groups).
      double level = 100;
      for (size_t i = 0; i < n; ++i) {
        if (i % 20 == 0) level = static_cast<double>(rng() % 100000);
        v.push_back(std::round(level + static_cast<double>(rng() % 3)) / 100);
      }
    } else {
      v = RandomWalk(rng, n, 1 + trial % 3, 100, 0.01 + 0.1 * (trial % 4));
    }
    std::string b = RoundTrip(Series(v));
    codes.insert((static_cast<uint8_t>(b[0]) >> 4) & 3);
  }
  EXPECT_EQ(codes, (std::set<int>{0, 1, 2}));
  // Code 3 is invalid.
  std::string b;
  EncodeBlock(Series({1, 2, 3}), &b);
  b[0] = static_cast<char>(b[0] | 0x30);
  std::vector<Sample> out;
  absl::Status st = DecodeBlock(b, 3, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(st.message()), HasSubstr("group size"));
}

TEST(BlockTest, ManyBlocksAppendedToOneString) {
  // As a segment writer does: blocks back to back, each decoded from its own slice.
  std::mt19937_64 rng(14);
  std::string all;
  std::vector<std::pair<size_t, size_t>> slices;
  std::vector<std::vector<Sample>> blocks;
  for (int b = 0; b < 300; ++b) {
    blocks.push_back(Series(RandomWalk(rng, 1 + rng() % 300, b % 4, 50, 1)));
    size_t begin = all.size();
    EncodeBlock(blocks.back(), &all);
    slices.emplace_back(begin, all.size() - begin);
  }
  for (size_t b = 0; b < blocks.size(); ++b) {
    std::vector<Sample> out;
    ASSERT_TRUE(DecodeBlock(std::string_view(all).substr(slices[b].first, slices[b].second),
                            static_cast<int64_t>(blocks[b].size()), &out)
                    .ok());
    EXPECT_EQ(out, blocks[b]);
  }
}

TEST(BlockTest, ConcurrentEncodersDoNotShareScratch) {
  std::mt19937_64 rng(15);
  auto a = Series(RandomWalk(rng, 5000, 2, 10, 1));
  auto b = Series(RandomWalk(rng, 7000, 3, -10, 2));
  std::string ea, eb;
  EncodeBlock(a, &ea);
  EncodeBlock(b, &eb);
  auto work = [](const std::vector<Sample>* pts, const std::string* expect, bool* ok) {
    for (int i = 0; i < 50; ++i) {
      std::string e;
      EncodeBlock(*pts, &e);
      if (e != *expect) *ok = false;
    }
  };
  bool ok_a = true, ok_b = true;
  std::thread ta(work, &a, &ea, &ok_a), tb(work, &b, &eb, &ok_b);
  ta.join();
  tb.join();
  EXPECT_TRUE(ok_a);
  EXPECT_TRUE(ok_b);
}

// ---- Timestamps --------------------------------------------------------------------------

TEST(BlockTest, ExtremeTimestamps) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<std::vector<int64_t>> cases = {
      {kMin},
      {kMax},
      {0},
      {-1},
      {kMin, kMax},
      {kMin, kMin + 1, kMax},
      {kMin + 1, kMax - 1, kMax},
      {kMin, 0, kMax},
      {kMin, kMin + 1, kMin + 2, kMax - 2, kMax - 1, kMax},
      {-5, -4, 1'000'000'000'000'000'000, kMax},
      {kMax - 10, kMax - 9, kMax - 8, kMax - 7},
      {kMin, kMin + 10, kMin + 20, kMin + 30, kMin + 40},
  };
  for (const auto& ts : cases) {
    std::vector<Sample> pts;
    for (int64_t t : ts) pts.push_back({t, 1.0});
    RoundTrip(pts);
  }
}

TEST(BlockTest, IrregularAndJitteredTimestamps) {
  std::mt19937_64 rng(6);
  for (int trial = 0; trial < 50; ++trial) {
    size_t n = 1 + rng() % 3000;
    std::vector<Sample> pts(n);
    int64_t t = static_cast<int64_t>(rng() >> 2) - (int64_t{1} << 61);
    int mode = trial % 5;
    for (size_t i = 0; i < n; ++i) {
      pts[i] = {t, static_cast<double>(i)};
      uint64_t step;
      switch (mode) {
        case 0:
          step = 1 + rng() % 1000;
          break;  // ns jitter
        case 1:
          step = 1'000'000'000 + (rng() % 21) * 1'000'000;
          break;  // ms jitter
        case 2:
          step = 1 + (rng() >> (rng() % 64)) / 8;
          break;  // any scale
        case 3:
          step = (i % 100 == 99) ? 3'600'000'000'000 : 1'000'000'000;
          break;  // gaps
        default:
          step = 900'000'000'000;
          break;  // regular 15 min
      }
      if (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - static_cast<uint64_t>(t) <
          step) {
        pts.resize(i + 1);
        break;
      }
      t += static_cast<int64_t>(step);
    }
    RoundTrip(pts);
  }
}

TEST(BlockTest, RegularTimestampsCostNothingPerPoint) {
  std::vector<double> v(8192, 5.0);
  std::string small = RoundTrip(Series(std::vector<double>(120, 5.0)));
  std::string big = RoundTrip(Series(v));
  // Only the value stream grows (one byte per 32 points).
  EXPECT_LE(big.size() - small.size(), (8192 - 120) / 32 + 2);
}

TEST(BlockTest, QualityPatterns) {
  std::mt19937_64 rng(7);
  const size_t n = 500;
  auto v = RandomWalk(rng, n, 2, 10, 1);
  std::vector<std::function<Quality(size_t)>> patterns = {
      [](size_t) { return Quality::kGood; },
      [](size_t) { return Quality::kBad; },
      [](size_t) { return Quality::kUncertain; },
      [](size_t i) { return static_cast<Quality>(i % 3); },
      [](size_t i) { return i == n - 1 ? Quality::kBad : Quality::kGood; },
      [](size_t i) { return i == 0 ? Quality::kUncertain : Quality::kGood; },
      [](size_t i) { return i / 100 % 2 ? Quality::kBad : Quality::kGood; },
      [&](size_t) { return static_cast<Quality>(rng() % 3); },
  };
  size_t all_good_size = 0;
  for (size_t p = 0; p < patterns.size(); ++p) {
    auto pts = Series(v);
    for (size_t i = 0; i < n; ++i) pts[i].q = patterns[p](i);
    std::string b = RoundTrip(pts);
    if (p == 0) all_good_size = b.size();
    if (p == 1) {
      EXPECT_EQ(b.size(), all_good_size + 2);
    }  // one run varint
  }
  RoundTrip({Sample{5, 1.0, Quality::kBad}});
}

// ---- Corruption --------------------------------------------------------------------------

std::vector<std::vector<Sample>> SampleBlocks() {
  std::mt19937_64 rng(11);
  std::vector<std::vector<Sample>> blocks;
  blocks.push_back(Series(RandomWalk(rng, 200, 2, 100, 1)));  // decimal, regular
  auto g = Series(std::vector<double>(70));
  for (auto& p : g) p.v = FromBits(rng());
  g[5].q = Quality::kBad;
  blocks.push_back(g);  // gorilla + quality
  auto irr = Series(RandomWalk(rng, 150, 3, 7, 0.1));
  for (size_t i = 1; i < irr.size(); ++i) irr[i].t = irr[i - 1].t + 1 + rng() % 100000;
  irr[100].q = Quality::kUncertain;
  blocks.push_back(irr);  // decimal, irregular, quality
  blocks.push_back(Series({42.0}));
  blocks.push_back({{std::numeric_limits<int64_t>::min(), -0.0},
                    {std::numeric_limits<int64_t>::max(), 1.0, Quality::kBad}});
  auto exc = Series(RandomWalk(rng, 120, 1, 20, 1));  // decimal with exceptions
  exc[0].v = std::nan("");
  exc[77].v = -0.0;
  exc[119].v = kInf;
  blocks.push_back(exc);
  return blocks;
}

TEST(BlockCorruptionTest, EveryTruncationIsAnError) {
  for (const auto& pts : SampleBlocks()) {
    std::string enc;
    EncodeBlock(pts, &enc);
    for (size_t len = 0; len < enc.size(); ++len) {
      std::vector<Sample> out(3);
      // Copy so that ASan catches a read past the truncated end.
      std::string cut = enc.substr(0, len);
      absl::Status st = DecodeBlock(cut, static_cast<int64_t>(pts.size()), &out);
      EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << "len " << len << " of " << enc.size();
      EXPECT_EQ(out.size(), 3u);
    }
    // Trailing garbage.
    std::vector<Sample> out;
    EXPECT_FALSE(DecodeBlock(enc + "x", static_cast<int64_t>(pts.size()), &out).ok());
  }
}

TEST(BlockCorruptionTest, WrongCounts) {
  std::string enc;
  EncodeBlock(SampleBlocks()[0], &enc);
  std::vector<Sample> out;
  for (int64_t c : {int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max(), int64_t{1} << 40}) {
    absl::Status st = DecodeBlock(enc, c, &out);
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << c;
    EXPECT_THAT(std::string(st.message()), HasSubstr("count"));
  }
  for (int64_t c = 1; c < 400; ++c) {
    if (c == 200) continue;
    EXPECT_FALSE(DecodeBlock(enc, c, &out).ok()) << c;  // must not crash; errors here
  }
  EXPECT_TRUE(out.empty());
}

TEST(BlockCorruptionTest, RandomByteFlipsNeverCrash) {
  std::mt19937_64 rng(12);
  const int trials = kSanitized ? 300 : 3000;
  int decoded = 0;
  for (const auto& pts : SampleBlocks()) {
    std::string enc;
    EncodeBlock(pts, &enc);
    for (int trial = 0; trial < trials; ++trial) {
      std::string bad = enc;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
      std::vector<Sample> out;
      absl::Status st = DecodeBlock(bad, static_cast<int64_t>(pts.size()), &out);
      if (!st.ok()) {
        EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
        EXPECT_TRUE(out.empty());
        continue;
      }
      ++decoded;
      // Whatever decodes is a valid block: it re-encodes and round-trips.
      ASSERT_EQ(out.size(), pts.size());
      RoundTrip(out);
      // Stats decoding of the same bytes must not crash either.
      std::string_view in(bad);
      BlockStats s;
      (void)DecodeStats(&in, &s);
    }
  }
  EXPECT_GT(decoded, 0);  // flips inside value bits decode to other values
}

// ---- Plain Gorilla -----------------------------------------------------------------------

TEST(GorillaTest, KnownSizes) {
  std::string out;
  EXPECT_EQ(EncodeGorillaValues(std::vector<double>(100, 12.5), &out), 64u + 99u);
  EXPECT_EQ(out.size(), (64u + 99u + 7) / 8);
  out.clear();
  // 12.0 ^ 24.0 = 0x0010000000000000: 11 leading zeros, 52 trailing, 1 meaningful bit.
  EXPECT_EQ(EncodeGorillaValues(std::vector<double>{12.0, 24.0}, &out), 64u + 2 + 5 + 6 + 1);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x40);  // 12.0 = 0x4028000000000000, MSB first
  EXPECT_EQ(static_cast<uint8_t>(out[1]), 0x28);
  out.clear();
  // Reused window: 12, 24, 12: the second XOR fits the first window ('10' + 1 bit).
  EXPECT_EQ(EncodeGorillaValues(std::vector<double>{12.0, 24.0, 12.0}, &out), 64u + 14 + 2 + 1);
  EXPECT_EQ(EncodeGorillaValues({}, &out), 0u);
}

TEST(GorillaTest, BlockGorillaSectionMatchesPlainGorilla) {
  std::mt19937_64 rng(13);
  std::vector<double> v(100);
  for (auto& x : v) x = FromBits(rng());
  std::string block, plain;
  EncodeBlock(Series(v), &block);
  EncodeGorillaValues(v, &plain);
  ASSERT_EQ(Codec(block), 1);
  EXPECT_EQ(block.substr(block.size() - plain.size()), plain);
}

// ---- Fuzz seeds --------------------------------------------------------------------------
// The fuzz target reads a 2-byte little-endian count - 1, then the block bytes.
std::string FuzzInput(const std::vector<Sample>& pts) {
  std::string in;
  uint16_t c = static_cast<uint16_t>(pts.size() - 1);
  in.push_back(static_cast<char>(c & 0xFF));
  in.push_back(static_cast<char>(c >> 8));
  EncodeBlock(pts, &in);
  return in;
}

TEST(BlockFuzzSeedsTest, CommittedSeedsDecode) {
  // DC_BLOCK_WRITE_SEEDS=<dir> rewrites the seed corpus from SampleBlocks().
  if (const char* dir = std::getenv("DC_BLOCK_WRITE_SEEDS")) {
    auto blocks = SampleBlocks();
    for (size_t i = 0; i < blocks.size(); ++i) {
      std::ofstream f(std::string(dir) + "/seed" + std::to_string(i), std::ios::binary);
      f << FuzzInput(blocks[i]);
    }
  }
  std::filesystem::path dir = std::filesystem::path(DC_SOURCE_DIR) / "src/storage/fuzz/block";
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    std::string in((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_GE(in.size(), 2u);
    int64_t count = 1 + (static_cast<uint8_t>(in[0]) | (static_cast<uint8_t>(in[1]) << 8));
    std::vector<Sample> out;
    EXPECT_TRUE(DecodeBlock(std::string_view(in).substr(2), count, &out).ok()) << e.path();
    ++seen;
  }
  EXPECT_GE(seen, 5);
}

// The committed segment seeds (src/storage/fuzz/segment/, regenerated with the current block
// format) open, every block decodes, and each block's stored stats — including the
// nondecreasing flag — equal the stats recomputed from its points. (Stats written before the
// flag existed decode with it clear: see the raw-mask test above.)
TEST(BlockFuzzSeedsTest, CommittedSegmentSeedsOpen) {
  std::filesystem::path dir = std::filesystem::path(DC_SOURCE_DIR) / "src/storage/fuzz/segment";
  int seen = 0, blocks = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto r = SegmentReader::Open(Env::Default(), e.path().string());
    ASSERT_TRUE(r.ok()) << e.path() << ": " << r.status();
    for (const auto& sb : (*r)->ReadAll()) {
      for (const auto& ref : sb.blocks) {
        auto data = (*r)->BlockData(ref);
        ASSERT_TRUE(data.ok()) << e.path();
        std::vector<Sample> pts;
        ASSERT_TRUE(DecodeBlock(*data, ref.stats.count, &pts).ok()) << e.path();
        ExpectStatsBitsEqual(ComputeStats(pts), ref.stats);
        ++blocks;
      }
    }
    ++seen;
  }
  EXPECT_GE(seen, 3);
  EXPECT_GE(blocks, 5);
}

}  // namespace
}  // namespace dc
