// The head: per-series in-memory columns of points not yet in segment files.
// Points arrive in any order; Sorted() returns them time-sorted with duplicates resolved
// (the last written wins). Not thread-safe: the engine guards it.
#ifndef DC_STORAGE_HEAD_H_
#define DC_STORAGE_HEAD_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/sample.h"

namespace dc {

class SeriesHead {
 public:
  void Add(int64_t t, double v, Quality q) {
    if (!t_.empty() && t <= t_.back()) sorted_ = false;
    if (t_.empty() || t < tmin_) tmin_ = t;
    if (t_.empty() || t > tmax_) tmax_ = t;
    t_.push_back(t);
    v_.push_back(v);
    q_.push_back(q);
  }
  size_t size() const { return t_.size(); }
  int64_t tmin() const { return tmin_; }
  int64_t tmax() const { return tmax_; }
  // Points with lo <= t < hi, sorted, last write wins.
  std::vector<Sample> Range(int64_t lo, int64_t hi) const;
  // All points, sorted, last write wins.
  std::vector<Sample> Sorted() const { return Range(INT64_MIN, INT64_MAX); }

 private:
  std::vector<int64_t> t_;
  std::vector<double> v_;
  std::vector<Quality> q_;
  bool sorted_ = true;
  int64_t tmin_ = 0, tmax_ = 0;
};

struct Head {
  absl::flat_hash_map<uint32_t, SeriesHead> series;  // by engine series id
  int64_t points = 0;
  int64_t created_ns = 0;  // monotonic time of the first point
};

}  // namespace dc

#endif  // DC_STORAGE_HEAD_H_
