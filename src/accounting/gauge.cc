// Integrated gauges: a meter of instantaneous values (power in kW, a flow in t/h) becomes an
// amount per sub-interval (kWh, t) by trapezoid or step integration over time.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "accounting/engine.h"
#include "common/time.h"

namespace dc::accounting::internal {

// Between consecutive readings (t0, v0) and (t1, v1) the value is linear (trapezoid) or held
// at v0 (step, the reading holds until the next one). Only time between the first and the last
// reading counts; the parts of the period outside are warned about, as for counters.
void Engine::IntegrateGauge(const model::Meter& m, const std::vector<Sample>& s,
                            std::vector<double>* out) {
  constexpr double kNsPerHour = 3.6e12;
  const bool trapezoid = m.integrate == model::Integration::kTrapezoid;
  const int64_t start = bounds_.front(), end = bounds_.back();
  int64_t first = 0, last = 0;
  bool any = false;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    const int64_t t0 = s[i].t, t1 = s[i + 1].t;
    int64_t a = std::max(t0, start);
    const int64_t b = std::min(t1, end);
    if (t1 <= t0 || a >= b) continue;
    if (!any) first = a;
    any = true;
    last = b;
    auto at = [&](int64_t t) {
      if (!trapezoid) return s[i].v;
      return s[i].v +
             (s[i + 1].v - s[i].v) * (static_cast<double>(t - t0) / static_cast<double>(t1 - t0));
    };
    // Sub-interval k is (bounds[k], bounds[k+1]].
    size_t k = std::upper_bound(bounds_.begin(), bounds_.end(), a) - bounds_.begin() - 1;
    while (a < b) {
      const int64_t e = std::min(b, bounds_[k + 1]);
      (*out)[k] += (at(a) + at(e)) / 2 * (static_cast<double>(e - a) / kNsPerHour);
      a = e;
      ++k;
    }
  }
  if (!any) {
    Warn(absl::StrCat("meter ", m.id,
                      ": fewer than two readings in the period; nothing to "
                      "integrate"));
    return;
  }
  if (first > start) {
    Warn(absl::StrCat("meter ", m.id, ": first reading ", FormatTime(first, zone_),
                      " is after the period start; the time before it is not integrated"));
  }
  if (last < end) {
    Warn(absl::StrCat("meter ", m.id, ": last reading ", FormatTime(last, zone_),
                      " is before the period end; the time after it is not integrated"));
  }
}

}  // namespace dc::accounting::internal
