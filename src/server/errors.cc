#include "server/errors.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "common/env.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"

namespace dc::server {
namespace {

constexpr char kDetailsUrl[] = "type.dualcarbon/error.details";

struct Mapping {
  absl::StatusCode code;
  int http;
  const char* name;
};

// Every absl code with its HTTP status; one table, read by both functions below.
constexpr Mapping kMappings[] = {
    {absl::StatusCode::kOk, 200, "ok"},
    {absl::StatusCode::kCancelled, 499, "cancelled"},
    {absl::StatusCode::kUnknown, 500, "unknown"},
    {absl::StatusCode::kInvalidArgument, 400, "invalid_argument"},
    {absl::StatusCode::kDeadlineExceeded, 504, "deadline_exceeded"},
    {absl::StatusCode::kNotFound, 404, "not_found"},
    {absl::StatusCode::kAlreadyExists, 409, "already_exists"},
    {absl::StatusCode::kPermissionDenied, 403, "permission_denied"},
    {absl::StatusCode::kResourceExhausted, 413, "resource_exhausted"},
    {absl::StatusCode::kFailedPrecondition, 400, "failed_precondition"},
    {absl::StatusCode::kAborted, 409, "aborted"},
    {absl::StatusCode::kOutOfRange, 400, "out_of_range"},
    {absl::StatusCode::kUnimplemented, 501, "unimplemented"},
    {absl::StatusCode::kInternal, 500, "internal"},
    {absl::StatusCode::kUnavailable, 503, "unavailable"},
    {absl::StatusCode::kDataLoss, 500, "data_loss"},
    {absl::StatusCode::kUnauthenticated, 401, "unauthenticated"},
};

const Mapping& Find(absl::StatusCode code) {
  auto it = std::find_if(std::begin(kMappings), std::end(kMappings),
                         [code](const Mapping& m) { return m.code == code; });
  return it == std::end(kMappings) ? kMappings[2] : *it;  // unknown
}

}  // namespace

int HttpStatusFor(absl::StatusCode code) { return Find(code).http; }

int HttpStatusFor(const absl::Status& status) {
  switch (StorageFaultOf(status)) {
    case StorageFault::kNoSpace:
      return 507;
    case StorageFault::kIo:
      return 503;
    case StorageFault::kNone:
      break;
  }
  return HttpStatusFor(status.code());
}

std::vector<std::pair<std::string, std::string>> ErrorHeaders(const absl::Status& status) {
  if (StorageFaultOf(status) == StorageFault::kNone) return {};
  return {{"Retry-After", std::to_string(kStorageRetryAfterSeconds)}};
}

std::string ErrorCodeName(absl::StatusCode code) { return Find(code).name; }

absl::Status WithDetails(absl::Status status, std::string_view details_json) {
  status.SetPayload(kDetailsUrl, absl::Cord(AV(details_json)));
  return status;
}

std::string DetailsOf(const absl::Status& status) {
  auto payload = status.GetPayload(kDetailsUrl);
  return payload ? std::string(*payload) : std::string();
}

std::string ErrorBody(const absl::Status& status, ErrorStyle style) {
  std::string message(SV(status.message()));
  std::string details = DetailsOf(status);
  nlohmann::json body;
  if (style == ErrorStyle::kInflux) {
    body["error"] = message;
  } else {
    nlohmann::json err;
    switch (StorageFaultOf(status)) {
      case StorageFault::kNoSpace:
        err["code"] = "insufficient_storage";
        break;
      case StorageFault::kIo:
        err["code"] = "storage_unavailable";
        break;
      case StorageFault::kNone:
        err["code"] = ErrorCodeName(status.code());
    }
    err["message"] = message;
    if (details.empty()) {
      err["details"] = nullptr;
    } else {
      err["details"] = nlohmann::json::parse(details, nullptr, /*allow_exceptions=*/false);
    }
    body["error"] = std::move(err);
  }
  // Messages may quote raw request bytes; replace invalid UTF-8 rather than throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace dc::server
