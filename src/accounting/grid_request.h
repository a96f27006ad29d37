// Internal to the accounting layer: which published grid factor a site asks for in a period.
#ifndef DC_ACCOUNTING_GRID_REQUEST_H_
#define DC_ACCOUNTING_GRID_REQUEST_H_

#include "absl/time/time.h"
#include "accounting/period.h"
#include "accounting/reference.h"
#include "model/site.h"

namespace dc::accounting {

// The site's grid_factor, grid_region and grid_year, with the period's data years (the
// calendar years of its first and last instant in `zone`). Borrows the site's strings.
GridRequest GridRequestFor(const model::Site& site, const Period& period, absl::TimeZone zone);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_GRID_REQUEST_H_
