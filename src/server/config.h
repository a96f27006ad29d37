// `dualcarbon serve` configuration: defaults, the TOML file (dualcarbon.example.toml documents
// every key), then command-line flags on top.
#ifndef DC_SERVER_CONFIG_H_
#define DC_SERVER_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "server/server.h"

namespace dc::server {

struct ServeConfig {
  std::string data_dir;                // data_dir
  std::string reference;               // reference: reference library dir ("" = default lookup)
  ServerOptions http;                  // [http]
  std::string fsync = "interval:100";  // [storage] fsync
  std::string retention = "0";         // [storage] retention ("0" = keep everything)
  int64_t compaction_mb_per_s = 48;    // [storage] compaction_mb_per_s (0 = unpaced)
  std::string log_level = "info";      // [log] level: trace|debug|info|warn|error|off
};

// Largest configuration file accepted (1 MiB); its TOML nests at most kMaxTomlDepth levels.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

// Applies the keys of TOML document `text` (file name `origin`, for messages) onto *config.
// Unknown keys, wrong types and invalid values are errors naming the key and the file.
absl::Status ApplyConfigToml(std::string_view text, std::string_view origin, ServeConfig* config);
// Reads `path` and applies it.
absl::Status LoadConfigFile(const std::string& path, ServeConfig* config);

}  // namespace dc::server

#endif  // DC_SERVER_CONFIG_H_
