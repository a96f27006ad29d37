// Stack emissions from CEMS data (docs/emissions.md): the hourly averages of the HJ 212
// series of a site (cems,code=...,mn=...,site=<id>), normalised to the reference oxygen
// (GB 4915-2013: C_ref = C_meas x (21 - O2_ref) / (21 - O2_meas)), the station's own ZsAvg used
// when it sends one, compared to the sector's ultra-low emission limits
// (reference/cn_ultra_low_emission_limits.csv), with exceedance hours and data-flag counts.
#ifndef DC_ACCOUNTING_CEMS_H_
#define DC_ACCOUNTING_CEMS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/store.h"

namespace dc::accounting {

inline constexpr int64_t kCemsMaxRangeNs = 400LL * 24 * 3600 * 1'000'000'000;

// The first row of cn_ultra_low_emission_limits.csv whose `sector` is the site's sector (the
// sector's main source: the cement kiln, steel sintering, a coal unit). Absent limits: nullopt.
// NotFound when the table has no row for the sector.
struct EmissionLimits {
  std::string sector, source_unit, policy, confidence, averaging, table;
  std::optional<double> ref_o2;        // %; nullopt: no limits known for the sector
  std::optional<double> pm, so2, nox;  // mg/m3 at ref_o2
};
absl::StatusOr<EmissionLimits> LoadEmissionLimits(const std::string& reference_dir,
                                                  std::string_view sector);

struct CemsHour {
  int64_t t = 0;                     // hour start
  std::optional<double> measured;    // hourly average, as measured
  std::optional<double> o2;          // hourly average O2, %
  std::optional<double> normalised;  // at the reference O2
  bool from_station = false;         // normalised is the station's ZsAvg
  char flag = 'N';                   // the hour's worst data flag ('N' when none sent)
  bool exceeds = false;              // normalised > limit, in a valid (flag N) hour
};

struct CemsPollutant {
  std::string key;   // "nox" | "so2" | "pm"
  std::string code;  // HJ 212 code the data came with
  std::optional<double> limit;
  std::vector<CemsHour> hours;
  int valid_hours = 0, exceedance_hours = 0, station_normalised_hours = 0,
      computed_normalised_hours = 0;
  std::map<char, int> flagged_hours;  // flag letter (other than N) -> hours
  std::optional<double> max_normalised, mean_normalised;
};

struct CemsStack {
  std::string mn;
  std::vector<CemsPollutant> pollutants;
};

struct EmissionsReport {
  std::string site;
  int64_t start = 0, end = 0;
  EmissionLimits limits;
  std::vector<CemsStack> stacks;
};

// Hours starting in [start, end), REQUIRES end - start <= kCemsMaxRangeNs (else an error).
absl::StatusOr<EmissionsReport> ComputeEmissions(Store& store, const std::string& site,
                                                 int64_t start, int64_t end,
                                                 const EmissionLimits& limits);

std::string EmissionsToJson(const EmissionsReport& report, const std::string& timezone);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_CEMS_H_
