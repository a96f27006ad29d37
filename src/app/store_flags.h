// Flags shared by the subcommands that open the embedded store.
#ifndef DC_APP_STORE_FLAGS_H_
#define DC_APP_STORE_FLAGS_H_

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "storage/store.h"

namespace dc::app {

struct StoreFlags {
  std::string data_dir = "./data";
  std::string fsync = "interval:100";
  std::string retention = "0";  // "0" = keep all; else a duration like 400d, 52w, 12h

  // Adds --data-dir, --fsync and --retention to `cmd`.
  void Add(CLI::App* cmd, bool with_retention);
  // Opens the store; errors name the flag at fault. Only `create` (import) makes a new store:
  // otherwise (query, inspect) a --data-dir that is missing, not a directory or holds no
  // store is an error.
  absl::StatusOr<std::unique_ptr<Store>> Open(bool background, bool create) const;
};

// OK when `dir` holds a store (its wal/ or segments/ folder); else an error naming `flag`.
absl::Status CheckStoreDir(const std::string& flag, const std::string& dir);

// "400d", "12h", "90m", "0" -> nanoseconds; errors on junk, non-positive and overflowing values.
absl::StatusOr<int64_t> ParseDuration(const std::string& text);

// A number given as flag `flag`: finite and > 0 ("--rollover: ...").
absl::StatusOr<double> ParsePositive(const std::string& flag, const std::string& text);

// Prints "dualcarbon <cmd>: <status>" to stderr and throws CLI::RuntimeError(code).
[[noreturn]] void Fail(const std::string& cmd, const absl::Status& status, int code = 1);

}  // namespace dc::app

#endif  // DC_APP_STORE_FLAGS_H_
