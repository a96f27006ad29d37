// Blocks: a run of one series' points, time-sorted, compressed, with statistics.
// Timestamps are delta-of-delta coded; values use the best of a decimal-aware scheme and
// Gorilla XOR, chosen per block. Byte layout: docs/formats/block.md.
// All functions are thread-safe (encoders keep per-thread scratch buffers).
#ifndef DC_STORAGE_BLOCK_H_
#define DC_STORAGE_BLOCK_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/sample.h"

namespace dc {

// Statistics of a block, kept in the segment index so that aggregates over long ranges read
// these instead of decoding points. NaN values are excluded from min/max/sum (count includes
// them); a block of only NaNs has min = +inf, max = -inf, sum = 0.
// first/last are the values of the first/last point as stored (NaN if that point is NaN).
// ±inf take part in min/max/sum like any number. Between equal values (0.0 and -0.0) min and
// max keep the earlier point's. sum adds the non-NaN values in point order.
// nondecreasing: the block has points, every value is finite and none is less than the one
// before — a stretch of a cumulative counter without reset or rollover, whose increase is
// last - first (common/counter.h consumes such blocks without decoding them).
struct BlockStats {
  int64_t count = 0;
  int64_t t_first = 0, t_last = 0;
  double min = 0, max = 0, sum = 0;
  double first = 0, last = 0;
  bool nondecreasing = false;
  // finite: the block has points and every value is finite (no NaN — a failed poll — and no
  // ±inf). Aggregates skip non-finite values, so only such blocks are answered from their
  // stats; stats written before this flag existed have it false (decoded instead).
  bool finite = false;
};

// An empty span gives count 0, t_first = t_last = 0, min = +inf, max = -inf, sum = 0,
// first = last = NaN, nondecreasing = finite = false.
BlockStats ComputeStats(std::span<const Sample> points);

// Appends the encoded block to *out. REQUIRES: points sorted by strictly increasing t,
// size >= 1, every q a valid Quality. Every value (NaN payloads, -0.0, ±inf, denormals)
// and timestamp (INT64_MIN..INT64_MAX) round-trips bit-exactly.
void EncodeBlock(std::span<const Sample> points, std::string* out);

// Decodes a block of `count` points (count comes from the index). Appends to *out.
// `data` must be exactly the bytes EncodeBlock appended (trailing bytes are an error).
// Never reads outside `data`; corrupt input gives DataLossError (with the reason and byte
// offset), never a crash, and leaves *out as it was. Decoded timestamps are checked to be
// strictly increasing.
absl::Status DecodeBlock(std::string_view data, int64_t count, std::vector<Sample>* out);

// Compact encoding of stats for the segment index (varint/delta, ~20 bytes typical).
// Round-trips every field bit-exactly.
void EncodeStats(const BlockStats& s, std::string* out);
// The value fields of BlockStats, as a mask of those DecodeStats converts.
enum StatFields : unsigned {
  kStatFirst = 1,
  kStatLast = 2,
  kStatMin = 4,
  kStatMax = 8,
  kStatSum = 16,
  kAllStatFields = 31,
};
// Reads stats from *in and advances it; DataLossError on truncation. Only the value fields in
// `fields` are converted (the others are left 0): a query that sums reads only the sum, and
// skips the conversions (a division each) of the rest. count, the times and the flags are
// always read, and the whole entry is checked whatever `fields` is.
absl::Status DecodeStats(std::string_view* in, BlockStats* s, unsigned fields = kAllStatFields);

// Plain Gorilla XOR value coding (Pelkonen et al., VLDB 2015), kept for comparison in
// benchmarks. Appends to *out; returns the number of bits written.
size_t EncodeGorillaValues(std::span<const double> values, std::string* out);

}  // namespace dc

#endif  // DC_STORAGE_BLOCK_H_
