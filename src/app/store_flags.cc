#include "app/store_flags.h"

#include <cmath>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/env.h"
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
  if (text == "0") return 0;
  auto step = ParseStep(text);
  if (!step.ok()) return step.status();
  int64_t unit = 1;
  switch (step->unit) {
    case Step::Unit::kFixed:
      break;
    case Step::Unit::kDay:
      unit = kNanosPerDay;
      break;
    case Step::Unit::kWeek:
      unit = 7 * kNanosPerDay;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("duration \"", text, "\": use s, m, h, d or w units"));
  }
  if (step->n <= 0 || step->n > INT64_MAX / unit) {
    return absl::InvalidArgumentError(
        absl::StrCat("duration \"", text, "\": must be greater than 0 and at most 292 years"));
  }
  return step->n * unit;
}

absl::StatusOr<double> ParsePositive(const std::string& flag, const std::string& text) {
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !std::isfinite(v) || !(v > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", text, "\": must be a positive finite number"));
  }
  return v;
}

absl::Status CheckStoreDir(const std::string& flag, const std::string& dir) {
  Env* env = Env::Default();
  if (dir.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": empty directory name"));
  if (!env->FileExists(dir)) {
    return absl::NotFoundError(absl::StrCat(flag, " ", dir,
                                            ": no such directory (a store is created only by "
                                            "`dualcarbon import` or `dualcarbon serve`)"));
  }
  if (!env->GetChildren(dir).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", dir, ": not a directory, expected a store's data directory"));
  }
  if (!env->FileExists(dir + "/wal") && !env->FileExists(dir + "/segments")) {
    return absl::NotFoundError(absl::StrCat(flag, " ", dir,
                                            ": holds no store (no wal/ or segments/; a store is "
                                            "created only by `dualcarbon import` or `serve`)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Store>> StoreFlags::Open(bool background, bool create) const {
  if (!create) {
    if (auto s = CheckStoreDir("--data-dir", data_dir); !s.ok()) return s;
  } else if (data_dir.empty()) {
    return absl::InvalidArgumentError("--data-dir: empty directory name");
  }
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
  auto store = Store::Open(o);
  if (!store.ok()) {
    return absl::Status(store.status().code(),
                        absl::StrCat("--data-dir ", data_dir, ": ", store.status().message()));
  }
  return store;
}

void Fail(const std::string& cmd, const absl::Status& status, int code) {
  std::cerr << "dualcarbon " << cmd << ": " << status.message() << "\n";
  throw CLI::RuntimeError(code);
}

}  // namespace dc::app
