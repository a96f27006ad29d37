#include "common/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc {
namespace {

constexpr char kStorageFaultUrl[] = "type.dualcarbon/storage-fault";
constexpr mode_t kFileMode = 0600;  // data, WAL, segments, tokens, locks: owner only
constexpr mode_t kDirMode = 0700;

absl::Status PosixError(std::string_view op, const std::string& path, int err) {
  std::string msg = absl::StrCat(AV(op), " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case ENOSPC:
    case EDQUOT:
      return MarkStorageFault(absl::ResourceExhaustedError(msg), StorageFault::kNoSpace);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    default:  // EIO, EROFS, ...
      return MarkStorageFault(absl::InternalError(msg), StorageFault::kIo);
  }
}

absl::Status InjectedIoError(std::string msg) {
  return MarkStorageFault(absl::InternalError(std::move(msg)), StorageFault::kIo);
}

// Owns a file descriptor; closes it on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int Release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override { (void)Close(); }

  absl::Status Append(std::string_view data) override {
    // Small appends are buffered; large ones go straight through.
    if (buf_.size() + data.size() > kBufSize) {
      absl::Status s = Flush();
      if (!s.ok()) return s;
      if (data.size() > kBufSize) {
        s = WriteAll(data);
        if (s.ok()) size_ += data.size();
        return s;
      }
    }
    buf_.append(data);
    size_ += data.size();
    return absl::OkStatus();
  }
  absl::Status Flush() override {
    if (buf_.empty()) return absl::OkStatus();
    absl::Status s = WriteAll(buf_);
    buf_.clear();
    return s;
  }
  absl::Status Sync() override {
    absl::Status s = Flush();
    if (!s.ok()) return s;
    if (::fdatasync(fd_.get()) != 0) return PosixError("fdatasync", path_, errno);
    return absl::OkStatus();
  }
  absl::Status Close() override {
    if (fd_.get() < 0) return absl::OkStatus();
    absl::Status s = Flush();
    fd_.Reset();
    return s;
  }
  uint64_t Size() const override { return size_; }

 private:
  static constexpr size_t kBufSize = 1 << 16;
  absl::Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }
  std::string path_;
  Fd fd_;
  uint64_t size_;
  std::string buf_;
};

class MmapFile final : public RandomAccessFile {
 public:
  MmapFile(void* base, size_t size, std::string fallback)
      : base_(base), size_(size), fallback_(std::move(fallback)) {}
  ~MmapFile() override {
    if (base_ != nullptr) ::munmap(base_, size_);
  }
  uint64_t Size() const override { return size_; }
  std::string_view Contents() const override {
    if (base_ == nullptr) return fallback_;
    return {static_cast<const char*>(base_), size_};
  }
  void Release(uint64_t offset, uint64_t length) const override {
    if (base_ == nullptr || offset >= size_) return;
    length = std::min<uint64_t>(length, size_ - offset);
    // Only whole pages inside the range: a partial page may hold bytes still in use.
    static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    uint64_t lo = (offset + page - 1) / page * page, hi = (offset + length) / page * page;
    if (hi <= lo) return;
    // MADV_DONTNEED on a read-only shared file mapping only drops this process's page table
    // entries; the next access faults the same bytes back in from the page cache or the file.
    ::madvise(static_cast<char*>(base_) + lo, hi - lo, MADV_DONTNEED);
  }

 private:
  void* base_;
  size_t size_;
  std::string fallback_;
};

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kFileMode);
    if (fd < 0) return PosixError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, 0));
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, kFileMode);
    if (fd < 0) return PosixError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      return PosixError("fstat", path, e);
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, static_cast<uint64_t>(st.st_size)));
  }
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return PosixError("open", path, errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return PosixError("fstat", path, errno);
    size_t size = static_cast<size_t>(st.st_size);
    if (size == 0) return std::unique_ptr<RandomAccessFile>(new MmapFile(nullptr, 0, ""));
    void* base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (base == MAP_FAILED) return PosixError("mmap", path, errno);
    return std::unique_ptr<RandomAccessFile>(new MmapFile(base, size, ""));
  }
  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> out;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name(e->d_name);
      if (name != "." && name != "..") out.emplace_back(name);
    }
    ::closedir(d);
    return out;
  }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }
  absl::Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return absl::OkStatus();
  }
  absl::Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError("rename", from, errno);
    return absl::OkStatus();
  }
  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return PosixError("truncate", path, errno);
    }
    return absl::OkStatus();
  }
  absl::Status CreateDirs(const std::string& path) override {
    std::string cur;
    for (size_t i = 0; i <= path.size(); ++i) {
      if (i == path.size() || (path[i] == '/' && i > 0)) {
        cur = path.substr(0, i);
        if (::mkdir(cur.c_str(), kDirMode) != 0 && errno != EEXIST) {
          return PosixError("mkdir", cur, errno);
        }
      }
    }
    return absl::OkStatus();
  }
  absl::Status SyncDir(const std::string& dir) override {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return PosixError("open", dir, errno);
    if (::fsync(fd.get()) != 0) return PosixError("fsync", dir, errno);
    return absl::OkStatus();
  }
  absl::StatusOr<std::shared_ptr<void>> LockFile(const std::string& path) override {
    return Lock(path, /*wait=*/false);
  }
  absl::StatusOr<std::shared_ptr<void>> LockFileWait(const std::string& path) override {
    return Lock(path, /*wait=*/true);
  }
  absl::StatusOr<FileStat> Stat(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return FileStat{static_cast<uint64_t>(st.st_size),
                    static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                    static_cast<uint64_t>(st.st_ino)};
  }
  int64_t NowNanos() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t MonotonicNanos() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

 private:
  static absl::StatusOr<std::shared_ptr<void>> Lock(const std::string& path, bool wait) {
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kFileMode));
    if (fd.get() < 0) return PosixError("open", path, errno);
    int rc;
    do {
      rc = ::flock(fd.get(), wait ? LOCK_EX : LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      if (errno == EWOULDBLOCK) {
        return absl::FailedPreconditionError(
            absl::StrCat(path, " is locked: another dualcarbon process uses this data directory"));
      }
      return PosixError("flock", path, errno);
    }
    auto* holder = new Fd(fd.Release());
    return std::shared_ptr<void>(holder, [](void* p) { delete static_cast<Fd*>(p); });
  }
};

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base)
      : env_(env), base_(std::move(base)) {}
  absl::Status Append(std::string_view data) override {
    size_t allowed = data.size();
    absl::Status budget = env_->ConsumeBudget(data.size(), &allowed);
    if (allowed > 0) {
      absl::Status s = base_->Append(data.substr(0, allowed));
      if (!s.ok()) return s;
      s = base_->Flush();  // the short part really reaches the file, as a real short write does
      if (!s.ok()) return s;
    }
    return budget;
  }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status Sync() override {
    if (env_->sync_fails()) return InjectedIoError("fdatasync: Input/output error (injected)");
    return base_->Sync();
  }
  absl::Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

