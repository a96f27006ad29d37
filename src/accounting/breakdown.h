// An inventory broken down by calendar part: a year or a quarter by month, in one call
// (`dualcarbon account --by month`, `GET /api/v1/sites/{id}/inventory?by=month`).
#ifndef DC_ACCOUNTING_BREAKDOWN_H_
#define DC_ACCOUNTING_BREAKDOWN_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accounting/inventory.h"
#include "accounting/report.h"

namespace dc::accounting {

struct Breakdown {
  std::string by;                // "month"
  Inventory total;               // the whole period
  std::vector<Inventory> parts;  // one per month, in order; SplitPeriod's parts
};

// The inventory of `period` and of each of its parts (SplitPeriod(period, by)). Interval amounts
// belong to the part containing their end time and counters are read at each part's bounds, so
// the parts' amounts and totals add up to the period's (to rounding). REQUIRES: as
// ComputeInventory. Errors: SplitPeriod's and ComputeInventory's.
absl::StatusOr<Breakdown> ComputeBreakdown(const model::Site& site, DataSource& data,
                                           const Period& period, const Reference& ref,
                                           std::string_view by);
// The same when the period's inventory is already computed (`total`, over `total.period`).
absl::StatusOr<Breakdown> ComputeBreakdown(const model::Site& site, DataSource& data,
                                           Inventory total, const Reference& ref,
                                           std::string_view by);

// JSON: the period's inventory (InventoryToJson's object) with "by" and "parts", an array of
// one inventory object per part.
std::string BreakdownToJson(const Breakdown& b);
// CSV: InventoryToCsv's columns after a first column named `by` ("month"): each part's rows
// with its month ("2025-03"), then the period's rows with "total".
std::string BreakdownToCsv(const Breakdown& b);
// Markdown: a table with one row per part (energy, scope 1, scope 2, exports, total, and each
// product's output) and a total row, followed by the period's printable report.
std::string BreakdownToMarkdown(const Breakdown& b, const ReportOptions& opt = {});

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_BREAKDOWN_H_
