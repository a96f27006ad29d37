// libFuzzer target: the `serve` configuration loader. Any bytes are applied or give an error
// naming the file, never a crash; applying the same text twice gives the same configuration.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/config.h"

namespace {

bool Same(const dc::server::ServeConfig& a, const dc::server::ServeConfig& b) {
  return a.data_dir == b.data_dir && a.reference == b.reference && a.fsync == b.fsync &&
         a.retention == b.retention && a.log_level == b.log_level &&
         a.http.listen == b.http.listen && a.http.auth == b.http.auth &&
         a.http.threads == b.http.threads && a.http.max_body_bytes == b.http.max_body_bytes &&
         a.http.max_header_bytes == b.http.max_header_bytes &&
         a.http.request_timeout_ns == b.http.request_timeout_ns &&
         a.http.idle_timeout_ns == b.http.idle_timeout_ns;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  dc::server::ServeConfig a, b;
  absl::Status s = dc::server::ApplyConfigToml(text, "f.toml", &a);
  if (!s.ok()) {
    if (s.message().substr(0, 6) != "f.toml") std::abort();
    return 0;
  }
  if (!dc::server::ApplyConfigToml(text, "f.toml", &b).ok() || !Same(a, b)) std::abort();
  if (a.http.threads < 0 || a.http.threads > 1024 || a.http.max_body_bytes < 1024) std::abort();
  return 0;
}
