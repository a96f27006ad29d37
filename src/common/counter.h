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

// A meter replaced at time `t`: the old meter's last register value and the new meter's
// first. Readings before `t` are the old meter's, readings at or after `t` the new one's.
struct CounterSwap {
  int64_t t = 0;
  double old_final = 0;
  double new_initial = 0;
};

struct CounterOptions {
  // The register's largest value (e.g. 99999999): the reading after it is 0, so rollover -> 0
  // is one unit of the register (a register counting in 0.01 kWh steps is configured in its
  // own units). 0 = no rollover.
  double rollover = 0;
  // Meter swaps, sorted by time (unsorted or non-finite: CheckCounterSwaps fails). Between two
  // readings around a swap the increase is (old_final - prev) + (cur - new_initial), each term
  // at least 0, never the reset rule.
  std::vector<CounterSwap> swaps;
};

// OK if the swaps are sorted by strictly increasing time with finite values >= 0.
[[nodiscard]] bool CounterSwapsValid(const std::vector<CounterSwap>& swaps);

// A discontinuity found between two consecutive readings (for a swap: the readings on either
// side of it).
struct CounterEvent {
  enum class Kind { kReset, kRollover, kSwap };
  Kind kind;
  int64_t t_before, t_after;
  double before, after;
};

// Increase between consecutive readings `prev` then `cur` (never negative):
//  - cur >= prev: cur - prev;
//  - cur < prev with a rollover set and prev >= rollover / 2: (rollover - prev) + 1 + cur
//    (wrap: rollover -> 0 is one unit);
//  - otherwise a reset (meter replaced or register cleared): the register counted up from 0,
//    so the increase is cur.
// Non-finite readings count as no increase. `kind` (nullable) receives the event, if any.
double CounterDelta(double prev, double cur, const CounterOptions& opt, bool* discontinuity,
                    CounterEvent::Kind* kind);

// Consumption of a counter over consecutive intervals [bounds[i], bounds[i+1]], with what
// accounting reports about it.
struct CounterResult {
  std::vector<double> increases;     // bounds.size() - 1 values
  std::vector<CounterEvent> events;  // resets/rollovers between readings straddling or inside
                                     // (bounds.front(), bounds.back())
  bool any = false;                  // at least one (finite) reading
  int64_t t_first = 0, t_last = 0;   // times of the first and last reading used (if any)
  int64_t runs = 0;                  // runs (AddRun) among the readings
};

// The counter rules over a stream of readings — the one implementation behind
// CounterIncreases, the store's CounterIncrease (which feeds it undecoded blocks as runs)
// and therefore the `increase` aggregate and accounting.
//
// The register is unwrapped over resets and rollovers (CounterDelta between consecutive
// readings) and its value at each bound is linearly interpolated between the readings on
// either side; a bound before the first reading or after the last is clamped to it (no
// extrapolation). The increases therefore add up exactly to the increase over
// [bounds.front(), bounds.back()]. Events are those between two readings with the later after
// bounds.front() and the earlier before bounds.back().
//
// Not thread-safe. `bounds` must outlive the accumulator.
class CounterAccumulator {
 public:
  // REQUIRES: bounds sorted ascending, size >= 1.
  CounterAccumulator(std::span<const int64_t> bounds, const CounterOptions& opt);

  // One reading. REQUIRES: t >= the time of the previous reading or run end. A reading with the
  // same time as the previous one replaces it; a non-finite value is skipped.
  void Add(int64_t t, double v);
  // A run of readings whose values never decrease, summarised by its first and last reading
  // (e.g. an undecoded storage block): its increase is last - first, exactly what the readings
  // one by one would give (up to rounding of the sum). REQUIRES: t_first <= t_last, both values
  // finite, first <= last, t_first > the previous reading's time, no bound strictly inside
  // (t_first, t_last) — the run lies within one interval, so no interpolation needs its inner
  // readings — and no swap in (t_first, t_last] (RunAllowed checks both).
  void AddRun(int64_t t_first, double first, int64_t t_last, double last);

  // Whether [t_first, t_last] may go in as a run: no bound strictly inside and no swap in
  // (t_first, t_last].
  bool RunAllowed(int64_t t_first, int64_t t_last) const;

  // The result; the accumulator is spent.
  CounterResult Finish() &&;

 private:
  void Commit(int64_t t, double v);
  // Moves the committed state to reading (t, v) with unwrapped value u, filling the bounds in
  // (last_t_, t].
  void Advance(int64_t t, double v, double u);

  std::span<const int64_t> bounds_;
  CounterOptions opt_;
  std::vector<double> at_bound_;  // unwrapped register at bounds[0 .. next_bound_)
  size_t next_bound_ = 0;
  size_t next_swap_ = 0;  // first swap not yet passed
  bool pending_ = false;  // a reading waiting for a possible same-time replacement
  int64_t pending_t_ = 0;
  double pending_v_ = 0;
  bool committed_ = false;  // the last committed reading:
  int64_t last_t_ = 0;
  double last_v_ = 0;
  double last_u_ = 0;  // unwrapped register (0 at the first reading)
  CounterResult result_;
};

// CounterAccumulator over `samples`, register readings sorted by time (duplicate times: the
// last one counts). REQUIRES: bounds sorted ascending, size >= 1.
CounterResult CounterOver(std::span<const Sample> samples, std::span<const int64_t> bounds,
                          const CounterOptions& opt);

// CounterOver(...).increases, with the events appended to *events (nullable).
// Returns bounds.size() - 1 values (none for empty bounds).
std::vector<double> CounterIncreases(std::span<const Sample> samples,
                                     std::span<const int64_t> bounds, const CounterOptions& opt,
                                     std::vector<CounterEvent>* events);

}  // namespace dc

#endif  // DC_COMMON_COUNTER_H_
