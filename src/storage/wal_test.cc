// WAL appends and replay: fsync policies, payload format, write failures, group commit, rotation.
#include "storage/wal.h"

#include <bit>
#include <chrono>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/wal_format.h"
#include "storage/wal_test_util.h"

namespace dc {
namespace {

using namespace wal_test;  // NOLINT(build/namespaces)

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(ParseFsyncPolicyTest, AcceptsTheThreeForms) {
  EXPECT_EQ(ParseFsyncPolicy("always")->mode, FsyncPolicy::Mode::kAlways);
  EXPECT_EQ(ParseFsyncPolicy("off")->mode, FsyncPolicy::Mode::kOff);
  auto p = ParseFsyncPolicy("interval:250");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->mode, FsyncPolicy::Mode::kInterval);
  EXPECT_EQ(p->interval_ms, 250);
  EXPECT_EQ(ParseFsyncPolicy("interval:1")->interval_ms, 1);
  EXPECT_EQ(ParseFsyncPolicy("interval:60000")->interval_ms, 60000);
  for (const char* bad : {"", "Always", "interval", "interval:", "interval:0", "interval:60001",
                          "interval:-5", "interval:10ms", "never", "always "}) {
    auto r = ParseFsyncPolicy(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("interval:<ms>")) << bad;
  }
}

TEST(WalFormatTest, PayloadRoundTripsRandomBatches) {
  std::mt19937_64 rng(7);
  std::string buf;
  for (int i = 0; i < 500; ++i) {
    PointBatch b = RandomBatch(rng);
    buf.resize(wal::MaxPayloadSize(b));
    size_t n = wal::EncodePayload(b, buf.data());
    ASSERT_LE(n, buf.size());
    PointBatch d;
    ASSERT_TRUE(wal::DecodePayload(std::string_view(buf.data(), n), &d).ok());
    EXPECT_EQ(Flatten(d), Flatten(b));
  }
}

TEST(WalFormatTest, DecoderRejectsEveryTruncationAndBadFields) {
  std::mt19937_64 rng(8);
  PointBatch b = RandomBatch(rng, 50);
  std::string buf(wal::MaxPayloadSize(b), '\0');
  buf.resize(wal::EncodePayload(b, buf.data()));
  PointBatch d;
  for (size_t cut = 0; cut < buf.size(); ++cut) {
    EXPECT_FALSE(wal::DecodePayload(std::string_view(buf).substr(0, cut), &d).ok()) << cut;
    EXPECT_TRUE(d.empty());
  }
  EXPECT_FALSE(wal::DecodePayload(buf + "x", &d).ok());  // trailing byte
  // One key, one row referring to series 1 (out of range), then quality 3.
  std::string one = std::string("\x01\x01\x01k\x01", 5);
  std::string value(8, '\0');
  EXPECT_TRUE(wal::DecodePayload(one + std::string("\x00\x00", 2) + value, &d).ok());
  auto s = wal::DecodePayload(one + std::string("\x04\x00", 2) + value, &d);
  EXPECT_THAT(std::string(s.message()), HasSubstr("series 1 of 1"));
  EXPECT_FALSE(wal::DecodePayload(one + std::string("\x03\x00", 2) + value, &d).ok());
  EXPECT_FALSE(wal::DecodePayload(std::string("\x02", 1), &d).ok());  // unknown type
}

TEST_F(WalTest, AppendReplayRoundTrip) {
  std::vector<Flat> written;
  uint64_t last_lsn = 0;
  {
    Replayed none;
    WalRecoveryReport rep;
    auto w = OpenWal(Options(Env::Default(), dir_), &none, &rep);
    EXPECT_TRUE(none.batches.empty());
    EXPECT_TRUE(rep.problems.empty()) << rep.ToString();
    for (int i = 0; i < 200; ++i) {
      PointBatch b = RandomBatch(rng_);
      auto lsn = w->Append(b);
      ASSERT_TRUE(lsn.ok()) << lsn.status();
      EXPECT_GT(*lsn, last_lsn);
      last_lsn = *lsn;
      written.push_back(Flatten(b));
    }
    EXPECT_EQ(*w->Append(PointBatch()), last_lsn);  // empty batch writes nothing
    EXPECT_EQ(static_cast<uint64_t>(w->total_bytes()), fs::file_size(File(1)));
    EXPECT_EQ(w->appends(), 200);
  }
  WalRecoveryReport rep;
  Replayed r = Reopen(Options(Env::Default(), dir_), &rep);
  EXPECT_EQ(r.batches, written);
  EXPECT_EQ(rep.records, 200);
  EXPECT_EQ(rep.files, 1);
  EXPECT_TRUE(rep.problems.empty()) << rep.ToString();
  EXPECT_THAT(rep.ToString(), HasSubstr("clean"));
}

TEST_F(WalTest, EachOpenAppendsToANewFileAndReplaysAllInOrder) {
  std::vector<Flat> written;
  for (int round = 0; round < 3; ++round) {
    Replayed r;
    WalRecoveryReport rep;
    auto w = OpenWal(Options(Env::Default(), dir_), &r, &rep);
    EXPECT_EQ(r.batches, written);
    EXPECT_EQ(w->current_file(), static_cast<uint64_t>(round + 1));
    for (int i = 0; i < 5; ++i) {
      PointBatch b = RandomBatch(rng_);
      ASSERT_TRUE(w->Append(b).ok());
      written.push_back(Flatten(b));
    }
  }
  Replayed r = Reopen(Options(Env::Default(), dir_), nullptr);
  EXPECT_EQ(r.batches, written);
  EXPECT_EQ(r.file_nos.front(), 1u);
  EXPECT_EQ(r.file_nos.back(), 3u);
}

TEST_F(WalTest, LargeRecordRoundTrips) {
  PointBatch big;
  for (int i = 0; i < 300'000; ++i) big.Add(absl::StrCat("s,i=", i % 1000), i * 1000, i * 0.25);
  {
    auto w = OpenWal(Options(Env::Default(), dir_), nullptr, nullptr);
    ASSERT_TRUE(w->Append(big).ok());
  }
  Replayed r = Reopen(Options(Env::Default(), dir_), nullptr);
  ASSERT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(r.batches[0], Flatten(big));
}

// Disk full at every byte of the next record (and of the next file header): Append fails, the
// log keeps every acknowledged record and nothing else, and appends work once space is back.
TEST_F(WalTest, DiskFullAtEveryByteKeepsAcknowledgedRecords) {
  for (int64_t budget = 0; budget < 400; budget += 3) {
    fs::remove_all(dir_);
    FaultInjectionEnv env(Env::Default());
    WalOptions o = Options(&env, dir_);
    o.file_bytes = 600;  // rotations happen, so some budgets cut a file header
    std::vector<Flat> acked;
    {
      auto w = OpenWal(o, nullptr, nullptr);
      for (int i = 0; i < 5; ++i) {
        PointBatch b = RandomBatch(rng_, 10);
        ASSERT_TRUE(w->Append(b).ok());
        acked.push_back(Flatten(b));
      }
      env.SetWriteBudget(budget);
      bool failed = false;
      for (int i = 0; i < 20 && !failed; ++i) {
        PointBatch b = RandomBatch(rng_, 10);
        auto lsn = w->Append(b);
        if (lsn.ok()) {
          acked.push_back(Flatten(b));
        } else {
          failed = true;
          EXPECT_EQ(lsn.status().code(), absl::StatusCode::kResourceExhausted) << lsn.status();
        }
      }
      ASSERT_TRUE(failed) << budget;
      EXPECT_FALSE(w->Append(RandomBatch(rng_, 10)).ok());  // still full
      env.SetWriteBudget(-1);
      for (int i = 0; i < 3; ++i) {
        PointBatch b = RandomBatch(rng_, 10);
        ASSERT_TRUE(w->Append(b).ok()) << budget;
        acked.push_back(Flatten(b));
      }
    }
    WalRecoveryReport rep;
    Replayed r = Reopen(o, &rep);
    EXPECT_EQ(r.batches, acked) << "budget " << budget;
    EXPECT_TRUE(rep.problems.empty()) << "budget " << budget << ": " << rep.ToString();
  }
}

TEST_F(WalTest, ShortWriteOfARecordLargerThanTheWriteBuffer) {
  FaultInjectionEnv env(Env::Default());
  std::vector<Flat> acked;
  PointBatch big;
  for (int i = 0; i < 20'000; ++i) big.Add("big,id=1", i, i);  // ~240 KB, written directly
  {
    auto w = OpenWal(Options(&env, dir_), nullptr, nullptr);
    PointBatch small = RandomBatch(rng_);
    ASSERT_TRUE(w->Append(small).ok());
    acked.push_back(Flatten(small));
    env.SetWriteBudget(100'000);
    EXPECT_FALSE(w->Append(big).ok());
    env.SetWriteBudget(-1);
    ASSERT_TRUE(w->Append(big).ok());
    acked.push_back(Flatten(big));
  }
  WalRecoveryReport rep;
  EXPECT_EQ(Reopen(Options(&env, dir_), &rep).batches, acked);
  EXPECT_TRUE(rep.problems.empty()) << rep.ToString();
}

// An Env whose TruncateFile can be made to fail.
class NoTruncateEnv : public FaultInjectionEnv {
 public:
  using FaultInjectionEnv::FaultInjectionEnv;
  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    if (fail) return absl::InternalError("truncate: injected failure");
    return FaultInjectionEnv::TruncateFile(path, size);
  }
  bool fail = false;
};

TEST_F(WalTest, WriteErrorThatCannotBeTruncatedMovesToANewFile) {
  NoTruncateEnv env(Env::Default());
  std::vector<Flat> acked;
  {
    auto w = OpenWal(Options(&env, dir_), nullptr, nullptr);
    PointBatch a = RandomBatch(rng_);
    ASSERT_TRUE(w->Append(a).ok());
    acked.push_back(Flatten(a));
    env.fail = true;
    env.SetWriteBudget(30);
    auto s = w->Append(RandomBatch(rng_));
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.status().message()), HasSubstr("next record goes to a new file"));
    EXPECT_EQ(w->current_file(), 2u);
    env.SetWriteBudget(-1);
    PointBatch b = RandomBatch(rng_);
    ASSERT_TRUE(w->Append(b).ok());
    acked.push_back(Flatten(b));
  }
  env.fail = false;
  WalRecoveryReport rep;
  Replayed r = Reopen(Options(&env, dir_), &rep);
  EXPECT_EQ(r.batches, acked);
  EXPECT_EQ(r.file_nos, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(rep.truncated_bytes, 30);  // the partial record left in file 1
}

TEST_F(WalTest, FsyncFailureSurfacesAndIsNeverForgotten) {
  FaultInjectionEnv env(Env::Default());
  auto w = OpenWal(Options(&env, dir_, "always"), nullptr, nullptr);
  ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());
  ASSERT_TRUE(w->Sync().ok());  // the directory entry is durable; next the file sync fails
  auto lsn1 = w->Append(RandomBatch(rng_));
  ASSERT_TRUE(lsn1.ok());
  env.SetSyncFails(true);
  absl::Status s = w->SyncUpTo(*lsn1);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("Input/output error"));
  EXPECT_GT(w->pending_bytes(), 0);
  env.SetSyncFails(false);
  EXPECT_FALSE(w->SyncUpTo(*lsn1).ok());  // the pages may be gone: still not durable
  auto lsn2 = w->Append(RandomBatch(rng_));
  ASSERT_TRUE(lsn2.ok());
  EXPECT_TRUE(w->SyncUpTo(*lsn2).ok());
  EXPECT_EQ(w->pending_bytes(), 0);
}

