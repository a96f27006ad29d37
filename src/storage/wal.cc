#include "storage/wal.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "storage/wal_format.h"

namespace dc {

// ---------------------------------------------------------------------------------------------
// Fsync policy
// ---------------------------------------------------------------------------------------------

absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view text) {
  FsyncPolicy p;
  if (text == "always") {
    p.mode = FsyncPolicy::Mode::kAlways;
    return p;
  }
  if (text == "off") {
    p.mode = FsyncPolicy::Mode::kOff;
    return p;
  }
  constexpr std::string_view kInterval = "interval:";
  int64_t ms = 0;
  if (text.substr(0, kInterval.size()) == kInterval &&
      absl::SimpleAtoi(AV(text.substr(kInterval.size())), &ms) && ms >= 1 && ms <= 60000) {
    p.mode = FsyncPolicy::Mode::kInterval;
    p.interval_ms = ms;
    return p;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "fsync policy \"", AV(text),
      "\" is not valid: expected \"always\", \"interval:<ms>\" with ms in 1..60000, or \"off\""));
}

// ---------------------------------------------------------------------------------------------
// Recovery
// ---------------------------------------------------------------------------------------------

namespace {

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

// True if an intact record (valid header and payload CRC) starts anywhere in data[from, end).
bool IntactRecordAfter(std::string_view data, size_t from) {
  for (size_t p = from; p + wal::kRecordHeaderSize <= data.size(); ++p) {
    uint32_t len = 0;
    if (!wal::RecordHeaderValid(data.data() + p, &len)) continue;
    if (len > data.size() - p - wal::kRecordHeaderSize) continue;
    if (wal::PayloadCrcValid(data.data() + p, data.substr(p + wal::kRecordHeaderSize, len))) {
      return true;
    }
  }
  return false;
}

// Why the record at `pos` cannot be replayed, or "" if it is intact (then *batch holds it and
// *next is the offset after it).
std::string CheckRecord(std::string_view data, size_t pos, PointBatch* batch, size_t* next) {
  std::string_view rest = data.substr(pos);
  if (rest.size() < wal::kRecordHeaderSize) return "short record header";
  uint32_t len = 0;
  if (!wal::RecordHeaderValid(rest.data(), &len)) return "corrupt record header";
  if (len > rest.size() - wal::kRecordHeaderSize) {
    return absl::StrCat("short payload (", rest.size() - wal::kRecordHeaderSize, " of ", len,
                        " bytes)");
  }
  std::string_view payload = rest.substr(wal::kRecordHeaderSize, len);
  if (!wal::PayloadCrcValid(rest.data(), payload)) return "payload checksum mismatch";
  absl::Status s = wal::DecodePayload(payload, batch);
  if (!s.ok()) return std::string(s.message());
  *next = pos + wal::kRecordHeaderSize + len;
  return "";
}

absl::Status Annotate(const absl::Status& s, std::string_view context) {
  return AnnotateStatus(s, context);  // keeps the StorageFault mark
}

}  // namespace

std::string WalRecoveryReport::ToString() const {
  std::string out = absl::StrCat("wal recovery: ", files, " files, ", records, " records, ", points,
                                 " points replayed");
  if (truncated_bytes > 0) absl::StrAppend(&out, "; ", truncated_bytes, " bytes truncated");
  if (problems.empty()) return out + "; clean";
  return absl::StrCat(out, "; ", absl::StrJoin(problems, "; "));
}

std::string Wal::FilePath(uint64_t file_no) const {
  return absl::StrFormat("%s/%06d.wal", opt_.dir, file_no);
}

