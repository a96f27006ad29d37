// Bucket folding shared by the engine's query paths: points and block stats are folded into
// per-bucket accumulators; the result is the same whichever way a block arrives.
#ifndef DC_STORAGE_AGGREGATE_H_
#define DC_STORAGE_AGGREGATE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "storage/block.h"
#include "storage/store.h"

namespace dc {

// Accumulator of one bucket. Non-finite values are skipped (not counted).
struct Acc {
  int64_t count = 0;
  double sum = 0;
  double min = 0, max = 0;
  int64_t t_first = 0, t_last = 0;
  double first = 0, last = 0;

  void AddPoint(int64_t t, double v);
  // REQUIRES: s.finite or s.count == 0.
  void AddStats(const BlockStats& s);
  double Result(Agg agg) const;
};

// The buckets of an aggregate request, as half-open intervals [bounds[i], bounds[i+1]) in
// "assignment time": for closed=right a point at t is assigned at t-1, so (a, b] maps to
// [a, b). Built once per request.
class BucketGrid {
 public:
  // REQUIRES: req.step is not raw. Fails if the range holds more than `max_buckets` buckets.
  static absl::StatusOr<BucketGrid> Make(const AggregateRequest& req, size_t max_buckets);

  size_t size() const { return bounds_.empty() ? 0 : bounds_.size() - 1; }
  // Index of the bucket holding assignment time `at`, or -1 if outside the range.
  int64_t Find(int64_t at) const;
  int64_t lo() const { return bounds_.front(); }  // assignment-time range [lo, hi)
  int64_t hi() const { return bounds_.back(); }
  const std::vector<int64_t>& bounds() const { return bounds_; }
  // Time to report for bucket i: its calendar-aligned start, or end with closed=right.
  int64_t ReportTime(size_t i) const { return closed_right_ ? aligned_[i + 1] : aligned_[i]; }
  bool closed_right() const { return closed_right_; }
  // Assignment time of a point stamped t.
  int64_t AssignTime(int64_t t) const { return closed_right_ ? t - 1 : t; }

 private:
  std::vector<int64_t> bounds_;   // clipped to the request range
  std::vector<int64_t> aligned_;  // unclipped bucket starts, one more than buckets
  bool closed_right_ = false;
};

}  // namespace dc

#endif  // DC_STORAGE_AGGREGATE_H_
