// Meter swap events of a site's counters, persisted in DATA_DIR/meter_events/<site>.json
// (docs/accounting.md "Meter swaps"). The counter rules (common/counter.h) use them so that a
// replaced meter's drop is counted as (old_final - previous) + (next - new_initial), never as
// a reset.
//
// Thread-safe; a read-modify-write holds an Env file lock, so a CLI and a server on the same
// data directory do not lose each other's entries. Files are written atomically (mode 0600).
#ifndef DC_MODEL_METER_EVENTS_H_
#define DC_MODEL_METER_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/counter.h"
#include "common/env.h"

namespace dc::model {

// A meter replaced at `t`: the old meter's last register value and the new meter's first.
struct MeterSwap {
  int64_t t = 0;
  double old_final = 0;    // finite, >= 0
  double new_initial = 0;  // finite, >= 0
  std::string note;        // UTF-8, no control characters, at most kMaxNoteBytes
};

struct MeterEventsLimits {
  static constexpr size_t kMaxNoteBytes = 500;
  static constexpr size_t kMaxSwapsPerMeter = 1000;
  static constexpr size_t kMaxMeters = 10000;
  static constexpr size_t kMaxFileBytes = 4 << 20;
};

// Checks one swap's values and note; InvalidArgument names the field.
absl::Status CheckMeterSwap(const MeterSwap& swap);

// The counter rules' form of sorted swaps.
std::vector<CounterSwap> ToCounterSwaps(const std::vector<MeterSwap>& swaps);

class MeterEvents {
 public:
  // `env` borrowed (must outlive this); files under `data_dir`/meter_events/.
  MeterEvents(Env* env, std::string data_dir);

  // The swaps of `meter` of site `site`, sorted by time; none if the file or meter is absent.
  // DataLoss if the file is corrupt (names the file and why).
  absl::StatusOr<std::vector<MeterSwap>> Swaps(std::string_view site, std::string_view meter);
  // Every meter's swaps for `site` (meter id -> sorted swaps).
  absl::StatusOr<std::map<std::string, std::vector<MeterSwap>, std::less<>>> All(
      std::string_view site);
  // All(site) in the counter rules' form (DataSource::SetSwaps).
  absl::StatusOr<std::map<std::string, std::vector<CounterSwap>, std::less<>>> CounterSwaps(
      std::string_view site);
  // Adds a swap. AlreadyExists if the meter has one at that time; ResourceExhausted past the
  // limits; InvalidArgument for a bad site id, meter id or swap.
  absl::Status Add(std::string_view site, std::string_view meter, const MeterSwap& swap);
  // Removes the swap at `t`; NotFound if there is none.
  absl::Status Remove(std::string_view site, std::string_view meter, int64_t t);

  // DATA_DIR/meter_events/<site>.json.
  std::string PathOf(std::string_view site) const;

 private:
  using Table = std::map<std::string, std::vector<MeterSwap>, std::less<>>;
  absl::StatusOr<Table> Load(const std::string& path);
  absl::Status Save(const std::string& path, const Table& table);
  // Runs `edit` on the site's table under the lock and saves the result.
  absl::Status Edit(std::string_view site, std::string_view meter,
                    const std::function<absl::Status(std::vector<MeterSwap>&)>& edit);

  Env* const env_;
  const std::string dir_;
  absl::Mutex mu_;  // serialises this process's read-modify-writes
};

}  // namespace dc::model

#endif  // DC_MODEL_METER_EVENTS_H_
