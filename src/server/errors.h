// The one place where absl::Status becomes an HTTP status and a JSON error body.
#ifndef DC_SERVER_ERRORS_H_
#define DC_SERVER_ERRORS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace dc::server {

// How a route spells its errors.
enum class ErrorStyle {
  kApi,     // {"error": {"code": "invalid_argument", "message": "...", "details": ...}}
  kInflux,  // {"error": "..."} as InfluxDB 1.x does, so its client libraries and Telegraf
            // read the message; details are appended to the message text.
};

// HTTP status code for an absl status code (OK -> 200).
int HttpStatusFor(absl::StatusCode code);
// HTTP status code for a status: a storage fault (common/env.h) is the server's problem, never
// the request's — 507 Insufficient Storage for no space, 503 for other I/O errors; anything
// else by its code. 413 thus only ever means "request too large".
int HttpStatusFor(const absl::Status& status);
// Response headers an error carries: "Retry-After" for storage faults (clients retry the batch
// instead of dropping it).
std::vector<std::pair<std::string, std::string>> ErrorHeaders(const absl::Status& status);
// Seconds a client is told to wait before retrying after a storage fault.
inline constexpr int kStorageRetryAfterSeconds = 10;

// Short snake_case name of the code: "invalid_argument", "unauthenticated", ...
std::string ErrorCodeName(absl::StatusCode code);

// Attaches machine-readable details (a JSON document, e.g. the bad lines of a write) to a status.
absl::Status WithDetails(absl::Status status, std::string_view details_json);
// The details attached by WithDetails, or "" when none.
std::string DetailsOf(const absl::Status& status);

// The JSON error body for `status` in `style`; the API style's code is "insufficient_storage"
// or "storage_unavailable" for storage faults. REQUIRES: !status.ok().
std::string ErrorBody(const absl::Status& status, ErrorStyle style);

}  // namespace dc::server

#endif  // DC_SERVER_ERRORS_H_
