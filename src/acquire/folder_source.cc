// The watched import folder (folder_source.h): list, wait for stable files, import, move.
#include "acquire/folder_source.h"

#include <fnmatch.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "common/text.h"

namespace dc::acquire {
namespace {

constexpr size_t kMaxOptionBytes = 4096;

absl::Status Bad(std::string_view where, std::string_view key, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(AV(where), ": ", AV(key), " ", AV(why)));
}

// A TOML value as the text SetCsvImportOption reads: strings, booleans, integers.
absl::StatusOr<std::vector<std::string>> OptionTexts(const toml::node& n, std::string_view where,
                                                     std::string_view key) {
  std::vector<std::string> out;
  auto one = [&](const toml::node& v) -> absl::Status {
    if (auto s = v.value_exact<std::string>()) {
      if (auto c = CheckText(absl::StrCat(AV(where), ": ", AV(key)), *s, kMaxOptionBytes);
          !c.ok()) {
        return c;
      }
      out.push_back(*s);
    } else if (auto b = v.value_exact<bool>()) {
      out.push_back(*b ? "true" : "false");
    } else if (auto i = v.value_exact<int64_t>()) {
      out.push_back(absl::StrCat(*i));
    } else {
      return Bad(where, key, "must be a string, a boolean or an array of strings");
    }
    return absl::OkStatus();
  };
  if (const toml::array* a = n.as_array()) {
    for (const toml::node& v : *a) {
      if (auto s = one(v); !s.ok()) return s;
    }
  } else if (auto s = one(n); !s.ok()) {
    return s;
  }
  return out;
}

std::string Join(const std::string& dir, const std::string& name) {
  return absl::EndsWith(dir, "/") ? dir + name : dir + "/" + name;
}

std::string ErrorsText(const std::string& file, const CsvImportResult& r, const absl::Status& s) {
  std::string out;
  absl::StrAppend(&out, file, ": ", r.points, " points from ", r.rows, " rows; ", r.bad_rows,
                  " bad rows, ", r.empty_cells, " empty cells skipped\n");
  if (!s.ok()) absl::StrAppend(&out, "stopped: ", s.message(), "\n");
  for (const auto& e : r.errors) absl::StrAppend(&out, file, ":", e.line, ": ", e.reason, "\n");
  if (r.bad_rows > r.errors.size()) {
    absl::StrAppend(&out, "... ", r.bad_rows - r.errors.size(), " more bad rows\n");
  }
  for (const auto& n : r.notes) absl::StrAppend(&out, "note: ", n, "\n");
  return out;
}

}  // namespace

absl::StatusOr<FolderOptions> ParseFolderOptions(const toml::table& t, size_t index) {
  FolderOptions o;
  std::string where = absl::StrCat("folder[", index, "]");
  o.csv.layout = CsvLayout::kLong;
  for (const auto& [k, v] : t) {
    std::string key(k.str());
    if (key == "name" || key == "path" || key == "pattern" || key == "poll_interval") {
      auto s = v.value_exact<std::string>();
      if (!s) return Bad(where, key, "must be a string");
      if (auto c = CheckText(absl::StrCat(where, ": ", key), *s, kMaxOptionBytes); !c.ok()) {
        return c;
      }
      if (key == "name") o.name = *s;
      if (key == "path") o.path = *s;
      if (key == "pattern") o.pattern = *s;
      if (key == "poll_interval") {
        absl::Duration d;
        if (!absl::ParseDuration(*s, &d) || d < absl::Milliseconds(10) || d > absl::Hours(24)) {
          return Bad(where, key, "must be a duration (\"500ms\", \"10s\", \"1m\") in 10ms..24h");
        }
        o.poll_interval_ns = absl::ToInt64Nanoseconds(d);
      }
      continue;
    }
    auto texts = OptionTexts(v, where, key);
    if (!texts.ok()) return texts.status();
    for (const auto& text : *texts) {
      if (auto s = SetCsvImportOption(key, text, &o.csv); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", s.message()));
      }
    }
  }
  if (o.path.empty()) return Bad(where, "path", "is required (the folder to watch)");
  if (o.name.empty()) o.name = "folder:" + o.path;
  where = absl::StrCat("folder '", o.name, "'");
  if (o.pattern.empty()) return Bad(where, "pattern", "must not be empty");
  return o;
}

absl::StatusOr<std::vector<FolderOptions>> ParseFolders(const toml::table& root) {
  std::vector<FolderOptions> out;
  const toml::node* node = root.get("folder");
  if (node == nullptr) return out;
  const toml::array* list = node->as_array();
  if (list == nullptr) {
    return absl::InvalidArgumentError("folder: must be an array of tables ([[folder]])");
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table* t = (*list)[i].as_table();
    if (t == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("folder[", i, "]: not a table"));
    auto o = ParseFolderOptions(*t, i);
    if (!o.ok()) return o.status();
    out.push_back(std::move(*o));
  }
  return out;
}

