#include "server/body_codecs.h"

namespace dc::server {

// TODO(server): delegate to ingest/gzip.h and ingest/json_write.h once they land.
absl::Status Gunzip(std::string_view, size_t, std::string*) {
  return absl::UnimplementedError("gzip bodies are not supported yet");
}

absl::Status ParseJsonBody(std::string_view, int64_t, size_t, PointBatch*, LpResult*) {
  return absl::UnimplementedError("JSON write bodies are not supported yet");
}

}  // namespace dc::server
