// InfluxDB 1.x line protocol → PointBatch. Start here for HTTP /write, `dualcarbon import --format
// lp` and anything else that speaks line protocol. The accepted syntax, the rule for
// non-numeric fields and the error messages are described in docs/ingest.md.
//
//   energy,meter=m0042,site=s1 kwh=1234.56,kw=12.3,ok=true,state="run" 1700000000000000000
//
// becomes three points (one per numeric field): `energy,meter=m0042,site=s1 kwh`, `... kw` and
// `... ok` (booleans as 1/0); the string field is skipped and counted.
#ifndef DC_INGEST_LINE_PROTOCOL_H_
#define DC_INGEST_LINE_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sample.h"

namespace dc {

// Unit of the timestamps in a body (the `precision` query parameter of InfluxDB's /write).
enum class Precision { kNs, kUs, kMs, kS, kM, kH };

// "" and "ns"/"n" → kNs, "us"/"u" → kUs, "ms", "s", "m", "h". Anything else is an error
// naming the value.
absl::StatusOr<Precision> ParsePrecision(std::string_view text);
// Nanoseconds in one unit of `p`.
int64_t PrecisionNanos(Precision p);

// A rejected line: 1-based line number and byte column (within the physical line) where the
// problem was found, and why.
struct LineError {
  size_t line = 0, column = 0;
  std::string message;
  // "line 3, column 17: invalid boolean"
  std::string ToString() const;
};

struct LpOptions {
  Precision precision = Precision::kNs;
  int64_t default_time_ns = 0;  // timestamp of lines that carry none (the server's clock)
  size_t max_errors = 100;      // LpResult::errors keeps at most this many
  // A line with more fields than this is rejected (Telegraf lines carry tens). Bounds the work
  // and the series one line can create.
  size_t max_fields = 1000;
};

struct LpResult {
  size_t lines = 0;               // data lines seen (good and bad; not blank lines or comments)
  size_t points = 0;              // points appended (one per numeric or boolean field)
  size_t skipped_fields = 0;      // string fields of good lines (not stored)
  std::vector<LineError> errors;  // the first max_errors bad lines, in order
  size_t error_count = 0;         // all bad lines
  bool ok() const { return error_count == 0; }
};

// Parses `body`, appending every good point to *out (series key = canonical key, see
// common/series_key.h; a key breaking ValidateSeriesKey makes its line bad). Linear in the
// size of `body`. A bad line is reported (line, column, why) and skipped as a whole,
// while all good lines are kept. Never fails on any byte sequence.
// REQUIRES: out != nullptr.
LpResult ParseLineProtocol(std::string_view body, const LpOptions& opt, PointBatch* out);

}  // namespace dc

#endif  // DC_INGEST_LINE_PROTOCOL_H_
