#include "storage/wal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/wal_format.h"

namespace dc {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A batch flattened to comparable rows: key, time, value bits, quality.
using FlatRow = std::tuple<std::string, int64_t, uint64_t, int>;
using Flat = std::vector<FlatRow>;

Flat Flatten(const PointBatch& b) {
  Flat out;
  for (const auto& r : b.rows()) {
    out.emplace_back(b.keys()[r.series], r.t, std::bit_cast<uint64_t>(r.v), static_cast<int>(r.q));
  }
  return out;
}

PointBatch RandomBatch(std::mt19937_64& rng, int max_rows = 300) {
  PointBatch b;
  const int nkeys = 1 + static_cast<int>(rng() % 20);
  const int nrows = 1 + static_cast<int>(rng() % max_rows);
  int64_t t = static_cast<int64_t>(rng() % 2'000'000'000) * 1'000'000'000;
  for (int i = 0; i < nrows; ++i) {
    std::string key = absl::StrCat("meter,id=m", rng() % nkeys, ",site=s value");
    switch (rng() % 16) {
      case 0:
        t = std::numeric_limits<int64_t>::min();
        break;
      case 1:
        t = std::numeric_limits<int64_t>::max();
        break;
      case 2:
        t = static_cast<int64_t>(static_cast<uint64_t>(t) - rng() % 1'000'000'000'000);
        break;  // out of order (wraps past the extremes)
      default:
        t = static_cast<int64_t>(static_cast<uint64_t>(t) + rng() % 60'000'000'000);
        break;
    }
    double v =
        std::ldexp(static_cast<double>(rng() % 1'000'000), static_cast<int>(rng() % 40) - 20);
    if (rng() % 50 == 0) v = std::numeric_limits<double>::quiet_NaN();
    if (rng() % 50 == 0) v = -std::numeric_limits<double>::infinity();
    b.Add(key, t, v, static_cast<Quality>(rng() % 10 == 0 ? 1 + rng() % 2 : 0));
  }
  return b;
}

std::string MakeTempDir() {
  std::string tmpl = (fs::path(::testing::TempDir()) / "wal_test_XXXXXX").string();
  char* d = ::mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

struct Replayed {
  std::vector<uint64_t> file_nos;
  std::vector<Flat> batches;
};

WalOptions Options(Env* env, const std::string& dir, const char* policy = "off") {
  WalOptions o;
  o.env = env;
  o.dir = dir;
  o.policy = *ParseFsyncPolicy(policy);
  return o;
}

// Opens the log, collecting what it replays.
std::unique_ptr<Wal> OpenWal(const WalOptions& o, Replayed* out, WalRecoveryReport* report) {
  auto w = Wal::Open(
      o,
      [out](uint64_t no, const PointBatch& b) {
        if (out == nullptr) return absl::OkStatus();
        out->file_nos.push_back(no);
        out->batches.push_back(Flatten(b));
        return absl::OkStatus();
      },
      report);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? std::move(*w) : nullptr;
}

Replayed Reopen(const WalOptions& o, WalRecoveryReport* report) {
  Replayed r;
  OpenWal(o, &r, report);
  return r;
}

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string File(uint64_t no) const { return absl::StrFormat("%s/%06d.wal", dir_, no); }
  std::string dir_;
  std::mt19937_64 rng_{42};
};

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

// Writes a log of `n` records and returns the file contents plus the offset where the last
// record starts.
std::pair<std::string, size_t> WriteLog(const std::string& dir, int n, std::vector<Flat>* written,
                                        std::mt19937_64& rng, int max_rows = 20) {
  uint64_t before_last = 0;
  {
    Replayed none;
    auto w = OpenWal(Options(Env::Default(), dir), &none, nullptr);
    for (int i = 0; i < n; ++i) {
      PointBatch b = RandomBatch(rng, max_rows);
      if (i == n - 1) before_last = static_cast<uint64_t>(w->total_bytes());
      EXPECT_TRUE(w->Append(b).ok());
      written->push_back(Flatten(b));
    }
  }
  std::ifstream in(absl::StrFormat("%s/%06d.wal", dir, 1), std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {data, before_last};
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

TEST_F(WalTest, TornTailAtEveryOffsetOfTheLastRecordIsTruncated) {
  std::vector<Flat> written;
  auto [data, last] = WriteLog(dir_, 6, &written, rng_);
  written.pop_back();
  ASSERT_GT(data.size() - last, 20u);
  for (size_t cut = last; cut < data.size(); ++cut) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteFile(File(1), std::string_view(data).substr(0, cut));
    WalRecoveryReport rep;
    Replayed r;
    {
      auto w = OpenWal(Options(Env::Default(), dir_), &r, &rep);
      ASSERT_NE(w, nullptr);
      EXPECT_EQ(r.batches, written) << "cut at " << cut;
      EXPECT_EQ(rep.truncated_bytes, static_cast<int64_t>(cut - last));
      EXPECT_EQ(fs::file_size(File(1)), last);
      if (cut > last) {
        EXPECT_THAT(rep.ToString(), HasSubstr("torn tail"));
      }
      ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());  // the log stays usable
    }
    WalRecoveryReport again;
    Replayed r2 = Reopen(Options(Env::Default(), dir_), &again);
    EXPECT_EQ(r2.batches.size(), written.size() + 1);
    EXPECT_TRUE(again.problems.empty()) << again.ToString();
  }
}

TEST_F(WalTest, TornHeaderEmptyAndZeroFilesHoldNothingAndAreRemoved) {
  const std::string header = wal::EncodeFileHeader(1);
  std::vector<std::string> cases = {"", std::string(4096, '\0')};
  for (size_t cut = 1; cut < header.size(); ++cut) cases.push_back(header.substr(0, cut));
  for (const std::string& content : cases) {
    WriteFile(File(1), content);
    WalRecoveryReport rep;
    Replayed r = Reopen(Options(Env::Default(), dir_), &rep);
    EXPECT_TRUE(r.batches.empty());
    EXPECT_FALSE(fs::exists(File(1))) << content.size();
    EXPECT_EQ(rep.truncated_bytes, static_cast<int64_t>(content.size()));
  }
}

TEST_F(WalTest, ZeroFilledTailIsTruncated) {
  std::vector<Flat> written;
  auto [data, last] = WriteLog(dir_, 4, &written, rng_);
  WriteFile(File(1), data + std::string(8192, '\0'));  // preallocated blocks after a crash
  WalRecoveryReport rep;
  Replayed r = Reopen(Options(Env::Default(), dir_), &rep);
  EXPECT_EQ(r.batches, written);
  EXPECT_EQ(rep.truncated_bytes, 8192);
  EXPECT_EQ(fs::file_size(File(1)), data.size());
}

// Three files of three records each; returns the records and file 1's contents.
std::vector<Flat> ThreeFiles(const std::string& dir, std::mt19937_64& rng,
                             std::vector<uint64_t>* record_starts_in_file1) {
  std::vector<Flat> written;
  Replayed none;
  auto w = OpenWal(Options(Env::Default(), dir), &none, nullptr);
  for (int f = 0; f < 3; ++f) {
    for (int i = 0; i < 3; ++i) {
      if (f == 0) record_starts_in_file1->push_back(static_cast<uint64_t>(w->total_bytes()));
      PointBatch b = RandomBatch(rng, 30);
      EXPECT_TRUE(w->Append(b).ok());
      written.push_back(Flatten(b));
    }
    EXPECT_TRUE(w->Rotate().ok());
  }
  return written;
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5a));
}

TEST_F(WalTest, CorruptionInAnOlderFileSkipsItsRestAndReplaysLaterFiles) {
  std::vector<uint64_t> starts;
  std::vector<Flat> written = ThreeFiles(dir_, rng_, &starts);
  const auto size_before = fs::file_size(File(1));
  FlipByte(File(1), starts[1] + wal::kRecordHeaderSize + 3);  // payload of record 2
  WalRecoveryReport rep;
  Replayed r = Reopen(Options(Env::Default(), dir_), &rep);
  std::vector<Flat> expected = {written[0]};
  expected.insert(expected.end(), written.begin() + 3, written.end());
  EXPECT_EQ(r.batches, expected);
  ASSERT_EQ(rep.problems.size(), 1u) << rep.ToString();
  EXPECT_THAT(rep.problems[0], HasSubstr("000001.wal: corruption at offset"));
  EXPECT_THAT(rep.problems[0], HasSubstr("payload checksum mismatch"));
  EXPECT_EQ(fs::file_size(File(1)), size_before);  // evidence left on disk
  EXPECT_EQ(rep.files, 3);
}

TEST_F(WalTest, CorruptRecordHeaderAndCorruptLastRecord) {
  std::vector<uint64_t> starts;
  std::vector<Flat> written = ThreeFiles(dir_, rng_, &starts);
  FlipByte(File(1), starts[1] + 1);  // length field of record 2
  const auto file3 = fs::file_size(File(3));
  FlipByte(File(3), file3 - 2);  // last record of the last file: a corrupt tail
  WalRecoveryReport rep;
  Replayed r = Reopen(Options(Env::Default(), dir_), &rep);
  std::vector<Flat> expected = {written[0], written[3], written[4],
                                written[5], written[6], written[7]};
  EXPECT_EQ(r.batches, expected);
  EXPECT_THAT(rep.ToString(), HasSubstr("corrupt record header"));
  EXPECT_THAT(rep.ToString(), HasSubstr("000003.wal: torn tail"));
  EXPECT_LT(fs::file_size(File(3)), file3);
}

TEST_F(WalTest, BadFileHeaderIsReportedAndLeftAlone) {
  std::vector<uint64_t> starts;
  std::vector<Flat> written = ThreeFiles(dir_, rng_, &starts);
  FlipByte(File(2), 0);
  std::string h = wal::EncodeFileHeader(3);
  wal::PutFixed32(h.data() + 8, 9);  // version 9 with a valid CRC
  wal::PutFixed32(h.data() + 20, crc32c::Mask(crc32c::Extend(0, h.data(), 20)));
  std::fstream f(File(3), std::ios::in | std::ios::out | std::ios::binary);
  f.write(h.data(), 24);
  f.close();
  WalRecoveryReport rep;
  auto w = OpenWal(Options(Env::Default(), dir_), nullptr, &rep);
  EXPECT_EQ(rep.records, 3);
  EXPECT_THAT(rep.ToString(), HasSubstr("000002.wal: not a WAL file (bad magic)"));
  EXPECT_THAT(rep.ToString(), HasSubstr("version 9 is not supported"));
  EXPECT_TRUE(fs::exists(File(2)));
  EXPECT_EQ(w->current_file(), 4u);
}

TEST_F(WalTest, ReplayErrorAbortsOpen) {
  {
    auto w = OpenWal(Options(Env::Default(), dir_), nullptr, nullptr);
    ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());
  }
  auto w = Wal::Open(
      Options(Env::Default(), dir_),
      [](uint64_t, const PointBatch&) { return absl::InternalError("head full"); }, nullptr);
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(std::string(w.status().message()), HasSubstr("head full"));
}

