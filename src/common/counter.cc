#include "common/counter.h"

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

void CounterAccumulator::Commit(int64_t t, double v) {
  double u = 0;
  if (!committed_) {
    result_.any = true;
    result_.t_first = t;
  } else {
    bool disc = false;
    CounterEvent::Kind kind = CounterEvent::Kind::kReset;
    u = last_u_ + CounterDelta(last_v_, v, opt_, &disc, &kind);
    if (disc && bounds_.size() >= 2 && t > bounds_.front() && last_t_ < bounds_.back()) {
      result_.events.push_back(CounterEvent{kind, last_t_, t, last_v_, v});
    }
  }
  // Bounds in (last_t_, t]: interpolated between the previous reading and this one (before the
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
