// Segment validation: corrupt, truncated and hand-built inconsistent files are refused.
#include "storage/segment.h"

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/crc32c.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/segment_format.h"
#include "storage/segment_test_util.h"

namespace dc {
namespace {

using namespace segment_test;  // NOLINT(build/namespaces)

namespace fmt = segment_format;
using ::testing::HasSubstr;

TEST_F(SegmentTest, BlockDataDetectsCorruptBlock) {
  WriteSmall(env_, path_);
  auto r0 = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r0.ok()) << r0.status();
  BlockRef victim = (*r0)->ReadAll()[1].blocks[1];
  r0->reset();

  std::string bytes = ReadAll(path_);
  bytes[victim.offset + victim.length / 2] ^= 0x20;
  WriteAll(path_, bytes);
  auto r = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& sb : (*r)->ReadAll()) {
    for (const auto& ref : sb.blocks) {
      auto data = (*r)->BlockData(ref);
      if (ref.offset == victim.offset) {
        EXPECT_TRUE(absl::IsDataLoss(data.status())) << data.status();
        EXPECT_THAT(std::string(data.status().message()), HasSubstr("checksum mismatch"));
        EXPECT_THAT(std::string(data.status().message()), HasSubstr(path_));
      } else {
        EXPECT_TRUE(data.ok()) << data.status();
      }
    }
  }
  // A ref that does not belong to the file is refused, not followed.
  BlockRef outside = victim;
  outside.offset = (*r)->file_size() - 2;
  EXPECT_TRUE(absl::IsInvalidArgument((*r)->BlockData(outside).status()));
  outside.offset = 0;
  EXPECT_TRUE(absl::IsInvalidArgument((*r)->BlockData(outside).status()));
  outside.offset = UINT64_MAX - 1;
  EXPECT_TRUE(absl::IsInvalidArgument((*r)->BlockData(outside).status()));
}

TEST_F(SegmentTest, EveryTruncationIsDataLoss) {
  WriteSmall(env_, path_);
  std::string full = ReadAll(path_);
  std::string cut = dir_ + "/cut.seg";
  for (size_t len = 0; len < full.size(); ++len) {
    WriteAll(cut, std::string_view(full).substr(0, len));
    auto r = SegmentReader::Open(env_, cut);
    ASSERT_FALSE(r.ok()) << "truncated to " << len << " of " << full.size();
    EXPECT_TRUE(absl::IsDataLoss(r.status())) << len << ": " << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(cut));
  }
  // Garbage appended is detected too.
  WriteAll(cut, full + "x");
  EXPECT_TRUE(absl::IsDataLoss(SegmentReader::Open(env_, cut).status()));
}

// Every single-byte change anywhere in the file is detected: by Open (header, index, footer)
// or by BlockData for exactly the block holding the byte.
TEST_F(SegmentTest, EveryByteFlipIsDetected) {
  WriteSmall(env_, path_);
  std::string full = ReadAll(path_);
  std::vector<BlockRef> refs;
  {
    auto r = SegmentReader::Open(env_, path_);
    ASSERT_TRUE(r.ok());
    for (const auto& sb : (*r)->ReadAll())
      refs.insert(refs.end(), sb.blocks.begin(), sb.blocks.end());
  }
  std::string flipped = dir_ + "/flip.seg";
  for (size_t pos = 0; pos < full.size(); ++pos) {
    for (uint8_t mask : {0x01, 0xff}) {
      std::string bytes = full;
      bytes[pos] = static_cast<char>(bytes[pos] ^ mask);
      WriteAll(flipped, bytes);
      auto r = SegmentReader::Open(env_, flipped);
      if (!r.ok()) {
        EXPECT_TRUE(absl::IsDataLoss(r.status())) << pos << ": " << r.status();
        continue;
      }
      int bad = 0;
      for (const auto& sb : (*r)->ReadAll()) {
        for (const auto& ref : sb.blocks) {
          auto data = (*r)->BlockData(ref);
          bool inside = pos >= ref.offset && pos < ref.offset + ref.length;
          EXPECT_EQ(data.ok(), !inside) << pos;
          if (!data.ok()) {
            EXPECT_TRUE(absl::IsDataLoss(data.status()));
            ++bad;
          }
        }
      }
      EXPECT_EQ(bad, 1) << "flip at " << pos << " mask " << int{mask} << " went unnoticed";
    }
  }
}

