// LEB128 varints (7 bits per byte, low group first, high bit = more), as the segment index,
// block stats and WAL records store their integers (docs/formats/). One decoder for all of them:
// the segment index of a year of 2,000 meters is ~10 M varints per query, so the common case
// (≥ 8 readable bytes, value ≤ 56 bits) is decoded without a loop or a branch per byte.
#ifndef DC_COMMON_VARINT_H_
#define DC_COMMON_VARINT_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace dc {

constexpr int kMaxVarint64Bytes = 10;

// Appends v; returns the position after it. REQUIRES: room for kMaxVarint64Bytes.
inline char* PutVarint64(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline void PutVarint64(std::string* out, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  out->append(buf, PutVarint64(buf, v));
}

// Decodes the varint at [p, end) into *v. Returns the position after it, or nullptr if it is
// truncated, longer than 10 bytes or above 2^64 - 1 (*v is then unchanged). Never reads at or
// past `end`.
inline const uint8_t* GetVarint64(const uint8_t* p, const uint8_t* end, uint64_t* v) {
  if (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if constexpr (std::endian::native == std::endian::little) {
      // The first byte without its high bit ends the varint; within 8 bytes its 7-bit groups
      // are gathered by three shift-and-merge steps (8→16→32→64-bit lanes).
      const uint64_t stops = ~w & 0x8080808080808080ull;
      if (stops != 0) {
        const int bits = std::countr_zero(stops) + 1;  // through the last byte's high bit
        uint64_t x = bits == 64 ? w : w & ((uint64_t{1} << bits) - 1);
        x = ((x & 0x7f007f007f007f00ull) >> 1) | (x & 0x007f007f007f007full);
        x = ((x & 0x3fff00003fff0000ull) >> 2) | (x & 0x00003fff00003fffull);
        x = ((x & 0x0fffffff00000000ull) >> 4) | (x & 0x000000000fffffffull);
        *v = x;
        return p + bits / 8;
      }
    }
  }
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const uint8_t b = *p++;
    if (shift == 63 && b > 1) return nullptr;  // more than 64 bits
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      *v = r;
      return p;
    }
  }
  return nullptr;
}

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

}  // namespace dc

#endif  // DC_COMMON_VARINT_H_
