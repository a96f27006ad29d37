#include "common/crc32c.h"

#include <string>

#include "gtest/gtest.h"

namespace dc::crc32c {
namespace {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 appendix B.4 test vectors.
  std::string zeros(32, '\0');
  EXPECT_EQ(Value(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(Value(ones), 0x62a8ab43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  EXPECT_EQ(Value(inc), 0x46dd794eu);
  EXPECT_EQ(Value("123456789"), 0xe3069283u);
}

TEST(Crc32c, ExtendEqualsWhole) {
  std::string s = "hello world, this is a longer buffer of bytes";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = Extend(0, s.data(), cut);
    EXPECT_EQ(Extend(a, s.data() + cut, s.size() - cut), Value(s)) << cut;
  }
}

TEST(Crc32c, MaskRoundTrip) {
  for (uint32_t v : {0u, 1u, 0xffffffffu, 0x12345678u}) {
    EXPECT_NE(Mask(v), v);
    EXPECT_EQ(Unmask(Mask(v)), v);
  }
}

}  // namespace
}  // namespace dc::crc32c
