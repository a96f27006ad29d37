#include "acquire/durable_queue.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace dc::acquire {
namespace {

class DurableQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/dq-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<DurableQueue> Open(uint64_t segment_bytes = 4 << 20, Env* env = nullptr) {
    DurableQueueOptions o;
    o.dir = dir_;
    o.segment_bytes = segment_bytes;
    o.env = env;
    auto q = DurableQueue::Open(o);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? std::move(*q) : nullptr;
  }
  static std::vector<std::string> Data(const std::vector<QueueRecord>& r) {
    std::vector<std::string> out;
    for (const QueueRecord& x : r) out.push_back(x.data);
    return out;
  }
  std::string dir_;
};

TEST_F(DurableQueueTest, CommittedRecordsAreNeverHandedOutAgain) {
  auto q = Open();
  ASSERT_TRUE(q->Append({"a", "b", "c"}).ok());
  auto r = q->Peek(2, absl::ZeroDuration());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Data(*r), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(q->Commit(r->front().end, 1).ok());
  EXPECT_EQ(q->pending_records(), 2);
  q.reset();
  q = Open();  // reopened: "a" is consumed, "b" and "c" are not
  EXPECT_EQ(q->pending_records(), 2);
  r = q->Peek(10, absl::ZeroDuration());
  EXPECT_EQ(Data(*r), (std::vector<std::string>{"b", "c"}));
  ASSERT_TRUE(q->Commit(r->back().end, 2).ok());
  EXPECT_TRUE(q->Peek(10, absl::Milliseconds(10))->empty());
  ASSERT_TRUE(q->Append({"d"}).ok());
  EXPECT_EQ(Data(*q->Peek(10, absl::ZeroDuration())), (std::vector<std::string>{"d"}));
}

TEST_F(DurableQueueTest, TornTailIsTruncated) {
  {
    auto q = Open();
    ASSERT_TRUE(q->Append({"first", "second"}).ok());
  }
  std::string seg = dir_ + "/q-0000000000000001.log";
  auto size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size - 3);  // a crash in the middle of "second"
  auto q = Open();
  ASSERT_EQ(q->recovery_notes().size(), 1u);
  EXPECT_EQ(q->pending_records(), 1);
  ASSERT_TRUE(q->Append({"third"}).ok());
  EXPECT_EQ(Data(*q->Peek(10, absl::ZeroDuration())),
            (std::vector<std::string>{"first", "third"}));
}

TEST_F(DurableQueueTest, CorruptRecordIsNotHandedOut) {
  {
    auto q = Open();
    ASSERT_TRUE(q->Append({"first", "second"}).ok());
  }
  std::string seg = dir_ + "/q-0000000000000001.log";
  {
    FILE* f = std::fopen(seg.c_str(), "r+b");
    std::fseek(f, -2, SEEK_END);
    std::fputc('X', f);
    std::fclose(f);
  }
  auto q = Open();
  EXPECT_EQ(Data(*q->Peek(10, absl::ZeroDuration())), (std::vector<std::string>{"first"}));
}

TEST_F(DurableQueueTest, SegmentsRotateAndConsumedOnesAreDeleted) {
  auto q = Open(/*segment_bytes=*/64);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(q->Append({std::string(30, 'a' + i)}).ok());
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) files += e.path().extension() == ".log";
  EXPECT_GT(files, 5u);
  std::vector<std::string> seen;
  while (q->pending_records() > 0) {
    auto r = q->Peek(3, absl::ZeroDuration());
    ASSERT_TRUE(r.ok());
    ASSERT_FALSE(r->empty());
    for (auto& x : *r) seen.push_back(x.data);
    ASSERT_TRUE(q->Commit(r->back().end, static_cast<int64_t>(r->size())).ok());
  }
  ASSERT_EQ(seen.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[i], std::string(30, 'a' + i));
  files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) files += e.path().extension() == ".log";
  EXPECT_LE(files, 1u);
  q.reset();
  q = Open(64);
  EXPECT_EQ(q->pending_records(), 0);
}

TEST_F(DurableQueueTest, FailedAppendCountsNothingAndLeavesNoPartialRecord) {
  FaultInjectionEnv env(Env::Default());
  auto q = Open(4 << 20, &env);
  ASSERT_TRUE(q->Append({"kept"}).ok());
  env.SetWriteBudget(5);  // the next append is cut short: disk full
  EXPECT_FALSE(q->Append({"lost-one", "lost-two"}).ok());
  env.SetWriteBudget(-1);
  env.SetSyncFails(true);
  EXPECT_FALSE(q->Append({"not-synced"}).ok());
  env.SetSyncFails(false);
  EXPECT_EQ(q->pending_records(), 1);
  ASSERT_TRUE(q->Append({"after"}).ok());
  q.reset();
  q = Open();
  EXPECT_EQ(Data(*q->Peek(10, absl::ZeroDuration())),
            (std::vector<std::string>{"kept", "after"}));
  EXPECT_TRUE(q->recovery_notes().empty());
}

TEST_F(DurableQueueTest, PeekWaitsForAnAppend) {
  auto q = Open();
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(q->Append({"late"}).ok());
  });
  auto r = q->Peek(1, absl::Seconds(10));
  t.join();
  EXPECT_EQ(Data(*r), (std::vector<std::string>{"late"}));
}

}  // namespace
}  // namespace dc::acquire