TEST_F(SegmentTest, RandomCorruptionNeverCrashes) {
  WriteSmall(env_, path_);
  std::string full = ReadAll(path_);
  std::string bad_path = dir_ + "/bad.seg";
  std::mt19937 rng(7);
  int opened = 0;
  for (int iter = 0; iter < 600; ++iter) {
    std::string bytes = full;
    int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (iter % 3 == 0) bytes.resize(rng() % bytes.size());
    WriteAll(bad_path, bytes);
    auto r = SegmentReader::Open(env_, bad_path);
    if (!r.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
      continue;
    }
    ++opened;
    for (const auto& sb : (*r)->ReadAll()) {
      for (const auto& ref : sb.blocks) {
        auto data = (*r)->BlockData(ref);
        EXPECT_TRUE(data.ok() || absl::IsDataLoss(data.status())) << data.status();
      }
    }
  }
  // Only changes confined to block bytes (or no-op changes) let Open succeed.
  EXPECT_LT(opened, 600);
}

// --- Files whose checksums are right but whose index is inconsistent (a writer bug). ---

struct RawBlock {
  uint64_t length;
  uint32_t crc;
  BlockStats stats;
};
struct RawSeries {
  uint64_t prefix;     // bytes shared with the previous key's start
  uint64_t suffix;     // bytes shared with the previous key's end
  std::string middle;  // the rest
  std::vector<RawBlock> blocks;
};

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutFixed(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

// Builds a file by hand from the format description, with valid checksums.
std::string BuildRaw(const SegmentMeta& meta, std::string_view block_bytes,
                     std::string_view index) {
  std::string f(fmt::kMagic, 8);
  PutFixed(&f, fmt::kVersion, 4);
  PutFixed(&f, 0, 4);
  f.append(block_bytes);
  uint64_t index_offset = f.size();
  f += index;
  std::string footer;
  PutFixed(&footer, meta.seq, 8);
  PutFixed(&footer, static_cast<uint64_t>(meta.partition_start), 8);
  PutFixed(&footer, static_cast<uint64_t>(meta.partition_end), 8);
  PutFixed(&footer, index_offset, 8);
  PutFixed(&footer, index.size(), 8);
  PutFixed(&footer, crc32c::Mask(crc32c::Value(index)), 4);
  PutFixed(&footer, crc32c::Mask(crc32c::Value(footer)), 4);
  footer.append(fmt::kMagic, 8);
  return f + footer;
}

std::string BuildFile(const SegmentMeta& meta, std::string_view block_bytes,
                      const std::vector<RawSeries>& series, std::string_view index_tail = "") {
  std::string index;
  PutVarint(&index, series.size());
  for (const auto& s : series) {
    PutVarint(&index, s.prefix);
    PutVarint(&index, s.suffix);
    PutVarint(&index, s.middle.size());
    index += s.middle;
    PutVarint(&index, s.blocks.size());
    for (const auto& b : s.blocks) {
      PutVarint(&index, b.length);
      PutFixed(&index, b.crc, 4);
      EncodeStats(b.stats, &index);
    }
  }
  index.append(index_tail);
  return BuildRaw(meta, block_bytes, index);
}

TEST_F(SegmentTest, HandBuiltFileMatchesWriter) {
  // The documented layout, built independently of SegmentWriter, reads back; and the writer
  // produces exactly these bytes.
  std::string blocks = "AAAABBB";
  BlockStats s1 = FakeStats(4, kDayStart, kDayStart + 3);
  BlockStats s2 = FakeStats(3, kDayStart + 10, kDayStart + 12);
  uint32_t c1 = crc32c::Mask(crc32c::Value("AAAA"));
  uint32_t c2 = crc32c::Mask(crc32c::Value("BBB"));
  std::string built = BuildFile(
      DayMeta(9), blocks, {{0, 0, "meter,id=a v", {{4, c1, s1}}}, {9, 2, "b", {{3, c2, s2}}}});
  auto w = SegmentWriter::Create(env_, path_, DayMeta(9));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddBlock("meter,id=a v", s1, "AAAA").ok());
  ASSERT_TRUE((*w)->AddBlock("meter,id=b v", s2, "BBB").ok());
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ(ReadAll(path_), built);
  auto r = SegmentReader::Open(env_, path_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)->series_count(), 2u);
  EXPECT_EQ((*r)->ReadAll()[1].key, "meter,id=b v");
  EXPECT_EQ((*r)->ReadAll()[1].blocks[0].offset, fmt::kHeaderSize + 4);
  EXPECT_EQ((*r)->point_count(), 7);
}

