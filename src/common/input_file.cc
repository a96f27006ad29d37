#include "common/input_file.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc {

absl::StatusOr<std::string> ReadInputFile(Env* env, const std::string& path, std::string_view kind,
                                          uint64_t max_bytes) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("empty file name (expected ", AV(kind), ")"));
  }
  if (!env->FileExists(path)) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file (expected ", AV(kind), ")"));
  }
  // Only a directory can be listed.
  if (env->GetChildren(path).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected ", AV(kind)));
  }
  auto size = env->GetFileSize(path);
  if (!size.ok()) return size.status();
  if (*size > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", AV(kind), " of ", *size,
                                                   " bytes is larger than the limit of ", max_bytes,
                                                   " bytes"));
  }
  auto text = ReadFileToString(env, path);
  if (!text.ok()) return text.status();
  if (text->size() > max_bytes) {  // grew while reading
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", AV(kind), " is larger than the limit of ", max_bytes, " bytes"));
  }
  return text;
}

}  // namespace dc
