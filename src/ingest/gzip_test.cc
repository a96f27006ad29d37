#include "ingest/gzip.h"

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dc {
namespace {

using ::testing::HasSubstr;

std::string RandomText(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s;
  s.reserve(n);
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + rng() % 26));
  return s;
}

TEST(Gzip, RoundTrip) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{3} << 20}) {
    std::string in = RandomText(n, static_cast<uint32_t>(n));
    auto out = Gunzip(Gzip(in), 16 << 20);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(*out, in);
  }
}

TEST(Gzip, ExactLimitIsAllowedOneMoreByteIsNot) {
  std::string in(100000, 'x');
  std::string gz = Gzip(in);
  EXPECT_TRUE(Gunzip(gz, 100000).ok());
  auto over = Gunzip(gz, 99999);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(over.status().message()), HasSubstr("99999"));
}

TEST(Gzip, ZipBombStopsAtLimit) {
  // 1 GB of zeros compresses to about 1 MB; with a 10 MB limit we must stop early.
  std::string zeros(64 << 20, '\0');
  std::string member = Gzip(zeros, 9);
  std::string bomb;
  for (int i = 0; i < 16; ++i) bomb += member;  // 1 GB once inflated
  auto out = Gunzip(bomb, 10 << 20);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(Gzip, ConcatenatedMembers) {
  auto out = Gunzip(Gzip("hello ") + Gzip("world"), 1000);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "hello world");
}

TEST(Gzip, Errors) {
  EXPECT_THAT(std::string(Gunzip("plain text", 100).status().message()), HasSubstr("not gzip"));
  EXPECT_FALSE(Gunzip("", 100).ok());
  std::string gz = Gzip(RandomText(5000, 1));
  for (size_t cut : {size_t{2}, size_t{10}, gz.size() / 2, gz.size() - 1}) {
    auto out = Gunzip(gz.substr(0, cut), 1 << 20);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << cut;
    EXPECT_THAT(std::string(out.status().message()), HasSubstr("truncated")) << cut;
  }
  std::string corrupt = gz;
  corrupt[gz.size() / 2] ^= 0x55;
  corrupt[gz.size() / 2 + 1] ^= 0x55;
  EXPECT_FALSE(Gunzip(corrupt, 1 << 20).ok());
  std::string bad_crc = gz;
  bad_crc[gz.size() - 6] ^= 1;  // CRC32 in the trailer
  EXPECT_THAT(std::string(Gunzip(bad_crc, 1 << 20).status().message()), HasSubstr("corrupt"));
  EXPECT_THAT(std::string(Gunzip(gz + "junk", 1 << 20).status().message()),
              HasSubstr("trailing garbage"));
}

}  // namespace
}  // namespace dc
