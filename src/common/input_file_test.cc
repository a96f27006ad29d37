#include "common/input_file.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

TEST(ReadInputFile, NamesEachProblem) {
  Env* env = Env::Default();
  std::string dir = ::testing::TempDir();
  std::string path = dir + "/input_file_test.txt";
  ASSERT_TRUE(WriteFileAtomic(env, path, "0123456789").ok());
  auto ok = ReadInputFile(env, path, "a test file", 10);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "0123456789");
  auto big = ReadInputFile(env, path, "a test file", 9);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(),
            path + ": a test file of 10 bytes is larger than the limit of 9 bytes");
  auto d = ReadInputFile(env, dir, "a test file", 10);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), dir + ": is a directory, expected a test file");
  auto m = ReadInputFile(env, dir + "/none", "a test file", 10);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(m.status().message(), "no such file (expected a test file)"));
  EXPECT_FALSE(ReadInputFile(env, "", "a test file", 10).ok());
  ASSERT_TRUE(env->RemoveFile(path).ok());
}

}  // namespace
}  // namespace dc
