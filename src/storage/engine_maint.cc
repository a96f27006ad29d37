// The engine's maintenance: flush (head -> segment files), compaction, retention, and the
// background thread that triggers them.
#include <chrono>
#include <thread>

#include "storage/engine.h"

namespace dc {
namespace engine_internal {

size_t Engine::BlockEnd(const std::vector<Sample>& pts, size_t i, int64_t part_end) const {
  const Step day{Step::Unit::kDay, 1};
  const int64_t local_day_end = NextBucket(BucketStart(pts[i].t, day, zone_), day, zone_);
  const int64_t block_end = std::min(part_end, local_day_end);
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
    if (closing_.load(std::memory_order_relaxed)) return absl::CancelledError("store closing");
    size_t i = 0;
    while (i < pts.size()) {
      const auto [part, part_end] = PartitionOf(pts[i].t, pns, partition_offset_);
      const size_t j = BlockEnd(pts, i, part_end);
      auto w = writer_for(part, part_end);
      if (!w.ok()) return w.status();
      absl::Status s =
          AddEncodedBlock(*w, key, std::span<const Sample>(pts.data() + i, j - i), &encoded);
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
    for (const SegmentReader* r : remove) v->slots.erase(r);
  }
  for (const auto& seg : add) {
    auto& segs = v->parts[seg->meta().partition_start];
    segs.push_back(seg);
    std::sort(segs.begin(), segs.end(),
              [](const auto& a, const auto& b) { return a->meta().seq < b->meta().seq; });
    std::vector<uint32_t> ids;
    ids.reserve(seg->series_count());
    for (SegmentReader::KeyCursor c(*seg); c.Valid(); c.Next())
      ids.push_back(InternLocked(c.key()));
    v->slots[seg.get()] = v->ShareOrMake(ids);
    // Open validated the whole index and the walk above read every key: left mapped, every
    // file's index would stay resident (~40 B per series per file of a 1 M-series store).
    seg->ReleaseIndex();
  }
  version_ = std::move(v);
}

// The series of a frozen head in key order, each one's points sorted (newest write wins). Key
// order first (the point vectors still empty, so cheap to move), then the points; a store
// closing stops it (a million series take seconds), leaving imm_ and its WAL files for the next
// Open. `imm` is immutable: only keys_ needs the lock.
absl::Status Engine::SortedSeries(const Head& imm, std::vector<KeyPoints>* out) {
  std::vector<std::pair<std::string, const SeriesHead*>> keyed;
  keyed.reserve(imm.series.size());
  {
    absl::MutexLock l(&mu_);
    for (const auto& [id, h] : imm.series) keyed.emplace_back(keys_[id], &h);
  }
  // Sorting a million keys takes ~0.5 s: the comparison looks at closing_ now and then and
  // abandons the sort by an exception (std::sort leaves the elements valid, in some order).
  struct Abandoned {};
  uint32_t compares = 0;
  try {
    std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      if (++compares % 65536 == 0 && closing_.load(std::memory_order_relaxed)) throw Abandoned{};
      return a.first < b.first;
    });
  } catch (const Abandoned&) {
    return absl::CancelledError("store closing");
  }
  out->clear();
  out->reserve(keyed.size());
  for (size_t k = 0; k < keyed.size(); ++k) {
    if (k % 4096 == 0 && closing_.load(std::memory_order_relaxed)) {
      return absl::CancelledError("store closing");
    }
    out->emplace_back(std::move(keyed[k].first), keyed[k].second->Sorted());
  }
  return absl::OkStatus();
}

