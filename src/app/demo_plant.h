// The demo plants of `serve --demo` as pure functions of (seed, time): a cement plant (raw mill,
// kiln, cement mill, packing, compressed air; grid electricity, coal, diesel; clinker and cement
// output; the kiln stack's CEMS, demo_cems.h) and a steel plant replaying the real UCI
// steel-industry data. Events are anchored to the local day the demo started (`anchor_ns`): a
// compressed-air leak since day -9 (visible as night base load), a kiln upset on day -12
// 02:00-08:00 (less clinker, more coal per tonne, NOx up, also at the kiln stack's CEMS:
// demo_cems.h), a water meter reset on day -20 10:00, the packing meter offline for the last 5
// hours before `now_ns` at setup (and from then on).
#ifndef DC_APP_DEMO_PLANT_H_
#define DC_APP_DEMO_PLANT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sample.h"

namespace dc::app {

inline constexpr char kDemoCementId[] = "demo-cement";
inline constexpr char kDemoSteelId[] = "demo-steel";

class DemoPlant {
 public:
  // `steel_csv`: datasets/uci-steel-industry/Steel_industry_data.csv. `now_ns`: the demo's start.
  static absl::StatusOr<DemoPlant> Create(uint64_t seed, int64_t now_ns,
                                          const std::string& steel_csv);

  static std::string CementSiteToml();
  static std::string SteelSiteToml();

  // Add to *batch, for every meter of the site that reports at `t`, its point at `t`: for
  // interval meters the amount in (t - dt_ns, t]; counters their register; gauges their value.
  void AppendCement(int64_t t, int64_t dt_ns, PointBatch* batch) const;
  void AppendSteel(int64_t t, int64_t dt_ns, PointBatch* batch) const;

  // The kiln stack's monitor at minute `t` (demo_cems.cc): measured concentrations (mg/m3,
  // dry, not normalised), O2 (%), flue gas flow (m3/s) and temperature (deg C); NOx rises in the
  // kiln upset. Flag: the data flag of `code` for the hour holding `t` ('N' normal, 'C' weekly
  // calibration of the gas analyser, 'D' a dust monitor fault on day -30 02:00-05:00).
  struct Cems {
    double o2, nox, so2, dust, flow, temp;
  };
  Cems CemsAt(int64_t t) const;
  char CemsFlag(std::string_view code, int64_t t) const;

  int64_t anchor_ns() const { return anchor_ns_; }
  int64_t offline_since_ns() const { return offline_since_ns_; }

 private:
  double Noise(uint64_t salt, int64_t t, int64_t period_ns) const;
  double SteelKwh(int64_t t) const;  // the 15-minute interval containing t (ending after it)
  double WaterRegister(int64_t t) const;

  uint64_t seed_ = 1;
  int64_t anchor_ns_ = 0;          // local midnight (Asia/Shanghai) of the start day
  int64_t offline_since_ns_ = 0;   // packing-elec reports nothing from here on
  std::vector<double> steel_kwh_;  // 35,040 intervals of 2018, in file order
};

}  // namespace dc::app

#endif  // DC_APP_DEMO_PLANT_H_
