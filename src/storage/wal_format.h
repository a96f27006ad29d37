// Byte format of the write-ahead log (docs/formats/wal.md describes it byte by byte), and the
// payload codec shared by the writer, recovery and the fuzz target. Internal to storage/.
//
// File  := FileHeader Record*
// FileHeader (24 bytes) := magic[8] | version u32 | file_no u64 | header_crc u32
// Record := length u32 | payload_crc u32 | header_crc u32 | payload[length]
// All integers little-endian; CRCs are CRC32C, masked (crc32c::Mask).
#ifndef DC_STORAGE_WAL_FORMAT_H_
#define DC_STORAGE_WAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/sample.h"

namespace dc::wal {

// File header.
inline constexpr char kMagic[8] = {'D', 'C', 'W', 'A', 'L', '\r', '\n', '\x1a'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kFileHeaderSize = 24;
inline constexpr size_t kFileHeaderCrcOffset = 20;  // CRC of bytes [0, 20)

// Record header.
inline constexpr size_t kRecordHeaderSize = 12;
inline constexpr size_t kRecordHeaderCrcOffset = 8;  // CRC of bytes [0, 8): length and payload CRC
// Largest payload one record may hold; a larger batch is refused by Append.
inline constexpr uint32_t kMaxPayloadBytes = 1u << 30;

// First payload byte: what the record holds.
inline constexpr uint8_t kTypePointBatch = 1;
// Quality column encodings (the byte after the value column).
inline constexpr uint8_t kQualityAllGood = 0;  // no bytes follow: every row is Quality::kGood
inline constexpr uint8_t kQualityBytes = 1;    // one byte per row follows

// Little-endian fixed-width helpers.
inline void PutFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline void PutFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
inline uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
inline uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// The 24-byte file header of file `file_no`.
std::string EncodeFileHeader(uint64_t file_no);
// Checks a file header; on success sets *file_no. REQUIRES: header.size() >= kFileHeaderSize.
absl::Status DecodeFileHeader(std::string_view header, uint64_t* file_no);

// Upper bound of EncodePayload's output size for `batch`.
size_t MaxPayloadSize(const PointBatch& batch);
// Writes the payload of `batch` to `out` (REQUIRES: room for MaxPayloadSize(batch) bytes);
// returns the number of bytes written. Does not allocate.
size_t EncodePayload(const PointBatch& batch, char* out);
// Replaces the contents of *batch with the batch encoded in `payload`. Safe on arbitrary bytes:
// returns InvalidArgument (with the offset and reason) for anything that is not a well-formed
// payload; allocations are bounded by payload.size(). On error *batch is left cleared.
absl::Status DecodePayload(std::string_view payload, PointBatch* batch);

// Fills the 12-byte record header at `rec` for the payload that follows it.
void FillRecordHeader(char* rec, uint32_t payload_len);
// Checks the record header at `p` (kRecordHeaderSize bytes); sets *payload_len on success.
bool RecordHeaderValid(const char* p, uint32_t* payload_len);
// True if `payload` matches the payload CRC stored in the record header at `header`.
bool PayloadCrcValid(const char* header, std::string_view payload);

}  // namespace dc::wal

#endif  // DC_STORAGE_WAL_FORMAT_H_
