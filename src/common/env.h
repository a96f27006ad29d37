// Env: the file system and the clock behind one interface (as LevelDB's), so tests can inject
// disk-full, short writes, fsync failures and clock jumps. Env::Default() is thread-safe.
#ifndef DC_COMMON_ENV_H_
#define DC_COMMON_ENV_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dc {

// The kind of storage fault a status reports. Env marks every I/O error it returns (a payload
// on the status, whatever its code), so callers tell a failing disk from a bad request: the
// server answers 507 for kNoSpace and 503 for kIo, never 413. Add context with AnnotateStatus,
// which keeps the mark.
enum class StorageFault { kNone, kNoSpace, kIo };
absl::Status MarkStorageFault(absl::Status status, StorageFault kind);
StorageFault StorageFaultOf(const absl::Status& status);
// "no_space", "io" ("" for kNone).
std::string_view StorageFaultName(StorageFault kind);
// "context: message" with the code and payloads (so the StorageFault mark) of `status`.
absl::Status AnnotateStatus(const absl::Status& status, std::string_view context);

// A file open for appending. Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  [[nodiscard]] virtual absl::Status Append(std::string_view data) = 0;
  // Makes appended data reach the OS (write(2)); Sync() makes it durable (fdatasync).
  [[nodiscard]] virtual absl::Status Flush() = 0;
  [[nodiscard]] virtual absl::Status Sync() = 0;
  [[nodiscard]] virtual absl::Status Close() = 0;
  virtual uint64_t Size() const = 0;
};

// A file open for reading at offsets. Thread-safe.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual uint64_t Size() const = 0;
  // Whole file contents, valid as long as the object lives (mmap where possible).
  virtual std::string_view Contents() const = 0;
  // A hint that bytes [offset, offset + length) of Contents() will not be read again soon:
  // a mapped file's whole pages in that range leave the process's resident set (they stay in
  // the page cache, and a later read maps them back). Contents are unchanged. Default: no-op.
  virtual void Release(uint64_t offset, uint64_t length) const {
    (void)offset;
    (void)length;
  }
};

// What Env::Stat reports of a file.
struct FileStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // last modification, UTC ns
  uint64_t inode = 0;
};

// Files Env creates are private to the owner (mode 0600) and directories 0700: the data
// directory holds measurements, token hashes and keys.
class Env {
 public:
  virtual ~Env() = default;
  // The process-wide POSIX Env. Never deleted.
  static Env* Default();

  // Creates or truncates.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens for appending at the end, creating if absent.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual absl::Status TruncateFile(const std::string& path, uint64_t size) = 0;
  virtual absl::Status CreateDirs(const std::string& path) = 0;
  // fsync of a directory, so renames and creations in it are durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
  // Exclusive advisory lock on `path` (created if absent), held until the object is destroyed.
  // FailedPrecondition at once when another process holds it.
  virtual absl::StatusOr<std::shared_ptr<void>> LockFile(const std::string& path) = 0;
  // As LockFile, but waits until the lock is free (short critical sections shared by
  // processes, e.g. the token file).
  virtual absl::StatusOr<std::shared_ptr<void>> LockFileWait(const std::string& path) = 0;
  virtual absl::StatusOr<FileStat> Stat(const std::string& path) = 0;

  // Wall clock, UTC nanoseconds since the epoch.
  virtual int64_t NowNanos() = 0;
  // Monotonic clock for timeouts and intervals.
  virtual int64_t MonotonicNanos() = 0;
};

// Reads a whole file through `env`.
absl::StatusOr<std::string> ReadFileToString(Env* env, const std::string& path);
// Writes `data` to `path` atomically: temp file, sync, rename, sync dir.
absl::Status WriteFileAtomic(Env* env, const std::string& path, std::string_view data);

// An Env that forwards to another and injects faults on demand. Thread-safe.
class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // After `bytes` more bytes are appended (all files together), appends fail with ENOSPC
  // ("disk full"); the append that crosses the limit writes only the part that fits
  // (a short write). Negative = unlimited.
  void SetWriteBudget(int64_t bytes);
  // When true, every Sync() fails with EIO.
  void SetSyncFails(bool fails);
  // When true, opening files for writing fails.
  void SetOpenFails(bool fails);
  // When true, RemoveFile fails with EIO (the file stays).
  void SetRemoveFails(bool fails);
  // Added to NowNanos() (clock jumps).
  void SetClockOffset(int64_t ns);

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  absl::Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<std::shared_ptr<void>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }
  absl::StatusOr<std::shared_ptr<void>> LockFileWait(const std::string& path) override {
    return base_->LockFileWait(path);
  }
  absl::StatusOr<FileStat> Stat(const std::string& path) override { return base_->Stat(path); }
  int64_t NowNanos() override;
  int64_t MonotonicNanos() override { return base_->MonotonicNanos(); }

  // Used by the wrapped files.
  absl::Status ConsumeBudget(size_t want, size_t* allowed);
  bool sync_fails() const;

 private:
  Env* base_;
  mutable std::atomic<int64_t> budget_{-1};
  std::atomic<bool> sync_fails_{false};
  std::atomic<bool> open_fails_{false};
  std::atomic<bool> remove_fails_{false};
  std::atomic<int64_t> clock_offset_{0};
};

}  // namespace dc

#endif  // DC_COMMON_ENV_H_
