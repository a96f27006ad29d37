// The embedded engine behind Store: WAL → head → segment files, queries over all three.
//
// Concurrency: `mu_` guards the series registry, the heads and the current Version pointer.
// Versions (the set of segment files) are immutable and swapped whole, so queries take a
// snapshot under `mu_` and read segments without holding it. `flush_mu_` serialises flushes
// and `maint_mu_` compaction and retention; the two run on their own background threads, so a
// long merge never holds up a flush (the head stays bounded by the writers' back-pressure).
// Priority for identical series+timestamp: segments by ascending seq < imm_ head < mem_ head (the
// newest write wins).
//
// Internal to the storage layer: the engine class, split over engine.cc (open, recovery,
// writes, stats), engine_maint.cc (flush, compaction, retention, background) and
// engine_query.cc (raw, aggregate and counter queries). Other layers include store.h only.
#ifndef DC_STORAGE_ENGINE_H_
#define DC_STORAGE_ENGINE_H_

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <span>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "common/thread_priority.h"
#include "storage/aggregate.h"
#include "storage/block.h"
#include "storage/head.h"
#include "storage/segment.h"
#include "storage/series_registry.h"
#include "storage/store.h"
#include "storage/wal.h"

namespace dc {
namespace engine_internal {

inline constexpr size_t kMaxBuckets = 5'000'000;
inline constexpr char kSegmentSuffix[] = ".dcs";
// Background compaction (size-tiered): the newest files of a partition are merged while the
// next older one is at most kTierRatio times their total, so a partition's files grow
// geometrically with age and their number stays logarithmic in its size. No merge reads more
// than kMaxMergeInputBytes.
inline constexpr uint64_t kTierRatio = 2;
inline constexpr uint64_t kMaxMergeInputBytes = uint64_t{512} << 20;

inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// The partition [start, end) holding t: partitions are `width` long, shifted by `offset` from
// the epoch (so they can start at local midnight). 128-bit arithmetic, clamped to int64.
inline std::pair<int64_t, int64_t> PartitionOf(int64_t t, int64_t width, int64_t offset) {
  __int128 x = static_cast<__int128>(t) - offset;
  __int128 q = x / width;
  if (x % width != 0 && x < 0) --q;
  __int128 start = q * width + offset, end = start + width;
  auto clamp = [](__int128 v) {
    return static_cast<int64_t>(v < INT64_MIN ? INT64_MIN : v > INT64_MAX ? INT64_MAX : v);
  };
  return {clamp(start), clamp(end)};
}

// One series' blocks in one segment file, decoded for one query (SegmentReader::ReadBlocks).
struct SegEntry {
  int64_t partition;
  int64_t partition_end;
  uint64_t seq;
  const SegmentReader* seg;
  const BlockRef* begin;
  const BlockRef* end;
};

// A series of one segment file: its number there (SegmentReader::ReadBlocks).
struct SeriesSlot {
  uint32_t id;
  uint32_t number;
};

// Engine series id -> series number in one segment file. Dense (4 bytes per id of the file's id
// range, looked up by index) when the file holds at least half of that range, as a flush or a
// merge of a whole partition does; else the slots sorted by id (8 bytes each, binary search).
// Files holding the same series share one map (Version::ShareOrMake): a stable set of meters
// costs 4 bytes per series however many files and partitions hold it.
class SlotMap {
 public:
  // ids[n] is the id of series number n.
  explicit SlotMap(const std::vector<uint32_t>& ids) : size_(ids.size()), print_(Print(ids)) {
    if (ids.empty()) return;
    const auto [lo, hi] = std::minmax_element(ids.begin(), ids.end());
    base_ = *lo;
    const uint64_t range = uint64_t{*hi} - base_ + 1;
    if (range <= 2 * uint64_t{ids.size()}) {  // dense: no sort needed
      dense_.assign(range, kAbsent);
      for (size_t n = 0; n < ids.size(); ++n) dense_[ids[n] - base_] = static_cast<uint32_t>(n);
      return;
    }
    sparse_.reserve(ids.size());
    for (size_t n = 0; n < ids.size(); ++n) sparse_.push_back({ids[n], static_cast<uint32_t>(n)});
    std::sort(sparse_.begin(), sparse_.end(),
              [](const SeriesSlot& a, const SeriesSlot& b) { return a.id < b.id; });
  }
  // The series number of `id`, or -1 if the file has no blocks of it.
  int64_t NumberOf(uint32_t id) const {
    if (!sparse_.empty()) {
      auto s = std::lower_bound(sparse_.begin(), sparse_.end(), id,
                                [](const SeriesSlot& x, uint32_t i) { return x.id < i; });
      return s != sparse_.end() && s->id == id ? int64_t{s->number} : int64_t{-1};
    }
    if (id < base_ || id - base_ >= dense_.size()) return -1;
    const uint32_t n = dense_[id - base_];
    return n == kAbsent ? int64_t{-1} : int64_t{n};
  }
  // The inverse: (*by_number)[n] is the id of series number n.
  void Ids(std::vector<uint32_t>* by_number) const {
    by_number->assign(size_, 0);
    for (const SeriesSlot& s : sparse_) (*by_number)[s.number] = s.id;
    for (size_t i = 0; i < dense_.size(); ++i) {
      if (dense_[i] != kAbsent) (*by_number)[dense_[i]] = base_ + static_cast<uint32_t>(i);
    }
  }
  // True if this is the map of `ids` (same series, same numbers).
  bool Same(const std::vector<uint32_t>& ids, uint64_t print) const {
    if (print != print_ || ids.size() != size_) return false;
    for (size_t n = 0; n < ids.size(); ++n) {
      if (NumberOf(ids[n]) != static_cast<int64_t>(n)) return false;
    }
    return true;
  }
  // A hash of the id sequence (FNV-1a over the ids).
  static uint64_t Print(const std::vector<uint32_t>& ids) {
    uint64_t h = 14695981039346656037ull;
    for (uint32_t id : ids) h = (h ^ id) * 1099511628211ull;
    return h;
  }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;  // an index < 4 GiB holds fewer series
  size_t size_;
  uint64_t print_;
  uint32_t base_ = 0;
  std::vector<uint32_t> dense_;
  std::vector<SeriesSlot> sparse_;
};

// An immutable set of segment files. What it keeps per series: the reader's ~8 bytes per file
// holding the series, and 4-8 bytes per distinct set of series (a SlotMap); block indexes stay
// in the mapped files.
struct Version {
  // partition start -> segments, ascending seq
  std::map<int64_t, std::vector<std::shared_ptr<SegmentReader>>> parts;
  // segment -> its series
  absl::flat_hash_map<const SegmentReader*, std::shared_ptr<const SlotMap>> slots;

