// Segment writer and reader: round trips, Find, key compression, writer misuse and I/O failures.
#include "storage/segment.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/segment_format.h"
#include "storage/segment_test_util.h"

namespace dc {
namespace {

using namespace segment_test;  // NOLINT(build/namespaces)

namespace fmt = segment_format;
using ::testing::HasSubstr;

// Points of one block: `n` points every `step` ns from `t0`, meter-like values.
std::vector<Sample> MakePoints(int64_t t0, int64_t step, int n, double base) {
  std::vector<Sample> pts;
  for (int i = 0; i < n; ++i) {
    pts.push_back(Sample{t0 + i * step, base + 0.25 * i + (i % 7 == 0 ? 1.5 : 0.0)});
  }
  return pts;
}

void ExpectStatsEq(const BlockStats& a, const BlockStats& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_EQ(a.t_first, b.t_first);
  EXPECT_EQ(a.t_last, b.t_last);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.max, b.max);
  EXPECT_EQ(a.sum, b.sum);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.last, b.last);
}

TEST_F(SegmentTest, RoundTripWithRealBlocks) {
  struct Expected {
    std::string key;
    std::vector<std::vector<Sample>> blocks;
  };
  std::vector<Expected> want;
  std::mt19937 rng(42);
  for (int s = 0; s < 300; ++s) {
    Expected e{Key(s), {}};
    int nblocks = 1 + static_cast<int>(rng() % 4);
    int64_t t = kDayStart + static_cast<int64_t>(rng() % 1000) * kSec;
    for (int b = 0; b < nblocks; ++b) {
      int n = 1 + static_cast<int>(rng() % (s % 2 == 0 ? 300 : 20));
      e.blocks.push_back(MakePoints(t, (s % 2 == 0 ? 1 : 900) * kSec, n, 1000.0 * s));
      t = e.blocks.back().back().t + kSec;
    }
    want.push_back(std::move(e));
  }

  auto w = SegmentWriter::Create(env_, path_, DayMeta(42));
  ASSERT_TRUE(w.ok()) << w.status();
  int64_t points = 0;
  for (const auto& e : want) {
    for (const auto& pts : e.blocks) {
      std::string enc;
      EncodeBlock(pts, &enc);
      ASSERT_TRUE((*w)->AddBlock(e.key, ComputeStats(pts), enc).ok());
      points += static_cast<int64_t>(pts.size());
    }
  }
  EXPECT_FALSE(env_->FileExists(path_)) << "visible before Finish";
  EXPECT_TRUE(env_->FileExists(path_ + ".tmp"));
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_TRUE(env_->FileExists(path_));
  EXPECT_FALSE(env_->FileExists(path_ + ".tmp"));
  uint64_t written = (*w)->bytes_written();

  auto r = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->file_size(), written);
  EXPECT_EQ((*r)->meta().seq, 42u);
  EXPECT_EQ((*r)->meta().partition_start, kDayStart);
  EXPECT_EQ((*r)->meta().partition_end, kDayStart + kDay);
  EXPECT_EQ((*r)->point_count(), points);
  ASSERT_EQ((*r)->series_count(), want.size());
  const std::vector<SeriesBlocks> all = (*r)->ReadAll();
  for (size_t i = 0; i < want.size(); ++i) {
    const SeriesBlocks& sb = all[i];
    ASSERT_EQ(sb.key, want[i].key);
    ASSERT_EQ(sb.blocks.size(), want[i].blocks.size());
    auto found = (*r)->Find(want[i].key);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->key, sb.key);
    ASSERT_EQ(found->blocks.size(), sb.blocks.size());
    EXPECT_EQ(found->blocks.back().offset, sb.blocks.back().offset);
    for (size_t b = 0; b < sb.blocks.size(); ++b) {
      const auto& pts = want[i].blocks[b];
      ExpectStatsEq(sb.blocks[b].stats, ComputeStats(pts));
      auto data = (*r)->BlockData(sb.blocks[b]);
      ASSERT_TRUE(data.ok()) << data.status();
      std::vector<Sample> got;
      ASSERT_TRUE(DecodeBlock(*data, sb.blocks[b].stats.count, &got).ok());
      EXPECT_EQ(got, pts) << sb.key << " block " << b;
    }
  }
  std::printf("segment: %zu series, %lld points, %llu bytes (%.3f bytes/point)\n", want.size(),
              static_cast<long long>(points), static_cast<unsigned long long>(written),
              static_cast<double>(written) / static_cast<double>(points));
}

