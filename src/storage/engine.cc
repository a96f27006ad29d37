// The engine: open and recovery, writes (WAL, then head), series listing and stats.
#include "storage/engine.h"

namespace dc {
namespace engine_internal {

void Engine::StopBackground() {
  stopping_ = true;
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (flusher_.joinable()) flusher_.join();
  if (compactor_.joinable()) compactor_.join();
}

absl::Status Engine::Close() {
  size_t series = 0;
  {
    absl::MutexLock l(&mu_);
    series = mem_->series.size() + (imm_ ? imm_->series.size() : 0);
  }
  const bool flush = series < kCloseFlushMaxSeries;
  if (!flush) closing_ = true;  // a background flush of imm_ stops; its WAL files stay
  StopBackground();
  closed_ = true;
  if (flush) return Flush();
  return wal_->Sync();  // the WAL holds the head; the next Open replays it
}

uint32_t Engine::InternLocked(std::string_view key) { return keys_.Intern(key); }

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
    mem_->written_ns = env_->MonotonicNanos();
    if (mem_->points == 0) mem_->created_ns = mem_->written_ns;
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
  // Reserved first, so no insert below rehashes and each head stays where try_emplace put it.
  mem_->series.reserve(mem_->series.size() + keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    heads[i] = &mem_->series.try_emplace(InternLocked(keys[i])).first->second;
  }
  mem_->written_ns = env_->MonotonicNanos();
  if (mem_->points == 0) mem_->created_ns = mem_->written_ns;
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
  s = LoadOrCreateLayout(
      segs.empty() ? 0 : segs[0]->meta().partition_end - segs[0]->meta().partition_start);
  if (!s.ok()) return s;
  {
    absl::MutexLock l(&mu_);
    next_file_ = max_file + 1;
    next_seq_ = max_seq + 1;
    // Every segment's keys are interned below: room for the largest one's, without rehashing.
    size_t most = 0;
    for (const auto& seg : segs) most = std::max<size_t>(most, seg->series_count());
    keys_.Reserve(most);
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
  if (opt_.background) {
    flusher_ = std::thread([this] { FlushLoop(); });
    compactor_ = std::thread([this] { CompactLoop(); });
  }
  return absl::OkStatus();
}

absl::Status Engine::LoadOrCreateLayout(int64_t legacy_width) {
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
  // A store written before this file existed keeps the epoch-aligned grid and its width.
  if (legacy_width > 0) {
    opt_.partition_ns = legacy_width;
  } else {
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
        while (!(stop_ || imm_ == nullptr || mem_->points < 2 * FlushPointsLocked())) {
          cv_.Wait(&mu_);
        }
      }
      auto r = wal_->AppendEncoded(record);
      if (!r.ok()) return r.status();
      lsn = *r;
      InsertInSteps(*in);
      absl::MutexLock l(&mu_);
      need_flush = mem_->points >= FlushPointsLocked();
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

std::vector<std::string> Engine::ListSeries(std::string_view match) {
  // Views of the registry's keys (their bytes never move): sorted without the lock and copied
  // once, straight into the result.
  std::vector<std::string_view> views;
  {
    absl::MutexLock l(&mu_);
    if (match.empty()) views.reserve(keys_.size());
    for (uint32_t id = 0; id < keys_.size(); ++id) {
      std::string_view k = keys_[id];
      if (match.empty() || k.find(match) != std::string_view::npos) views.push_back(k);
    }
  }
  std::sort(views.begin(), views.end());
  return std::vector<std::string>(views.begin(), views.end());
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
  st.compactions = compactions_.load();
  st.compaction_bytes = compaction_bytes_.load();
  return st;
}

}  // namespace engine_internal

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("store: data directory not set");
  if (options.partition_ns <= 0 || options.block_min_points < 1 ||
      options.block_max_points < options.block_min_points) {
    return absl::InvalidArgumentError("store: invalid partition or block size options");
  }
  auto e = std::make_unique<engine_internal::Engine>(options);
  absl::Status s = e->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(e));
}

}  // namespace dc
