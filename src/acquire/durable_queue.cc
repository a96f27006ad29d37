#include "acquire/durable_queue.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crc32c.h"
#include "common/strings.h"

namespace dc::acquire {
namespace {

constexpr size_t kRecordHeader = 8;  // length u32 + masked crc u32
constexpr std::string_view kConsumedFile = "consumed";

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t GetU32(std::string_view s) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[i]);
  return v;
}

// "q-0000000000000042.log" → 42.
bool SegmentNumber(std::string_view full, uint64_t* seg) {
  absl::string_view name = AV(full);
  if (!absl::ConsumePrefix(&name, "q-") || !absl::ConsumeSuffix(&name, ".log")) return false;
  if (name.size() != 16) return false;
  return absl::SimpleAtoi(name, seg);
}

// The record at `offset` of `contents`: true and *data/*next when whole and its CRC matches.
bool RecordAt(std::string_view contents, uint64_t offset, uint32_t max_bytes,
              std::string_view* data, uint64_t* next) {
  if (contents.size() < offset + kRecordHeader) return false;
  uint32_t length = GetU32(contents.substr(offset, 4));
  uint32_t crc = crc32c::Unmask(GetU32(contents.substr(offset + 4, 4)));
  if (length > max_bytes || contents.size() - offset - kRecordHeader < length) return false;
  *data = contents.substr(offset + kRecordHeader, length);
  if (crc32c::Value(*data) != crc) return false;
  *next = offset + kRecordHeader + length;
  return true;
}

}  // namespace

DurableQueue::DurableQueue(DurableQueueOptions options, Env* env)
    : options_(std::move(options)), env_(env) {}

absl::StatusOr<std::unique_ptr<DurableQueue>> DurableQueue::Open(
    const DurableQueueOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  std::unique_ptr<DurableQueue> q(new DurableQueue(options, env));
  absl::Status s = q->Recover();
  if (!s.ok()) return s;
  return q;
}

std::string DurableQueue::SegmentPath(uint64_t seg) const {
  char name[32];
  std::snprintf(name, sizeof(name), "q-%016llu.log", static_cast<unsigned long long>(seg));
  return absl::StrCat(options_.dir, "/", name);
}

absl::Status DurableQueue::Recover() {
  absl::MutexLock l(&mu_);
  if (absl::Status s = env_->CreateDirs(options_.dir); !s.ok()) return s;
  auto children = env_->GetChildren(options_.dir);
  if (!children.ok()) return children.status();
  for (const std::string& name : *children) {
    uint64_t seg;
    if (SegmentNumber(name, &seg)) segments_.push_back(seg);
  }
  std::sort(segments_.begin(), segments_.end());
  std::string consumed_path = absl::StrCat(options_.dir, "/", AV(kConsumedFile));
  if (env_->FileExists(consumed_path)) {
    auto text = ReadFileToString(env_, consumed_path);
    if (!text.ok()) return text.status();
    std::vector<absl::string_view> f = absl::StrSplit(absl::StripAsciiWhitespace(*text), ' ');
    if (f.size() != 2 || !absl::SimpleAtoi(f[0], &consumed_.segment) ||
        !absl::SimpleAtoi(f[1], &consumed_.offset)) {
      return absl::DataLossError(absl::StrCat("queue ", options_.dir, ": file consumed holds \"",
                                              AV(*text), "\", expected \"<segment> <offset>\""));
    }
  } else if (!segments_.empty()) {
    consumed_ = QueuePosition{segments_.front(), 0};
  }
  for (size_t i = 0; i < segments_.size(); ++i) {
    uint64_t seg = segments_[i];
    if (seg < consumed_.segment) continue;  // consumed; removed below
    uint64_t from = seg == consumed_.segment ? consumed_.offset : 0;
    if (absl::Status s = ScanSegment(seg, from, i + 1 == segments_.size(), &pending_); !s.ok()) {
      return s;
    }
  }
  while (!segments_.empty() && segments_.front() < consumed_.segment) {
    (void)env_->RemoveFile(SegmentPath(segments_.front()));  // best effort: already consumed
    segments_.erase(segments_.begin());
  }
  uint64_t seg = segments_.empty() ? std::max<uint64_t>(consumed_.segment, 1) : segments_.back();
  if (consumed_.segment == 0) consumed_ = QueuePosition{seg, 0};
  return OpenWriter(seg);
}

// Counts the good records of `seg` from `from`; a bad record ends the segment (truncated when
// it is the newest one, where it can only be a torn append).
absl::Status DurableQueue::ScanSegment(uint64_t seg, uint64_t from, bool newest, int64_t* records) {
  auto file = env_->NewRandomAccessFile(SegmentPath(seg));
  if (!file.ok()) return file.status();
  std::string_view contents = (*file)->Contents();
  uint64_t offset = from, next;
  std::string_view data;
  while (offset < contents.size() &&
         RecordAt(contents, offset, options_.max_record_bytes, &data, &next)) {
    ++*records;
    offset = next;
  }
  if (offset >= contents.size()) return absl::OkStatus();
  std::string note = absl::StrCat("queue segment ", SegmentPath(seg), ": bad record at byte ",
                                  offset, " of ", contents.size());
  if (newest) {
    notes_.push_back(absl::StrCat(note, " (torn append): truncated"));
    return env_->TruncateFile(SegmentPath(seg), offset);
  }
  notes_.push_back(absl::StrCat(note, ": the rest of the segment is skipped"));
  return absl::OkStatus();
}

