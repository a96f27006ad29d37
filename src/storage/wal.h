// The write-ahead log: append-only files `<dir>/%06llu.wal` of CRC-checked records, one record
// per PointBatch. Byte format and recovery rules: docs/formats/wal.md (constants in wal_format.h).
// Internal to storage/ (the engine uses it; other layers use store.h).
#ifndef DC_STORAGE_WAL_H_
#define DC_STORAGE_WAL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/env.h"
#include "common/sample.h"
#include "storage/store.h"

namespace dc {

struct WalOptions {
  Env* env = nullptr;             // REQUIRES non-null
  std::string dir;                // e.g. <data-dir>/wal, created if absent
  FsyncPolicy policy;             // always | interval:<ms> | off
  int64_t file_bytes = 64 << 20;  // start a new file once the current one is this big (bytes)
};

// What Open found. `problems` is empty when the log was clean.
struct WalRecoveryReport {
  int64_t files = 0, records = 0, points = 0;
  int64_t truncated_bytes = 0;  // torn tails cut off, empty/torn-header files removed
  std::vector<std::string> problems;
  std::string ToString() const;
};

// Thread-safe. Append holds an internal mutex only while writing; SyncUpTo releases it during
// fdatasync, so appends proceed while one thread syncs for everybody (group commit).
class Wal {
 public:
  using ReplayFn = std::function<absl::Status(uint64_t file_no, const PointBatch& batch)>;

  // Opens the log in opt.dir, replaying every intact record in order through `replay`.
  // A torn or corrupt tail is truncated off its file and reported in *report, never fatal;
  // corruption followed by intact records skips the rest of that file (reported, left on
  // disk); later files are still replayed. An error returned by `replay` aborts Open.
  // New records always go to a new file, numbered after every existing one. `replay` may be
  // empty (records are then only checked).
  static absl::StatusOr<std::unique_ptr<Wal>> Open(const WalOptions& opt, const ReplayFn& replay,
                                                   WalRecoveryReport* report);
  ~Wal();  // stops the background syncer; syncs what is pending unless policy is off

  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Encodes the batch as one record and write(2)s it; returns the log sequence number of the
  // record's end (a logical byte position, monotonic across files for this object). Once OK,
  // the record survives kill -9. On a write error nothing partial remains that replay would
  // misread (the file is truncated back, or abandoned for a new one) and the error is returned.
  // An empty batch writes nothing and returns the current end.
  [[nodiscard]] absl::StatusOr<uint64_t> Append(const PointBatch& batch);
  // Append in two steps, for callers that order appends under a lock of their own (Store):
  // Encode needs no lock, so a large batch is not encoded while that lock is held.
  // Encode fails (InvalidArgument) for a batch too large for one record; *record keeps its
  // capacity between calls. REQUIRES: !batch.empty().
  [[nodiscard]] static absl::Status Encode(const PointBatch& batch, std::string* record);
  [[nodiscard]] absl::StatusOr<uint64_t> AppendEncoded(std::string_view record);
  // Blocks until every record ending at or before `lsn` is fdatasync'ed (and the directory
  // entries of new files fsync'ed). Concurrent callers share one fdatasync. Returns the fsync
  // error if it failed; after a failed fsync the records it covered are never reported
  // durable (the kernel may have dropped their pages), later records can be.
  [[nodiscard]] absl::Status SyncUpTo(uint64_t lsn);
  [[nodiscard]] absl::Status Sync();  // everything written so far

  // Closes the current file; later records go to the returned, larger file number. Records in
  // files with smaller numbers are exactly those appended before this call.
  [[nodiscard]] absl::StatusOr<uint64_t> Rotate();
  // Deletes every file numbered below `file_no` (never the current one).
  [[nodiscard]] absl::Status RemoveFilesBefore(uint64_t file_no);

  uint64_t current_file() const;
  int64_t pending_bytes() const;          // written but not yet fsynced
  int64_t total_bytes() const;            // bytes in all live WAL files
  absl::Status background_error() const;  // first error of the interval syncer (sticky)

  // For tests and stats: fdatasync calls made on WAL files, and records appended.
  int64_t sync_calls() const { return sync_calls_.load(); }
  int64_t appends() const { return appends_.load(); }

 private:
  struct OpenFile;  // the file being appended to
  struct ClosedFile {
    std::shared_ptr<WritableFile> sync_handle;  // null once synced
    uint64_t end_lsn = 0;
  };

  explicit Wal(const WalOptions& opt);
  absl::Status Recover(const ReplayFn& replay, WalRecoveryReport* report);
  absl::Status RecoverFile(uint64_t no, const ReplayFn& replay, PointBatch* batch,
                           WalRecoveryReport* report, int64_t* size);
  std::string FilePath(uint64_t file_no) const;
  absl::Status OpenNewFileLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseCurrentLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status HandleWriteErrorLocked(absl::Status error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SyncerLoop();

  const WalOptions opt_;
  std::shared_ptr<void> lock_;

  mutable absl::Mutex mu_;
  absl::CondVar sync_done_;
  std::unique_ptr<OpenFile> file_ ABSL_GUARDED_BY(mu_);           // null until the first Append
  uint64_t cur_no_ ABSL_GUARDED_BY(mu_) = 1;                      // file the next record goes to
  std::map<uint64_t, int64_t> files_ ABSL_GUARDED_BY(mu_);        // live files: number -> bytes
  std::map<uint64_t, ClosedFile> unsynced_ ABSL_GUARDED_BY(mu_);  // closed, not yet synced
  uint64_t written_lsn_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t synced_lsn_ ABSL_GUARDED_BY(mu_) = 0;
  bool dir_dirty_ ABSL_GUARDED_BY(mu_) = false;     // a file was created since the last SyncDir
  bool syncing_ ABSL_GUARDED_BY(mu_) = false;       // a thread is in fdatasync
  uint64_t poisoned_lsn_ ABSL_GUARDED_BY(mu_) = 0;  // records ending <= this failed to sync
  absl::Status sync_error_ ABSL_GUARDED_BY(mu_);
  absl::Status background_error_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread syncer_;

  std::atomic<int64_t> sync_calls_{0};
  std::atomic<int64_t> appends_{0};
};

}  // namespace dc

#endif  // DC_STORAGE_WAL_H_
