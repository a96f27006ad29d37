#include "common/env.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::path(::testing::TempDir()) / "env_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(t.data()), nullptr);
    dir_ = t;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  Env* env_ = Env::Default();
  std::string dir_;
};

TEST_F(EnvTest, WritableFileBuffersSmallAppendsAndFlushesThemToTheOs) {
  auto f = env_->NewWritableFile(Path("a"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("hello ").ok());
  ASSERT_TRUE((*f)->Append("world").ok());
  EXPECT_EQ((*f)->Size(), 11u);
  EXPECT_EQ(*env_->GetFileSize(Path("a")), 0u);  // still buffered
  ASSERT_TRUE((*f)->Flush().ok());
  EXPECT_EQ(*ReadFileToString(env_, Path("a")), "hello world");
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE((*f)->Close().ok());  // idempotent
}

TEST_F(EnvTest, LargeAppendsGoStraightThroughInOrder) {
  std::string big(200'000, 'x');
  auto f = env_->NewWritableFile(Path("big"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("head").ok());
  ASSERT_TRUE((*f)->Append(big).ok());
  ASSERT_TRUE((*f)->Append("tail").ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*ReadFileToString(env_, Path("big")), "head" + big + "tail");
}

TEST_F(EnvTest, AppendableFileContinuesAtTheEndAndWritableTruncates) {
  ASSERT_TRUE(WriteFileAtomic(env_, Path("f"), "abc").ok());
  {
    auto f = env_->NewAppendableFile(Path("f"));
    ASSERT_TRUE(f.ok());
    EXPECT_EQ((*f)->Size(), 3u);
    ASSERT_TRUE((*f)->Append("def").ok());
  }  // the destructor flushes
  EXPECT_EQ(*ReadFileToString(env_, Path("f")), "abcdef");
  ASSERT_TRUE(env_->NewWritableFile(Path("f")).ok());
  EXPECT_EQ(*env_->GetFileSize(Path("f")), 0u);
}

TEST_F(EnvTest, RandomAccessFileMapsContentsAndHandlesEmptyFiles) {
  ASSERT_TRUE(WriteFileAtomic(env_, Path("r"), "0123456789").ok());
  auto r = env_->NewRandomAccessFile(Path("r"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->Size(), 10u);
  EXPECT_EQ((*r)->Contents(), "0123456789");
  ASSERT_TRUE(env_->NewWritableFile(Path("empty")).ok());
  auto e = env_->NewRandomAccessFile(Path("empty"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->Contents(), "");
  auto missing = env_->NewRandomAccessFile(Path("missing"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr(Path("missing")));
}

// RssFile of this process (/proc/self/status), bytes.
int64_t RssFileBytes() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("RssFile:", 0) == 0) return std::stoll(line.substr(8)) * 1024;
  }
  return -1;
}

TEST_F(EnvTest, ReleaseDropsMappedPagesFromTheResidentSetAndKeepsTheContents) {
  std::string data(16 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 4096);
  ASSERT_TRUE(WriteFileAtomic(env_, Path("big"), data).ok());
  auto r = env_->NewRandomAccessFile(Path("big"));
  ASSERT_TRUE(r.ok());
  const int64_t before = RssFileBytes();
  ASSERT_GE(before, 0);
  EXPECT_EQ((*r)->Contents(), data);  // reads every page: all mapped in
  const int64_t touched = RssFileBytes();
  EXPECT_GE(touched - before, 12 << 20);
  (*r)->Release(0, data.size());
  const int64_t released = RssFileBytes();
  EXPECT_LE(released - before, 4 << 20) << "touched " << touched << " released " << released;
  EXPECT_EQ((*r)->Contents(), data);  // mapped back in, unchanged
  // Ranges that are not page-aligned, empty, or past the end change nothing.
  (*r)->Release(1, 3 * 4096 + 5);
  (*r)->Release(data.size() - 10, 100);
  (*r)->Release(data.size() + 4096, 4096);
  (*r)->Release(5, 0);
  EXPECT_EQ((*r)->Contents(), data);
}

TEST_F(EnvTest, DirectoryOperations) {
  ASSERT_TRUE(env_->CreateDirs(Path("x/y/z")).ok());
  ASSERT_TRUE(env_->CreateDirs(Path("x/y/z/")).ok());  // exists already, trailing slash
  EXPECT_TRUE(fs::is_directory(Path("x/y/z")));
  ASSERT_TRUE(WriteFileAtomic(env_, Path("x/a"), "1").ok());
  ASSERT_TRUE(WriteFileAtomic(env_, Path("x/b"), "22").ok());
  auto children = env_->GetChildren(Path("x"));
  ASSERT_TRUE(children.ok());
  std::sort(children->begin(), children->end());
  EXPECT_EQ(*children, (std::vector<std::string>{"a", "b", "y"}));  // no temp file left
  ASSERT_TRUE(env_->RenameFile(Path("x/b"), Path("x/c")).ok());
  EXPECT_FALSE(env_->FileExists(Path("x/b")));
  EXPECT_EQ(*env_->GetFileSize(Path("x/c")), 2u);
  ASSERT_TRUE(env_->TruncateFile(Path("x/c"), 1).ok());
  EXPECT_EQ(*ReadFileToString(env_, Path("x/c")), "2");
  ASSERT_TRUE(env_->RemoveFile(Path("x/c")).ok());
  EXPECT_EQ(env_->RemoveFile(Path("x/c")).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(env_->SyncDir(Path("x")).ok());
  EXPECT_FALSE(env_->GetChildren(Path("nope")).ok());
}

TEST_F(EnvTest, RealDiskFullMapsToResourceExhausted) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto f = env_->NewAppendableFile("/dev/full");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("x").ok());  // buffered
  absl::Status s = (*f)->Flush();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(s.message()), HasSubstr("/dev/full"));
  EXPECT_EQ(StorageFaultOf(s), StorageFault::kNoSpace);  // not a "too large" request
}

TEST_F(EnvTest, IoErrorsAreMarkedAsStorageFaultsAndTheMarkSurvivesContext) {
  FaultInjectionEnv fenv(env_);
  auto f = fenv.NewWritableFile(Path("m"));
  ASSERT_TRUE(f.ok());
  fenv.SetWriteBudget(0);
  absl::Status full = (*f)->Append("x");
  EXPECT_EQ(StorageFaultOf(full), StorageFault::kNoSpace);
  fenv.SetWriteBudget(-1);
  fenv.SetSyncFails(true);
  EXPECT_EQ(StorageFaultOf((*f)->Sync()), StorageFault::kIo);
  absl::Status annotated = AnnotateStatus(full, "wal append");
  EXPECT_EQ(annotated.code(), full.code());
  EXPECT_EQ(annotated.message(), absl::StrCat("wal append: ", full.message()));
  EXPECT_EQ(StorageFaultOf(annotated), StorageFault::kNoSpace);
  // Not every error is a storage fault.
  EXPECT_EQ(StorageFaultOf(env_->RemoveFile(Path("absent"))), StorageFault::kNone);
  EXPECT_EQ(StorageFaultOf(absl::ResourceExhaustedError("too large")), StorageFault::kNone);
  EXPECT_EQ(StorageFaultName(StorageFault::kIo), "io");
}

TEST_F(EnvTest, LockFileIsExclusiveUntilReleased) {
  auto a = env_->LockFile(Path("LOCK"));
  ASSERT_TRUE(a.ok());
  auto b = env_->LockFile(Path("LOCK"));
  EXPECT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("locked"));
  a->reset();
  EXPECT_TRUE(env_->LockFile(Path("LOCK")).ok());
}