absl::Status DurableQueue::OpenWriter(uint64_t seg) {
  auto size = env_->FileExists(SegmentPath(seg)) ? env_->GetFileSize(SegmentPath(seg))
                                                 : absl::StatusOr<uint64_t>(0);
  if (!size.ok()) return size.status();
  auto w = env_->NewAppendableFile(SegmentPath(seg));
  if (!w.ok()) return w.status();
  bool is_new = segments_.empty() || segments_.back() != seg;
  writer_ = std::move(*w);
  write_segment_ = seg;
  write_size_ = *size;
  if (is_new) {
    segments_.push_back(seg);
    return env_->SyncDir(options_.dir);
  }
  return absl::OkStatus();
}

absl::Status DurableQueue::Append(const std::vector<std::string>& records) {
  std::string bytes;
  for (const std::string& r : records) {
    if (r.size() > options_.max_record_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "queue record of ", r.size(), " bytes, over the limit of ", options_.max_record_bytes));
    }
    PutU32(&bytes, static_cast<uint32_t>(r.size()));
    PutU32(&bytes, crc32c::Mask(crc32c::Value(r)));
    bytes += r;
  }
  if (records.empty()) return absl::OkStatus();
  absl::MutexLock l(&mu_);
  if (write_size_ >= options_.segment_bytes) {
    if (absl::Status s = writer_->Close(); !s.ok()) return s;
    if (absl::Status s = OpenWriter(write_segment_ + 1); !s.ok()) return s;
  }
  absl::Status s = writer_->Append(bytes);
  if (s.ok()) s = writer_->Sync();
  if (!s.ok()) {
    // Cut what may have been written, so the next append starts on a record boundary.
    (void)writer_->Close();
    (void)env_->TruncateFile(SegmentPath(write_segment_), write_size_);
    writer_.reset();
    absl::Status reopen = OpenWriter(write_segment_);
    return reopen.ok() ? s
                       : absl::Status(s.code(), absl::StrCat(s.message(), "; ", reopen.message()));
  }
  write_size_ += bytes.size();
  pending_ += static_cast<int64_t>(records.size());
  return absl::OkStatus();
}

absl::Status DurableQueue::ReadRecords(QueuePosition from, size_t max,
                                       std::vector<QueueRecord>* out) {
  for (uint64_t seg : segments_) {
    if (seg < from.segment || out->size() >= max) continue;
    uint64_t offset = seg == from.segment ? from.offset : 0;
    uint64_t limit = seg == write_segment_ ? write_size_ : UINT64_MAX;
    if (offset >= limit) continue;
    auto file = env_->NewRandomAccessFile(SegmentPath(seg));
    if (!file.ok()) return file.status();
    std::string_view contents = (*file)->Contents();
    if (contents.size() > limit) contents = contents.substr(0, limit);
    std::string_view data;
    uint64_t next;
    while (out->size() < max &&
           RecordAt(contents, offset, options_.max_record_bytes, &data, &next)) {
      out->push_back(QueueRecord{std::string(data), QueuePosition{seg, next}});
      offset = next;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<QueueRecord>> DurableQueue::Peek(size_t max, absl::Duration wait) {
  absl::MutexLock l(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_ > 0 || woken_; };
  mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
  woken_ = false;
  std::vector<QueueRecord> out;
  if (pending_ == 0) return out;
  if (absl::Status s = ReadRecords(consumed_, max, &out); !s.ok()) return s;
  return out;
}

absl::Status DurableQueue::Commit(const QueuePosition& end, int64_t records) {
  absl::MutexLock l(&mu_);
  std::string text = absl::StrCat(end.segment, " ", end.offset, "\n");
  absl::Status s = WriteFileAtomic(env_, absl::StrCat(options_.dir, "/", AV(kConsumedFile)), text);
  if (!s.ok()) return s;
  consumed_ = end;
  pending_ = std::max<int64_t>(0, pending_ - records);
  while (segments_.size() > 1 && segments_.front() < consumed_.segment) {
    (void)env_->RemoveFile(SegmentPath(segments_.front()));  // best effort: already consumed
    segments_.erase(segments_.begin());
  }
  return absl::OkStatus();
}

void DurableQueue::Wake() {
  absl::MutexLock l(&mu_);
  woken_ = true;
}

int64_t DurableQueue::pending_records() const {
  absl::MutexLock l(&mu_);
  return pending_;
}

}  // namespace dc::acquire
