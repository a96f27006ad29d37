// The embedded engine behind Store: WAL → head → segment files, queries over all three.
//
// Concurrency: `mu_` guards the series registry, the heads and the current Version pointer.
// Versions (the set of segment files) are immutable and swapped whole, so queries take a
// snapshot under `mu_` and read segments without holding it. `maint_mu_` serialises
// maintenance (flush, compaction, retention). Priority for identical series+timestamp:
// segments by ascending seq < imm_ head < mem_ head (the newest write wins).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
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
#include "storage/store.h"
#include "storage/wal.h"

namespace dc {
namespace {

constexpr size_t kMaxBuckets = 5'000'000;
constexpr char kSegmentSuffix[] = ".dcs";

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// One series' blocks in one segment file. Flat (no pointer chase to the SeriesBlocks) because
// long-range aggregates walk hundreds of these per series and are bound by memory latency.
// The partition [start, end) holding t: partitions are `width` long, shifted by `offset` from
// the epoch (so they can start at local midnight). 128-bit arithmetic, clamped to int64.
std::pair<int64_t, int64_t> PartitionOf(int64_t t, int64_t width, int64_t offset) {
  __int128 x = static_cast<__int128>(t) - offset;
  __int128 q = x / width;
  if (x % width != 0 && x < 0) --q;
  __int128 start = q * width + offset, end = start + width;
  auto clamp = [](__int128 v) {
    return static_cast<int64_t>(v < INT64_MIN ? INT64_MIN : v > INT64_MAX ? INT64_MAX : v);
  };
  return {clamp(start), clamp(end)};
}

struct SegEntry {
  int64_t partition;
  int64_t partition_end;
  uint64_t seq;
  const SegmentReader* seg;
  const BlockRef* begin;
  const BlockRef* end;
};

// An immutable set of segment files.
struct Version {
  // partition start -> segments, ascending seq
  std::map<int64_t, std::vector<std::shared_ptr<SegmentReader>>> parts;
  // series id -> its blocks in every segment, ordered by (partition, seq)
  absl::flat_hash_map<uint32_t, std::vector<SegEntry>> by_series;
};

// Points of a series in the heads for one query range: imm_ then mem_, merged.
std::vector<Sample> MergeNewerWins(std::vector<Sample> older, const std::vector<Sample>& newer) {
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
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
    }
    cv_.SignalAll();
    if (bg_.joinable()) bg_.join();
    if (wal_) {
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
    absl::MutexLock m(&maint_mu_);
    return FlushLocked();
  }
  absl::Status Compact() override {
    absl::MutexLock m(&maint_mu_);
    return CompactLocked(2);
  }
  absl::StatusOr<int> DropPartitionsBefore(int64_t cutoff_ns) override;
  absl::Status Sync() override { return wal_->Sync(); }
  StoreStats Stats() override;
  std::string recovery_report() const override { return recovery_; }

