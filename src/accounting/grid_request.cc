#include "accounting/grid_request.h"

namespace dc::accounting {

GridRequest GridRequestFor(const model::Site& site, const Period& period, absl::TimeZone zone) {
  GridRequest r;
  r.type = site.grid_factor;
  r.region = site.grid_region;
  r.year = site.grid_year;
  r.data_year = static_cast<int>(absl::ToCivilYear(absl::FromUnixNanos(period.start), zone).year());
  // The last instant of the period (its end is exclusive as a calendar bound).
  int64_t last = period.end > period.start ? period.end - 1 : period.start;
  r.data_year_end = static_cast<int>(absl::ToCivilYear(absl::FromUnixNanos(last), zone).year());
  return r;
}

}  // namespace dc::accounting
