#include "app/store_flags.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/time.h"

namespace dc::app {

void StoreFlags::Add(CLI::App* cmd, bool with_retention) {
  cmd->add_option("--data-dir", data_dir, "data directory of the embedded store")
      ->capture_default_str();
  cmd->add_option("--fsync", fsync, "WAL fsync policy: always | interval:<ms> | off")
      ->capture_default_str();
  if (with_retention) {
    cmd->add_option("--retention", retention,
                    "drop partitions older than this (e.g. 400d, 52w); 0 keeps everything")
        ->capture_default_str();
  }
}

absl::StatusOr<int64_t> ParseDuration(const std::string& text) {
  if (text == "0" || text.empty()) return 0;
  auto step = ParseStep(text);
  if (!step.ok()) return step.status();
  switch (step->unit) {
    case Step::Unit::kFixed:
      return step->n;
    case Step::Unit::kDay:
      return step->n * kNanosPerDay;
    case Step::Unit::kWeek:
      return step->n * 7 * kNanosPerDay;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("duration \"", text, "\": use s, m, h, d or w units"));
  }
}

absl::StatusOr<std::unique_ptr<Store>> StoreFlags::Open(bool background) const {
  StoreOptions o;
  o.dir = data_dir;
  o.background = background;
  auto policy = ParseFsyncPolicy(fsync);
  if (!policy.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--fsync: ", policy.status().message()));
  }
  o.fsync = *policy;
  auto ret = ParseDuration(retention);
  if (!ret.ok())
    return absl::InvalidArgumentError(absl::StrCat("--retention: ", ret.status().message()));
  o.retention_ns = *ret;
  return Store::Open(o);
}

void Fail(const std::string& cmd, const absl::Status& status, int code) {
  std::cerr << "dualcarbon " << cmd << ": " << status.message() << "\n";
  throw CLI::RuntimeError(code);
}

}  // namespace dc::app
