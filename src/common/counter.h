// Cumulative counters (kWh registers): resets, rollovers and the increase over intervals.
// The one place this logic lives: storage's `increase` aggregate and accounting's period
// consumption both call it.
#ifndef DC_COMMON_COUNTER_H_
#define DC_COMMON_COUNTER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "common/sample.h"

namespace dc {

struct CounterOptions {
  // A register that wraps to 0 after this value (e.g. 99999999); 0 = no rollover.
  double rollover = 0;
};

// A discontinuity found between two consecutive readings.
struct CounterEvent {
  enum class Kind { kReset, kRollover };
  Kind kind;
  int64_t t_before, t_after;
  double before, after;
};

// Increase between consecutive readings `prev` then `cur` (never negative):
//  - cur >= prev: cur - prev;
//  - cur < prev with a rollover set and prev >= rollover / 2: rollover - prev + cur (wrap);
//  - otherwise a reset (meter replaced or register cleared): the register counted up from 0,
//    so the increase is cur.
// Non-finite readings count as no increase. `kind` (nullable) receives the event, if any.
double CounterDelta(double prev, double cur, const CounterOptions& opt, bool* discontinuity,
                    CounterEvent::Kind* kind);

// Consumption of a counter over consecutive intervals [bounds[i], bounds[i+1]).
// `samples` are register readings sorted by time (duplicate times: the last one counts).
// The register value at each bound is linearly interpolated between the readings on either
// side, over the unwrapped (reset- and rollover-corrected) register; a bound before the first
// reading or after the last is clamped to it (no extrapolation). The results therefore add up
// exactly to the increase over [bounds.front(), bounds.back()].
// REQUIRES: bounds sorted ascending, size >= 1. Returns bounds.size() - 1 values.
std::vector<double> CounterIncreases(std::span<const Sample> samples,
                                     std::span<const int64_t> bounds, const CounterOptions& opt,
                                     std::vector<CounterEvent>* events);

}  // namespace dc

#endif  // DC_COMMON_COUNTER_H_
