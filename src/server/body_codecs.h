// Adapters from request bodies to the ingest layer: gzip and the JSON write format.
#ifndef DC_SERVER_BODY_CODECS_H_
#define DC_SERVER_BODY_CODECS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/sample.h"
#include "ingest/line_protocol.h"

namespace dc::server {

// Decompresses a gzip body into *out (reusing its capacity). kResourceExhausted (413) when the
// result would exceed max_out bytes; kInvalidArgument for a corrupt or truncated stream.
absl::Status Gunzip(std::string_view in, size_t max_out, std::string* out);

// Parses [{"series": KEY, "t": TIME, "v": NUMBER}, ...] into *out; per-element errors go to
// *result (LineError::line = 1-based element index). A body that is not a JSON array is an
// error.
absl::Status ParseJsonBody(std::string_view body, int64_t default_time_ns, size_t max_errors,
                           PointBatch* out, LpResult* result);

}  // namespace dc::server

#endif  // DC_SERVER_BODY_CODECS_H_