TEST_F(SegmentTest, InconsistentIndexIsDataLoss) {
  const std::string blocks = "AAAABBB";
  const uint32_t c1 = crc32c::Mask(crc32c::Value("AAAA"));
  const uint32_t c2 = crc32c::Mask(crc32c::Value("BBB"));
  const BlockStats s1 = FakeStats(4, kDayStart, kDayStart + 3);
  const BlockStats s2 = FakeStats(3, kDayStart + 10, kDayStart + 12);
  struct Case {
    std::string name;
    std::string file;
    std::string expect;  // in the message
  };
  BlockStats zero = s1;
  zero.count = 0;
  BlockStats backwards = s1;
  backwards.t_first = kDayStart + 5;
  BlockStats crowded = s1;
  crowded.count = 5;  // 5 distinct ns timestamps cannot fit in [t, t+3]
  BlockStats late = s2;
  late.t_last = kDayStart + kDay;  // partition end is exclusive
  BlockStats early = s1;
  early.t_first = kDayStart - 1;
  std::vector<Case> cases = {
      {"out of order",
       BuildFile(DayMeta(), blocks, {{0, 0, "b", {{4, c1, s1}}}, {0, 0, "a", {{3, c2, s2}}}}),
       "out of order"},
      {"duplicate key",
       BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, s1}}}, {1, 0, "", {{3, c2, s2}}}}),
       "out of order"},
      {"shared too long",
       BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, s1}}}, {1, 1, "b", {{3, c2, s2}}}}),
       "out of range"},
      {"empty key", BuildFile(DayMeta(), blocks, {{0, 0, "", {{4, c1, s1}, {3, c2, s2}}}}),
       "empty key"},
      {"no blocks", BuildFile(DayMeta(), "", {{0, 0, "a", {}}}), "block count"},
      {"past block area", BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, s1}, {4, c2, s2}}}}),
       "exceeds the block area"},
      {"zero length", BuildFile(DayMeta(), blocks, {{0, 0, "a", {{0, c1, s1}, {7, c2, s2}}}}),
       "length 0"},
      {"gap before index", BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, s1}, {2, c2, s2}}}}),
       "but the index starts"},
      {"overlap", BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, s2}, {3, c2, s1}}}}),
       "overlaps"},
      {"zero count", BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, zero}, {3, c2, s2}}}}),
       "< 1"},
      {"t_first > t_last",
       BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, backwards}, {3, c2, s2}}}}), "t_first"},
      {"too many points",
       BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, crowded}, {3, c2, s2}}}}), "cannot lie"},
      {"after partition", BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, s1}, {3, c2, late}}}}),
       "outside the partition"},
      {"before partition",
       BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, early}, {3, c2, s2}}}}),
       "outside the partition"},
      {"trailing", BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, s1}, {3, c2, s2}}}}, "zz"),
       "trailing"},
      {"truncated block count",
       BuildRaw(DayMeta(), "",
                std::string("\x02\x00\x00\x01"
                            "a",
                            5)),
       "truncated block count"},
      {"truncated key", BuildRaw(DayMeta(), "", std::string("\x01\x00\x00", 3)),
       "truncated key lengths"},
      {"key past index",
       BuildRaw(DayMeta(), "",
                std::string("\x01\x00\x00\x05"
                            "ab",
                            6)),
       "out of range"},
      {"too many series", BuildRaw(DayMeta(), "", "\x05"), "cannot fit"},
      {"bad varint", BuildRaw(DayMeta(), "", std::string(11, '\xff')), "bad series count"},
      {"empty index", BuildRaw(DayMeta(), "A", ""), "does not end at the footer"},
      {"empty partition", BuildFile(SegmentMeta{1, kDayStart, kDayStart}, "", {}),
       "empty partition"},
  };
  // The control case is valid.
  WriteAll(path_, BuildFile(DayMeta(), blocks, {{0, 0, "a", {{4, c1, s1}, {3, c2, s2}}}}));
  ASSERT_TRUE(SegmentReader::Open(env_, path_).ok());
  for (const auto& c : cases) {
    WriteAll(path_, c.file);
    auto r = SegmentReader::Open(env_, path_);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_TRUE(absl::IsDataLoss(r.status())) << c.name << ": " << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.expect)) << c.name;
  }
}

TEST_F(SegmentTest, HeaderAndFooterChecks) {
  WriteSmall(env_, path_);
  std::string full = ReadAll(path_);
  auto open_with = [&](std::string bytes) {
    WriteAll(path_, bytes);
    return SegmentReader::Open(env_, path_).status();
  };
  std::string v2 = full;
  v2[fmt::kHeaderVersionOffset] = 2;
  EXPECT_THAT(std::string(open_with(v2).message()), HasSubstr("unsupported format version 2"));
  std::string not_seg = full;
  not_seg[0] = 'X';
  EXPECT_THAT(std::string(open_with(not_seg).message()), HasSubstr("not a segment file"));
  std::string footer_crc = full;
  footer_crc[full.size() - fmt::kFooterSize + fmt::kFooterSeqOffset] ^= 1;
  EXPECT_THAT(std::string(open_with(footer_crc).message()), HasSubstr("footer checksum"));
  EXPECT_TRUE(absl::IsNotFound(SegmentReader::Open(env_, dir_ + "/absent.seg").status()));
}

}  // namespace
}  // namespace dc