TEST_F(SegmentTest, FindHitsAndMisses) {
  auto w = SegmentWriter::Create(env_, path_, DayMeta());
  ASSERT_TRUE(w.ok());
  std::vector<std::string> keys = {"a", "ab", "abc", "b", "meter,id=1 v", "meter,id=10 v", "z"};
  for (const auto& k : keys) {
    ASSERT_TRUE((*w)->AddBlock(k, FakeStats(1, kDayStart, kDayStart), k).ok());
  }
  ASSERT_TRUE((*w)->Finish().ok());
  auto r = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& k : keys) {
    auto sb = (*r)->Find(k);
    ASSERT_TRUE(sb.has_value()) << k;
    EXPECT_EQ(sb->key, k);
    auto data = (*r)->BlockData(sb->blocks[0]);
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(*data, k);
  }
  for (std::string_view miss : {"", "0", "aa", "abcd", "c", "meter,id=1", "meter,id=2 v", "zz"}) {
    EXPECT_FALSE((*r)->Find(miss).has_value()) << miss;
  }
}

TEST_F(SegmentTest, EmptySegment) {
  auto w = SegmentWriter::Create(env_, path_, DayMeta(3));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ((*w)->bytes_written(), fmt::kMinFileSize);
  auto r = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->series_count(), 0u);
  EXPECT_EQ((*r)->point_count(), 0);
  EXPECT_EQ((*r)->meta().seq, 3u);
  EXPECT_FALSE((*r)->Find("x").has_value());
}

TEST_F(SegmentTest, KeyCompressionKeepsIndexSmall) {
  auto w = SegmentWriter::Create(env_, path_, DayMeta());
  ASSERT_TRUE(w.ok());
  const int kSeries = 1000;
  size_t key_bytes = 0;
  BlockStats stats = FakeStats(1, kDayStart, kDayStart);
  for (int s = 0; s < kSeries; ++s) {
    key_bytes += Key(s).size();
    ASSERT_TRUE((*w)->AddBlock(Key(s), stats, "x").ok());
  }
  ASSERT_TRUE((*w)->Finish().ok());
  std::string encoded_stats;
  EncodeStats(stats, &encoded_stats);
  uint64_t index_bytes = (*w)->bytes_written() - fmt::kHeaderSize - kSeries - fmt::kFooterSize;
  // Per series: block count (1), length (1), CRC (4), stats; the rest is the key.
  int64_t per_key = (static_cast<int64_t>(index_bytes) - 2 -
                     kSeries * (6 + static_cast<int64_t>(encoded_stats.size()))) /
                    kSeries;
  std::printf("keys: %zu bytes raw, %lld bytes/key in the index\n", key_bytes,
              static_cast<long long>(per_key));
  // Keys are ~56 bytes and differ in a 1-2 digit middle: 3 lengths + the middle.
  EXPECT_LE(per_key, 6);
  auto r = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<SeriesBlocks> all = (*r)->ReadAll();
  for (int s = 0; s < kSeries; ++s) ASSERT_EQ(all[s].key, Key(s));
}

// --- Writer misuse and failures ---