  // The map of a file whose series numbers have ids `ids`: one already in use if another file
  // holds the same series, else a new one.
  std::shared_ptr<const SlotMap> ShareOrMake(const std::vector<uint32_t>& ids) const {
    const uint64_t print = SlotMap::Print(ids);
    for (const auto& [seg, m] : slots) {
      if (m->Same(ids, print)) return m;
    }
    return std::make_shared<const SlotMap>(ids);
  }
  // The series number of `id` in `seg`, or -1 if it has no blocks there.
  int64_t NumberIn(const SegmentReader* seg, uint32_t id) const {
    auto it = slots.find(seg);
    return it == slots.end() ? -1 : it->second->NumberOf(id);
  }
};

// Points of a series in the heads for one query range: imm_ then mem_, merged.
inline std::vector<Sample> MergeNewerWins(std::vector<Sample> older,
                                          const std::vector<Sample>& newer) {
  if (older.empty()) return newer;
  if (newer.empty()) return older;
  std::vector<Sample> out;
  out.reserve(older.size() + newer.size());
  size_t i = 0, j = 0;
  while (i < older.size() || j < newer.size()) {
    if (j == newer.size() || (i < older.size() && older[i].t < newer[j].t)) {
      out.push_back(older[i++]);
    } else {
      if (i < older.size() && older[i].t == newer[j].t) ++i;
      out.push_back(newer[j++]);
    }
  }
  return out;
}

// Where a block's stats can be consumed without decoding it.
class StatsSink {
 public:
  virtual ~StatsSink() = default;
  // Returns true if the sink consumed the block's stats.
  virtual bool Take(const BlockStats& s) = 0;
  // The stats' value fields Take reads (block.h, StatFields); the others are not decoded.
  virtual unsigned fields() const = 0;
};

struct Snapshot {
  std::shared_ptr<const Version> version;
  bool known = false;
  uint32_t id = 0;
  std::vector<Sample> head;  // head points of the query range, sorted, resolved
};

class Engine final : public Store {
 public:
  explicit Engine(const StoreOptions& opt) : opt_(opt) {
    env_ = opt_.env ? opt_.env : Env::Default();
    wal_dir_ = opt_.dir + "/wal";
    seg_dir_ = opt_.dir + "/segments";
    mem_ = std::make_shared<Head>();
    version_ = std::make_shared<Version>();
  }

