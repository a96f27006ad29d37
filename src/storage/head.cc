#include "storage/head.h"

#include <algorithm>
#include <numeric>

namespace dc {

std::vector<Sample> SeriesHead::Range(int64_t lo, int64_t hi) const {
  std::vector<Sample> out;
  if (t_.empty() || hi <= tmin_ || lo > tmax_) return out;
  if (sorted_) {
    // Strictly increasing: no duplicates to resolve.
    auto b = std::lower_bound(t_.begin(), t_.end(), lo);
    auto e = std::lower_bound(b, t_.end(), hi);
    out.reserve(static_cast<size_t>(e - b));
    for (auto it = b; it != e; ++it) {
      size_t i = static_cast<size_t>(it - t_.begin());
      out.push_back(Sample{t_[i], v_[i], q_[i]});
    }
    return out;
  }
  std::vector<uint32_t> idx;
  idx.reserve(t_.size());
  for (uint32_t i = 0; i < t_.size(); ++i) {
    if (t_[i] >= lo && t_[i] < hi) idx.push_back(i);
  }
  // Stable: among equal timestamps the later write stays later, and wins below.
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return t_[a] < t_[b]; });
  out.reserve(idx.size());
  for (uint32_t i : idx) {
    if (!out.empty() && out.back().t == t_[i]) {
      out.back() = Sample{t_[i], v_[i], q_[i]};
    } else {
      out.push_back(Sample{t_[i], v_[i], q_[i]});
    }
  }
  return out;
}

}  // namespace dc
