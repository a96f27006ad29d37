// The watched import folder: a Source that imports the CSV files dropped into a directory
// (docs/import.md "Watched folder"), configured by [[folder]] tables.
//
// Every poll lists the folder; a file matching `pattern` is imported once it is stable (same
// size and modification time as at the previous poll), then moved to done/ — or, when nothing
// of it was good, to failed/ — with a <name>.errors.txt beside it naming its bad rows. A file
// is never imported twice: it leaves the folder once imported, so a restart does not see it
// again. A write that fails (storage fault) leaves the file in place for the next poll.
#ifndef DC_ACQUIRE_FOLDER_SOURCE_H_
#define DC_ACQUIRE_FOLDER_SOURCE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "acquire/source.h"
#include "common/env.h"
#include "ingest/csv_import.h"
#include "toml++/toml.h"

namespace dc::acquire {

struct FolderOptions {
  std::string name;                           // source name ("folder:<path>" unless given)
  std::string path;                           // the watched directory; required
  std::string pattern = "*.csv";              // glob (fnmatch) of the files to import
  CsvImportOptions csv;                       // format, encoding, tz, map, ... (csv_import.h)
  int64_t poll_interval_ns = 10'000'000'000;  // between listings
  Env* env = Env::Default();                  // files and clock
};

// One [[folder]] table; every error names the table and the key.
absl::StatusOr<FolderOptions> ParseFolderOptions(const toml::table& t, size_t index);
// Every [[folder]] table of a configuration file's root table (none: empty).
absl::StatusOr<std::vector<FolderOptions>> ParseFolders(const toml::table& root);

class FolderSource final : public Source {
 public:
  FolderSource(FolderOptions o, Sink& sink);
  ~FolderSource() override;
  absl::Status Start() override;
  void Stop() override;
  SourceState State() const override { return stats_.Snapshot(); }
  // One listing: imports and moves the files that are stable. Called by the source's thread;
  // public for tests (which call it without Start).
  void PollOnce();

 private:
  struct Seen {
    uint64_t size;
    int64_t mtime_ns;
  };
  void Run();
  // Imports one stable file and moves it away; false when it must be tried again.
  bool ImportOne(const std::string& file);
  absl::Status MoveAway(const std::string& file, const std::string& sub,
                        const std::string& errors_text);

  const FolderOptions o_;
  Sink& sink_;
  SourceStats stats_;
  std::map<std::string, Seen> seen_;  // the poll thread only

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_FOLDER_SOURCE_H_