TEST_F(WalTest, IntervalPolicySyncsInTheBackgroundAndRecordsErrors) {
  FaultInjectionEnv env(Env::Default());
  auto w = OpenWal(Options(&env, dir_, "interval:5"), nullptr, nullptr);
  ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());
  EXPECT_GT(w->pending_bytes(), 0);
  for (int i = 0; i < 400 && w->pending_bytes() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(w->pending_bytes(), 0);
  EXPECT_GT(w->sync_calls(), 0);
  EXPECT_TRUE(w->background_error().ok());
  env.SetSyncFails(true);
  ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());
  for (int i = 0; i < 400 && w->background_error().ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(w->background_error().ok());
  env.SetSyncFails(false);
}

TEST_F(WalTest, OffPolicyNeverSyncsUnlessAsked) {
  auto w = OpenWal(Options(Env::Default(), dir_, "off"), nullptr, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(w->sync_calls(), 0);
  EXPECT_GT(w->pending_bytes(), 0);
  ASSERT_TRUE(w->Sync().ok());
  EXPECT_EQ(w->pending_bytes(), 0);
  EXPECT_GT(w->sync_calls(), 0);
}

// Files whose Sync() takes a while, as on a real disk, and counts calls.
class SlowSyncFile : public WritableFile {
 public:
  explicit SlowSyncFile(std::unique_ptr<WritableFile> base) : base_(std::move(base)) {}
  absl::Status Append(std::string_view d) override { return base_->Append(d); }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status Sync() override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return base_->Sync();
  }
  absl::Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  std::unique_ptr<WritableFile> base_;
};