  ~Engine() override {
    StopBackground();
    if (wal_ && !closed_) {
      absl::Status s = Flush();
      if (!s.ok())
        std::fprintf(stderr, "dualcarbon: flush at close failed: %s\n", s.ToString().c_str());
    }
  }

  absl::Status Init();

  absl::Status Write(const PointBatch& batch) override;
  absl::StatusOr<std::vector<Sample>> QueryRaw(std::string_view series, int64_t start,
                                               int64_t end) override;
  absl::StatusOr<std::vector<Bucket>> Aggregate(const AggregateRequest& req) override;
  absl::StatusOr<CounterResult> CounterIncrease(std::string_view series,
                                                std::span<const int64_t> bounds,
                                                const CounterOptions& opt,
                                                int64_t window_ns) override;
  std::vector<std::string> ListSeries(std::string_view match) override;
  absl::Status Flush() override {
    absl::MutexLock m(&flush_mu_);
    return FlushLocked();
  }
  absl::Status Compact() override {
    absl::MutexLock m(&maint_mu_);
    return CompactLocked(2);
  }
  absl::StatusOr<int> DropPartitionsBefore(int64_t cutoff_ns) override;
  // One step of background compaction (at most one merge); true if it merged. `quiet`: ingest
  // has been quiet a while, so a partition that has ended is merged into one file.
  absl::StatusOr<bool> CompactStep(bool quiet) {
    absl::MutexLock m(&maint_mu_);
    return CompactStepLocked(quiet);
  }
  absl::Status Sync() override { return wal_->Sync(); }
  absl::Status Close() override;
  StoreStats Stats() override;
  std::string recovery_report() const override { return recovery_; }

