#include "accounting/breakdown.h"

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/time.h"

namespace dc::accounting {

absl::StatusOr<Breakdown> ComputeBreakdown(const model::Site& site, DataSource& data,
                                           const Period& period, const Reference& ref,
                                           std::string_view by) {
  auto total = ComputeInventory(site, data, period, ref);
  if (!total.ok()) return total.status();
  return ComputeBreakdown(site, data, std::move(*total), ref, by);
}

absl::StatusOr<Breakdown> ComputeBreakdown(const model::Site& site, DataSource& data,
                                           Inventory total, const Reference& ref,
                                           std::string_view by) {
  auto zone = LoadZone(site.timezone);
  if (!zone.ok()) return zone.status();
  auto parts = SplitPeriod(total.period, by, *zone);
  if (!parts.ok()) return parts.status();
  Breakdown b;
  b.by = std::string(by);
  b.total = std::move(total);
  b.parts.reserve(parts->size());
  for (const Period& p : *parts) {
    auto inv = ComputeInventory(site, data, p, ref);
    if (!inv.ok()) {
      return absl::Status(inv.status().code(),
                          absl::StrCat(AV(by), " ", p.text, ": ", inv.status().message()));
    }
    b.parts.push_back(std::move(*inv));
  }
  return b;
}

}  // namespace dc::accounting
