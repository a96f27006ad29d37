// CRC32C (Castagnoli), hardware-accelerated with SSE4.2 where the CPU has it.
#ifndef DC_COMMON_CRC32C_H_
#define DC_COMMON_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dc::crc32c {

// Returns the CRC32C of data[0, n) continuing from `init` (0 to start).
uint32_t Extend(uint32_t init, const char* data, size_t n);
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// Masked CRC for storing next to data that itself contains CRCs (as LevelDB does).
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace dc::crc32c

#endif  // DC_COMMON_CRC32C_H_