TEST_F(SegmentTest, WriterRejectsMisuseAndStaysUsable) {
  auto w = SegmentWriter::Create(env_, path_, DayMeta());
  ASSERT_TRUE(w.ok());
  BlockStats ok1 = FakeStats(2, kDayStart, kDayStart + 1);
  BlockStats ok2 = FakeStats(2, kDayStart + 5, kDayStart + 6);
  ASSERT_TRUE((*w)->AddBlock("m,id=b v", ok1, "b1").ok());
  absl::Status s = (*w)->AddBlock("m,id=a v", ok1, "a1");
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("out of order"));
  EXPECT_TRUE(absl::IsInvalidArgument((*w)->AddBlock("", ok1, "x")));
  EXPECT_TRUE(absl::IsInvalidArgument((*w)->AddBlock("m,id=c v", ok1, "")));
  EXPECT_TRUE(absl::IsInvalidArgument((*w)->AddBlock("m,id=b v", ok1, "dup")));  // overlaps
  EXPECT_TRUE(
      absl::IsInvalidArgument((*w)->AddBlock("m,id=c v", FakeStats(0, kDayStart, kDayStart), "x")));
  EXPECT_TRUE(absl::IsInvalidArgument(
      (*w)->AddBlock("m,id=c v", FakeStats(1, kDayStart + kDay, kDayStart + kDay), "x")));
  EXPECT_TRUE(absl::IsInvalidArgument(
      (*w)->AddBlock("m,id=c v", FakeStats(1, kDayStart - 1, kDayStart - 1), "x")));
  ASSERT_TRUE((*w)->AddBlock("m,id=b v", ok2, "b2").ok());
  ASSERT_TRUE((*w)->AddBlock("m,id=c v", ok1, "c1").ok());
  s = (*w)->AddBlock("m,id=b v", FakeStats(1, kDayStart + 9, kDayStart + 9), "b3");
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << "a series may not come back";
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition((*w)->AddBlock("m,id=d v", ok1, "d")));
  EXPECT_TRUE(absl::IsFailedPrecondition((*w)->Finish()));

  auto r = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)->series_count(), 2u);
  EXPECT_EQ((*r)->ReadAll()[0].blocks.size(), 2u);
  EXPECT_EQ((*r)->point_count(), 6);

  EXPECT_TRUE(absl::IsInvalidArgument(
      SegmentWriter::Create(env_, dir_ + "/x.seg", SegmentMeta{1, 10, 10}).status()));
}

TEST_F(SegmentTest, LastPartitionIncludesInt64Max) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  SegmentMeta meta{1, kMax - kDay, kMax};
  auto w = SegmentWriter::Create(env_, path_, meta);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddBlock("a", FakeStats(2, kMax - 1, kMax), "x").ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto r = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->ReadAll()[0].blocks[0].stats.t_last, kMax);
}

TEST_F(SegmentTest, AbandonAndDestructorRemoveTempFile) {
  {
    auto w = SegmentWriter::Create(env_, path_, DayMeta());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddBlock("a", FakeStats(1, kDayStart, kDayStart), "x").ok());
    EXPECT_TRUE(env_->FileExists(path_ + ".tmp"));
    (*w)->Abandon();
    EXPECT_FALSE(env_->FileExists(path_ + ".tmp"));
    EXPECT_TRUE(absl::IsFailedPrecondition((*w)->Finish()));
  }
  {
    auto w = SegmentWriter::Create(env_, path_, DayMeta());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->AddBlock("a", FakeStats(1, kDayStart, kDayStart), "x").ok());
  }
  EXPECT_FALSE(env_->FileExists(path_ + ".tmp"));
  EXPECT_FALSE(env_->FileExists(path_));
}

TEST_F(SegmentTest, SyncFailureLeavesNoFile) {
  FaultInjectionEnv fenv(env_);
  auto w = SegmentWriter::Create(&fenv, path_, DayMeta());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddBlock("a", FakeStats(1, kDayStart, kDayStart), "x").ok());
  fenv.SetSyncFails(true);
  absl::Status s = (*w)->Finish();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(path_));
  EXPECT_FALSE(env_->FileExists(path_)) << "renamed before a successful sync";
  EXPECT_FALSE(env_->FileExists(path_ + ".tmp"));
  EXPECT_EQ((*w)->Finish(), s) << "the error sticks";
}