TEST_F(EnvTest, LockFileWaitWaitsForTheHolder) {
  auto a = env_->LockFileWait(Path("LOCK"));
  ASSERT_TRUE(a.ok());
  std::atomic<bool> got{false};
  std::thread t([&] {
    auto b = env_->LockFileWait(Path("LOCK"));  // another open file description: blocks
    got = b.ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got);
  a->reset();
  t.join();
  EXPECT_TRUE(got);
}

TEST_F(EnvTest, CreatedFilesAndDirectoriesArePrivate) {
  ASSERT_TRUE(env_->CreateDirs(Path("a/b")).ok());
  auto w = env_->NewWritableFile(Path("a/b/w"));
  ASSERT_TRUE(w.ok());
  auto ap = env_->NewAppendableFile(Path("a/b/ap"));
  ASSERT_TRUE(ap.ok());
  ASSERT_TRUE(env_->LockFile(Path("a/LOCK")).ok());
  ASSERT_TRUE(WriteFileAtomic(env_, Path("a/atomic"), "x").ok());
  const fs::perms rw = fs::perms::owner_read | fs::perms::owner_write;
  EXPECT_EQ(fs::status(Path("a")).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(Path("a/b")).permissions() & fs::perms::all, fs::perms::owner_all);
  for (const char* f : {"a/b/w", "a/b/ap", "a/LOCK", "a/atomic"}) {
    EXPECT_EQ(fs::status(Path(f)).permissions() & fs::perms::all, rw) << f;
  }
  auto st = env_->Stat(Path("a/atomic"));
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size, 1u);
  EXPECT_GT(st->mtime_ns, 0);
  EXPECT_EQ(env_->Stat(Path("nope")).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(EnvTest, FaultInjectionRemoveFails) {
  FaultInjectionEnv env(env_);
  ASSERT_TRUE(WriteFileAtomic(&env, Path("f"), "x").ok());
  env.SetRemoveFails(true);
  EXPECT_FALSE(env.RemoveFile(Path("f")).ok());
  EXPECT_TRUE(env.FileExists(Path("f")));
  env.SetRemoveFails(false);
  EXPECT_TRUE(env.RemoveFile(Path("f")).ok());
}

TEST_F(EnvTest, ClocksMove) {
  int64_t m1 = env_->MonotonicNanos();
  int64_t m2 = env_->MonotonicNanos();
  EXPECT_LE(m1, m2);
  EXPECT_GT(env_->NowNanos(), int64_t{1'600'000'000} * 1'000'000'000);
}

TEST_F(EnvTest, FaultInjectionWriteBudgetGivesAShortWriteThenDiskFull) {
  FaultInjectionEnv fenv(env_);
  auto f = fenv.NewWritableFile(Path("w"));
  ASSERT_TRUE(f.ok());
  fenv.SetWriteBudget(5);
  absl::Status s = (*f)->Append("0123456789");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*fenv.GetFileSize(Path("w")), 5u);  // the part that fit reached the file
  EXPECT_EQ((*f)->Append("x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(*fenv.GetFileSize(Path("w")), 5u);
  // The budget is shared by all files.
  auto g = fenv.NewAppendableFile(Path("g"));
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE((*g)->Append("y").ok());
  fenv.SetWriteBudget(-1);
  ASSERT_TRUE((*f)->Append("abc").ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*ReadFileToString(&fenv, Path("w")), "01234abc");
}

TEST_F(EnvTest, FaultInjectionSyncAndOpenFailures) {
  FaultInjectionEnv fenv(env_);
  auto f = fenv.NewWritableFile(Path("s"));
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("data").ok());
  fenv.SetSyncFails(true);
  EXPECT_FALSE((*f)->Sync().ok());
  EXPECT_FALSE(fenv.SyncDir(dir_).ok());
  EXPECT_FALSE(WriteFileAtomic(&fenv, Path("atomic"), "x").ok());
  EXPECT_FALSE(fenv.FileExists(Path("atomic.tmp")));  // cleaned up after the failure
  EXPECT_FALSE(fenv.FileExists(Path("atomic")));
  fenv.SetSyncFails(false);
  EXPECT_TRUE((*f)->Sync().ok());
  fenv.SetOpenFails(true);
  EXPECT_FALSE(fenv.NewWritableFile(Path("o")).ok());
  EXPECT_FALSE(fenv.NewAppendableFile(Path("o")).ok());
  EXPECT_FALSE(fenv.RenameFile(Path("s"), Path("t")).ok());
  EXPECT_TRUE(fenv.NewRandomAccessFile(Path("s")).ok());  // reads still work
  fenv.SetOpenFails(false);
  EXPECT_TRUE(fenv.NewWritableFile(Path("o")).ok());
}

TEST_F(EnvTest, FaultInjectionClockOffset) {
  FaultInjectionEnv fenv(env_);
  const int64_t hour = int64_t{3600} * 1'000'000'000;
  fenv.SetClockOffset(hour);
  int64_t diff = fenv.NowNanos() - env_->NowNanos();
  EXPECT_GT(diff, hour - 1'000'000'000);
  EXPECT_LE(diff, hour + 1'000'000'000);
  fenv.SetClockOffset(-hour);
  EXPECT_LT(fenv.NowNanos(), env_->NowNanos() - hour + 1'000'000'000);
}

}  // namespace
}  // namespace dc
