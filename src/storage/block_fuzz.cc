// libFuzzer target: arbitrary bytes as a block and as encoded stats.
// Input: 2 bytes little-endian (count - 1), then the block bytes (seeds: fuzz/block/).
// A block that decodes must re-encode to a block that decodes to the same points, and
// encoding is deterministic.
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "storage/block.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "block_fuzz: %s\n", what);
    std::abort();
  }
}

bool SameBits(const std::vector<dc::Sample>& a, const std::vector<dc::Sample>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].t != b[i].t || a[i].q != b[i].q ||
        std::bit_cast<uint64_t>(a[i].v) != std::bit_cast<uint64_t>(b[i].v))
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);

  // Stats: any bytes; a success must re-encode to something that decodes the same.
  {
    std::string_view in = all;
    dc::BlockStats s;
    if (dc::DecodeStats(&in, &s).ok()) {
      Check(in.size() <= all.size(), "stats consumed past the end");
      std::string enc;
      dc::EncodeStats(s, &enc);
      std::string_view in2(enc);
      dc::BlockStats s2;
      Check(dc::DecodeStats(&in2, &s2).ok() && in2.empty(), "stats re-decode");
      Check(std::memcmp(&s.count, &s2.count, sizeof(int64_t) * 3) == 0 &&
                std::bit_cast<uint64_t>(s.min) == std::bit_cast<uint64_t>(s2.min) &&
                std::bit_cast<uint64_t>(s.max) == std::bit_cast<uint64_t>(s2.max) &&
                std::bit_cast<uint64_t>(s.sum) == std::bit_cast<uint64_t>(s2.sum) &&
                std::bit_cast<uint64_t>(s.first) == std::bit_cast<uint64_t>(s2.first) &&
                std::bit_cast<uint64_t>(s.last) == std::bit_cast<uint64_t>(s2.last) &&
                s.nondecreasing == s2.nondecreasing && s.finite == s2.finite,
            "stats round trip");
    }
  }

  if (size < 2) return 0;
  int64_t count = 1 + (data[0] | (data[1] << 8));
  std::string block(all.substr(2));  // own copy: ASan sees reads past its end
  std::vector<dc::Sample> points;
  if (!dc::DecodeBlock(block, count, &points).ok()) {
    Check(points.empty(), "failed decode left points behind");
    return 0;
  }
  Check(points.size() == static_cast<size_t>(count), "decoded count");
  for (size_t i = 1; i < points.size(); ++i) Check(points[i - 1].t < points[i].t, "order");

  std::string enc;
  dc::EncodeBlock(points, &enc);
  std::vector<dc::Sample> again;
  Check(dc::DecodeBlock(enc, count, &again).ok(), "re-encoded block does not decode");
  Check(SameBits(points, again), "re-encoded block decodes differently");
  std::string enc2;
  dc::EncodeBlock(again, &enc2);
  Check(enc == enc2, "encoding not deterministic");

  dc::BlockStats s = dc::ComputeStats(points);
  Check(s.count == count && s.t_first == points.front().t && s.t_last == points.back().t, "stats");
  return 0;
}