// Replays one file. Sets *size to the bytes it keeps on disk, or -1 if it was removed.
absl::Status Wal::RecoverFile(uint64_t no, const ReplayFn& replay, PointBatch* batch,
                              WalRecoveryReport* report, int64_t* size) {
  const std::string path = FilePath(no);
  auto file = opt_.env->NewRandomAccessFile(path);
  if (!file.ok()) return Annotate(file.status(), "wal recovery");
  std::string_view data = (*file)->Contents();
  *size = static_cast<int64_t>(data.size());
  std::string expected = wal::EncodeFileHeader(no);
  if (AllZero(data) || (data.size() < wal::kFileHeaderSize &&
                        std::string_view(expected).substr(0, data.size()) == data)) {
    // Created but its header never reached the disk (or preallocated zeros): holds nothing.
    file->reset();
    absl::Status s = opt_.env->RemoveFile(path);
    if (!s.ok()) return Annotate(s, "wal recovery: removing empty file");
    report->truncated_bytes += *size;
    report->problems.push_back(
        absl::StrCat(path, ": empty, zeros or torn header (", *size, " bytes), removed"));
    *size = -1;
    return absl::OkStatus();
  }
  uint64_t header_no = 0;
  absl::Status hs = data.size() < wal::kFileHeaderSize
                        ? absl::DataLossError("shorter than a file header")
                        : wal::DecodeFileHeader(data, &header_no);
  if (!hs.ok()) {
    report->problems.push_back(absl::StrCat(path, ": ", hs.message(), "; skipped, left on disk"));
    return absl::OkStatus();
  }
  if (header_no != no) {
    report->problems.push_back(
        absl::StrCat(path, ": header says file ", header_no, "; replayed anyway"));
  }
  ++report->files;
  size_t pos = wal::kFileHeaderSize;
  std::string why;
  while (pos < data.size()) {
    size_t next = 0;
    why = CheckRecord(data, pos, batch, &next);
    if (!why.empty()) break;
    absl::Status s = replay ? replay(no, *batch) : absl::OkStatus();
    if (!s.ok()) return Annotate(s, absl::StrCat("wal replay of ", path, " at offset ", pos));
    ++report->records;
    report->points += static_cast<int64_t>(batch->size());
    pos = next;
  }
  if (pos >= data.size()) return absl::OkStatus();
  const size_t bad = data.size() - pos;
  if (!AllZero(data.substr(pos)) && IntactRecordAfter(data, pos + 1)) {
    report->problems.push_back(absl::StrCat(path, ": corruption at offset ", pos, " (", why,
                                            "); skipped the remaining ", bad,
                                            " bytes of this file, left on disk"));
    return absl::OkStatus();
  }
  file->reset();  // unmap before truncating
  absl::Status s = opt_.env->TruncateFile(path, pos);
  if (!s.ok()) {
    report->problems.push_back(absl::StrCat(path, ": torn tail at offset ", pos, " (", why,
                                            "), could not truncate: ", s.message()));
    return absl::OkStatus();
  }
  report->truncated_bytes += static_cast<int64_t>(bad);
  report->problems.push_back(
      absl::StrCat(path, ": torn tail at offset ", pos, " (", why, "), ", bad, " bytes truncated"));
  *size = static_cast<int64_t>(pos);
  return absl::OkStatus();
}