TEST_F(SegmentTest, RenameFailureLeavesNoFile) {
  FaultInjectionEnv fenv(env_);
  auto w = SegmentWriter::Create(&fenv, path_, DayMeta());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddBlock("a", FakeStats(1, kDayStart, kDayStart), "x").ok());
  fenv.SetOpenFails(true);  // also makes RenameFile fail
  EXPECT_FALSE((*w)->Finish().ok());
  EXPECT_FALSE(env_->FileExists(path_));
  EXPECT_FALSE(env_->FileExists(path_ + ".tmp"));
}

// Disk full at every possible byte: an error from Create, AddBlock or Finish, and no file.
TEST_F(SegmentTest, DiskFullAtEveryPointLeavesNoFile) {
  WriteSmall(env_, path_);
  const uint64_t full_size = ReadAll(path_).size();
  ASSERT_TRUE(env_->RemoveFile(path_).ok());
  FaultInjectionEnv fenv(env_);
  for (uint64_t budget = 0; budget < full_size; ++budget) {
    fenv.SetWriteBudget(static_cast<int64_t>(budget));
    absl::Status s;
    auto w = SegmentWriter::Create(&fenv, path_, DayMeta());
    if (!w.ok()) {
      s = w.status();
    } else {
      for (int i = 0; i < 3 && s.ok(); ++i) {
        for (int b = 0; b < 2 && s.ok(); ++b) {
          int64_t t0 = kDayStart + b * 3600 * kSec;
          std::string payload = absl::StrCat("payload-", i, "-", b, std::string(5 + i + b, 'x'));
          s = (*w)->AddBlock(Key(i), FakeStats(10, t0, t0 + 9 * kSec), payload);
        }
      }
      if (s.ok()) s = (*w)->Finish();
    }
    EXPECT_TRUE(absl::IsResourceExhausted(s)) << "budget " << budget << ": " << s;
    EXPECT_FALSE(env_->FileExists(path_)) << budget;
    EXPECT_FALSE(env_->FileExists(path_ + ".tmp")) << budget;
  }
  fenv.SetWriteBudget(static_cast<int64_t>(full_size));
  WriteSmall(&fenv, path_);
  EXPECT_TRUE(SegmentReader::Open(env_, path_).ok());
}

