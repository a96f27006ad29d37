// The one place where absl::Status becomes an HTTP status and a JSON error body.
#ifndef DC_SERVER_ERRORS_H_
#define DC_SERVER_ERRORS_H_

#include <string>
#include <string_view>

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

// Short snake_case name of the code: "invalid_argument", "unauthenticated", ...
std::string ErrorCodeName(absl::StatusCode code);

// Attaches machine-readable details (a JSON document, e.g. the bad lines of a write) to a status.
absl::Status WithDetails(absl::Status status, std::string_view details_json);
// The details attached by WithDetails, or "" when none.
std::string DetailsOf(const absl::Status& status);

// The JSON error body for `status` in `style`. REQUIRES: !status.ok().
std::string ErrorBody(const absl::Status& status, ErrorStyle style);

}  // namespace dc::server

#endif  // DC_SERVER_ERRORS_H_
