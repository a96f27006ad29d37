// The engine's compaction: merging a partition's segment files (size-tiered, paced), series
// by series, with the newest write winning.
#include <chrono>
#include <thread>

#include "storage/engine.h"

namespace dc {
namespace engine_internal {

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
                                 std::string* scratch, LocalDay* day) {
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
    const size_t j = BlockEnd(*pts, i, partition_end, day);
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
    std::span<const std::shared_ptr<SegmentReader>> segs,
    std::span<const std::vector<uint32_t>> in_ids, bool paced, std::vector<uint32_t>* ids) {
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
  LocalDay day;
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
        if (with.empty()) ids->push_back(in_ids[k][cursors[k].number()]);
        with.emplace_back(segs[k].get(), cursors[k].number());
        cursors[k].Next();
      }
    }
    absl::Status s =
        with.size() == 1
            ? CopySeries(w->get(), *with[0].first, key, with[0].second, &refs)
            : MergeSeries(w->get(), meta.partition_end, key, with, &pts, &refs, &scratch, &day);
    if (s.ok()) s = pacer.After((*w)->bytes_written());
    if (!s.ok()) return s;
  }
  // Closing: a paced merge is dropped before its file is synced and opened (seconds for a
  // million series), as it would be at its next series.
  if (absl::Status s = pacer.After(0); !s.ok()) return s;
  if (absl::Status s = (*w)->Finish(); !s.ok()) return s;
  compactions_.fetch_add(1);
  compaction_bytes_.fetch_add(static_cast<int64_t>((*w)->bytes_written()));
  auto r = SegmentReader::Open(env_, path);
  if (!r.ok()) return r.status();
  return std::shared_ptr<SegmentReader>(std::move(*r));
}

absl::Status Engine::MergeAndInstallLocked(std::span<const std::shared_ptr<SegmentReader>> segs,
                                           bool paced) {
  // The inputs' ids by series number, from the current Version (which holds them: only this
  // thread, under maint_mu_, removes files).
  std::vector<std::vector<uint32_t>> in_ids(segs.size());
  {
    absl::MutexLock l(&mu_);
    for (size_t k = 0; k < segs.size(); ++k) version_->slots.at(segs[k].get())->Ids(&in_ids[k]);
  }
  std::vector<uint32_t> ids;
  auto merged = MergeSegments(segs, in_ids, paced, &ids);
  if (!merged.ok()) return merged.status();
  std::vector<const SegmentReader*> remove;
  std::vector<std::string> paths;
  for (const auto& seg : segs) {
    remove.push_back(seg.get());
    paths.push_back(seg->path());
  }
  {
    absl::MutexLock l(&mu_);
    InstallLocked({*merged}, remove, std::span<const std::vector<uint32_t>>(&ids, 1));
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

}  // namespace engine_internal
}  // namespace dc
