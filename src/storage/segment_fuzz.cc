// libFuzzer target: any bytes as a segment file. Writes the input to a temp file, opens it with
// SegmentReader and reads (and decodes) every block; must never crash or read outside the file.
// Each input is tried twice: as is, and with its header magic, footer magic and checksums
// repaired, so that mutations reach the index decoder instead of stopping at a CRC check.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
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

void Check(const std::string& path, std::string_view bytes) {
  dc::Env* env = dc::Env::Default();
  {
    auto f = env->NewWritableFile(path);
    Require(f.ok());
    Require((*f)->Append(bytes).ok());
    Require((*f)->Close().ok());
  }
  auto r = dc::SegmentReader::Open(env, path);
  if (!r.ok()) {
    Require(absl::IsDataLoss(r.status()));
    return;
  }
  const dc::SegmentReader& seg = **r;
  Require(seg.file_size() == bytes.size());
  int64_t points = 0;
  for (const dc::SeriesBlocks& sb : seg.series()) {
    Require(seg.Find(sb.key) == &sb);
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

std::string* g_path = nullptr;  // the temp file, removed at exit

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_path == nullptr) {
    const char* tmp = std::getenv("TMPDIR");
    g_path = new std::string(
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/segment_fuzz_", getpid(), ".seg"));
    std::atexit([] { ::unlink(g_path->c_str()); });
  }
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(*g_path, in);
  Check(*g_path, Repair(in));
  return 0;
}