TEST_F(WalTest, OpenWithoutAReplayFunctionOnlyChecks) {
  {
    auto w = OpenWal(Options(Env::Default(), dir_), nullptr, nullptr);
    ASSERT_TRUE(w->Append(RandomBatch(rng_)).ok());
  }
  WalRecoveryReport rep;
  auto w = Wal::Open(Options(Env::Default(), dir_), nullptr, &rep);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(rep.records, 1);
}

TEST_F(WalTest, SecondOpenOfTheSameDirectoryFails) {
  auto w = OpenWal(Options(Env::Default(), dir_), nullptr, nullptr);
  auto w2 = Wal::Open(Options(Env::Default(), dir_), nullptr, nullptr);
  EXPECT_EQ(w2.status().code(), absl::StatusCode::kFailedPrecondition);
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

// ---------------------------------------------------------------------------------------------
// Crash test: a child appends with fsync=always (or off) and reports each acknowledged batch id
// through a pipe until it is SIGKILLed at a random moment; every acknowledged batch must replay.
// ---------------------------------------------------------------------------------------------

constexpr int64_t kIdSpan = 1'000'000;  // t = id * kIdSpan + row

int RowsFor(int64_t id) { return id % 10 == 3 ? 60'000 : 1 + static_cast<int>(id * 7919 % 500); }

[[noreturn]] void CrashChild(const std::string& dir, int fd, int64_t first_id, bool always) {
  auto w = Wal::Open(
      Options(Env::Default(), dir, always ? "always" : "off"),
      [](uint64_t, const PointBatch&) { return absl::OkStatus(); }, nullptr);
  if (!w.ok()) ::_exit(2);
  PointBatch b;
  for (int64_t id = first_id;; ++id) {
    b.Clear();
    for (int i = 0; i < RowsFor(id); ++i)
      b.Add(absl::StrCat("crash,k=", i % 7), id * kIdSpan + i, id + i * 0.5);
    auto lsn = (*w)->Append(b);
    if (!lsn.ok() || (always && !(*w)->SyncUpTo(*lsn).ok())) ::_exit(3);
    if (::write(fd, &id, sizeof id) != sizeof id) ::_exit(4);
  }
}

TEST_F(WalTest, KillNineNeverLosesAnAcknowledgedBatch) {
  std::mt19937_64 rng(std::random_device{}());
  std::set<int64_t> all_acked;
  int64_t torn_runs = 0;
  for (int run = 0; run < 24; ++run) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const int64_t first_id = run * 100'000;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      // Odd runs acknowledge after write(2) alone (fsync=off): kills then often land inside
      // the write of a large record, leaving a torn tail; kill -9 must still lose nothing.
      CrashChild(dir_, fds[1], first_id, run % 2 == 0);
    }
    ::close(fds[1]);
    int64_t id = 0, last_acked = first_id - 1;
    // Let it recover and acknowledge a first batch, then kill it at a random moment.
    if (::read(fds[0], &id, sizeof id) == sizeof id) {
      all_acked.insert(id);
      last_acked = id;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 60'000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    while (::read(fds[0], &id, sizeof id) == sizeof id) {
      all_acked.insert(id);
      last_acked = id;
    }
    ::close(fds[0]);

    WalRecoveryReport rep;
    std::set<int64_t> replayed;
    int64_t prev = -1, last_this_run = first_id - 1;
    auto w = Wal::Open(
        Options(Env::Default(), dir_, "always"),
        [&](uint64_t, const PointBatch& b) {
          const int64_t bid = b.rows()[0].t / kIdSpan;
          EXPECT_GT(bid, prev) << "out of order";
          prev = bid;
          EXPECT_EQ(b.size(), static_cast<size_t>(RowsFor(bid)));
          for (size_t i = 0; i < b.size(); ++i) {
            EXPECT_EQ(b.rows()[i].t, bid * kIdSpan + static_cast<int64_t>(i));
            EXPECT_EQ(b.rows()[i].v, bid + static_cast<double>(i) * 0.5);
          }
          replayed.insert(bid);
          if (bid >= first_id) last_this_run = std::max(last_this_run, bid);
          return absl::OkStatus();
        },
        &rep);
    ASSERT_TRUE(w.ok()) << w.status();
    for (int64_t a : all_acked) ASSERT_TRUE(replayed.count(a)) << "lost acknowledged batch " << a;
    // What this run wrote replays as a gap-free run of ids (write(2) survives kill -9).
    for (int64_t b = first_id; b <= last_this_run; ++b) ASSERT_TRUE(replayed.count(b)) << b;
    EXPECT_GE(last_this_run, last_acked);
    if (rep.truncated_bytes > 0) ++torn_runs;
    for (const std::string& p : rep.problems) {
      EXPECT_THAT(p, ::testing::AnyOf(HasSubstr("torn tail"), HasSubstr("removed"))) << p;
    }
  }
  std::printf("crash test: %zu acknowledged batches, %lld runs left a torn tail\n",
              all_acked.size(), static_cast<long long>(torn_runs));
}