FolderSource::FolderSource(FolderOptions o, Sink& sink)
    : o_(std::move(o)), sink_(sink), stats_(o_.name, "folder") {}

FolderSource::~FolderSource() { Stop(); }

absl::Status FolderSource::Start() {
  absl::MutexLock l(&mu_);
  if (thread_.joinable()) return absl::OkStatus();
  stop_ = false;
  stats_.SetRunning(true);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void FolderSource::Stop() {
  std::thread t;
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
  stats_.SetRunning(false);
  stats_.SetConnected(false);
}

void FolderSource::Run() {
  while (true) {
    PollOnce();
    absl::MutexLock l(&mu_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
    mu_.AwaitWithTimeout(absl::Condition(&stopping), absl::Nanoseconds(o_.poll_interval_ns));
    if (stop_) return;
  }
}

void FolderSource::PollOnce() {
  Env* env = o_.env;
  auto names = env->GetChildren(o_.path);
  if (!names.ok()) {
    stats_.SetConnected(false);
    stats_.AddError(absl::StrCat(o_.path, ": cannot list the folder: ", names.status().message()),
                    env->NowNanos());
    return;
  }
  stats_.SetConnected(true);
  std::map<std::string, Seen> now;
  for (const std::string& name : *names) {
    if (name.empty() || name[0] == '.' || absl::EndsWith(name, ".errors.txt")) continue;
    if (fnmatch(o_.pattern.c_str(), name.c_str(), 0) != 0) continue;
    const std::string path = Join(o_.path, name);
    if (env->GetChildren(path).ok()) continue;  // a directory (done/, failed/, ...)
    auto st = env->Stat(path);
    if (!st.ok()) continue;  // gone since the listing
    Seen seen{st->size, st->mtime_ns};
    auto before = seen_.find(name);
    bool stable = before != seen_.end() && before->second.size == seen.size &&
                  before->second.mtime_ns == seen.mtime_ns;
    if (stable && ImportOne(name)) continue;
    now[name] = seen;
  }
  seen_ = std::move(now);
}

bool FolderSource::ImportOne(const std::string& file) {
  Env* env = o_.env;
  const std::string path = Join(o_.path, file);
  CsvImportResult r;
  bool write_failed = false;
  absl::Status s = ImportCsvFile(
      env, path, o_.csv,
      [&](const PointBatch& b) {
        absl::Status w = sink_.Write(b);
        if (w.ok()) {
          stats_.AddPoints(static_cast<int64_t>(b.size()), env->NowNanos());
        } else {
          write_failed = true;
        }
        return w;
      },
      &r);
  stats_.AddMessages(1);
  if (write_failed) {  // stays for the next poll (points already written are written again)
    stats_.AddError(absl::StrCat(path, ": write failed, will retry: ", s.message()),
                    env->NowNanos());
    return false;
  }
  bool failed = r.points == 0;
  if (failed || !s.ok() || r.bad_rows > 0) {
    std::string first = !s.ok() ? std::string(s.message())
                        : !r.errors.empty()
                            ? absl::StrCat("line ", r.errors[0].line, ": ", r.errors[0].reason)
                            : "no value in the file";
    stats_.AddError(
        absl::StrCat(path, ": ", failed ? "nothing imported" : "imported with ",
                     failed ? "" : absl::StrCat(r.bad_rows, " bad rows"), " (", first, ")"),
        env->NowNanos());
  }
  std::string errors =
      failed || !s.ok() || r.bad_rows > 0 || !r.notes.empty() ? ErrorsText(file, r, s) : "";
  absl::Status moved = MoveAway(file, failed ? "failed" : "done", errors);
  if (!moved.ok()) {
    stats_.AddError(absl::StrCat(path, ": imported but not moved: ", moved.message()),
                    env->NowNanos());
    return false;  // importing it again writes the same points again
  }
  return true;
}

absl::Status FolderSource::MoveAway(const std::string& file, const std::string& sub,
                                    const std::string& errors_text) {
  Env* env = o_.env;
  const std::string dir = Join(o_.path, sub);
  if (absl::Status s = env->CreateDirs(dir); !s.ok()) return s;
  std::string target = Join(dir, file);
  for (int n = 1; env->FileExists(target); ++n) target = Join(dir, absl::StrCat(file, ".", n));
  if (!errors_text.empty()) {
    auto f = env->NewWritableFile(target + ".errors.txt");
    if (!f.ok()) return f.status();
    absl::Status s = (*f)->Append(errors_text);
    if (s.ok()) s = (*f)->Sync();
    absl::Status c = (*f)->Close();
    if (!s.ok()) return s;
    if (!c.ok()) return c;
  }
  if (absl::Status s = env->RenameFile(Join(o_.path, file), target); !s.ok()) return s;
  return env->SyncDir(dir);
}

}  // namespace dc::acquire