class SlowSyncEnv : public FaultInjectionEnv {
 public:
  using FaultInjectionEnv::FaultInjectionEnv;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& p) override {
    auto f = FaultInjectionEnv::NewAppendableFile(p);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new SlowSyncFile(std::move(*f)));
  }
};

TEST_F(WalTest, GroupCommitSharesFsyncsAmongConcurrentWriters) {
  SlowSyncEnv env(Env::Default());
  constexpr int kThreads = 8, kPerThread = 40;
  int64_t syncs = 0;
  {
    auto w = OpenWal(Options(&env, dir_, "always"), nullptr, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&w, t] {
        for (int i = 0; i < kPerThread; ++i) {
          PointBatch b;
          b.Add(absl::StrCat("gc,thread=", t), i, t * 1000 + i);
          auto lsn = w->Append(b);
          ASSERT_TRUE(lsn.ok());
          ASSERT_TRUE(w->SyncUpTo(*lsn).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(w->pending_bytes(), 0);
    syncs = w->sync_calls();
    EXPECT_EQ(w->appends(), kThreads * kPerThread);
  }
  EXPECT_LT(syncs, kThreads * kPerThread / 2) << "fsyncs were not shared";
  Replayed r = Reopen(Options(Env::Default(), dir_), nullptr);
  ASSERT_EQ(r.batches.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<int> next(kThreads, 0);  // each thread's records replay in its order
  for (const Flat& f : r.batches) {
    int t = static_cast<int>(std::bit_cast<double>(std::get<2>(f[0]))) / 1000;
    EXPECT_EQ(std::get<1>(f[0]), next[t]++);
  }
}

TEST_F(WalTest, RotateAndRemoveFilesBefore) {
  Replayed none;
  auto w = OpenWal(Options(Env::Default(), dir_), &none, nullptr);
  ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());
  ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());
  auto n = w->Rotate();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(w->current_file(), 2u);
  std::vector<Flat> after;
  for (int i = 0; i < 3; ++i) {
    PointBatch b = RandomBatch(rng_);
    ASSERT_TRUE(w->Append(b).ok());
    after.push_back(Flatten(b));
  }
  const int64_t before = w->total_bytes();
  ASSERT_TRUE(w->RemoveFilesBefore(*n).ok());
  EXPECT_FALSE(fs::exists(File(1)));
  EXPECT_TRUE(fs::exists(File(2)));
  EXPECT_LT(w->total_bytes(), before);
  EXPECT_EQ(static_cast<uint64_t>(w->total_bytes()), fs::file_size(File(2)));
  ASSERT_TRUE(w->RemoveFilesBefore(100).ok());  // never removes the current file
  EXPECT_TRUE(fs::exists(File(2)));
  w.reset();
  Replayed r = Reopen(Options(Env::Default(), dir_), nullptr);
  EXPECT_EQ(r.batches, after);
  EXPECT_EQ(r.file_nos, (std::vector<uint64_t>{2, 2, 2}));
}

TEST_F(WalTest, RotatesAutomaticallyPastFileBytes) {
  WalOptions o = Options(Env::Default(), dir_);
  o.file_bytes = 2000;
  std::vector<Flat> written;
  {
    auto w = OpenWal(o, nullptr, nullptr);
    for (int i = 0; i < 50; ++i) {
      PointBatch b = RandomBatch(rng_, 20);
      ASSERT_TRUE(w->Append(b).ok());
      written.push_back(Flatten(b));
    }
    EXPECT_GT(w->current_file(), 5u);
  }
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path().extension() == ".wal") {
      EXPECT_LE(fs::file_size(e.path()), 2000u + 1500u);
    }
  }
  Replayed r = Reopen(o, nullptr);
  EXPECT_EQ(r.batches, written);
}

}  // namespace
}  // namespace dc