// ---------------------------------------------------------------------------------------------
// The fuzz seed corpus (src/storage/fuzz/wal/): a mode byte (see wal_fuzz.cc) then a WAL file or
// payload. DC_WRITE_WAL_SEEDS=1 rewrites it from real logs; the test checks the seeds replay.
// ---------------------------------------------------------------------------------------------

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteSeeds(const std::string& corpus, const std::string& tmp) {
  std::mt19937_64 rng(2024);
  fs::create_directories(corpus);
  for (int n : {1, 3, 12}) {
    fs::remove_all(tmp);
    std::vector<Flat> written;
    auto [data, last] = WriteLog(tmp, n, &written, rng, n == 12 ? 5 : 40);
    WriteFile(absl::StrCat(corpus, "/log_", n, "_records"), std::string(1, '\0') + data);
    if (n == 3) {
      WriteFile(corpus + "/log_torn_tail", std::string(1, '\0') + data.substr(0, data.size() - 7));
      std::string payload = data.substr(last + wal::kRecordHeaderSize);
      WriteFile(corpus + "/payload", std::string(1, '\3') + payload);
      WriteFile(corpus + "/framed_payload", std::string(1, '\2') + payload);
    }
  }
  fs::remove_all(tmp);
}

TEST_F(WalTest, FuzzSeedCorpusHoldsRealLogs) {
  const std::string corpus = std::string(DC_SOURCE_DIR) + "/src/storage/fuzz/wal";
  if (std::getenv("DC_WRITE_WAL_SEEDS") != nullptr) WriteSeeds(corpus, dir_ + "/gen");
  int logs = 0;
  for (const auto& e : fs::directory_iterator(corpus)) {
    const std::string seed = ReadAll(e.path().string());
    ASSERT_FALSE(seed.empty());
    if (seed[0] != 0) continue;
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    WriteFile(File(1), seed.substr(1));
    WalRecoveryReport rep;
    Replayed r = Reopen(Options(Env::Default(), dir_), &rep);
    EXPECT_GE(r.batches.size(), 1u) << e.path();
    ++logs;
  }
  EXPECT_GE(logs, 3);
}

}  // namespace
}  // namespace dc