absl::Status MarkStorageFault(absl::Status status, StorageFault kind) {
  if (!status.ok() && kind != StorageFault::kNone) {
    status.SetPayload(kStorageFaultUrl, absl::Cord(AV(StorageFaultName(kind))));
  }
  return status;
}

StorageFault StorageFaultOf(const absl::Status& status) {
  auto p = status.GetPayload(kStorageFaultUrl);
  if (!p) return StorageFault::kNone;
  return *p == AV(StorageFaultName(StorageFault::kNoSpace)) ? StorageFault::kNoSpace
                                                            : StorageFault::kIo;
}

std::string_view StorageFaultName(StorageFault kind) {
  switch (kind) {
    case StorageFault::kNoSpace:
      return "no_space";
    case StorageFault::kIo:
      return "io";
    case StorageFault::kNone:
      break;
  }
  return "";
}

absl::Status AnnotateStatus(const absl::Status& status, std::string_view context) {
  absl::Status out(status.code(), absl::StrCat(AV(context), ": ", status.message()));
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

absl::StatusOr<std::string> ReadFileToString(Env* env, const std::string& path) {
  auto f = env->NewRandomAccessFile(path);
  if (!f.ok()) return f.status();
  return std::string((*f)->Contents());
}

absl::Status WriteFileAtomic(Env* env, const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  auto f = env->NewWritableFile(tmp);
  if (!f.ok()) return f.status();
  absl::Status s = (*f)->Append(data);
  if (s.ok()) s = (*f)->Sync();
  if (s.ok()) s = (*f)->Close();
  if (s.ok()) s = env->RenameFile(tmp, path);
  if (s.ok()) {
    size_t slash = path.find_last_of('/');
    s = env->SyncDir(slash == std::string::npos ? "." : path.substr(0, slash));
  }
  if (!s.ok()) (void)env->RemoveFile(tmp);
  return s;
}

void FaultInjectionEnv::SetWriteBudget(int64_t bytes) { budget_ = bytes; }
void FaultInjectionEnv::SetSyncFails(bool fails) { sync_fails_ = fails; }
void FaultInjectionEnv::SetOpenFails(bool fails) { open_fails_ = fails; }
void FaultInjectionEnv::SetRemoveFails(bool fails) { remove_fails_ = fails; }
void FaultInjectionEnv::SetClockOffset(int64_t ns) { clock_offset_ = ns; }
bool FaultInjectionEnv::sync_fails() const { return sync_fails_; }
int64_t FaultInjectionEnv::NowNanos() { return base_->NowNanos() + clock_offset_; }

absl::Status FaultInjectionEnv::ConsumeBudget(size_t want, size_t* allowed) {
  int64_t b = budget_.load();
  while (true) {
    if (b < 0) {
      *allowed = want;
      return absl::OkStatus();
    }
    int64_t take = std::min<int64_t>(b, static_cast<int64_t>(want));
    if (budget_.compare_exchange_weak(b, b - take)) {
      *allowed = static_cast<size_t>(take);
      if (take < static_cast<int64_t>(want)) {
        return MarkStorageFault(
            absl::ResourceExhaustedError("write: No space left on device (injected)"),
            StorageFault::kNoSpace);
      }
      return absl::OkStatus();
    }
  }
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(
    const std::string& path) {
  if (open_fails_) return InjectedIoError(absl::StrCat("open ", path, ": injected failure"));
  auto f = base_->NewWritableFile(path);
  if (!f.ok()) return f.status();
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(*f)));
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  if (open_fails_) return InjectedIoError(absl::StrCat("open ", path, ": injected failure"));
  auto f = base_->NewAppendableFile(path);
  if (!f.ok()) return f.status();
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, std::move(*f)));
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (open_fails_) return InjectedIoError(absl::StrCat("rename ", from, ": injected failure"));
  return base_->RenameFile(from, to);
}

absl::Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  if (remove_fails_) {
    return InjectedIoError(absl::StrCat("unlink ", path, ": Input/output error (injected)"));
  }
  return base_->RemoveFile(path);
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  if (sync_fails_) return InjectedIoError(absl::StrCat("fsync ", dir, ": injected failure"));
  return base_->SyncDir(dir);
}

}  // namespace dc
