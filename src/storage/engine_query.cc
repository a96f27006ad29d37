// The engine's queries: raw points, bucketed aggregates and counter increases over the
// segment files and heads, reading block stats where a block need not be decoded.
#include "storage/engine.h"

namespace dc {
namespace engine_internal {

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

Snapshot Engine::TakeSnapshot(std::string_view key, int64_t lo, int64_t hi) {
  Snapshot snap;
  absl::MutexLock l(&mu_);
  snap.version = version_;
  std::optional<uint32_t> id = keys_.Find(key);
  if (!id) return snap;
  snap.known = true;
  snap.id = *id;
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
bool OverlapsOthers(std::span<const SegEntry> entries, size_t self, int64_t a, int64_t b) {
  for (size_t k = 0; k < entries.size(); ++k) {
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
  const Version& v = *snap.version;
  // Partitions are partition_ns wide: the first that can reach lo starts after lo - width.
  const int64_t w = opt_.partition_ns;
  auto it = lo <= INT64_MIN + w ? v.parts.begin() : v.parts.lower_bound(lo - w + 1);
  std::vector<std::vector<BlockRef>> refs;
  std::vector<SegEntry> entries;
  // Without a sink only the blocks' times and counts are read.
  const unsigned fields = sink ? sink->fields() : 0;
  for (; it != v.parts.end() && it->first < hi; ++it) {
    const auto& segs = it->second;
    if (segs.front()->meta().partition_end <= lo) continue;
    if (refs.size() < segs.size()) refs.resize(segs.size());
    entries.clear();
    for (size_t k = 0; k < segs.size(); ++k) {
      const int64_t n = v.NumberIn(segs[k].get(), snap.id);
      if (n < 0) continue;
      refs[k].clear();
      if (absl::Status s = segs[k]->ReadBlocks(static_cast<uint32_t>(n), &refs[k], fields);
          !s.ok()) {
        return s;
      }
      const SegmentMeta& m = segs[k]->meta();
      entries.push_back(SegEntry{m.partition_start, m.partition_end, m.seq, segs[k].get(),
                                 refs[k].data(), refs[k].data() + refs[k].size()});
    }
    if (entries.empty()) continue;
    absl::Status s = CollectPartition(snap, entries, lo, hi, sink, out);
    if (!s.ok()) return s;
  }
  if (!snap.head.empty()) *out = MergeNewerWins(std::move(*out), snap.head);
  return absl::OkStatus();
}

absl::Status Engine::CollectPartition(const Snapshot& snap, std::span<const SegEntry> entries,
                                      int64_t lo, int64_t hi, StatsSink* sink,
                                      std::vector<Sample>* out) {
  const bool multi = entries.size() > 1;
  const size_t slice = out->size();
  for (size_t k = 0; k < entries.size(); ++k) {
    const BlockRef* b =
        entries[k].begin == entries[k].end || entries[k].begin->stats.t_last >= lo
            ? entries[k].begin
            : std::lower_bound(entries[k].begin, entries[k].end, lo,
                               [](const BlockRef& r, int64_t t) { return r.stats.t_last < t; });
    for (; b != entries[k].end && b->stats.t_first < hi; ++b) {
      const BlockStats& st = b->stats;
      bool clean = !(multi && OverlapsOthers(entries, k, st.t_first, st.t_last)) &&
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
        return absl::DataLossError(absl::StrCat("block of ", key, " unreadable: ", s.message()));
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
    std::stable_sort(first, out->end(), [](const Sample& a, const Sample& b) { return a.t < b.t; });
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
    std::optional<uint32_t> id = keys_.Find(key);
    if (!id) return std::optional<Sample>();
    for (const Head* h : {imm_.get(), mem_.get()}) {
      if (!h) continue;
      auto s = h->series.find(*id);
      if (s == h->series.end() || s->second.size() == 0) continue;
      lo_all = std::min(lo_all, s->second.tmin());
      hi_all = std::max(hi_all, s->second.tmax() == INT64_MAX ? INT64_MAX : s->second.tmax() + 1);
    }
  }
  // A day at a time (not a whole partition, which may be a month of points to decode).
  const int64_t w = std::min(opt_.partition_ns, kNanosPerDay);
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
    if (keys_.contains(series)) return std::string(series);
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
  unsigned fields() const override { return kStatFirst | kStatLast; }
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

constexpr size_t kNone = SIZE_MAX;

// The bucket holding assignment time `at` (kNone if outside the grid). Points and blocks arrive
// mostly in time order: the bucket of the previous one, then the next, are tried before a search.
size_t NextBucket(const BucketGrid& grid, size_t cursor, int64_t at) {
  const auto& b = grid.bounds();
  if (cursor == kNone) cursor = 0;
  if (at >= b[cursor]) {
    if (at < b[cursor + 1]) return cursor;
    if (cursor + 2 < b.size() && at < b[cursor + 2]) return cursor + 1;
  }
  int64_t i = grid.Find(at);
  return i < 0 ? kNone : static_cast<size_t>(i);
}

class BucketStatsSink final : public StatsSink {
 public:
  BucketStatsSink(const BucketGrid& grid, Agg agg, std::vector<Acc>* accs)
      : grid_(grid), fields_(FieldsOf(agg)), accs_(accs) {}
  bool Take(const BlockStats& s) override {
    // A block with a non-finite value is decoded: aggregates skip those values, which the
    // stats cannot subtract.
    if (!s.finite) return false;
    const int64_t a0 = grid_.AssignTime(s.t_first), a1 = grid_.AssignTime(s.t_last);
    cursor_ = NextBucket(grid_, cursor_, a0);
    if (cursor_ == kNone || a1 >= grid_.bounds()[cursor_ + 1]) return false;
    (*accs_)[cursor_].AddStats(s);
    return true;
  }
  unsigned fields() const override { return fields_; }

 private:
  // Acc::Result of `agg` reads only these of the folded fields.
  static unsigned FieldsOf(Agg agg) {
    switch (agg) {
      case Agg::kSum:
      case Agg::kMean:
        return kStatSum;
      case Agg::kMin:
        return kStatMin;
      case Agg::kMax:
        return kStatMax;
      case Agg::kFirst:
        return kStatFirst;
      case Agg::kLast:
        return kStatLast;
      case Agg::kCount:
        return 0;
      case Agg::kIncrease:
        break;
    }
    return kAllStatFields;
  }
  const BucketGrid& grid_;
  const unsigned fields_;
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
  BucketStatsSink sink(*grid, req.agg, &accs);
  Snapshot snap = TakeSnapshot(key, lo, hi);
  absl::Status s = Collect(snap, lo, hi, &sink, &pts);
  if (!s.ok()) return s;
  size_t cursor = 0;
  for (const Sample& p : pts) {
    size_t i = NextBucket(*grid, cursor, grid->AssignTime(p.t));
    if (i == kNone) continue;
    cursor = i;
    accs[cursor].AddPoint(p.t, p.v);
  }
  for (size_t i = 0; i < accs.size(); ++i) {
    if (accs[i].count == 0) continue;
    out.push_back(Bucket{grid->ReportTime(i), accs[i].Result(req.agg)});
  }
  return out;
}

}  // namespace engine_internal

}  // namespace dc