absl::Status Wal::Recover(const ReplayFn& replay, WalRecoveryReport* report) {
  auto children = opt_.env->GetChildren(opt_.dir);
  if (!children.ok()) return Annotate(children.status(), "wal recovery");
  std::vector<uint64_t> numbers;
  for (const std::string& name : *children) {
    uint64_t no = 0;
    std::string_view n(name);
    if (n.size() < 5 || n.substr(n.size() - 4) != ".wal") continue;
    if (!absl::SimpleAtoi(AV(n.substr(0, n.size() - 4)), &no) ||
        absl::StrFormat("%06d.wal", no) != name) {
      report->problems.push_back(absl::StrCat(opt_.dir, "/", name, ": unexpected name, ignored"));
      continue;
    }
    numbers.push_back(no);
  }
  std::sort(numbers.begin(), numbers.end());
  PointBatch batch;
  for (uint64_t no : numbers) {
    int64_t size = 0;
    // Replayed without mu_: the callback takes the engine's lock, and the engine takes ours
    // inside its own when it appends, so holding mu_ here would order the two both ways.
    // Nothing else runs yet (the syncer starts after recovery).
    absl::Status s = RecoverFile(no, replay, &batch, report, &size);
    if (!s.ok()) return s;
    absl::MutexLock l(&mu_);
    cur_no_ = no + 1;
    if (size < 0) continue;
    files_[no] = size;
    written_lsn_ += static_cast<uint64_t>(size);
    // Replayed records may still be only in the page cache: the first sync covers them.
    auto handle = opt_.env->NewAppendableFile(FilePath(no));
    if (!handle.ok()) return Annotate(handle.status(), "wal recovery");
    unsynced_[no] = ClosedFile{std::move(*handle), written_lsn_};
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

struct Wal::OpenFile {
  uint64_t no = 0;
  std::string path;
  std::unique_ptr<WritableFile> writer;
  // A second handle on the same file used only for fdatasync, so a sync can run without the
  // mutex while appends go on through `writer` (WritableFile is not thread-safe).
  std::shared_ptr<WritableFile> sync_handle;
  uint64_t size = 0;  // bytes of the header and intact records
};

Wal::Wal(const WalOptions& opt) : opt_(opt) {}

absl::StatusOr<std::unique_ptr<Wal>> Wal::Open(const WalOptions& opt, const ReplayFn& replay,
                                               WalRecoveryReport* report) {
  if (opt.env == nullptr) return absl::InvalidArgumentError("wal: WalOptions.env is null");
  if (opt.dir.empty()) return absl::InvalidArgumentError("wal: WalOptions.dir is empty");
  WalRecoveryReport local;
  if (report == nullptr) report = &local;
  *report = WalRecoveryReport();
  absl::Status s = opt.env->CreateDirs(opt.dir);
  if (!s.ok()) return Annotate(s, "wal: creating the directory");
  auto lock = opt.env->LockFile(opt.dir + "/LOCK");
  if (!lock.ok()) return Annotate(lock.status(), "wal");
  std::unique_ptr<Wal> w(new Wal(opt));
  w->lock_ = std::move(*lock);
  s = w->Recover(replay, report);
  if (!s.ok()) return s;
  if (opt.policy.mode == FsyncPolicy::Mode::kInterval) {
    w->syncer_ = std::thread([p = w.get()] { p->SyncerLoop(); });
  }
  return w;
}

Wal::~Wal() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  if (syncer_.joinable()) syncer_.join();
  if (opt_.policy.mode != FsyncPolicy::Mode::kOff) (void)Sync();  // best effort
  absl::MutexLock l(&mu_);
  if (file_ != nullptr) (void)file_->writer->Close();  // data was flushed at each Append
}

absl::Status Wal::OpenNewFileLocked() {
  const uint64_t no = cur_no_;
  const std::string path = FilePath(no);
  const std::string header = wal::EncodeFileHeader(no);
  auto file = std::make_unique<OpenFile>();
  file->no = no;
  file->path = path;
  absl::Status s;
  auto writer = opt_.env->NewWritableFile(path);
  if (writer.ok()) {
    file->writer = std::move(*writer);
    s = file->writer->Append(header);
    if (s.ok()) s = file->writer->Flush();
    if (s.ok()) {
      auto sync = opt_.env->NewAppendableFile(path);
      if (sync.ok()) file->sync_handle = std::move(*sync);
      s = sync.status();
    }
  } else {
    s = writer.status();
  }
  if (!s.ok()) {
    file.reset();
    // A partial header is recognised and removed by recovery, but try to leave nothing behind.
    if (opt_.env->FileExists(path) && !opt_.env->RemoveFile(path).ok()) ++cur_no_;
    return Annotate(s, absl::StrCat("wal: starting ", path));
  }
  file->size = header.size();
  files_[no] = static_cast<int64_t>(header.size());
  written_lsn_ += header.size();
  dir_dirty_ = true;
  file_ = std::move(file);
  return absl::OkStatus();
}

void Wal::CloseCurrentLocked() {
  if (file_ == nullptr) return;
  (void)file_->writer->Close();  // everything was flushed by Append; nothing can be lost here
  unsynced_[file_->no] = ClosedFile{std::move(file_->sync_handle), written_lsn_};
  file_.reset();
  ++cur_no_;
}

absl::Status Wal::HandleWriteErrorLocked(absl::Status error) {
  OpenFile& f = *file_;
  const std::string context = absl::StrCat("wal append to ", f.path);
  (void)f.writer->Close();  // the failed bytes were dropped from its buffer
  f.writer.reset();
  absl::Status t = opt_.env->TruncateFile(f.path, f.size);
  if (t.ok()) {
    auto w = opt_.env->NewAppendableFile(f.path);
    if (w.ok() && (*w)->Size() == f.size) {
      f.writer = std::move(*w);
      return Annotate(error, absl::StrCat(context, " (truncated back to offset ", f.size, ")"));
    }
    t = w.ok() ? absl::DataLossError("size after truncation differs") : w.status();
  }
  // Cannot restore the file: abandon it (recovery sees a torn tail there) and use a new one.
  unsynced_[f.no] = ClosedFile{std::move(f.sync_handle), written_lsn_};
  file_.reset();
  ++cur_no_;
  return Annotate(error, absl::StrCat(context, " (could not truncate: ", t.message(),
                                      "; next record goes to a new file)"));
}

absl::Status Wal::Encode(const PointBatch& batch, std::string* record) {
  const size_t bound = wal::kRecordHeaderSize + wal::MaxPayloadSize(batch);
  if (bound > wal::kRecordHeaderSize + wal::kMaxPayloadBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("wal: a batch of ", batch.size(), " points with ", batch.keys().size(),
                     " series may exceed one WAL record (1 GiB); split it"));
  }
  if (record->size() < bound) record->resize(bound);
  const size_t n = wal::EncodePayload(batch, record->data() + wal::kRecordHeaderSize);
  wal::FillRecordHeader(record->data(), static_cast<uint32_t>(n));
  record->resize(wal::kRecordHeaderSize + n);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Wal::Append(const PointBatch& batch) {
  if (batch.empty()) {
    absl::MutexLock l(&mu_);
    return written_lsn_;
  }
  // Encoded outside the mutex into a per-thread buffer that only grows (no allocation per call).
  thread_local std::string buf;
  if (absl::Status s = Encode(batch, &buf); !s.ok()) return s;
  absl::StatusOr<uint64_t> result = AppendEncoded(buf);
  if (buf.capacity() > (16u << 20)) std::string().swap(buf);  // do not pin a huge one-off buffer
  return result;
}

absl::StatusOr<uint64_t> Wal::AppendEncoded(std::string_view rec) {
  absl::MutexLock l(&mu_);
  if (file_ != nullptr && file_->size > wal::kFileHeaderSize &&
      file_->size + rec.size() > static_cast<uint64_t>(opt_.file_bytes)) {
    CloseCurrentLocked();
  }
  absl::Status s = file_ == nullptr ? OpenNewFileLocked() : absl::OkStatus();
  if (s.ok()) s = file_->writer->Append(rec);
  if (s.ok()) s = file_->writer->Flush();
  if (!s.ok()) return file_ == nullptr ? s : HandleWriteErrorLocked(s);
  file_->size += rec.size();
  files_[file_->no] = static_cast<int64_t>(file_->size);
  written_lsn_ += rec.size();
  appends_.fetch_add(1);
  return written_lsn_;
}

// ---------------------------------------------------------------------------------------------
// Syncing
// ---------------------------------------------------------------------------------------------

absl::Status Wal::SyncUpTo(uint64_t lsn) {
  absl::MutexLock l(&mu_);
  lsn = std::min(lsn, written_lsn_);
  while (true) {
    if (!sync_error_.ok() && lsn <= poisoned_lsn_) return sync_error_;
    if (synced_lsn_ >= lsn) return absl::OkStatus();
    if (syncing_) {  // someone else syncs; their fsync may cover us
      sync_done_.Wait(&mu_);
      continue;
    }
    syncing_ = true;
    const uint64_t target = written_lsn_;
    std::vector<std::pair<uint64_t, std::shared_ptr<WritableFile>>> handles;
    for (auto& [no, closed] : unsynced_) handles.emplace_back(no, closed.sync_handle);
    if (file_ != nullptr) handles.emplace_back(file_->no, file_->sync_handle);
    const bool sync_dir = dir_dirty_;
    dir_dirty_ = false;
    mu_.Unlock();
    absl::Status s;
    if (sync_dir) s = opt_.env->SyncDir(opt_.dir);
    for (auto& [no, h] : handles) {
      if (!s.ok()) break;
      sync_calls_.fetch_add(1);
      s = h->Sync();
      if (!s.ok()) s = Annotate(s, absl::StrCat("wal fdatasync of ", FilePath(no)));
    }
    mu_.Lock();
    syncing_ = false;
    sync_done_.SignalAll();
    if (!s.ok()) {
      // The kernel may have dropped the dirty pages: never report these records durable.
      poisoned_lsn_ = std::max(poisoned_lsn_, target);
      sync_error_ = s;
      if (sync_dir) dir_dirty_ = true;
      return s;
    }
    synced_lsn_ = std::max(synced_lsn_, target);
    for (auto& [no, h] : handles) {
      auto it = unsynced_.find(no);
      if (it != unsynced_.end() && it->second.end_lsn <= target) unsynced_.erase(it);
    }
  }
}

absl::Status Wal::Sync() {
  uint64_t lsn;
  {
    absl::MutexLock l(&mu_);
    lsn = written_lsn_;
  }
  return SyncUpTo(lsn);
}

void Wal::SyncerLoop() {
  const absl::Duration period = absl::Milliseconds(opt_.policy.interval_ms);
  absl::MutexLock l(&mu_);
  while (!stop_) {
    mu_.AwaitWithTimeout(absl::Condition(&stop_), period);
    if (stop_ || written_lsn_ <= synced_lsn_ || syncing_) continue;
    const uint64_t target = written_lsn_;
    mu_.Unlock();
    absl::Status s = SyncUpTo(target);
    mu_.Lock();
    if (!s.ok() && background_error_.ok()) background_error_ = s;
  }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

absl::StatusOr<uint64_t> Wal::Rotate() {
  absl::MutexLock l(&mu_);
  CloseCurrentLocked();
  return cur_no_;
}

absl::Status Wal::RemoveFilesBefore(uint64_t file_no) {
  absl::MutexLock l(&mu_);
  absl::Status first_error;
  for (auto it = files_.begin(); it != files_.end() && it->first < file_no;) {
    if (file_ != nullptr && it->first == file_->no) break;
    absl::Status s = opt_.env->RemoveFile(FilePath(it->first));
    if (!s.ok() && !absl::IsNotFound(s)) {
      first_error.Update(Annotate(s, "wal"));
      ++it;
      continue;
    }
    unsynced_.erase(it->first);
    it = files_.erase(it);
  }
  return first_error;
}

uint64_t Wal::current_file() const {
  absl::MutexLock l(&mu_);
  return cur_no_;
}

int64_t Wal::pending_bytes() const {
  absl::MutexLock l(&mu_);
  return static_cast<int64_t>(written_lsn_ - synced_lsn_);
}

int64_t Wal::total_bytes() const {
  absl::MutexLock l(&mu_);
  int64_t total = 0;
  for (const auto& [no, size] : files_) total += size;
  return total;
}

absl::Status Wal::background_error() const {
  absl::MutexLock l(&mu_);
  return background_error_;
}

}  // namespace dc
