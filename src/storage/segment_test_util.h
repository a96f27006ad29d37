// Helpers shared by the segment tests (segment_test.cc, segment_corrupt_test.cc).
#ifndef DC_STORAGE_SEGMENT_TEST_UTIL_H_
#define DC_STORAGE_SEGMENT_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/env.h"
#include "gtest/gtest.h"
#include "storage/block.h"
#include "storage/segment.h"

namespace dc::segment_test {

inline constexpr int64_t kDay = 86'400'000'000'000;
inline constexpr int64_t kDayStart = 19'000 * kDay;  // a UTC midnight in 2022
inline constexpr int64_t kSec = 1'000'000'000;

inline SegmentMeta DayMeta(uint64_t seq = 7) {
  return SegmentMeta{seq, kDayStart, kDayStart + kDay};
}

class SegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/segment_test_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(env_->CreateDirs(dir_).ok());
    path_ = dir_ + "/000001.seg";
  }
  void TearDown() override {
    auto children = env_->GetChildren(dir_);
    if (children.ok()) {
      for (const auto& c : *children) (void)env_->RemoveFile(dir_ + "/" + c);
    }
    ::rmdir(dir_.c_str());
  }
  std::string ReadAll(const std::string& path) {
    auto s = ReadFileToString(env_, path);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : "";
  }
  // Plain write, no fsync: the tests rewrite files thousands of times.
  void WriteAll(const std::string& path, std::string_view data) {
    auto f = env_->NewWritableFile(path);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE((*f)->Append(data).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  Env* env_ = Env::Default();
  std::string dir_;
  std::string path_;
};

inline std::string Key(int i) {
  return absl::StrFormat("meter,area=rolling-mill,id=m%04d,site=plant-a energy_kwh", i);
}

// Stats for opaque test payloads (the segment layer does not look inside blocks).
inline BlockStats FakeStats(int64_t count, int64_t t_first, int64_t t_last) {
  BlockStats s;
  s.count = count;
  s.t_first = t_first;
  s.t_last = t_last;
  s.min = 1;
  s.max = 2;
  s.sum = 1.5 * static_cast<double>(count);
  s.first = 1;
  s.last = 2;
  return s;
}

// A small segment of opaque payloads: 3 series, 2 blocks each.
inline void WriteSmall(Env* env, const std::string& path) {
  auto w = SegmentWriter::Create(env, path, DayMeta());
  ASSERT_TRUE(w.ok()) << w.status();
  for (int s = 0; s < 3; ++s) {
    for (int b = 0; b < 2; ++b) {
      int64_t t0 = kDayStart + b * 3600 * kSec;
      std::string payload = absl::StrCat("payload-", s, "-", b, std::string(5 + s + b, 'x'));
      ASSERT_TRUE((*w)->AddBlock(Key(s), FakeStats(10, t0, t0 + 9 * kSec), payload).ok());
    }
  }
  ASSERT_TRUE((*w)->Finish().ok());
}

}  // namespace dc::segment_test

#endif  // DC_STORAGE_SEGMENT_TEST_UTIL_H_
