// The head: per-series in-memory columns of points not yet in segment files.
// Points arrive in any order; Sorted() returns them time-sorted with duplicates resolved
// (the last written wins). Not thread-safe: the engine guards it.
#ifndef DC_STORAGE_HEAD_H_
#define DC_STORAGE_HEAD_H_

#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/sample.h"

namespace dc {

// One series' points in arrival order, as three columns (time, value, quality) in a single
// allocation: a series costs one malloc per doubling, not three, which is most of the time of
// replaying a WAL of a million series (and of freeing the head at exit).
class SeriesHead {
 public:
  SeriesHead() = default;
  SeriesHead(SeriesHead&& o) noexcept { *this = std::move(o); }
  SeriesHead& operator=(SeriesHead&& o) noexcept {
    std::swap(buf_, o.buf_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
    std::swap(sorted_, o.sorted_);
    std::swap(tmin_, o.tmin_);
    std::swap(tmax_, o.tmax_);
    return *this;
  }
  SeriesHead(const SeriesHead&) = delete;
  SeriesHead& operator=(const SeriesHead&) = delete;
  ~SeriesHead() { std::free(buf_); }

  void Add(int64_t t, double v, Quality q) {
    if (size_ == cap_) Grow();
    if (size_ > 0 && t <= T()[size_ - 1]) sorted_ = false;
    if (size_ == 0 || t < tmin_) tmin_ = t;
    if (size_ == 0 || t > tmax_) tmax_ = t;
    T()[size_] = t;
    V()[size_] = v;
    Q()[size_] = q;
    ++size_;
  }
  size_t size() const { return size_; }
  // Asks the CPU for the points' first cache lines (of times and of values).
  void Prefetch() const {
    __builtin_prefetch(buf_);
    __builtin_prefetch(static_cast<const char*>(buf_) + size_t{cap_} * sizeof(int64_t));
  }
  int64_t tmin() const { return tmin_; }
  int64_t tmax() const { return tmax_; }
  // Points with lo <= t < hi, sorted, last write wins: into *out (replacing its contents, so a
  // caller walking many series reuses one vector), or as a new vector.
  void Range(int64_t lo, int64_t hi, std::vector<Sample>* out) const;
  std::vector<Sample> Range(int64_t lo, int64_t hi) const {
    std::vector<Sample> out;
    Range(lo, hi, &out);
    return out;
  }
  // All points, sorted, last write wins.
  std::vector<Sample> Sorted() const { return Range(INT64_MIN, INT64_MAX); }

 private:
  // buf_: cap_ times, then cap_ values, then cap_ qualities.
  int64_t* T() const { return static_cast<int64_t*>(buf_); }
  double* V() const { return reinterpret_cast<double*>(T() + cap_); }
  Quality* Q() const { return reinterpret_cast<Quality*>(V() + cap_); }
  void Grow();

  void* buf_ = nullptr;
  uint32_t size_ = 0, cap_ = 0;
  bool sorted_ = true;
  int64_t tmin_ = 0, tmax_ = 0;
};

struct Head {
  absl::flat_hash_map<uint32_t, SeriesHead> series;  // by engine series id
  int64_t points = 0;
  int64_t created_ns = 0;  // monotonic time of the first point
  int64_t written_ns = 0;  // monotonic time of the last write
};

}  // namespace dc

#endif  // DC_STORAGE_HEAD_H_
