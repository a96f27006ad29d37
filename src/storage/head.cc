#include "storage/head.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <numeric>

namespace dc {

void SeriesHead::Grow() {
  // 4 points first (a series of 1-minute data reaches the 15-minute flush with 15), then double.
  const uint32_t cap = cap_ == 0 ? 4 : cap_ * 2;
  if (cap_ > UINT32_MAX / 2) std::abort();  // the head holds at most head_max_points points
  void* buf = std::malloc(size_t{cap} * (sizeof(int64_t) + sizeof(double) + sizeof(Quality)));
  if (buf == nullptr) throw std::bad_alloc();
  auto* t = static_cast<int64_t*>(buf);
  auto* v = reinterpret_cast<double*>(t + cap);
  auto* q = reinterpret_cast<Quality*>(v + cap);
  if (size_ > 0) {
    std::memcpy(t, T(), size_ * sizeof(int64_t));
    std::memcpy(v, V(), size_ * sizeof(double));
    std::memcpy(q, Q(), size_ * sizeof(Quality));
  }
  std::free(buf_);
  buf_ = buf;
  cap_ = cap;
}

void SeriesHead::Range(int64_t lo, int64_t hi, std::vector<Sample>* res) const {
  std::vector<Sample>& out = *res;
  out.clear();
  if (size_ == 0 || hi <= tmin_ || lo > tmax_) return;
  const int64_t* t = T();
  const double* v = V();
  const Quality* q = Q();
  if (sorted_) {
    // Strictly increasing: no duplicates to resolve.
    const int64_t* b = std::lower_bound(t, t + size_, lo);
    const int64_t* e = std::lower_bound(b, t + size_, hi);
    out.reserve(static_cast<size_t>(e - b));
    for (const int64_t* it = b; it != e; ++it) {
      size_t i = static_cast<size_t>(it - t);
      out.push_back(Sample{t[i], v[i], q[i]});
    }
    return;
  }
  std::vector<uint32_t> idx;
  idx.reserve(size_);
  for (uint32_t i = 0; i < size_; ++i) {
    if (t[i] >= lo && t[i] < hi) idx.push_back(i);
  }
  // Stable: among equal timestamps the later write stays later, and wins below.
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return t[a] < t[b]; });
  out.reserve(idx.size());
  for (uint32_t i : idx) {
    if (!out.empty() && out.back().t == t[i]) {
      out.back() = Sample{t[i], v[i], q[i]};
    } else {
      out.push_back(Sample{t[i], v[i], q[i]});
    }
  }
}

}  // namespace dc
