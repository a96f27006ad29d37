// The storage layer's public interface: the only header other layers include.
// Start here: Store::Open, Write, Query. The embedded engine (WAL, head, compressed blocks,
// segment files) is described in docs/formats/ and src/README.md.
#ifndef DC_STORAGE_STORE_H_
#define DC_STORAGE_STORE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/counter.h"
#include "common/env.h"
#include "common/sample.h"
#include "common/time.h"

namespace dc {

// When a WAL record must be on stable storage before Write() returns.
struct FsyncPolicy {
  enum class Mode { kAlways, kInterval, kOff };
  Mode mode = Mode::kInterval;
  int64_t interval_ms = 100;
};
// "always" | "interval:<ms>" | "off".
absl::StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view text);

struct StoreOptions {
  std::string dir;                           // data directory; created if absent
  Env* env = nullptr;                        // nullptr = Env::Default()
  FsyncPolicy fsync;                         // default interval:100
  int64_t partition_ns = 30 * kNanosPerDay;  // span of one partition of a NEW store (see STORE)
  int64_t head_max_points = 4'000'000;       // flush head to segments past this many points
  // ... or past this many points a series, if more: a flush's cost and a file's size are mostly
  // per series, so a head of a million series flushes 8 M points at a time, not 4 points each.
  int64_t head_points_per_series = 8;
  int64_t wal_segment_bytes = 64 << 20;  // rotate WAL files at this size
  int block_min_points = 720;            // a block closes at an hour boundary once it has this many
  int block_max_points = 8192;           // ... and unconditionally at this many
  // Blocks never cross local midnight in this zone, so calendar aggregates (days, weeks,
  // months, years) in it read block stats only, never decoding points. Set it to the plants'
  // zone; other zones still get correct results, decoding the blocks that straddle a bucket.
  std::string block_zone = "Asia/Shanghai";
  int64_t retention_ns = 0;  // drop partitions older than now - retention; 0 = keep all
  // Background merges write at most this many bytes per second (0: unpaced), so compaction
  // never takes the disk from ingest and queries. Flushes, Compact() and retention are not
  // paced; a paced merge is abandoned (its inputs stay) when the store closes.
  int64_t compaction_bytes_per_sec = int64_t{48} << 20;
  bool background = true;  // background threads: flush, and compaction/retention
};

enum class Agg { kSum, kMean, kMin, kMax, kCount, kFirst, kLast, kIncrease };
// "sum" | "mean" | "min" | "max" | "count" | "first" | "last" | "increase".
absl::StatusOr<Agg> ParseAgg(std::string_view text);
std::string_view AggName(Agg agg);

struct AggregateRequest {
  std::string series;  // canonical key
  int64_t start = 0;   // inclusive (with closed=left)
  int64_t end = 0;     // exclusive (with closed=left)
  Step step;           // REQUIRES: not raw
  absl::TimeZone zone = absl::UTCTimeZone();
  Agg agg = Agg::kSum;
  // closed=right: a point stamped t belongs to the bucket (a, b] with a < t <= b, and the
  // range is (start, end]; bucket times are reported as the bucket's end. For data stamped
  // at the end of its interval (15-min kWh "ending at").
  bool closed_right = false;
  CounterOptions counter;  // for kIncrease
};

struct Bucket {
  int64_t t;  // bucket start (closed=left) or end (closed=right)
  double v;
};

struct StoreStats {
  int64_t series = 0;
  int64_t points = 0;  // in segments + head (duplicates not yet compacted count twice)
  int64_t head_points = 0;
  int64_t segments = 0;
  int64_t partitions = 0;
  int64_t bytes_on_disk = 0;  // WAL + segments
  int64_t wal_bytes = 0;
  int64_t wal_pending_bytes = 0;  // written but not yet fsynced
  int64_t compactions = 0;        // merges done since open (background and Compact())
  int64_t compaction_bytes = 0;   // bytes those merges wrote
};

class Store {
 public:
  virtual ~Store() = default;

  // Opens (creating if needed) the store in options.dir, replaying the WAL. A torn WAL tail is
  // truncated and reported in recovery_report(), never fatal.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const StoreOptions& options);

  // Appends the batch. Returns once its WAL record is written under the fsync policy; from
  // then on the points survive kill -9 (and, with fsync=always, power loss). Late and
  // out-of-order points are normal; for an identical series and timestamp the last write wins.
  // Thread-safe.
  [[nodiscard]] virtual absl::Status Write(const PointBatch& batch) = 0;

  // Points of `series` with start <= t < end, sorted by time, duplicates resolved.
  virtual absl::StatusOr<std::vector<Sample>> QueryRaw(std::string_view series, int64_t start,
                                                       int64_t end) = 0;
  // Bucketed aggregate; buckets with no points are omitted (for count too).
  virtual absl::StatusOr<std::vector<Bucket>> Aggregate(const AggregateRequest& req) = 0;

  // Increase of the cumulative counter `series` over each interval [bounds[i], bounds[i+1]]
  // (common/counter.h: CounterAccumulator's rules, resets and rollovers as events). The
  // readings used are those with bounds.front() <= t <= bounds.back() plus the nearest one on
  // either side — no further than `window_ns` away (t >= bounds.front() - window_ns, and
  // t < bounds.back() + window_ns), any distance if window_ns = 0 — so the result equals
  // CounterOver() of those readings from QueryRaw. t_first/t_last are the outermost readings
  // used. Blocks whose values never decrease and that lie within one interval are read from
  // their stats, not decoded. REQUIRES: bounds sorted ascending, size >= 1 (else
  // InvalidArgumentError). Thread-safe.
  virtual absl::StatusOr<CounterResult> CounterIncrease(std::string_view series,
                                                        std::span<const int64_t> bounds,
                                                        const CounterOptions& opt,
                                                        int64_t window_ns) = 0;

  // Canonical keys of all series containing `match` (empty = all), sorted.
  virtual std::vector<std::string> ListSeries(std::string_view match) = 0;

  // Writes the head to segment files and trims the WAL.
  [[nodiscard]] virtual absl::Status Flush() = 0;
  // Merges overlapping segment files of each partition (last write wins).
  [[nodiscard]] virtual absl::Status Compact() = 0;
  // Drops whole partitions ending before `cutoff_ns`; returns how many.
  virtual absl::StatusOr<int> DropPartitionsBefore(int64_t cutoff_ns) = 0;
  // Makes all acknowledged writes durable (fsync), whatever the policy.
  [[nodiscard]] virtual absl::Status Sync() = 0;
  // Ends the store's use before it is destroyed: stops background work, then flushes the head
  // if that is quick (a small head), else fsyncs the WAL, which the next Open replays — so a
  // shutdown never waits for seconds of segment writing. Only queries may follow.
  [[nodiscard]] virtual absl::Status Close() = 0;

  virtual StoreStats Stats() = 0;
  // What recovery found at Open (torn tail truncated, records replayed); empty if clean.
  virtual std::string recovery_report() const = 0;
};

}  // namespace dc

#endif  // DC_STORAGE_STORE_H_
