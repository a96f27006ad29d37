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
    if (kind) *kind = CounterEvent::Kind::kRollover;
    return opt.rollover - prev + cur;
  }
  if (kind) *kind = CounterEvent::Kind::kReset;
  return cur < 0 ? 0 : cur;
}

namespace {

// Unwrapped register value at time t (clamped to the first/last reading).
double ValueAt(std::span<const Sample> s, const std::vector<double>& u, int64_t t) {
  if (t <= s.front().t) return u.front();
  if (t >= s.back().t) return u.back();
  // First reading with time > t.
  size_t lo = 0, hi = s.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s[mid].t <= t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  const size_t j = lo, i = lo - 1;
  if (s[i].t == t) return u[i];
  double frac = static_cast<double>(t - s[i].t) / static_cast<double>(s[j].t - s[i].t);
  return u[i] + (u[j] - u[i]) * frac;
}

}  // namespace

std::vector<double> CounterIncreases(std::span<const Sample> samples,
                                     std::span<const int64_t> bounds, const CounterOptions& opt,
                                     std::vector<CounterEvent>* events) {
  std::vector<double> out(bounds.empty() ? 0 : bounds.size() - 1, 0.0);
  // Keep the last reading of each timestamp and skip non-finite values.
  std::vector<Sample> s;
  s.reserve(samples.size());
  for (const Sample& x : samples) {
    if (!std::isfinite(x.v)) continue;
    if (!s.empty() && s.back().t == x.t) {
      s.back() = x;
    } else {
      s.push_back(x);
    }
  }
  if (s.empty() || out.empty()) return out;
  std::vector<double> u(s.size());
  u[0] = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    bool disc = false;
    CounterEvent::Kind kind = CounterEvent::Kind::kReset;
    u[i] = u[i - 1] + CounterDelta(s[i - 1].v, s[i].v, opt, &disc, &kind);
    if (disc && events && s[i].t > bounds.front() && s[i - 1].t < bounds.back()) {
      events->push_back(CounterEvent{kind, s[i - 1].t, s[i].t, s[i - 1].v, s[i].v});
    }
  }
  std::span<const Sample> sv(s);
  double prev = ValueAt(sv, u, bounds[0]);
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    double next = ValueAt(sv, u, bounds[i + 1]);
    out[i] = next - prev;
    prev = next;
  }
  return out;
}

}  // namespace dc
