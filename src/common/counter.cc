#include "common/counter.h"

#include <algorithm>
#include <cmath>

namespace dc {

double CounterDelta(double prev, double cur, const CounterOptions& opt, bool* discontinuity,
                    CounterEvent::Kind* kind) {
  if (discontinuity) *discontinuity = false;
  if (!std::isfinite(prev) || !std::isfinite(cur)) return 0;
  if (cur >= prev) return cur - prev;
  if (discontinuity) *discontinuity = true;
  if (opt.rollover > 0 && prev >= opt.rollover / 2 && cur <= opt.rollover) {
    // `rollover` is the register's largest value: the reading after it is 0, so the step
    // rollover -> 0 is one unit of the register.
    if (kind) *kind = CounterEvent::Kind::kRollover;
    return (opt.rollover - prev) + 1 + cur;
  }
  if (kind) *kind = CounterEvent::Kind::kReset;
  return cur < 0 ? 0 : cur;
}

bool CounterSwapsValid(const std::vector<CounterSwap>& swaps) {
  for (size_t i = 0; i < swaps.size(); ++i) {
    const CounterSwap& x = swaps[i];
    if (!std::isfinite(x.old_final) || !std::isfinite(x.new_initial)) return false;
    if (x.old_final < 0 || x.new_initial < 0) return false;
    if (i > 0 && swaps[i - 1].t >= x.t) return false;
  }
  return true;
}

CounterAccumulator::CounterAccumulator(std::span<const int64_t> bounds, const CounterOptions& opt)
    : bounds_(bounds), opt_(opt) {
  at_bound_.reserve(bounds.size());
}

void CounterAccumulator::Add(int64_t t, double v) {
  if (!std::isfinite(v)) return;
  if (pending_ && pending_t_ == t) {
    pending_v_ = v;
    return;
  }
  if (pending_) Commit(pending_t_, pending_v_);
  pending_ = true;
  pending_t_ = t;
  pending_v_ = v;
}

void CounterAccumulator::AddRun(int64_t t_first, double first, int64_t t_last, double last) {
  // The run's increase is CounterDelta(first, last) = last - first, and no bound needs a
  // reading inside it: its two ends stand for all its readings.
  ++result_.runs;
  Add(t_first, first);
  if (t_last != t_first) Add(t_last, last);
}

bool CounterAccumulator::RunAllowed(int64_t t_first, int64_t t_last) const {
  auto inner = std::upper_bound(bounds_.begin(), bounds_.end(), t_first);
  if (inner != bounds_.end() && *inner < t_last) return false;
  auto swap = std::upper_bound(opt_.swaps.begin(), opt_.swaps.end(), t_first,
                               [](int64_t t, const CounterSwap& x) { return t < x.t; });
  return swap == opt_.swaps.end() || swap->t > t_last;
}

void CounterAccumulator::Commit(int64_t t, double v) {
  const auto& swaps = opt_.swaps;
  if (!committed_) {
    result_.any = true;
    result_.t_first = t;
    // Swaps at or before the first reading: it is already the new meter's.
    while (next_swap_ < swaps.size() && swaps[next_swap_].t <= t) ++next_swap_;
    Advance(t, v, 0);
    return;
  }
  const int64_t t_before = last_t_;
  const double v_before = last_v_;
  const bool reported = bounds_.size() >= 2 && t > bounds_.front() && t_before < bounds_.back();
  // Each swap in (last_t_, t] ends the old meter at its final value (a point at the swap time)
  // and starts the new one at its initial value.
  bool swapped = false;
  for (; next_swap_ < swaps.size() && swaps[next_swap_].t <= t; ++next_swap_) {
    const CounterSwap& x = swaps[next_swap_];
    const double u = last_u_ + std::max(0.0, x.old_final - last_v_);
    Advance(x.t, x.new_initial, u);
    swapped = true;
  }
  if (swapped && reported) {
    result_.events.push_back(CounterEvent{CounterEvent::Kind::kSwap, t_before, t, v_before, v});
  }
  double u = last_u_;
  if (swapped) {
    u += std::max(0.0, v - last_v_);
  } else {
    bool disc = false;
    CounterEvent::Kind kind = CounterEvent::Kind::kReset;
    u += CounterDelta(last_v_, v, opt_, &disc, &kind);
    if (disc && reported) result_.events.push_back(CounterEvent{kind, t_before, t, v_before, v});
  }
  Advance(t, v, u);
}

void CounterAccumulator::Advance(int64_t t, double v, double u) {
  // Bounds in (last_t_, t]: interpolated between the previous point and this one (before the
  // first reading: clamped to it).
  for (; next_bound_ < bounds_.size() && bounds_[next_bound_] <= t; ++next_bound_) {
    const int64_t b = bounds_[next_bound_];
    if (!committed_ || b == t) {
      at_bound_.push_back(u);
      continue;
    }
    // b > last_t_: unsigned differences are exact over the whole int64 range.
    double frac = static_cast<double>(static_cast<uint64_t>(b) - static_cast<uint64_t>(last_t_)) /
                  static_cast<double>(static_cast<uint64_t>(t) - static_cast<uint64_t>(last_t_));
    at_bound_.push_back(last_u_ + (u - last_u_) * frac);
  }
  committed_ = true;
  last_t_ = t;
  last_v_ = v;
  last_u_ = u;
  result_.t_last = t;
}

CounterResult CounterAccumulator::Finish() && {
  if (pending_) Commit(pending_t_, pending_v_);
  pending_ = false;
  // Bounds after the last reading: clamped to it.
  at_bound_.resize(bounds_.size(), last_u_);
  result_.increases.assign(bounds_.empty() ? 0 : bounds_.size() - 1, 0.0);
  for (size_t i = 0; i + 1 < bounds_.size(); ++i) {
    result_.increases[i] = at_bound_[i + 1] - at_bound_[i];
  }
  return std::move(result_);
}

CounterResult CounterOver(std::span<const Sample> samples, std::span<const int64_t> bounds,
                          const CounterOptions& opt) {
  CounterAccumulator acc(bounds, opt);
  for (const Sample& x : samples) acc.Add(x.t, x.v);
  return std::move(acc).Finish();
}

std::vector<double> CounterIncreases(std::span<const Sample> samples,
                                     std::span<const int64_t> bounds, const CounterOptions& opt,
                                     std::vector<CounterEvent>* events) {
  CounterResult r = CounterOver(samples, bounds, opt);
  if (events) events->insert(events->end(), r.events.begin(), r.events.end());
  return std::move(r.increases);
}

}  // namespace dc