 private:
  // Close flushes a head of fewer series than this; a larger one is left to WAL replay
  // (flushing 1 M series takes seconds; replaying them well under one).
  static constexpr size_t kCloseFlushMaxSeries = 50'000;
  void StopBackground() ABSL_LOCKS_EXCLUDED(mu_);
  // The head size that triggers a flush (StoreOptions::head_max_points, head_points_per_series).
  int64_t FlushPointsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::max(opt_.head_max_points,
                    opt_.head_points_per_series * static_cast<int64_t>(mem_->series.size()));
  }
  uint32_t InternLocked(std::string_view key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InsertLocked(const PointBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // InsertLocked in short steps, taking mu_ for each: a query waits for one step, not for a
  // whole batch (nor for a writer preempted in the middle of one).
  void InsertInSteps(const PointBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flush_mu_);
  // A series of a frozen head, for a flush: its key (in the registry's arena), id and points.
  struct FlushItem {
    std::string_view key;
    uint32_t id;
    const SeriesHead* head;
  };
  // The series of `imm` in key order. The last flush's order is kept (flush_order_), so a
  // stable set of meters is not sorted again: only series new since then are, and merged in.
  absl::Status FlushOrder(const Head& imm, std::vector<FlushItem>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(flush_mu_);
  absl::Status CompactLocked(size_t min_segments) ABSL_EXCLUSIVE_LOCKS_REQUIRED(maint_mu_);
  absl::StatusOr<bool> CompactStepLocked(bool quiet) ABSL_EXCLUSIVE_LOCKS_REQUIRED(maint_mu_);
  // Merges `segs` (one partition's, adjacent in seq order), installs the result and removes
  // them. I/O without mu_; only the install takes it.
  // `paced`: at opt_.compaction_bytes_per_sec (background merges).
  absl::Status MergeAndInstallLocked(std::span<const std::shared_ptr<SegmentReader>> segs,
                                     bool paced) ABSL_EXCLUSIVE_LOCKS_REQUIRED(maint_mu_);
  // One file carrying the newest seq, written series by series (one series' points in memory
  // at a time); a series found in one input only is copied block by block, undecoded.
  // `in_ids[k]`: the ids of segs[k]'s series by number; *ids: the output's.
  absl::StatusOr<std::shared_ptr<SegmentReader>> MergeSegments(
      std::span<const std::shared_ptr<SegmentReader>> segs,
      std::span<const std::vector<uint32_t>> in_ids, bool paced, std::vector<uint32_t>* ids);
  absl::Status CopySeries(SegmentWriter* w, const SegmentReader& seg, const std::string& key,
                          uint32_t number, std::vector<BlockRef>* refs);
  // `day`: the last local day looked up, [start, end) — a flush or merge cuts a million series'
  // blocks at the same midnights, and the zone arithmetic was ~7 % of a flush.
  struct LocalDay {
    int64_t start = 1, end = 0;  // empty
  };
  // `in`: the (file, series number) of `key` in each input holding it, ascending seq.
  absl::Status MergeSeries(SegmentWriter* w, int64_t partition_end, const std::string& key,
                           std::span<const std::pair<const SegmentReader*, uint32_t>> in,
                           std::vector<Sample>* pts, std::vector<BlockRef>* refs,
                           std::string* scratch, LocalDay* day);
  // The end of the block starting at pts[i]: cut at the partition end, at local midnight in
  // the block zone (`day`), at block_max_points, or at an hour boundary past block_min_points.
  size_t BlockEnd(const std::vector<Sample>& pts, size_t i, int64_t part_end, LocalDay* day) const;
  absl::Status AddEncodedBlock(SegmentWriter* w, std::string_view key,
                               std::span<const Sample> block, std::string* scratch);
  // Removes the files of segments no Version uses any more, and any an earlier call could not
  // remove. Failures are kept for the next call (retried) and reported: a file left behind
  // would bring its data back at the next open. REQUIRES: maint_mu_ held.
  absl::Status RemoveObsoleteLocked(std::vector<std::string> paths)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maint_mu_);
  // Writes `series` (in key order) into new segment files, one per partition; (*ids)[k] are
  // the ids of (*out)[k]'s series, by series number.
  absl::Status WriteSegments(std::span<const FlushItem> series,
                             std::vector<std::shared_ptr<SegmentReader>>* out,
                             std::vector<std::vector<uint32_t>>* ids);
  // New Version = old + `add` - `remove`. `add_ids[k]`: the ids of add[k]'s series by series
  // number, if known; else (files found at open) they are read from the file's keys.
  void InstallLocked(const std::vector<std::shared_ptr<SegmentReader>>& add,
                     const std::vector<const SegmentReader*>& remove,
                     std::span<const std::vector<uint32_t>> add_ids = {})
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string SegmentPath(int64_t partition, uint64_t file_no) const {
    return absl::StrFormat("%s/%016x-%012d%s", seg_dir_, static_cast<uint64_t>(partition), file_no,
                           kSegmentSuffix);
  }
  Snapshot TakeSnapshot(std::string_view key, int64_t lo, int64_t hi);
  // Points of the snapshot's series in [lo, hi), sorted and resolved. Clean blocks wholly
  // inside the range are offered to `sink` first.
  absl::Status Collect(const Snapshot& snap, int64_t lo, int64_t hi, StatsSink* sink,
                       std::vector<Sample>* out);
  // Collect for one partition: `entries` are the series' blocks in its files, by seq.
  absl::Status CollectPartition(const Snapshot& snap, std::span<const SegEntry> entries, int64_t lo,
                                int64_t hi, StatsSink* sink, std::vector<Sample>* out);
  // The last point with a finite value before t with t >= limit (before=true), or the first at
  // or after t with t < limit (before=false). Failed polls (NaN) are no counter reading.
  absl::StatusOr<std::optional<Sample>> Neighbor(std::string_view key, int64_t t, bool before,
                                                 int64_t limit);
  // `series` as registered: itself, or its canonical form if only that is known.
  std::string ResolveKey(std::string_view series);
  // The background threads: one flushes the head (when full, old, or idle), the other merges
  // segments (one merge per tick) and applies retention.
  void FlushLoop();
  void CompactLoop();
  // The bucket grid of a request; the last few are cached, since dashboards and reports ask
  // many series for the same range and step, and calendar arithmetic in a zone is not free.
  absl::StatusOr<std::shared_ptr<const BucketGrid>> Grid(const AggregateRequest& req);

  // Reads DIR/STORE, or writes it for a new store: the partition grid is fixed at creation.
  // `legacy_width`: the partition width of the segments of a store older than DIR/STORE (0
  // if there are none).
  absl::Status LoadOrCreateLayout(int64_t legacy_width);

  StoreOptions opt_;
  absl::TimeZone zone_;  // opt_.block_zone
  int64_t partition_offset_ = 0;
  Env* env_;
  std::string wal_dir_, seg_dir_;
  std::shared_ptr<void> lock_;
  std::unique_ptr<Wal> wal_;
  std::string recovery_;

  // One flush at a time; never held with maint_mu_ (one compaction / drop at a time). A flush
  // may install files while a merge runs: its files take seqs newer than every installed file,
  // so a merge's inputs stay adjacent in seq order and its output keeps their newest seq.
  absl::Mutex flush_mu_;
  absl::Mutex maint_mu_;
  // Orders writers: one batch's WAL append and head insert at a time, and no head swap (flush)
  // between them — so the WAL's order is the head's and a rotated WAL file holds only what the
  // swapped-out head holds. Lock order: write_mu_ before mu_. Queries never take it.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<std::string> unremoved_ ABSL_GUARDED_BY(maint_mu_);  // obsolete, still on disk
  std::vector<uint32_t> flush_order_ ABSL_GUARDED_BY(flush_mu_);   // the last flush's ids, by key
  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  SeriesRegistry keys_ ABSL_GUARDED_BY(mu_);  // series key <-> id, each key stored once
  std::shared_ptr<Head> mem_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Head> imm_ ABSL_GUARDED_BY(mu_);
  // Set with imm_: every WAL record before this file is in imm_ or in segment files.
  uint64_t imm_wal_file_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const Version> version_ ABSL_GUARDED_BY(mu_);
  uint64_t next_file_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  std::atomic<int64_t> last_flush_ns_{0};  // monotonic time of the last flush
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ = false;  // Close() ran: the destructor does not flush
  // Set by Close for a large head: a running flush or compaction stops before writing any
  // file (its inputs, WAL files or segments, stay), so shutdown need not wait for it.
  std::atomic<bool> closing_{false};
  // Set when the background thread is asked to stop: a paced merge is abandoned.
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> compactions_{0}, compaction_bytes_{0};
  std::thread flusher_, compactor_;

  struct GridKey {
    int64_t start, end, step_n;
    Step::Unit unit;
    std::string zone;
    bool closed_right;
    bool operator==(const GridKey&) const = default;
  };
  absl::Mutex grid_mu_;
  std::vector<std::pair<GridKey, std::shared_ptr<const BucketGrid>>> grids_
      ABSL_GUARDED_BY(grid_mu_);
};

}  // namespace engine_internal
}  // namespace dc

#endif  // DC_STORAGE_ENGINE_H_