// What the segment layer itself adds per point on real 15-minute plant data (UCI steel
// industry, 7 series, one segment per day, one block per series and day, as the engine cuts
// them): the index minus the block stats, plus header and footer.
TEST_F(SegmentTest, OverheadOnQuarterHourPlantData) {
  std::ifstream in(std::string(DC_SOURCE_DIR) +
                   "/datasets/uci-steel-industry/Steel_industry_data.csv");
  ASSERT_TRUE(in.good());
  std::string line;
  std::getline(in, line);  // header
  std::map<int64_t, std::map<std::string, std::vector<Sample>>> days;
  int64_t points = 0;
  while (std::getline(in, line)) {
    int d, m, y, hh, mm;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d/%d/%d %d:%d", &d, &m, &y, &hh, &mm), 5) << line;
    absl::CivilMinute cm(y, m, d, hh, mm);
    if (hh == 0 && mm == 0) cm += 24 * 60;  // "00:00" closes the day it is dated with
    int64_t t = absl::ToUnixNanos(absl::FromCivil(cm, absl::UTCTimeZone()));
    std::vector<std::string> f = absl::StrSplit(line, ',');
    ASSERT_GE(f.size(), 7u);
    for (int c = 1; c <= 6; ++c) {
      days[t - (t % kDay)][absl::StrCat("uci,col=c", c, " value")].push_back(
          Sample{t, std::strtod(f[c].c_str(), nullptr)});
      ++points;
    }
  }
  uint64_t total = 0, block_bytes = 0, stats_bytes = 0;
  for (const auto& [day, series] : days) {
    auto w = SegmentWriter::Create(env_, path_, SegmentMeta{1, day, day + kDay});
    ASSERT_TRUE(w.ok());
    for (const auto& [key, pts] : series) {
      std::string enc;
      EncodeBlock(pts, &enc);
      BlockStats st = ComputeStats(pts);
      std::string stats;
      EncodeStats(st, &stats);
      stats_bytes += stats.size();
      absl::Status s = (*w)->AddBlock(key, st, enc);
      ASSERT_TRUE(s.ok()) << s;
      block_bytes += enc.size();
    }
    ASSERT_TRUE((*w)->Finish().ok());
    total += (*w)->bytes_written();
  }
  double own = static_cast<double>(total - block_bytes - stats_bytes) / static_cast<double>(points);
  std::printf(
      "UCI 15-min: %lld points, %zu segments: %.3f B/point in all; blocks %.3f, stats %.3f, "
      "segment layer (keys, lengths, CRCs, header, footer) %.3f\n",
      static_cast<long long>(points), days.size(),
      static_cast<double>(total) / static_cast<double>(points),
      static_cast<double>(block_bytes) / static_cast<double>(points),
      static_cast<double>(stats_bytes) / static_cast<double>(points), own);
  EXPECT_LT(own, 0.35);
}

// Regenerates the fuzz seed corpus (src/storage/fuzz/segment/) when the block or segment
// format changes: DC_WRITE_SEGMENT_SEEDS=src/storage/fuzz/segment bin/storage_segment_test
TEST_F(SegmentTest, WriteFuzzSeeds) {
  const char* out = std::getenv("DC_WRITE_SEGMENT_SEEDS");
  if (out == nullptr) GTEST_SKIP() << "set DC_WRITE_SEGMENT_SEEDS=<dir> to write the seeds";
  struct Seed {
    std::string name;
    std::vector<std::pair<std::string, std::vector<std::vector<Sample>>>> series;
  };
  std::vector<Seed> seeds = {
      {"empty.seg", {}},
      {"quarter_hour.seg",
       {{"meter,id=grid-in,site=a energy_kwh", {MakePoints(kDayStart, 900 * kSec, 96, 1200.5)}},
        {"meter,id=kiln-1,site=a energy_kwh",
         {MakePoints(kDayStart, 900 * kSec, 48, 80.25),
          MakePoints(kDayStart + 12 * 3600 * kSec, 900 * kSec, 48, 95.75)}}}},
      {"one_hertz.seg",
       {{"cems,id=stack-1,site=a so2_mg_m3", {MakePoints(kDayStart, kSec, 60, 12.5)}},
        {"cems,id=stack-2,site=a so2_mg_m3", {MakePoints(kDayStart + kSec, kSec, 30, 7.0)}},
        {"gauge,id=p1,site=b kw", {MakePoints(kDayStart, kSec, 1, 415.0)}}}},
  };
  for (const Seed& seed : seeds) {
    std::string path = absl::StrCat(out, "/", seed.name);
    auto w = SegmentWriter::Create(env_, path, DayMeta(1));
    ASSERT_TRUE(w.ok()) << w.status();
    for (const auto& [key, blocks] : seed.series) {
      for (const auto& pts : blocks) {
        std::string enc;
        EncodeBlock(pts, &enc);
        ASSERT_TRUE((*w)->AddBlock(key, ComputeStats(pts), enc).ok());
      }
    }
    ASSERT_TRUE((*w)->Finish().ok());
    ASSERT_TRUE(SegmentReader::Open(env_, path).ok());
  }
}

}  // namespace
}  // namespace dc
