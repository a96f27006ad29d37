#include "storage/aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace dc {

void Acc::AddPoint(int64_t t, double v) {
  // A non-finite value (NaN: a failed poll; ±inf) is no measurement: skipped by every
  // aggregate, count included.
  if (!std::isfinite(v)) return;
  if (count == 0) {
    min = max = v;
    t_first = t_last = t;
    first = last = v;
  } else {
    min = std::min(min, v);
    max = std::max(max, v);
    if (t < t_first) {
      t_first = t;
      first = v;
    }
    if (t >= t_last) {
      t_last = t;
      last = v;
    }
  }
  sum += v;
  ++count;
}

void Acc::AddStats(const BlockStats& s) {
  // REQUIRES: s.finite (or s.count == 0): the stats of finite points only.
  if (s.count == 0) return;
  if (count == 0) {
    min = s.min;
    max = s.max;
    t_first = s.t_first;
    first = s.first;
    t_last = s.t_last;
    last = s.last;
  } else {
    min = std::min(min, s.min);
    max = std::max(max, s.max);
    if (s.t_first < t_first) {
      t_first = s.t_first;
      first = s.first;
    }
    if (s.t_last >= t_last) {
      t_last = s.t_last;
      last = s.last;
    }
  }
  sum += s.sum;
  count += s.count;
}

double Acc::Result(Agg agg) const {
  switch (agg) {
    case Agg::kSum:
      return sum;
    case Agg::kMean:
      return count ? sum / static_cast<double>(count) : std::numeric_limits<double>::quiet_NaN();
    case Agg::kMin:
      return min;
    case Agg::kMax:
      return max;
    case Agg::kCount:
      return static_cast<double>(count);
    case Agg::kFirst:
      return first;
    case Agg::kLast:
      return last;
    case Agg::kIncrease:
      return sum;  // increase buckets are computed elsewhere and stored as sums
  }
  return 0;
}

absl::StatusOr<BucketGrid> BucketGrid::Make(const AggregateRequest& req, size_t max_buckets) {
  if (req.step.unit == Step::Unit::kRaw) {
    return absl::InvalidArgumentError("aggregate needs a step other than raw");
  }
  if (req.end <= req.start) {
    return absl::InvalidArgumentError("end must be after start");
  }
  BucketGrid g;
  g.closed_right_ = req.closed_right;
  // Assignment-time range: [start, end) for closed=left; (start, end] -> [start, end).
  int64_t lo = req.start, hi = req.end;
  int64_t b = BucketStart(lo, req.step, req.zone);
  g.bounds_.push_back(lo);
  g.aligned_.push_back(b);
  while (true) {
    int64_t next = NextBucket(b, req.step, req.zone);
    g.aligned_.push_back(next);
    if (next >= hi || next == kMaxTime) {
      g.bounds_.push_back(hi);
      break;
    }
    g.bounds_.push_back(next);
    b = next;
    if (g.bounds_.size() > max_buckets) {
      return absl::InvalidArgumentError(
          absl::StrCat("too many buckets (more than ", max_buckets, "): use a larger step"));
    }
  }
  return g;
}

int64_t BucketGrid::Find(int64_t at) const {
  if (at < bounds_.front() || at >= bounds_.back()) return -1;
  auto it = std::upper_bound(bounds_.begin(), bounds_.end(), at);
  return static_cast<int64_t>(it - bounds_.begin()) - 1;
}

}  // namespace dc

namespace dc {

namespace {
struct AggNameEntry {
  std::string_view name;
  Agg agg;
};
constexpr AggNameEntry kAggNames[] = {
    {"sum", Agg::kSum},   {"mean", Agg::kMean},         {"min", Agg::kMin},
    {"max", Agg::kMax},   {"count", Agg::kCount},       {"first", Agg::kFirst},
    {"last", Agg::kLast}, {"increase", Agg::kIncrease},
};
}  // namespace

absl::StatusOr<Agg> ParseAgg(std::string_view text) {
  for (const auto& e : kAggNames) {
    if (e.name == text) return e.agg;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown aggregate \"", std::string(text),
                   "\" (expected sum, mean, min, max, count, first, last or increase)"));
}

std::string_view AggName(Agg agg) {
  for (const auto& e : kAggNames) {
    if (e.agg == agg) return e.name;
  }
  return "?";
}

}  // namespace dc