absl::Status Engine::FlushLocked() {
  std::shared_ptr<Head> imm;
  uint64_t wal_file = 0;
  std::vector<KeyPoints> series;
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
  if (absl::Status s = SortedSeries(*imm, &series); !s.ok()) return s;
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

absl::Status Engine::CopySeries(SegmentWriter* w, const SegmentReader& seg, const std::string& key,
                                uint32_t number, std::vector<BlockRef>* refs) {
  refs->clear();
  if (absl::Status s = seg.ReadBlocks(number, refs); !s.ok()) return s;
  for (const BlockRef& ref : *refs) {
    auto data = seg.BlockData(ref);
    if (!data.ok()) return data.status();
    absl::Status s = w->AddBlock(key, ref.stats, *data);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Engine::MergeSeries(SegmentWriter* w, int64_t partition_end, const std::string& key,
                                 std::span<const std::pair<const SegmentReader*, uint32_t>> in,
                                 std::vector<Sample>* pts, std::vector<BlockRef>* refs,
                                 std::string* scratch) {
  pts->clear();
  std::vector<Sample> run;
  for (const auto& [seg, number] : in) {  // ascending seq: a later one wins
    run.clear();
    refs->clear();
    if (absl::Status s = seg->ReadBlocks(number, refs); !s.ok()) return s;
    for (const BlockRef& ref : *refs) {
      auto data = seg->BlockData(ref);
      if (!data.ok()) return data.status();
      absl::Status s = DecodeBlock(*data, ref.stats.count, &run);
      if (!s.ok()) {
        return absl::DataLossError(
            absl::StrCat("compaction: block of ", key, " unreadable: ", s.message()));
      }
    }
    *pts = MergeNewerWins(std::move(*pts), run);
  }
  for (size_t i = 0; i < pts->size();) {
    const size_t j = BlockEnd(*pts, i, partition_end);
    absl::Status s =
        AddEncodedBlock(w, key, std::span<const Sample>(pts->data() + i, j - i), scratch);
    if (!s.ok()) return s;
    i = j;
  }
  return absl::OkStatus();
}

// Paces a merge to a budget of bytes written per second: after each series the merge sleeps
// while it is ahead of the budget, 20 ms at a time, and gives up once `stop` is set (the
// writer then removes its temporary file; the inputs stay). The steady clock, not the Env's:
// a test Env's clock may stand still.
class MergePacer {
 public:
  MergePacer(int64_t bytes_per_sec, const std::atomic<bool>& stop)
      : rate_(static_cast<double>(bytes_per_sec)), stop_(stop) {}
  absl::Status After(uint64_t bytes_written) {
    if (rate_ <= 0) return absl::OkStatus();
    // Checked after every series, not only while ahead of the budget: a merge that decodes
    // and re-encodes is often slower than its budget and never sleeps (SIGTERM waited for it).
    if (stop_.load(std::memory_order_relaxed)) return Abandoned();
    const auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(bytes_written / rate_));
    for (auto now = Clock::now(); now < due; now = Clock::now()) {
      if (stop_.load(std::memory_order_relaxed)) return Abandoned();
      std::this_thread::sleep_for(std::min<Clock::duration>(due - now, kStep));
    }
    return absl::OkStatus();
  }

 private:
  static absl::Status Abandoned() {
    return absl::CancelledError("store closing: a paced merge was abandoned");
  }
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kStep{20};
  const double rate_;  // bytes per second; <= 0: unpaced
  const std::atomic<bool>& stop_;
  const Clock::time_point start_ = Clock::now();
};

absl::StatusOr<std::shared_ptr<SegmentReader>> Engine::MergeSegments(
    std::span<const std::shared_ptr<SegmentReader>> segs, bool paced) {
  const SegmentMeta meta = segs.back()->meta();  // the partition, and the newest seq
  uint64_t file_no;
  {
    absl::MutexLock l(&mu_);
    file_no = next_file_++;
  }
  const std::string path = SegmentPath(meta.partition_start, file_no);
  auto w = SegmentWriter::Create(env_, path, meta);
  if (!w.ok()) return w.status();
  std::vector<SegmentReader::KeyCursor> cursors;
  cursors.reserve(segs.size());
  for (const auto& seg : segs) cursors.emplace_back(*seg);
  std::vector<std::pair<const SegmentReader*, uint32_t>> with;
  std::vector<Sample> pts;
  std::vector<BlockRef> refs;
  std::string scratch, key;
  MergePacer pacer(paced ? opt_.compaction_bytes_per_sec : 0, stopping_);
  // Series in key order across the inputs: the inputs holding the smallest key, by seq.
  while (true) {
    const std::string* min = nullptr;
    for (const auto& c : cursors) {
      if (c.Valid() && (min == nullptr || c.key() < *min)) min = &c.key();
    }
    if (min == nullptr) break;
    key = *min;
    with.clear();
    for (size_t k = 0; k < segs.size(); ++k) {
      if (cursors[k].Valid() && cursors[k].key() == key) {
        with.emplace_back(segs[k].get(), cursors[k].number());
        cursors[k].Next();
      }
    }
    absl::Status s =
        with.size() == 1
            ? CopySeries(w->get(), *with[0].first, key, with[0].second, &refs)
            : MergeSeries(w->get(), meta.partition_end, key, with, &pts, &refs, &scratch);
    if (s.ok()) s = pacer.After((*w)->bytes_written());
    if (!s.ok()) return s;
  }
  if (absl::Status s = (*w)->Finish(); !s.ok()) return s;
  compactions_.fetch_add(1);
  compaction_bytes_.fetch_add(static_cast<int64_t>((*w)->bytes_written()));
  auto r = SegmentReader::Open(env_, path);
  if (!r.ok()) return r.status();
  return std::shared_ptr<SegmentReader>(std::move(*r));
}

absl::Status Engine::MergeAndInstallLocked(std::span<const std::shared_ptr<SegmentReader>> segs,
                                           bool paced) {
  auto merged = MergeSegments(segs, paced);
  if (!merged.ok()) return merged.status();
  std::vector<const SegmentReader*> remove;
  std::vector<std::string> paths;
  for (const auto& seg : segs) {
    remove.push_back(seg.get());
    paths.push_back(seg->path());
  }
  {
    absl::MutexLock l(&mu_);
    InstallLocked({*merged}, remove);
  }
  return RemoveObsoleteLocked(std::move(paths));
}

absl::Status Engine::CompactLocked(size_t min_segments) {
  std::shared_ptr<const Version> v;
  {
    absl::MutexLock l(&mu_);
    v = version_;
  }
  for (const auto& [part, segs] : v->parts) {
    if (segs.size() < min_segments) continue;
    absl::Status s = MergeAndInstallLocked(segs, false);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

static size_t TierWindowStart(std::span<const std::shared_ptr<SegmentReader>> segs) {
  size_t j = segs.size() - 1;
  uint64_t acc = segs[j]->file_size();
  while (j > 0 && segs[j - 1]->file_size() <= kTierRatio * acc &&
         acc + segs[j - 1]->file_size() <= kMaxMergeInputBytes) {
    --j;
    acc += segs[j]->file_size();
  }
  return j;
}

absl::StatusOr<bool> Engine::CompactStepLocked(bool quiet) {
  std::shared_ptr<const Version> v;
  {
    absl::MutexLock l(&mu_);
    v = version_;
  }
  const int64_t now = env_->NowNanos();
  for (const auto& [part, segs] : v->parts) {
    if (segs.size() < 2) continue;
    std::span<const std::shared_ptr<SegmentReader>> all(segs);
    size_t j = TierWindowStart(all);
    // A partition that has ended gets one file once ingest is quiet.
    if (quiet && segs.front()->meta().partition_end <= now) j = 0;
    if (segs.size() - j < 2) continue;
    absl::Status s = MergeAndInstallLocked(all.subspan(j), true);
    if (!s.ok()) return s;
    return true;
  }
  return false;
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
    // A large head with no write for a while (the end of a bulk load) goes to segment files,
    // where queries read block stats instead of aggregating the head's points one by one. A
    // trickle's small head waits for its age, so slow polling does not make tiny files.
    const bool idle =
        mem_->points >= opt_.head_max_points / 8 && now - mem_->written_ns > kCompactQuietNs;
    mu_.Unlock();
    absl::Status s;
    if (full || old || idle) s = Flush();
    if (s.ok()) {
      // One merge per tick: bounded I/O, and maint_mu_ is released between merges.
      absl::MutexLock m(&maint_mu_);
      auto merged = CompactStepLocked(env_->MonotonicNanos() - last_flush_ns_ > kCompactQuietNs);
      if (!merged.ok()) s = merged.status();
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
    if (!s.ok() && !absl::IsCancelled(s))  // cancelled: the store is closing
      std::fprintf(stderr, "dualcarbon: background maintenance: %s\n", s.ToString().c_str());
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace engine_internal

}  // namespace dc