 private:
  uint32_t InternLocked(std::string_view key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InsertLocked(const PointBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // InsertLocked in short steps, taking mu_ for each: a query waits for one step, not for a
  // whole batch (nor for a writer preempted in the middle of one).
  void InsertInSteps(const PointBatch& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(maint_mu_);
  absl::Status CompactLocked(size_t min_segments) ABSL_EXCLUSIVE_LOCKS_REQUIRED(maint_mu_);
  // Removes the files of segments no Version uses any more, and any an earlier call could not
  // remove. Failures are kept for the next call (retried) and reported: a file left behind
  // would bring its data back at the next open. REQUIRES: maint_mu_ held.
  absl::Status RemoveObsoleteLocked(std::vector<std::string> paths)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(maint_mu_);
  // Writes `series` (key, sorted points) into new segment files, one per partition.
  absl::Status WriteSegments(const std::vector<std::pair<std::string, std::vector<Sample>>>& series,
                             uint64_t fixed_seq, std::vector<std::shared_ptr<SegmentReader>>* out);
  // New Version = old + `add` - `remove`. REQUIRES: mu_ held.
  void InstallLocked(const std::vector<std::shared_ptr<SegmentReader>>& add,
                     const std::vector<const SegmentReader*>& remove)
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
  // The last point with a finite value before t with t >= limit (before=true), or the first at
  // or after t with t < limit (before=false). Failed polls (NaN) are no counter reading.
  absl::StatusOr<std::optional<Sample>> Neighbor(std::string_view key, int64_t t, bool before,
                                                 int64_t limit);
  // `series` as registered: itself, or its canonical form if only that is known.
  std::string ResolveKey(std::string_view series);
  void BackgroundLoop();
  // The bucket grid of a request; the last few are cached, since dashboards and reports ask
  // many series for the same range and step, and calendar arithmetic in a zone is not free.
  absl::StatusOr<std::shared_ptr<const BucketGrid>> Grid(const AggregateRequest& req);

  // Reads DIR/STORE, or writes it for a new store: the partition grid is fixed at creation.
  absl::Status LoadOrCreateLayout(bool has_segments);

  StoreOptions opt_;
  absl::TimeZone zone_;  // opt_.block_zone
  int64_t partition_offset_ = 0;
  Env* env_;
  std::string wal_dir_, seg_dir_;
  std::shared_ptr<void> lock_;
  std::unique_ptr<Wal> wal_;
  std::string recovery_;

  absl::Mutex maint_mu_;  // one flush / compaction / drop at a time
  // Orders writers: one batch's WAL append and head insert at a time, and no head swap (flush)
  // between them — so the WAL's order is the head's and a rotated WAL file holds only what the
  // swapped-out head holds. Lock order: write_mu_ before mu_. Queries never take it.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<std::string> unremoved_ ABSL_GUARDED_BY(maint_mu_);  // obsolete, still on disk
  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<std::string> keys_ ABSL_GUARDED_BY(mu_);  // by id
  absl::flat_hash_map<std::string, uint32_t, StringHash, StringEq> ids_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Head> mem_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Head> imm_ ABSL_GUARDED_BY(mu_);
  // Set with imm_: every WAL record before this file is in imm_ or in segment files.
  uint64_t imm_wal_file_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const Version> version_ ABSL_GUARDED_BY(mu_);
  uint64_t next_file_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t last_flush_ns_ = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread bg_;

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

absl::StatusOr<std::shared_ptr<const BucketGrid>> Engine::Grid(const AggregateRequest& req) {
  GridKey key{req.start, req.end, req.step.n, req.step.unit, req.zone.name(), req.closed_right};
  {
    absl::MutexLock l(&grid_mu_);
    for (const auto& [k, g] : grids_) {
      if (k == key) return g;
    }
  }
  auto g = BucketGrid::Make(req, kMaxBuckets);
  if (!g.ok()) return g.status();
  auto shared = std::make_shared<const BucketGrid>(std::move(*g));
  absl::MutexLock l(&grid_mu_);
  if (grids_.size() >= 8) grids_.erase(grids_.begin());
  grids_.emplace_back(std::move(key), shared);
  return shared;
}

uint32_t Engine::InternLocked(std::string_view key) {
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(keys_.size());
  keys_.emplace_back(key);
  ids_.emplace(keys_.back(), id);
  return id;
}

void Engine::InsertInSteps(const PointBatch& batch) {
  constexpr size_t kKeysPerStep = 256, kRowsPerStep = 1024;
  const auto& keys = batch.keys();
  std::vector<uint32_t> ids(keys.size());
  for (size_t i = 0; i < keys.size(); i += kKeysPerStep) {
    absl::MutexLock l(&mu_);
    for (size_t k = i; k < std::min(keys.size(), i + kKeysPerStep); ++k) {
      ids[k] = InternLocked(keys[k]);
      mem_->series.try_emplace(ids[k]);
    }
  }
  // mem_ and its map change only under write_mu_ (held): the heads stay where they are.
  std::vector<SeriesHead*> heads(keys.size(), nullptr);
  {
    absl::MutexLock l(&mu_);
    for (size_t k = 0; k < keys.size(); ++k) heads[k] = &mem_->series.find(ids[k])->second;
    if (mem_->points == 0) mem_->created_ns = env_->MonotonicNanos();
  }
  const auto& rows = batch.rows();
  for (size_t i = 0; i < rows.size(); i += kRowsPerStep) {
    const size_t end = std::min(rows.size(), i + kRowsPerStep);
    absl::MutexLock l(&mu_);
    for (size_t r = i; r < end; ++r) heads[rows[r].series]->Add(rows[r].t, rows[r].v, rows[r].q);
    mem_->points += static_cast<int64_t>(end - i);
  }
}

void Engine::InsertLocked(const PointBatch& batch) {
  const auto& keys = batch.keys();
  std::vector<SeriesHead*> heads(keys.size(), nullptr);
  for (size_t i = 0; i < keys.size(); ++i) mem_->series.try_emplace(InternLocked(keys[i]));
  for (size_t i = 0; i < keys.size(); ++i) heads[i] = &mem_->series[ids_.find(keys[i])->second];
  if (mem_->points == 0) mem_->created_ns = env_->MonotonicNanos();
  for (const auto& r : batch.rows()) heads[r.series]->Add(r.t, r.v, r.q);
  mem_->points += static_cast<int64_t>(batch.size());
}

absl::Status Engine::Init() {
  auto zone = LoadZone(opt_.block_zone);
  if (!zone.ok()) return zone.status();
  zone_ = *zone;
  absl::Status s = env_->CreateDirs(seg_dir_);
  if (s.ok()) s = env_->CreateDirs(wal_dir_);
  if (!s.ok()) return s;
  auto lock = env_->LockFile(opt_.dir + "/LOCK");
  if (!lock.ok()) return lock.status();
  lock_ = *lock;

  // Segment files: leftovers of an interrupted write are removed; a file that fails its
  // checks is set aside (renamed *.corrupt) and reported, never silently used.
  auto children = env_->GetChildren(seg_dir_);
  if (!children.ok()) return children.status();
  std::sort(children->begin(), children->end());
  std::vector<std::shared_ptr<SegmentReader>> segs;
  uint64_t max_file = 0, max_seq = 0;
  for (const auto& name : *children) {
    std::string path = seg_dir_ + "/" + name;
    if (absl::EndsWith(AV(name), ".tmp")) {
      (void)env_->RemoveFile(path);
      continue;
    }
    if (!absl::EndsWith(AV(name), kSegmentSuffix)) continue;
    unsigned long long part = 0, file_no = 0;
    if (std::sscanf(name.c_str(), "%16llx-%12llu", &part, &file_no) == 2) {
      max_file = std::max<uint64_t>(max_file, file_no);
    }
    auto r = SegmentReader::Open(env_, path);
    if (!r.ok()) {
      absl::StrAppend(&recovery_, "segment ", path, " set aside: ", r.status().message(), "\n");
      (void)env_->RenameFile(path, path + ".corrupt");
      continue;
    }
    max_seq = std::max(max_seq, (*r)->meta().seq);
    segs.push_back(std::shared_ptr<SegmentReader>(std::move(*r)));
  }
  s = LoadOrCreateLayout(!segs.empty());
  if (!s.ok()) return s;
  {
    absl::MutexLock l(&mu_);
    next_file_ = max_file + 1;
    next_seq_ = max_seq + 1;
    InstallLocked(segs, {});
  }

  WalOptions wopt;
  wopt.env = env_;
  wopt.dir = wal_dir_;
  wopt.policy = opt_.fsync;
  wopt.file_bytes = opt_.wal_segment_bytes;
  WalRecoveryReport report;
  auto wal = Wal::Open(
      wopt,
      [this](uint64_t, const PointBatch& batch) {
        absl::MutexLock l(&mu_);
        InsertLocked(batch);
        return absl::OkStatus();
      },
      &report);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  if (report.truncated_bytes > 0 || !report.problems.empty()) {
    absl::StrAppend(&recovery_, report.ToString(), "\n");
  }
  last_flush_ns_ = env_->MonotonicNanos();
  if (opt_.background) bg_ = std::thread([this] { BackgroundLoop(); });
  return absl::OkStatus();
}

absl::Status Engine::LoadOrCreateLayout(bool has_segments) {
  const std::string path = opt_.dir + "/STORE";
  if (env_->FileExists(path)) {
    auto text = ReadFileToString(env_, path);
    if (!text.ok()) return text.status();
    long long width = 0, offset = 0;
    if (std::sscanf(text->c_str(),
                    "dualcarbon-store 1\npartition_ns %lld\npartition_offset_ns %lld", &width,
                    &offset) != 2 ||
        width <= 0) {
      return absl::DataLossError(absl::StrCat(path, ": unreadable store layout file"));
    }
    opt_.partition_ns = width;
    partition_offset_ = offset;
    return absl::OkStatus();
  }
  // New store: partitions start at local midnight of the block zone (its UTC offset now).
  // A store written before this file existed keeps the epoch-aligned grid.
  if (!has_segments) {
    int64_t off = int64_t{zone_.At(absl::FromUnixNanos(env_->NowNanos())).offset} * kNanosPerSecond;
    partition_offset_ = -off;
  }
  return WriteFileAtomic(
      env_, path,
      absl::StrFormat("dualcarbon-store 1\npartition_ns %d\npartition_offset_ns %d\n",
                      opt_.partition_ns, partition_offset_));
}

// A finite value, or NaN with quality bad: the record of a failed poll (skipped by aggregates).
// Infinities and NaN of good/uncertain quality are no reading.
static bool Storable(const PointBatch::Row& r) {
  return std::isfinite(r.v) || (std::isnan(r.v) && r.q == Quality::kBad);
}

absl::Status Engine::Write(const PointBatch& batch) {
  if (batch.empty()) return absl::OkStatus();
  size_t bad = 0;
  for (const auto& r : batch.rows()) bad += !Storable(r);
  PointBatch filtered;
  const PointBatch* in = &batch;
  if (bad > 0) {
    for (const auto& r : batch.rows()) {
      if (Storable(r)) filtered.Add(batch.keys()[r.series], r.t, r.v, r.q);
    }
    in = &filtered;
  }
  uint64_t lsn = 0;
  bool need_flush = false;
  if (!in->empty()) {
    // Encoded before taking mu_: a large batch must not hold up every other writer and query
    // while it is encoded (only the write(2) and the head insert are ordered under mu_).
    thread_local std::string record;
    if (absl::Status e = Wal::Encode(*in, &record); !e.ok()) return e;
    {
      absl::MutexLock w(&write_mu_);
      {
        absl::MutexLock l(&mu_);
        // Back-pressure: while a flush is running and the new head is full too, writers wait
        // (ending that flush needs only mu_).
        while (!(stop_ || imm_ == nullptr || mem_->points < 2 * opt_.head_max_points)) {
          cv_.Wait(&mu_);
        }
      }
      auto r = wal_->AppendEncoded(record);
      if (!r.ok()) return r.status();
      lsn = *r;
      InsertInSteps(*in);
      absl::MutexLock l(&mu_);
      need_flush = mem_->points >= opt_.head_max_points;
    }
    if (record.capacity() > (16u << 20)) std::string().swap(record);  // no huge one-off buffer
  }
  if (need_flush) {
    if (opt_.background) {
      cv_.SignalAll();
    } else {
      absl::Status s = Flush();
      if (!s.ok()) return s;
    }
  }
  if (lsn > 0 && opt_.fsync.mode == FsyncPolicy::Mode::kAlways) {
    absl::Status s = wal_->SyncUpTo(lsn);
    if (!s.ok()) return s;
  }
  if (bad > 0) {
    return absl::InvalidArgumentError(absl::StrCat(bad, " of ", batch.size(),
                                                   " points have a non-finite value (infinity, "
                                                   "or NaN not marked quality bad) and were not "
                                                   "stored; the other ",
                                                   batch.size() - bad, " were"));
  }
  return absl::OkStatus();
}

absl::Status Engine::WriteSegments(
    const std::vector<std::pair<std::string, std::vector<Sample>>>& series, uint64_t fixed_seq,
    std::vector<std::shared_ptr<SegmentReader>>* out) {
  struct Part {
    std::unique_ptr<SegmentWriter> writer;
    std::string path;
  };
  std::map<int64_t, Part> parts;
  std::string encoded;
  const int64_t pns = opt_.partition_ns;
  const Step day{Step::Unit::kDay, 1};
  auto writer_for = [&](int64_t p, int64_t p_end) -> absl::StatusOr<SegmentWriter*> {
    auto it = parts.find(p);
    if (it != parts.end()) return it->second.writer.get();
    SegmentMeta meta;
    uint64_t file_no;
    {
      absl::MutexLock l(&mu_);
      file_no = next_file_++;
      meta.seq = fixed_seq ? fixed_seq : next_seq_++;
    }
    meta.partition_start = p;
    meta.partition_end = p_end;
    std::string path = SegmentPath(p, file_no);
    auto w = SegmentWriter::Create(env_, path, meta);
    if (!w.ok()) return w.status();
    SegmentWriter* raw = w->get();
    parts.emplace(p, Part{std::move(*w), path});
    return raw;
  };
  for (const auto& [key, pts] : series) {
    size_t i = 0;
    while (i < pts.size()) {
      const auto [part, part_end] = PartitionOf(pts[i].t, pns, partition_offset_);
      const int64_t local_day_end = NextBucket(BucketStart(pts[i].t, day, zone_), day, zone_);
      const int64_t block_end = std::min(part_end, local_day_end);
      size_t j = i + 1;
      // Cut: at the partition end, at local midnight, at max points, or at an hour boundary
      // once the block has min points.
      while (j < pts.size() && pts[j].t < block_end) {
        size_t n = j - i;
        if (n >= static_cast<size_t>(opt_.block_max_points)) break;
        if (n >= static_cast<size_t>(opt_.block_min_points) &&
            FloorDiv(pts[j].t, kNanosPerHour) != FloorDiv(pts[j - 1].t, kNanosPerHour)) {
          break;
        }
        ++j;
      }
      std::span<const Sample> block(pts.data() + i, j - i);
      encoded.clear();
      EncodeBlock(block, &encoded);
      auto w = writer_for(part, part_end);
      if (!w.ok()) return w.status();
      absl::Status s = (*w)->AddBlock(key, ComputeStats(block), encoded);
      if (!s.ok()) return s;
      i = j;
    }
  }
  for (auto& [p, part] : parts) {
    absl::Status s = part.writer->Finish();
    if (!s.ok()) return s;
    auto r = SegmentReader::Open(env_, part.path);
    if (!r.ok()) return r.status();
    out->push_back(std::shared_ptr<SegmentReader>(std::move(*r)));
  }
  return absl::OkStatus();
}

void Engine::InstallLocked(const std::vector<std::shared_ptr<SegmentReader>>& add,
                           const std::vector<const SegmentReader*>& remove) {
  auto v = std::make_shared<Version>(*version_);
  auto removed = [&](const SegmentReader* s) {
    return std::find(remove.begin(), remove.end(), s) != remove.end();
  };
  if (!remove.empty()) {
    for (auto it = v->parts.begin(); it != v->parts.end();) {
      auto& segs = it->second;
      segs.erase(
          std::remove_if(segs.begin(), segs.end(), [&](const auto& s) { return removed(s.get()); }),
          segs.end());
      it = segs.empty() ? v->parts.erase(it) : std::next(it);
    }
    for (auto it = v->by_series.begin(); it != v->by_series.end();) {
      auto& e = it->second;
      e.erase(std::remove_if(e.begin(), e.end(), [&](const SegEntry& x) { return removed(x.seg); }),
              e.end());
      if (e.empty()) {
        v->by_series.erase(it++);
      } else {
        ++it;
      }
    }
  }
  auto entry_less = [](const SegEntry& a, const SegEntry& b) {
    return a.partition != b.partition ? a.partition < b.partition : a.seq < b.seq;
  };
  for (const auto& seg : add) {
    auto& segs = v->parts[seg->meta().partition_start];
    segs.push_back(seg);
    std::sort(segs.begin(), segs.end(),
              [](const auto& a, const auto& b) { return a->meta().seq < b->meta().seq; });
    for (const auto& sb : seg->series()) {
      SegEntry e{seg->meta().partition_start,
                 seg->meta().partition_end,
                 seg->meta().seq,
                 seg.get(),
                 sb.blocks.data(),
                 sb.blocks.data() + sb.blocks.size()};
      auto& list = v->by_series[InternLocked(sb.key)];
      list.insert(std::upper_bound(list.begin(), list.end(), e, entry_less), e);
    }
  }
  version_ = std::move(v);
}

absl::Status Engine::FlushLocked() {
  std::shared_ptr<Head> imm;
  uint64_t wal_file = 0;
  std::vector<std::pair<std::string, std::vector<Sample>>> series;
  bool swap;
  {
    absl::MutexLock l(&mu_);
    swap = imm_ == nullptr;  // else: a previous flush failed; retry it (its WAL files remain)
  }
  if (swap) {
    // Between two writers' batches (write_mu_), never inside one.
    absl::MutexLock w(&write_mu_);
    absl::MutexLock l(&mu_);
    if (mem_->points == 0) return absl::OkStatus();
    auto r = wal_->Rotate();
    if (!r.ok()) return r.status();
    imm_ = mem_;
    mem_ = std::make_shared<Head>();
    imm_wal_file_ = wal_->current_file();  // the first file written after the swap
  }
  {
    absl::MutexLock l(&mu_);
    imm = imm_;
    wal_file = imm_wal_file_;
    series.reserve(imm->series.size());
    for (const auto& [id, h] : imm->series) series.emplace_back(keys_[id], std::vector<Sample>{});
  }
  // imm is immutable now: no lock needed to read it.
  {
    size_t k = 0;
    for (const auto& [id, h] : imm->series) series[k++].second = h.Sorted();
  }
  std::sort(series.begin(), series.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::shared_ptr<SegmentReader>> segs;
  absl::Status s = WriteSegments(series, 0, &segs);
  if (!s.ok()) return s;
  {
    absl::MutexLock l(&mu_);
    InstallLocked(segs, {});
    imm_ = nullptr;
  }
  cv_.SignalAll();
  last_flush_ns_ = env_->MonotonicNanos();
  // Every record in WAL files before the current one is now in segment files.
  return wal_->RemoveFilesBefore(wal_file);
}

absl::Status Engine::CompactLocked(size_t min_segments) {
  std::shared_ptr<const Version> v;
  {
    absl::MutexLock l(&mu_);
    v = version_;
  }
  for (const auto& [part, segs] : v->parts) {
    if (segs.size() < min_segments) continue;
    // Merge all series of this partition's segments; later seq wins.
    std::map<std::string, std::vector<std::vector<Sample>>> merged;
    for (const auto& seg : segs) {
      for (const auto& sb : seg->series()) {
        std::vector<Sample> pts;
        for (const auto& ref : sb.blocks) {
          auto data = seg->BlockData(ref);
          if (!data.ok()) return data.status();
          absl::Status s = DecodeBlock(*data, ref.stats.count, &pts);
          if (!s.ok()) {
            return absl::DataLossError(
                absl::StrCat("compaction: block of ", sb.key, " unreadable: ", s.message()));
          }
        }
        merged[sb.key].push_back(std::move(pts));
      }
    }
    std::vector<std::pair<std::string, std::vector<Sample>>> series;
    series.reserve(merged.size());
    for (auto& [key, runs] : merged) {
      std::vector<Sample> all = std::move(runs[0]);
      for (size_t i = 1; i < runs.size(); ++i) all = MergeNewerWins(std::move(all), runs[i]);
      series.emplace_back(key, std::move(all));
    }
    std::vector<std::shared_ptr<SegmentReader>> out;
    absl::Status s = WriteSegments(series, segs.back()->meta().seq, &out);
    if (!s.ok()) return s;
    std::vector<const SegmentReader*> remove;
    std::vector<std::string> paths;
    for (const auto& seg : segs) {
      remove.push_back(seg.get());
      paths.push_back(seg->path());
    }
    {
      absl::MutexLock l(&mu_);
      InstallLocked(out, remove);
    }
    if (s = RemoveObsoleteLocked(std::move(paths)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Engine::RemoveObsoleteLocked(std::vector<std::string> paths) {
  paths.insert(paths.begin(), unremoved_.begin(), unremoved_.end());
  unremoved_.clear();
  absl::Status first;
  for (std::string& p : paths) {
    absl::Status s = env_->RemoveFile(p);
    if (s.ok() || absl::IsNotFound(s)) continue;
    if (first.ok()) first = s;
    unremoved_.push_back(std::move(p));
  }
  if (unremoved_.empty()) return absl::OkStatus();
  return absl::Status(first.code(),
                      absl::StrCat("could not remove ", unremoved_.size(),
                                   " obsolete segment file(s) (retried at the next maintenance; "
                                   "until then a restart would bring their data back): ",
                                   first.message()));
}

absl::StatusOr<int> Engine::DropPartitionsBefore(int64_t cutoff_ns) {
  absl::MutexLock m(&maint_mu_);
  std::vector<const SegmentReader*> remove;
  std::vector<std::string> paths;
  int dropped = 0;
  {
    absl::MutexLock l(&mu_);
    for (const auto& [part, segs] : version_->parts) {
      if (segs.front()->meta().partition_end > cutoff_ns) break;
      ++dropped;
      for (const auto& s : segs) {
        remove.push_back(s.get());
        paths.push_back(s->path());
      }
    }
    if (!remove.empty()) InstallLocked({}, remove);
  }
  if (absl::Status s = RemoveObsoleteLocked(std::move(paths)); !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat("retention dropped ", dropped, " partition(s) but ", s.message()));
  }
  return dropped;
}

Snapshot Engine::TakeSnapshot(std::string_view key, int64_t lo, int64_t hi) {
  Snapshot snap;
  absl::MutexLock l(&mu_);
  snap.version = version_;
  auto it = ids_.find(key);
  if (it == ids_.end()) return snap;
  snap.known = true;
  snap.id = it->second;
  std::vector<Sample> older;
  if (imm_) {
    auto h = imm_->series.find(snap.id);
    if (h != imm_->series.end()) older = h->second.Range(lo, hi);
  }
  auto h = mem_->series.find(snap.id);
  snap.head = MergeNewerWins(
      std::move(older), h != mem_->series.end() ? h->second.Range(lo, hi) : std::vector<Sample>{});
  return snap;
}

// True if any of `pts` (sorted) lies in [a, b].
bool AnyIn(const std::vector<Sample>& pts, int64_t a, int64_t b) {
  auto it = std::lower_bound(pts.begin(), pts.end(), a,
                             [](const Sample& s, int64_t t) { return s.t < t; });
  return it != pts.end() && it->t <= b;
}

// True if a block of another segment of the same partition overlaps [a, b].
bool OverlapsOthers(const std::vector<SegEntry>& entries, size_t self, size_t part_begin,
                    size_t part_end, int64_t a, int64_t b) {
  for (size_t k = part_begin; k < part_end; ++k) {
    if (k == self) continue;
    const BlockRef* it =
        std::lower_bound(entries[k].begin, entries[k].end, a,
                         [](const BlockRef& r, int64_t t) { return r.stats.t_last < t; });
    if (it != entries[k].end && it->stats.t_first <= b) return true;
  }
  return false;
}

absl::Status Engine::Collect(const Snapshot& snap, int64_t lo, int64_t hi, StatsSink* sink,
                             std::vector<Sample>* out) {
  out->clear();
  if (!snap.known) return absl::OkStatus();
  auto it = snap.version->by_series.find(snap.id);
  if (it != snap.version->by_series.end()) {
    const auto& entries = it->second;
    size_t i = 0;
    while (i < entries.size()) {
      // [i, j) = the entries of one partition.
      size_t j = i + 1;
      while (j < entries.size() && entries[j].partition == entries[i].partition) ++j;
      const int64_t ps = entries[i].partition;
      if (ps >= hi) break;
      const int64_t pe = entries[i].partition_end;
      if (j < entries.size()) {
        __builtin_prefetch(entries[j].begin);
        __builtin_prefetch(reinterpret_cast<const char*>(entries[j].begin) + 64);
      }
      if (pe <= lo) {
        i = j;
        continue;
      }
      const bool multi = j - i > 1;
      const size_t slice = out->size();
      for (size_t k = i; k < j; ++k) {
        const BlockRef* b =
            entries[k].begin == entries[k].end || entries[k].begin->stats.t_last >= lo
                ? entries[k].begin
                : std::lower_bound(entries[k].begin, entries[k].end, lo,
                                   [](const BlockRef& r, int64_t t) { return r.stats.t_last < t; });
        for (; b != entries[k].end && b->stats.t_first < hi; ++b) {
          const BlockStats& st = b->stats;
          bool clean = !(multi && OverlapsOthers(entries, k, i, j, st.t_first, st.t_last)) &&
                       !AnyIn(snap.head, st.t_first, st.t_last);
          if (clean && sink && st.t_first >= lo && st.t_last < hi && sink->Take(st)) continue;
          auto data = entries[k].seg->BlockData(*b);
          if (!data.ok()) return data.status();
          size_t before = out->size();
          absl::Status s = DecodeBlock(*data, st.count, out);
          if (!s.ok()) {
            std::string key;
            {
              absl::MutexLock l(&mu_);  // keys_ may grow (reallocate) meanwhile
              key = keys_[snap.id];
            }
            return absl::DataLossError(
                absl::StrCat("block of ", key, " unreadable: ", s.message()));
          }
          // Trim to [lo, hi).
          if (st.t_first < lo || st.t_last >= hi) {
            auto first = out->begin() + static_cast<ptrdiff_t>(before);
            auto keep = std::remove_if(first, out->end(),
                                       [&](const Sample& x) { return x.t < lo || x.t >= hi; });
            out->erase(keep, out->end());
          }
        }
      }
      if (multi) {
        // Resolve across this partition's segments: stable sort keeps seq order for ties.
        auto first = out->begin() + static_cast<ptrdiff_t>(slice);
        std::stable_sort(first, out->end(),
                         [](const Sample& a, const Sample& b) { return a.t < b.t; });
        size_t w = slice;
        for (size_t r = slice; r < out->size(); ++r) {
          if (w > slice && (*out)[w - 1].t == (*out)[r].t) {
            (*out)[w - 1] = (*out)[r];
          } else {
            (*out)[w++] = (*out)[r];
          }
        }
        out->resize(w);
      }
      i = j;
    }
  }
  if (!snap.head.empty()) *out = MergeNewerWins(std::move(*out), snap.head);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Sample>> Engine::QueryRaw(std::string_view series, int64_t start,
                                                     int64_t end) {
  std::vector<Sample> out;
  if (end <= start) return out;
  Snapshot snap = TakeSnapshot(series, start, end);
  if (!snap.known) {
    auto canon = CanonicalSeriesKey(series);
    if (canon.ok() && *canon != series) snap = TakeSnapshot(*canon, start, end);
  }
  absl::Status s = Collect(snap, start, end, nullptr, &out);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::optional<Sample>> Engine::Neighbor(std::string_view key, int64_t t, bool before,
                                                       int64_t limit) {
  // Walk outward one partition-sized window at a time; stop at the first window with data.
  std::shared_ptr<const Version> v;
  {
    absl::MutexLock l(&mu_);
    v = version_;
  }
  int64_t lo_all = INT64_MAX, hi_all = INT64_MIN;
  if (!v->parts.empty()) {
    lo_all = v->parts.begin()->first;
    hi_all = v->parts.rbegin()->second.front()->meta().partition_end;
  }
  {
    absl::MutexLock l(&mu_);
    auto it = ids_.find(key);
    if (it == ids_.end()) return std::optional<Sample>();
    for (const Head* h : {imm_.get(), mem_.get()}) {
      if (!h) continue;
      auto s = h->series.find(it->second);
      if (s == h->series.end() || s->second.size() == 0) continue;
      lo_all = std::min(lo_all, s->second.tmin());
      hi_all = std::max(hi_all, s->second.tmax() == INT64_MAX ? INT64_MAX : s->second.tmax() + 1);
    }
  }
  const int64_t w = opt_.partition_ns;
  const int64_t stop = before ? std::max(lo_all, limit) : std::min(hi_all, limit);
  std::vector<Sample> pts;
  for (int64_t cur = t; before ? cur > stop : cur < stop;) {
    int64_t a = before ? (cur < INT64_MIN + w ? INT64_MIN : cur - w) : cur;
    int64_t b = before ? cur : (cur > INT64_MAX - w ? INT64_MAX : cur + w);
    if (before) {
      a = std::max(a, limit);
    } else {
      b = std::min(b, limit);
    }
    Snapshot snap = TakeSnapshot(key, a, b);
    absl::Status s = Collect(snap, a, b, nullptr, &pts);
    if (!s.ok()) return s;
    std::erase_if(pts, [](const Sample& x) { return !std::isfinite(x.v); });
    if (!pts.empty()) return std::optional<Sample>(before ? pts.back() : pts.front());
    if ((before && a == INT64_MIN) || (!before && b == INT64_MAX)) break;
    cur = before ? a : b;
  }
  return std::optional<Sample>();
}

std::string Engine::ResolveKey(std::string_view series) {
  {
    absl::MutexLock l(&mu_);
    if (ids_.contains(series)) return std::string(series);
  }
  auto canon = CanonicalSeriesKey(series);
  return canon.ok() ? *canon : std::string(series);
}

// A non-decreasing block within one interval of the bounds: a counter run (first and last
// reading stand for all of it), taken from its stats without decoding.
struct CounterRun {
  int64_t t_first, t_last;
  double first, last;
};

class CounterRunSink final : public StatsSink {
 public:
  explicit CounterRunSink(const CounterAccumulator& acc) : acc_(acc) {}
  bool Take(const BlockStats& s) override {
    if (!s.nondecreasing || s.count < 1) return false;
    // No bound strictly inside (t_first, t_last) and no meter swap in (t_first, t_last]: the
    // run needs no interpolation inside and is one meter's.
    if (!acc_.RunAllowed(s.t_first, s.t_last)) return false;
    runs_.push_back(CounterRun{s.t_first, s.t_last, s.first, s.last});
    return true;
  }
  // The runs in time order. Within a partition of several segment files blocks arrive file by
  // file, so they may be out of order; runs never overlap each other or any other reading.
  std::vector<CounterRun>& SortedRuns() {
    if (!std::is_sorted(runs_.begin(), runs_.end(), ByTime)) {
      std::sort(runs_.begin(), runs_.end(), ByTime);
    }
    return runs_;
  }

 private:
  static bool ByTime(const CounterRun& a, const CounterRun& b) { return a.t_first < b.t_first; }
  const CounterAccumulator& acc_;
  std::vector<CounterRun> runs_;
};

absl::StatusOr<CounterResult> Engine::CounterIncrease(std::string_view series,
                                                      std::span<const int64_t> bounds,
                                                      const CounterOptions& opt,
                                                      int64_t window_ns) {
  if (bounds.empty()) return absl::InvalidArgumentError("counter increase: no interval bounds");
  if (!std::is_sorted(bounds.begin(), bounds.end())) {
    return absl::InvalidArgumentError("counter increase: interval bounds not in ascending order");
  }
  if (window_ns < 0) {
    return absl::InvalidArgumentError("counter increase: negative neighbour window");
  }
  if (!CounterSwapsValid(opt.swaps)) {
    return absl::InvalidArgumentError(
        "counter increase: meter swaps not in strictly increasing time order or not finite >= 0");
  }
  const std::string key = ResolveKey(series);
  // Readings in [front, back] = [front, back + 1).
  const int64_t lo = bounds.front();
  const int64_t hi = bounds.back() == INT64_MAX ? INT64_MAX : bounds.back() + 1;
  Snapshot snap = TakeSnapshot(key, lo, hi);
  CounterAccumulator acc(bounds, opt);
  CounterRunSink sink(acc);
  std::vector<Sample> pts;
  absl::Status s = Collect(snap, lo, hi, &sink, &pts);
  if (!s.ok()) return s;
  // Neighbours: t >= front - window before, t < back + window after (0 = any distance).
  const int64_t before_limit =
      window_ns == 0 || lo < INT64_MIN + window_ns ? INT64_MIN : lo - window_ns;
  const int64_t after_limit = window_ns == 0 || bounds.back() > INT64_MAX - window_ns
                                  ? INT64_MAX
                                  : bounds.back() + window_ns;
  auto before = Neighbor(key, lo, true, before_limit);
  if (!before.ok()) return before.status();
  auto after = Neighbor(key, hi, false, after_limit);
  if (!after.ok()) return after.status();

  if (*before) acc.Add((*before)->t, (*before)->v);
  const std::vector<CounterRun>& runs = sink.SortedRuns();
  size_t r = 0, p = 0;
  while (r < runs.size() || p < pts.size()) {
    if (p == pts.size() || (r < runs.size() && runs[r].t_first < pts[p].t)) {
      acc.AddRun(runs[r].t_first, runs[r].first, runs[r].t_last, runs[r].last);
      ++r;
    } else {
      acc.Add(pts[p].t, pts[p].v);
      ++p;
    }
  }
  if (*after) acc.Add((*after)->t, (*after)->v);
  return std::move(acc).Finish();
}

class BucketStatsSink final : public StatsSink {
 public:
  BucketStatsSink(const BucketGrid& grid, std::vector<Acc>* accs) : grid_(grid), accs_(accs) {}
  bool Take(const BlockStats& s) override {
    // A block with a non-finite value is decoded: aggregates skip those values, which the
    // stats cannot subtract.
    if (!s.finite) return false;
    // Blocks arrive mostly in time order: try the bucket of the previous block first.
    const auto& b = grid_.bounds();
    const int64_t a0 = grid_.AssignTime(s.t_first), a1 = grid_.AssignTime(s.t_last);
    if (!(a0 >= b[cursor_] && a0 < b[cursor_ + 1])) {
      int64_t i = grid_.Find(a0);
      if (i < 0) return false;
      cursor_ = static_cast<size_t>(i);
    }
    if (a1 >= b[cursor_ + 1]) return false;
    (*accs_)[cursor_].AddStats(s);
    return true;
  }

 private:
  const BucketGrid& grid_;
  std::vector<Acc>* accs_;
  size_t cursor_ = 0;
};

absl::StatusOr<std::vector<Bucket>> Engine::Aggregate(const AggregateRequest& req) {
  auto grid_or = Grid(req);
  if (!grid_or.ok()) return grid_or.status();
  const BucketGrid* grid = grid_or->get();
  const std::string key = ResolveKey(req.series);
  // Real-time range of the points: [start, end) or (start, end] = [start+1, end+1).
  const int64_t lo =
      req.closed_right ? (req.start == INT64_MAX ? INT64_MAX : req.start + 1) : req.start;
  const int64_t hi = req.closed_right ? (req.end == INT64_MAX ? INT64_MAX : req.end + 1) : req.end;
  std::vector<Bucket> out;
  std::vector<Sample> pts;
  if (req.agg == Agg::kIncrease) {
    auto inc = CounterIncrease(key, grid->bounds(), req.counter, 0);
    if (!inc.ok()) return inc.status();
    const auto& bounds = grid->bounds();
    for (size_t i = 0; inc->any && i < inc->increases.size(); ++i) {
      // Only buckets that the data covers (no extrapolation outside the readings).
      if (bounds[i + 1] <= inc->t_first || bounds[i] >= inc->t_last) continue;
      out.push_back(Bucket{grid->ReportTime(i), inc->increases[i]});
    }
    return out;
  }
  std::vector<Acc> accs(grid->size());
  BucketStatsSink sink(*grid, &accs);
  Snapshot snap = TakeSnapshot(key, lo, hi);
  absl::Status s = Collect(snap, lo, hi, &sink, &pts);
  if (!s.ok()) return s;
  size_t cursor = 0;
  const auto& bounds = grid->bounds();
  for (const Sample& p : pts) {
    int64_t at = grid->AssignTime(p.t);
    if (at < bounds[cursor] || at >= bounds[cursor + 1]) {
      int64_t i = grid->Find(at);
      if (i < 0) continue;
      cursor = static_cast<size_t>(i);
    }
    accs[cursor].AddPoint(p.t, p.v);
  }
  for (size_t i = 0; i < accs.size(); ++i) {
    if (accs[i].count == 0) continue;
    out.push_back(Bucket{grid->ReportTime(i), accs[i].Result(req.agg)});
  }
  return out;
}

std::vector<std::string> Engine::ListSeries(std::string_view match) {
  std::vector<std::string> out;
  {
    absl::MutexLock l(&mu_);
    for (const auto& k : keys_) {
      if (match.empty() || k.find(match) != std::string::npos) out.push_back(k);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

StoreStats Engine::Stats() {
  StoreStats st;
  std::shared_ptr<const Version> v;
  {
    absl::MutexLock l(&mu_);
    v = version_;
    st.series = static_cast<int64_t>(keys_.size());
    st.head_points = mem_->points + (imm_ ? imm_->points : 0);
  }
  st.points = st.head_points;
  st.partitions = static_cast<int64_t>(v->parts.size());
  for (const auto& [p, segs] : v->parts) {
    for (const auto& s : segs) {
      ++st.segments;
      st.points += s->point_count();
      st.bytes_on_disk += static_cast<int64_t>(s->file_size());
    }
  }
  st.wal_bytes = wal_->total_bytes();
  st.wal_pending_bytes = wal_->pending_bytes();
  st.bytes_on_disk += st.wal_bytes;
  return st;
}

void Engine::BackgroundLoop() {
  LowerThisThreadPriority();  // flushes and compactions yield the CPU to queries
  constexpr int64_t kMaxHeadAgeNs = 15 * kNanosPerMinute;
  constexpr int64_t kCompactQuietNs = 30 * kNanosPerSecond;
  int64_t last_retention = 0;
  mu_.Lock();
  while (!stop_) {
    cv_.WaitWithTimeout(&mu_, absl::Milliseconds(200));
    if (stop_) break;
    const int64_t now = env_->MonotonicNanos();
    const bool full = mem_->points >= opt_.head_max_points;
    const bool old = mem_->points > 0 && now - mem_->created_ns > kMaxHeadAgeNs;
    mu_.Unlock();
    absl::Status s;
    if (full || old) s = Flush();
    if (s.ok()) {
      absl::MutexLock m(&maint_mu_);
      // Merge many small files soon; merge any overlap once ingest has been quiet a while.
      s = CompactLocked(env_->MonotonicNanos() - last_flush_ns_ > kCompactQuietNs ? 2 : 8);
    }
    if (s.ok() && now - last_retention > kNanosPerMinute) {
      last_retention = now;
      if (opt_.retention_ns > 0) {
        auto r = DropPartitionsBefore(env_->NowNanos() - opt_.retention_ns);
        if (!r.ok()) s = r.status();
      } else {
        absl::MutexLock m(&maint_mu_);
        s = RemoveObsoleteLocked({});  // files an earlier compaction could not remove
      }
    }
    if (!s.ok())
      std::fprintf(stderr, "dualcarbon: background maintenance: %s\n", s.ToString().c_str());
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("store: data directory not set");
  if (options.partition_ns <= 0 || options.block_min_points < 1 ||
      options.block_max_points < options.block_min_points) {
    return absl::InvalidArgumentError("store: invalid partition or block size options");
  }
  auto e = std::make_unique<Engine>(options);
  absl::Status s = e->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(e));
}

}  // namespace dc
