// Background (size-tiered) compaction: a store written by slow trickle keeps a bounded number
// of files per partition, every aggregate stays equal to the naive reference through the
// merges, an ended partition ends as one file once ingest is quiet, and background merges keep
// to their bytes/s budget.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "storage/engine.h"
#include "storage/engine_test_model.h"
#include "storage/store.h"

namespace dc {
namespace {

namespace fs = std::filesystem;
using namespace test_model;  // NOLINT: the reference model's helpers

std::string TempDir(const std::string& name) {
  std::string d =
      (fs::temp_directory_path() / ("dc_compact_" + name + "_" + std::to_string(getpid())))
          .string();
  fs::remove_all(d);
  return d;
}

// A test store: no fsync, the background thread only if asked for.
StoreOptions TestOptions(const std::string& dir, bool background) {
  StoreOptions o;
  o.dir = dir;
  o.fsync.mode = FsyncPolicy::Mode::kOff;
  o.background = background;
  return o;
}

// Segment files per partition, from the file names (partition-fileno.dcs).
std::map<std::string, int> FilesPerPartition(const std::string& dir) {
  std::map<std::string, int> out;
  for (const auto& e : fs::directory_iterator(dir + "/segments")) {
    if (e.path().extension() != ".dcs") continue;
    ++out[e.path().filename().string().substr(0, 16)];
  }
  return out;
}

int MaxFiles(const std::map<std::string, int>& m) {
  int n = 0;
  for (const auto& [p, c] : m) n = std::max(n, c);
  return n;
}

class Trickle : public ::testing::TestWithParam<int64_t> {};

// 1 point per series per minute, a flush every 15 minutes (the head's age limit), the
// background's compaction steps run between flushes.
TEST_P(Trickle, FilesPerPartitionStayBoundedAndAggregatesExact) {
  const int64_t width = GetParam();
  std::string dir = TempDir("trickle" + std::to_string(width / kNanosPerDay));
  StoreOptions o = TestOptions(dir, false);
  o.partition_ns = width;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  auto* engine = dynamic_cast<engine_internal::Engine*>(store->get());
  ASSERT_NE(engine, nullptr);
  std::mt19937_64 rng(11);
  Model m;
  const int64_t base = 1735689600LL * kNanosPerSecond;  // 2025-01-01T00:00Z
  const int kSeries = 20, kMinutes = 3 * 1440, kFlushEvery = 15;
  int flushes = 0, max_files = 0;
  for (int minute = 0; minute < kMinutes; ++minute) {
    PointBatch b;
    for (int s = 0; s < kSeries; ++s) {
      std::string key = "meter,id=m" + std::to_string(s) + " kwh";
      int64_t t = base + minute * kNanosPerMinute;
      // Now and then a late rewrite of an earlier minute: last write wins across files.
      if (rng() % 50 == 0) t -= static_cast<int64_t>(rng() % 600) * kNanosPerMinute;
      double v = static_cast<double>(rng() % 100000) / 100.0;
      b.Add(key, t, v);
      m[key][t] = v;
    }
    ASSERT_TRUE((*store)->Write(b).ok());
    if ((minute + 1) % kFlushEvery != 0) continue;
    ASSERT_TRUE((*store)->Flush().ok());
    ++flushes;
    for (int step = 0;; ++step) {
      auto merged = engine->CompactStep(false);
      ASSERT_TRUE(merged.ok()) << merged.status();
      if (!*merged) break;
      ASSERT_LT(step, 64);
    }
    max_files = std::max(max_files, MaxFiles(FilesPerPartition(dir)));
    if (flushes % 50 == 0) CheckAgainstModel(store->get(), m, rng, 10);
  }
  // Files grow geometrically (each older one > kTierRatio x all newer ones together), so a
  // partition of F flushes holds at most log3(F) + 2 files.
  const int flushes_per_partition =
      static_cast<int>(std::min<int64_t>(flushes, width / (kFlushEvery * kNanosPerMinute)));
  const int bound = static_cast<int>(std::log(flushes_per_partition) / std::log(3.0)) + 2;
  EXPECT_LE(max_files, bound) << flushes << " flushes";
  std::printf("trickle, partition %lld d: %d flushes, at most %d files per partition (bound %d)\n",
              static_cast<long long>(width / kNanosPerDay), flushes, max_files, bound);
  CheckAgainstModel(store->get(), m, rng, 60);
  // Quiet: partitions that have ended (2025 is past) become one file each.
  for (int step = 0;; ++step) {
    auto merged = engine->CompactStep(true);
    ASSERT_TRUE(merged.ok()) << merged.status();
    if (!*merged) break;
    ASSERT_LT(step, 64);
  }
  EXPECT_EQ(MaxFiles(FilesPerPartition(dir)), 1);
  CheckAgainstModel(store->get(), m, rng, 60);
  store->reset();
  store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  CheckAgainstModel(store->get(), m, rng, 60);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

// Random late writes and duplicates over ~100 days of 30-day partitions, series present in some
// files only, tiered merges between flushes, then retention: every aggregate equals the model.
TEST(Compaction, TieredMergesAndRetentionKeepAggregatesExact) {
  std::string dir = TempDir("retention");
  StoreOptions o = TestOptions(dir, false);
  o.block_zone = "UTC";  // partitions at multiples of 30 days from the epoch
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  auto* engine = dynamic_cast<engine_internal::Engine*>(store->get());
  ASSERT_NE(engine, nullptr);
  std::mt19937_64 rng(5);
  Model m;
  const int64_t kWidth = 30 * kNanosPerDay;
  const int64_t base = 20010 * kNanosPerDay;  // a partition start (667 x 30 days)
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 600; ++i) {
      std::string key = "m,id=" + std::to_string(rng() % (3 + round % 5)) + " v";
      int64_t t = base + static_cast<int64_t>(rng() % (100 * 1440)) * kNanosPerMinute;
      WriteBoth(store->get(), &m, key, t, static_cast<double>(rng() % 10000) / 10.0);
    }
    ASSERT_TRUE((*store)->Flush().ok());
    auto merged = engine->CompactStep(round % 3 == 0);
    ASSERT_TRUE(merged.ok()) << merged.status();
    if (round % 5 == 0) CheckAgainstModel(store->get(), m, rng, 20);
  }
  CheckAgainstModel(store->get(), m, rng, 60);
  const int64_t cutoff = base + kWidth + 3 * kNanosPerDay;  // drops the first partition only
  auto dropped = (*store)->DropPartitionsBefore(cutoff);
  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_EQ(*dropped, 1);
  for (auto& [key, pts] : m) pts.erase(pts.begin(), pts.lower_bound(base + kWidth));
  std::erase_if(m, [](const auto& kv) { return kv.second.empty(); });
  CheckAgainstModel(store->get(), m, rng, 60);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

// Two files of one partition, each holding every series (so the merge decodes and rewrites).
void WriteTwoFiles(Store* store, Model* m, int series, int points) {
  std::mt19937_64 rng(3);
  const int64_t base = 1735689600LL * kNanosPerSecond;  // 2025-01-01T00:00Z
  for (int file = 0; file < 2; ++file) {
    for (int s = 0; s < series; ++s) {
      PointBatch b;
      std::string key = "meter,id=p" + std::to_string(s) + " kwh";
      for (int i = file; i < points; i += 2) {
        const int64_t t = base + i * kNanosPerMinute;
        const double v = static_cast<double>(rng() % 100'000'000) / 1000.0;
        b.Add(key, t, v);
        (*m)[key][t] = v;
      }
      ASSERT_TRUE(store->Write(b).ok());
    }
    ASSERT_TRUE(store->Flush().ok());
  }
}

// A background merge writes at most compaction_bytes_per_sec: merging ~1.5 MB at 1 MiB/s
// takes at least (bytes written) / (budget). Only the lower bound is checked (a slow machine
// only makes it longer); Compact() is not paced.
TEST(Compaction, PacedMergeKeepsItsByteBudget) {
  std::string dir = TempDir("paced");
  StoreOptions o = TestOptions(dir, false);
  o.compaction_bytes_per_sec = 1 << 20;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  auto* engine = dynamic_cast<engine_internal::Engine*>(store->get());
  ASSERT_NE(engine, nullptr);
  Model m;
  WriteTwoFiles(store->get(), &m, 100, 2880);
  ASSERT_EQ((*store)->Stats().segments, 2);
  const auto t0 = std::chrono::steady_clock::now();
  auto merged = engine->CompactStep(false);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_TRUE(*merged);
  const StoreStats st = (*store)->Stats();
  EXPECT_EQ(st.segments, 1);
  EXPECT_EQ(st.compactions, 1);
  ASSERT_GT(st.compaction_bytes, 1'000'000);
  // The index (written by Finish, after the last pause) is not paced: 90 % of the bytes.
  EXPECT_GE(seconds, 0.9 * static_cast<double>(st.compaction_bytes) / o.compaction_bytes_per_sec)
      << st.compaction_bytes << " bytes";
  std::mt19937_64 rng(4);
  CheckAgainstModel(store->get(), m, rng, 30);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

// Closing the store while the background thread is in a slow paced merge abandons the merge:
// Close returns at once (the merge alone would take minutes), no temporary file is left, and
// every point is there after reopening (the merge's inputs stayed).
TEST(Compaction, CloseAbandonsAPacedMergeAndLosesNothing) {
  std::string dir = TempDir("paced_close");
  StoreOptions o = TestOptions(dir, true);
  o.compaction_bytes_per_sec = 16 << 10;
  Model m;
  {
    auto store = Store::Open(o);
    ASSERT_TRUE(store.ok()) << store.status();
    WriteTwoFiles(store->get(), &m, 100, 2880);
    // The background thread looks every 200 ms; let it start the merge.
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE((*store)->Close().ok());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(seconds, 10.0) << "a merge of ~1.5 MB at 16 KiB/s takes ~90 s";
  }
  for (const auto& e : fs::directory_iterator(dir + "/segments")) {
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Stats().segments, 2);
  std::mt19937_64 rng(6);
  CheckAgainstModel(store->get(), m, rng, 30);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

// Flushes and merges run on separate background threads: a flush while a slow paced merge is
// rewriting the same series' points is not held up by it, and its newer values win over the
// merge's output (which keeps the seq of its newest input, older than the flushed file's).
TEST(Compaction, AFlushDuringAPacedMergeIsNotHeldUpAndItsWritesWin) {
  std::string dir = TempDir("flush_during_merge");
  StoreOptions o = TestOptions(dir, true);
  o.compaction_bytes_per_sec = 256 << 10;  // the merge of ~1.5 MB takes at least 5 s
  Model m;
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  WriteTwoFiles(store->get(), &m, 100, 2880);
  auto merging = [&] {
    for (const auto& e : fs::directory_iterator(dir + "/segments")) {
      if (e.path().extension() == ".tmp") return true;
    }
    return false;
  };
  for (int i = 0; i < 200 && !merging(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(merging()) << "the background merge did not start";
  std::mt19937_64 rng(8);
  const int64_t base = 1735689600LL * kNanosPerSecond;
  PointBatch b;
  for (int s = 0; s < 100; s += 3) {
    const std::string key = "meter,id=p" + std::to_string(s) + " kwh";
    for (int i = s % 7; i < 2880; i += 7) {
      const int64_t t = base + i * kNanosPerMinute;
      const double v = -static_cast<double>(rng() % 100'000) / 100.0;  // unlike any older value
      b.Add(key, t, v);
      m[key][t] = v;
    }
  }
  ASSERT_TRUE((*store)->Write(b).ok());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE((*store)->Flush().ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(seconds, 3.0) << "the flush waited for the merge";
  EXPECT_EQ((*store)->Stats().compactions, 0) << "the merge ended before the flush";
  CheckAgainstModel(store->get(), m, rng, 20);
  for (int i = 0; i < 600 && (*store)->Stats().compactions == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_GE((*store)->Stats().compactions, 1) << "the merge did not end in 60 s";
  CheckAgainstModel(store->get(), m, rng, 30);
  ASSERT_TRUE((*store)->Close().ok());
  store = decltype(store)(absl::UnknownError("closed"));
  store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  CheckAgainstModel(store->get(), m, rng, 30);
  store = decltype(store)(absl::UnknownError("closed"));
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Widths, Trickle, ::testing::Values(kNanosPerDay, 30 * kNanosPerDay));

}  // namespace
}  // namespace dc
