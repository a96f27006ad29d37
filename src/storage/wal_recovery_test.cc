// WAL recovery on Open: torn tails, corrupt records and files, kill -9, the fuzz seed corpus.
#include "storage/wal.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/wal_format.h"
#include "storage/wal_test_util.h"

namespace dc {
namespace {

using namespace wal_test;  // NOLINT(build/namespaces)

namespace fs = std::filesystem;
using ::testing::HasSubstr;

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
