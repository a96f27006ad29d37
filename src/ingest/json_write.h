// The JSON write format of `POST /api/v1/write` (Content-Type: application/json):
//   [{"series": "energy,site=s1,meter=m1 kwh", "t": 1700000000000000000, "v": 12.5, "q": 0}, ...]
// `series` is any spelling of a series key (tags in any order, field defaulting to "value"),
// canonicalised; `t` is epoch nanoseconds (integer) or an RFC 3339 string; `v` a number (or
// boolean: 1/0); `q` an optional quality 0 good, 1 uncertain, 2 bad. See docs/ingest.md.
#ifndef DC_INGEST_JSON_WRITE_H_
#define DC_INGEST_JSON_WRITE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sample.h"

namespace dc {

// A rejected array element: its 0-based index and why.
struct JsonWriteError {
  size_t index = 0;
  std::string message;
  // "element 3: \"v\" must be a number"
  std::string ToString() const;
};

struct JsonWriteOptions {
  size_t max_errors = 100;  // JsonWriteResult::errors keeps at most this many
};

struct JsonWriteResult {
  size_t elements = 0;                 // array elements seen
  size_t points = 0;                   // points appended
  std::vector<JsonWriteError> errors;  // the first max_errors bad elements
  size_t error_count = 0;              // all bad elements
  bool ok() const { return error_count == 0; }
};

// Parses `body` (a JSON array of point objects; a single object counts as an array of one),
// appending every good element to *out; bad elements are reported by index and skipped.
// Returns InvalidArgument (with the position) if the body is not valid JSON or not an array of
// objects at all. REQUIRES: out != nullptr.
absl::StatusOr<JsonWriteResult> ParseJsonWrite(std::string_view body, const JsonWriteOptions& opt,
                                               PointBatch* out);

}  // namespace dc

#endif  // DC_INGEST_JSON_WRITE_H_
