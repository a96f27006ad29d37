// The engine's maintenance: flush (head -> segment files), compaction, retention, and the
// background thread that triggers them.
#include "storage/engine.h"

namespace dc {
namespace engine_internal {

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
    if (closing_.load(std::memory_order_relaxed)) return absl::CancelledError("store closing");
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

}  // namespace engine_internal

}  // namespace dc
