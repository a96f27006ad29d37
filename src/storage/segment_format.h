// Constants of the segment file format. Byte layout: docs/formats/segment.md.
// All fixed-width integers are little-endian.
#ifndef DC_STORAGE_SEGMENT_FORMAT_H_
#define DC_STORAGE_SEGMENT_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace dc::segment_format {

// Header: magic (8) | version (fixed32) | flags (fixed32, must be 0).
inline constexpr char kMagic[8] = {'D', 'C', 'S', 'E', 'G', 'M', 'N', 'T'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kHeaderVersionOffset = 8;
inline constexpr size_t kHeaderFlagsOffset = 12;

// Footer (fixed size, at the very end of the file), offsets within the footer:
inline constexpr size_t kFooterSeqOffset = 0;             // fixed64
inline constexpr size_t kFooterPartitionStartOffset = 8;  // fixed64 (int64 two's complement)
inline constexpr size_t kFooterPartitionEndOffset = 16;   // fixed64 (int64 two's complement)
inline constexpr size_t kFooterIndexOffsetOffset = 24;    // fixed64
inline constexpr size_t kFooterIndexLengthOffset = 32;    // fixed64
inline constexpr size_t kFooterIndexCrcOffset = 40;       // fixed32, masked CRC32C of the index
inline constexpr size_t kFooterCrcOffset = 44;            // fixed32, masked CRC32C of footer[0, 44)
inline constexpr size_t kFooterMagicOffset = 48;          // 8 bytes, == kMagic
inline constexpr size_t kFooterSize = 56;

// Smallest valid file: header, no blocks, an index holding only "0 series", footer.
inline constexpr size_t kMinFileSize = kHeaderSize + 1 + kFooterSize;

// Largest encoded block (BlockRef::length is 32-bit).
inline constexpr uint64_t kMaxBlockLength = UINT32_MAX;
// Largest index (readers keep 32-bit positions into it).
inline constexpr uint64_t kMaxIndexLength = UINT32_MAX;

}  // namespace dc::segment_format

#endif  // DC_STORAGE_SEGMENT_FORMAT_H_
