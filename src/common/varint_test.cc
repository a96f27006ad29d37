#include "common/varint.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace dc {
namespace {

// The byte-at-a-time decoder the fast path must agree with (LEB128, at most 10 bytes).
const uint8_t* ReferenceGet(const uint8_t* p, const uint8_t* end, uint64_t* v) {
  uint64_t r = 0;
  for (int i = 0; i < kMaxVarint64Bytes && p < end; ++i) {
    const uint8_t b = *p++;
    if (i == 9 && b > 1) return nullptr;
    r |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (b < 0x80) {
      *v = r;
      return p;
    }
  }
  return nullptr;
}

// Every prefix of `bytes` (with and without trailing bytes after it) decodes as the reference.
void ExpectSameAsReference(const std::string& bytes) {
  for (size_t len = 0; len <= bytes.size(); ++len) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    uint64_t got = 12345, want = 12345;
    const uint8_t* g = GetVarint64(p, p + len, &got);
    const uint8_t* w = ReferenceGet(p, p + len, &want);
    ASSERT_EQ(g == nullptr, w == nullptr) << "length " << len;
    if (g) {
      EXPECT_EQ(g - p, w - p) << "length " << len;
      EXPECT_EQ(got, want) << "length " << len;
    } else {
      EXPECT_EQ(got, 12345u) << "output changed on failure, length " << len;
    }
  }
}

TEST(Varint, RoundTripsEveryLengthAndBoundary) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 16383, 16384, UINT32_MAX, UINT64_MAX};
  for (int bits = 1; bits <= 64; ++bits) {
    const uint64_t top = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    values.push_back(top);
    values.push_back(top >> 1 | (uint64_t{1} << (bits - 1)));
  }
  for (uint64_t v : values) {
    std::string s;
    PutVarint64(&s, v);
    const size_t n = s.size();
    s += std::string(12, '\xff');  // trailing bytes: the fast path reads 8 at a time
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    for (size_t end : {n, s.size()}) {
      uint64_t got = 0;
      const uint8_t* next = GetVarint64(p, p + end, &got);
      ASSERT_NE(next, nullptr) << v;
      EXPECT_EQ(got, v);
      EXPECT_EQ(static_cast<size_t>(next - p), n) << v;
    }
    ExpectSameAsReference(s);
  }
}

TEST(Varint, RejectsTruncatedOverlongAndOverflowing) {
  const std::string truncated = "\x80\x80\x80";
  const auto* p = reinterpret_cast<const uint8_t*>(truncated.data());
  uint64_t v = 7;
  EXPECT_EQ(GetVarint64(p, p + truncated.size(), &v), nullptr);
  EXPECT_EQ(v, 7u);
  const std::string eleven(11, '\x80');  // no terminator in 10 bytes
  p = reinterpret_cast<const uint8_t*>(eleven.data());
  EXPECT_EQ(GetVarint64(p, p + eleven.size(), &v), nullptr);
  std::string over(9, '\xff');  // 2^64 and above: the tenth byte > 1
  over += '\x02';
  p = reinterpret_cast<const uint8_t*>(over.data());
  EXPECT_EQ(GetVarint64(p, p + over.size(), &v), nullptr);
  EXPECT_EQ(GetVarint64(p, p, &v), nullptr);  // empty
}

TEST(Varint, RandomBytesDecodeAsTheReference) {
  std::mt19937_64 rng(20261203);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 14, '\0');
    // Mostly continuation bytes, so that lengths 1..11 all occur.
    for (char& c : s) c = static_cast<char>(rng() % 4 ? (rng() | 0x80) : (rng() & 0x7f));
    ExpectSameAsReference(s);
  }
}

}  // namespace
}  // namespace dc
