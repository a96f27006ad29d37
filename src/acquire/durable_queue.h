// A durable FIFO of byte records on disk, for store-and-forward (the HJ 212 forwarder): a link
// outage loses nothing, and what the consumer committed is never handed out again.
//
// Layout (docs/protocols/hj212.md, "Forwarding queue"): in `dir`, append-only segment files
// `q-<16 decimal digits>.log`, each a sequence of records
//   length  u32 little-endian   bytes of data
//   crc     u32 little-endian   masked CRC-32C of data (common/crc32c.h)
//   data    length bytes
// and a file `consumed` ("<segment number> <byte offset>\n", replaced atomically) naming the
// first record not yet consumed. Segments wholly before it are deleted.
#ifndef DC_ACQUIRE_DURABLE_QUEUE_H_
#define DC_ACQUIRE_DURABLE_QUEUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/env.h"

namespace dc::acquire {

struct DurableQueueOptions {
  std::string dir;                      // created if absent
  Env* env = nullptr;                   // nullptr = Env::Default()
  uint64_t segment_bytes = 4 << 20;     // start a new segment past this size
  uint32_t max_record_bytes = 1 << 20;  // larger records are refused
};

// A place in the queue: just after some record.
struct QueuePosition {
  uint64_t segment = 0;
  uint64_t offset = 0;
  friend bool operator==(const QueuePosition&, const QueuePosition&) = default;
};

struct QueueRecord {
  std::string data;
  QueuePosition end;  // commit this to consume the record (and all before it)
};

// Thread-safe: any number of appenders and one consumer.
class DurableQueue {
 public:
  // Opens the queue, creating it if needed. A torn or corrupt tail of the newest segment (a
  // crash during an append) is truncated; a corrupt record in an older segment ends that
  // segment (the rest of it is skipped, reported by recovery_notes()).
  static absl::StatusOr<std::unique_ptr<DurableQueue>> Open(const DurableQueueOptions& options);

  DurableQueue(const DurableQueue&) = delete;
  DurableQueue& operator=(const DurableQueue&) = delete;

  // Appends the records and fsyncs once; when it returns OK they survive a crash. On an
  // error none of them counts as appended (the partial write is truncated).
  [[nodiscard]] absl::Status Append(const std::vector<std::string>& records);

  // Up to `max` records after the consumed position, oldest first, without consuming them.
  // Waits up to `wait` for a record when the queue is empty (returns an empty list then).
  absl::StatusOr<std::vector<QueueRecord>> Peek(size_t max, absl::Duration wait);

  // Marks every record up to `end` consumed, durably (atomic replace + fsync); deletes
  // segments wholly consumed. `records` is how many records that consumes (for the count).
  // REQUIRES: `end` is the end of a record returned by Peek, not before the consumed position.
  [[nodiscard]] absl::Status Commit(const QueuePosition& end, int64_t records);

  // Wakes a consumer blocked in Peek (for shutdown).
  void Wake();

  int64_t pending_records() const;  // appended and not yet committed
  const std::vector<std::string>& recovery_notes() const { return notes_; }

 private:
  DurableQueue(DurableQueueOptions options, Env* env);
  absl::Status Recover();
  absl::Status ScanSegment(uint64_t seg, uint64_t from, bool newest, int64_t* records);
  absl::Status OpenWriter(uint64_t seg) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string SegmentPath(uint64_t seg) const;
  absl::Status ReadRecords(QueuePosition from, size_t max, std::vector<QueueRecord>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DurableQueueOptions options_;
  Env* const env_;
  std::vector<std::string> notes_;

  mutable absl::Mutex mu_;
  std::vector<uint64_t> segments_ ABSL_GUARDED_BY(mu_);  // existing segment numbers, ascending
  std::unique_ptr<WritableFile> writer_ ABSL_GUARDED_BY(mu_);
  uint64_t write_segment_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t write_size_ ABSL_GUARDED_BY(mu_) = 0;  // bytes of valid records in the segment
  QueuePosition consumed_ ABSL_GUARDED_BY(mu_);
  int64_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_DURABLE_QUEUE_H_
