// The engine's maintenance: flush (head -> segment files), compaction, retention, and the
// background thread that triggers them.
#include <chrono>
#include <iterator>
#include <thread>

#include "storage/engine.h"

namespace dc {
namespace engine_internal {

size_t Engine::BlockEnd(const std::vector<Sample>& pts, size_t i, int64_t part_end,
                        LocalDay* day) const {
  if (pts[i].t < day->start || pts[i].t >= day->end) {
    const Step d{Step::Unit::kDay, 1};
    day->start = BucketStart(pts[i].t, d, zone_);
    day->end = NextBucket(day->start, d, zone_);
  }
  const int64_t block_end = std::min(part_end, day->end);
  size_t j = i + 1;
  // Cut: at the partition end, at local midnight, at max points, or at an hour boundary once
  // the block has min points.
  while (j < pts.size() && pts[j].t < block_end) {
    size_t n = j - i;
    if (n >= static_cast<size_t>(opt_.block_max_points)) break;
    if (n >= static_cast<size_t>(opt_.block_min_points) &&
        FloorDiv(pts[j].t, kNanosPerHour) != FloorDiv(pts[j - 1].t, kNanosPerHour)) {
      break;
    }
    ++j;
  }
  return j;
}

absl::Status Engine::AddEncodedBlock(SegmentWriter* w, std::string_view key,
                                     std::span<const Sample> block, std::string* scratch) {
  scratch->clear();
  EncodeBlock(block, scratch);
  return w->AddBlock(key, ComputeStats(block), *scratch);
}

absl::Status Engine::WriteSegments(std::span<const FlushItem> series,
                                   std::vector<std::shared_ptr<SegmentReader>>* out,
                                   std::vector<std::vector<uint32_t>>* ids) {
  struct Part {
    std::unique_ptr<SegmentWriter> writer;
    std::string path;
    std::vector<uint32_t> ids;  // by series number
  };
  std::map<int64_t, Part> parts;
  std::string encoded;
  std::vector<Sample> pts;
  LocalDay day;
  const int64_t pns = opt_.partition_ns;
  auto part_for = [&](int64_t p, int64_t p_end) -> absl::StatusOr<Part*> {
    auto it = parts.find(p);
    if (it != parts.end()) return &it->second;
    SegmentMeta meta;
    uint64_t file_no;
    {
      absl::MutexLock l(&mu_);
      file_no = next_file_++;
      meta.seq = next_seq_++;
    }
    meta.partition_start = p;
    meta.partition_end = p_end;
    std::string path = SegmentPath(p, file_no);
    auto w = SegmentWriter::Create(env_, path, meta);
    if (!w.ok()) return w.status();
    return &parts.emplace(p, Part{std::move(*w), path, {}}).first->second;
  };
  // The heads are scattered over the heap (and in key order, not in memory order): each
  // series' head, then its points, are fetched a few series ahead.
  constexpr size_t kAhead = 8;
  for (size_t k = 0; k < std::min(series.size(), kAhead); ++k) __builtin_prefetch(series[k].head);
  for (size_t k = 0; k < series.size(); ++k) {
    if (closing_.load(std::memory_order_relaxed)) return absl::CancelledError("store closing");
    if (k + kAhead < series.size()) __builtin_prefetch(series[k + kAhead].head);
    if (k + kAhead / 2 < series.size()) series[k + kAhead / 2].head->Prefetch();
    const FlushItem& item = series[k];
    item.head->Range(INT64_MIN, INT64_MAX, &pts);
    size_t i = 0;
    while (i < pts.size()) {
      const auto [p, p_end] = PartitionOf(pts[i].t, pns, partition_offset_);
      const size_t j = BlockEnd(pts, i, p_end, &day);
      auto part = part_for(p, p_end);
      if (!part.ok()) return part.status();
      Part& pt = **part;
      if (pt.ids.empty() || pt.ids.back() != item.id) pt.ids.push_back(item.id);
      absl::Status s = AddEncodedBlock(pt.writer.get(), item.key,
                                       std::span<const Sample>(pts.data() + i, j - i), &encoded);
      if (!s.ok()) return s;
      i = j;
    }
  }
  for (auto& [p, part] : parts) {
    absl::Status s = part.writer->Finish();
    if (!s.ok()) return s;
    auto r = SegmentReader::Open(env_, part.path);
    if (!r.ok()) return r.status();
    if ((*r)->series_count() != part.ids.size()) {
      return absl::InternalError(absl::StrCat(part.path, ": ", (*r)->series_count(),
                                              " series written, ", part.ids.size(), " expected"));
    }
    out->push_back(std::shared_ptr<SegmentReader>(std::move(*r)));
    ids->push_back(std::move(part.ids));
  }
  return absl::OkStatus();
}

void Engine::InstallLocked(const std::vector<std::shared_ptr<SegmentReader>>& add,
                           const std::vector<const SegmentReader*>& remove,
                           std::span<const std::vector<uint32_t>> add_ids) {
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
    for (const SegmentReader* r : remove) v->slots.erase(r);
  }
  std::vector<uint32_t> read;
  for (size_t k = 0; k < add.size(); ++k) {
    const auto& seg = add[k];
    auto& segs = v->parts[seg->meta().partition_start];
    segs.push_back(seg);
    std::sort(segs.begin(), segs.end(),
              [](const auto& a, const auto& b) { return a->meta().seq < b->meta().seq; });
    const std::vector<uint32_t>* ids = k < add_ids.size() ? &add_ids[k] : nullptr;
    if (ids == nullptr) {
      read.clear();
      read.reserve(seg->series_count());
      for (SegmentReader::KeyCursor c(*seg); c.Valid(); c.Next())
        read.push_back(InternLocked(c.key()));
      ids = &read;
    }
    v->slots[seg.get()] = v->ShareOrMake(*ids);
    // Open validated the whole index (and the walk above read every key): left mapped, every
    // file's index would stay resident (~40 B per series per file of a 1 M-series store).
    seg->ReleaseIndex();
  }
  version_ = std::move(v);
}

// Sorting a million keys takes ~0.5 s: the comparison looks at `closing` now and then and
// abandons the sort by an exception (std::sort leaves the elements valid, in some order).
template <typename It, typename Less>
static absl::Status SortUnlessClosing(It begin, It end, Less less,
                                      const std::atomic<bool>& closing) {
  struct Abandoned {};
  uint32_t compares = 0;
  try {
    std::sort(begin, end, [&](const auto& a, const auto& b) {
      if (++compares % 65536 == 0 && closing.load(std::memory_order_relaxed)) throw Abandoned{};
      return less(a, b);
    });
  } catch (const Abandoned&) {
    return absl::CancelledError("store closing");
  }
  return absl::OkStatus();
}

// A store closing stops this, leaving imm_ and its WAL files for the next Open. `imm` is
// immutable: only keys_ needs the lock (key bytes never move once registered).
absl::Status Engine::FlushOrder(const Head& imm, std::vector<FlushItem>* out) {
  out->clear();
  if (imm.series.empty()) return absl::OkStatus();
  uint32_t max_id = 0;
  for (const auto& [id, h] : imm.series) max_id = std::max(max_id, id);
  std::vector<std::string_view> key(size_t{max_id} + 1);
  std::vector<const SeriesHead*> head(size_t{max_id} + 1, nullptr);
  {
    absl::MutexLock l(&mu_);
    for (const auto& [id, h] : imm.series) key[id] = keys_[id];
  }
  for (const auto& [id, h] : imm.series) head[id] = &h;
  // The last order, for the series still here; then the ones it lacks, sorted, merged in.
  std::vector<uint32_t> kept, fresh;
  kept.reserve(imm.series.size());
  std::vector<bool> in_kept(head.size(), false);
  for (uint32_t id : flush_order_) {
    if (id < head.size() && head[id] != nullptr) {
      kept.push_back(id);
      in_kept[id] = true;
    }
  }
  for (const auto& [id, h] : imm.series) {
    if (!in_kept[id]) fresh.push_back(id);
  }
  auto less = [&](uint32_t a, uint32_t b) { return key[a] < key[b]; };
  if (absl::Status s = SortUnlessClosing(fresh.begin(), fresh.end(), less, closing_); !s.ok())
    return s;
  std::vector<uint32_t> order;
  order.reserve(imm.series.size());
  std::merge(kept.begin(), kept.end(), fresh.begin(), fresh.end(), std::back_inserter(order), less);
  out->reserve(order.size());
  for (uint32_t id : order) out->push_back({key[id], id, head[id]});
  flush_order_ = std::move(order);
  return absl::OkStatus();
}

absl::Status Engine::FlushLocked() {
  std::shared_ptr<Head> imm;
  uint64_t wal_file = 0;
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
  }
  std::vector<FlushItem> series;
  if (absl::Status s = FlushOrder(*imm, &series); !s.ok()) return s;
  std::vector<std::shared_ptr<SegmentReader>> segs;
  std::vector<std::vector<uint32_t>> ids;
  absl::Status s = WriteSegments(series, &segs, &ids);
  if (!s.ok()) return s;
  {
    absl::MutexLock l(&mu_);
    InstallLocked(segs, {}, ids);
    imm_ = nullptr;
  }
  cv_.SignalAll();
  last_flush_ns_ = env_->MonotonicNanos();
  // Every record in WAL files before the current one is now in segment files.
  return wal_->RemoveFilesBefore(wal_file);
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

static void ReportMaintenance(const absl::Status& s) {
  if (!s.ok() && !absl::IsCancelled(s))  // cancelled: the store is closing
    std::fprintf(stderr, "dualcarbon: background maintenance: %s\n", s.ToString().c_str());
}

void Engine::FlushLoop() {
  LowerThisThreadPriority();  // flushes and compactions yield the CPU to queries
  constexpr int64_t kMaxHeadAgeNs = 15 * kNanosPerMinute;
  constexpr int64_t kIdleNs = 30 * kNanosPerSecond;
  mu_.Lock();
  while (!stop_) {
    cv_.WaitWithTimeout(&mu_, absl::Milliseconds(200));
    if (stop_) break;
    const int64_t now = env_->MonotonicNanos();
    const bool full = mem_->points >= FlushPointsLocked();
    const bool old = mem_->points > 0 && now - mem_->created_ns > kMaxHeadAgeNs;
    // A large head with no write for a while (the end of a bulk load) goes to segment files,
    // where queries read block stats instead of aggregating the head's points one by one. A
    // trickle's small head waits for its age, so slow polling does not make tiny files.
    const bool idle = mem_->points >= opt_.head_max_points / 8 && now - mem_->written_ns > kIdleNs;
    mu_.Unlock();
    if (full || old || idle) ReportMaintenance(Flush());
    mu_.Lock();
  }
  mu_.Unlock();
}

void Engine::CompactLoop() {
  LowerThisThreadPriority();
  constexpr int64_t kCompactQuietNs = 30 * kNanosPerSecond;
  int64_t last_retention = 0;
  mu_.Lock();
  while (!stop_) {
    cv_.WaitWithTimeout(&mu_, absl::Milliseconds(200));
    if (stop_) break;
    mu_.Unlock();
    absl::Status s;
    {
      // One merge per tick: bounded I/O, and maint_mu_ is released between merges.
      absl::MutexLock m(&maint_mu_);
      const bool quiet = env_->MonotonicNanos() - last_flush_ns_.load() > kCompactQuietNs;
      auto merged = CompactStepLocked(quiet);
      if (!merged.ok()) s = merged.status();
    }
    const int64_t now = env_->MonotonicNanos();
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
    ReportMaintenance(s);
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace engine_internal

}  // namespace dc
