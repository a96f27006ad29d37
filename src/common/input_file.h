// Reading a whole file named from outside (a command-line argument, a config key): one set of
// clear errors for a missing file, a directory, an unreadable or oversized file.
#ifndef DC_COMMON_INPUT_FILE_H_
#define DC_COMMON_INPUT_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/env.h"

namespace dc {

// Reads `path` through `env`. `kind` says what the file should be ("a site file"); errors are
// "<path>: no such file (expected <kind>)", "<path>: is a directory, expected <kind>",
// "<path>: <kind> of N bytes is larger than the limit of M bytes", or the OS error.
absl::StatusOr<std::string> ReadInputFile(Env* env, const std::string& path, std::string_view kind,
                                          uint64_t max_bytes);

}  // namespace dc

#endif  // DC_COMMON_INPUT_FILE_H_
