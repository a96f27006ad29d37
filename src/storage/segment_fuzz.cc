// libFuzzer target: any bytes as a segment file. Opens the input with SegmentReader and reads
// (and decodes) every block; must never crash or read outside the file.
// Each input is tried twice: as is, and with its header magic, footer magic and checksums
// repaired, so that mutations reach the index decoder instead of stopping at a CRC check.
// The file is served from an exactly-sized heap buffer rather than an mmap of a temp file:
// ASan then catches a read even one byte past the end (an mmap is only guarded per page), and
// runs are ~100x faster. Env::Default()'s mmap path is covered by segment_test.
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/crc32c.h"
#include "common/env.h"
#include "storage/block.h"
#include "storage/segment.h"
#include "storage/segment_format.h"

namespace {

namespace fmt = dc::segment_format;

void Require(bool cond) {
  if (!cond) __builtin_trap();
}

void PutFixed(std::string* s, size_t pos, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) (*s)[pos + i] = static_cast<char>(v >> (8 * i));
}
uint64_t GetFixed(std::string_view s, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

// Makes header, footer and index checksums consistent, if the file is long enough.
std::string Repair(std::string_view in) {
  std::string s(in);
  if (s.size() < fmt::kMinFileSize) return s;
  std::memcpy(s.data(), fmt::kMagic, sizeof(fmt::kMagic));
  PutFixed(&s, fmt::kHeaderVersionOffset, fmt::kVersion, 4);
  PutFixed(&s, fmt::kHeaderFlagsOffset, 0, 4);
  const size_t footer = s.size() - fmt::kFooterSize;
  std::memcpy(s.data() + footer + fmt::kFooterMagicOffset, fmt::kMagic, sizeof(fmt::kMagic));
  uint64_t index_offset = GetFixed(s, footer + fmt::kFooterIndexOffsetOffset, 8);
  if (index_offset < fmt::kHeaderSize || index_offset >= footer) {
    index_offset = fmt::kHeaderSize + index_offset % (footer - fmt::kHeaderSize);
    PutFixed(&s, footer + fmt::kFooterIndexOffsetOffset, index_offset, 8);
  }
  const uint64_t index_length = footer - index_offset;
  PutFixed(&s, footer + fmt::kFooterIndexLengthOffset, index_length, 8);
  std::string_view index = std::string_view(s).substr(index_offset, index_length);
  PutFixed(&s, footer + fmt::kFooterIndexCrcOffset, dc::crc32c::Mask(dc::crc32c::Value(index)), 4);
  std::string_view head = std::string_view(s).substr(footer, fmt::kFooterCrcOffset);
  PutFixed(&s, footer + fmt::kFooterCrcOffset, dc::crc32c::Mask(dc::crc32c::Value(head)), 4);
  return s;
}

// A file whose contents are a copy of the input in a heap buffer of exactly its size.
class MemFile final : public dc::RandomAccessFile {
 public:
  explicit MemFile(std::string_view bytes) : data_(new char[bytes.size()]), size_(bytes.size()) {
    if (size_ > 0) std::memcpy(data_.get(), bytes.data(), size_);
  }
  uint64_t Size() const override { return size_; }
  std::string_view Contents() const override { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_;
};

// Env::Default() for everything but reading: NewRandomAccessFile returns the current input.
class InputEnv final : public dc::FaultInjectionEnv {
 public:
  InputEnv() : FaultInjectionEnv(dc::Env::Default()) {}
  void set_input(std::string_view bytes) { input_ = bytes; }
  absl::StatusOr<std::unique_ptr<dc::RandomAccessFile>> NewRandomAccessFile(
      const std::string&) override {
    return std::unique_ptr<dc::RandomAccessFile>(new MemFile(input_));
  }

 private:
  std::string_view input_;
};

void Check(std::string_view bytes) {
  static InputEnv* env = new InputEnv();
  env->set_input(bytes);
  auto r = dc::SegmentReader::Open(env, "fuzz-input.seg");
  if (!r.ok()) {
    Require(absl::IsDataLoss(r.status()));
    return;
  }
  const dc::SegmentReader& seg = **r;
  Require(seg.file_size() == bytes.size());
  int64_t points = 0;
  const std::vector<dc::SeriesBlocks> all = seg.ReadAll();
  Require(all.size() == seg.series_count());
  for (size_t i = 0; i < all.size(); ++i) {
    const dc::SeriesBlocks& sb = all[i];
    if (i < 8) {  // Find scans the keys: a few suffice
      auto found = seg.Find(sb.key);
      Require(found.has_value() && found->blocks.size() == sb.blocks.size());
    }
    for (const dc::BlockRef& ref : sb.blocks) {
      points += ref.stats.count;
      Require(ref.offset >= fmt::kHeaderSize && ref.offset + ref.length <= bytes.size());
      auto data = seg.BlockData(ref);
      if (!data.ok()) {
        Require(absl::IsDataLoss(data.status()));
        continue;
      }
      if (ref.stats.count <= 65536) {
        std::vector<dc::Sample> out;
        (void)dc::DecodeBlock(*data, ref.stats.count, &out);  // must not crash; errors are fine
      }
    }
  }
  Require(points == seg.point_count());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in);
  Check(Repair(in));
  return 0;
}
