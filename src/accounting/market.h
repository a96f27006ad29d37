// Factors the site gives and market-based scope 2 (internal to the accounting layer).
//
// [[factor]] values replace reference values (Engine::Resolve): per meter, then per site, then
// the library. [[instrument]] values make the market-based scope 2 (Engine::MarketBased, GHG
// Protocol Scope 2 Guidance 2015): each instrument counts within its period (pro rata by time
// when its period reaches outside the inventory's), meter-specific instruments first, then
// site-wide ones, in site order, applied to the purchased electricity of its period not yet
// covered, never beyond it (the excess is not counted and is warned about); what no
// instrument covers takes the residual mix ([[factor]] "residual_mix"), else the grid factor
// with a warning.
#ifndef DC_ACCOUNTING_MARKET_H_
#define DC_ACCOUNTING_MARKET_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accounting/reference.h"
#include "model/site.h"

namespace dc::accounting::internal {

// `value` in unit `from` expressed in `to` (tCO2/MWh = kgCO2/kWh, MJ/kg = GJ/t, % → fraction,
// ...); the error names both units and the units accepted for `to`.
absl::StatusOr<double> ConvertFactorUnit(double value, std::string_view from, std::string_view to);

// The [[factor]] key that overrides reference key `ref_key` ("grid.national.2022" → "grid",
// "fuel.A.natural_gas.ncv" → "fuel.natural_gas.ncv", "process.heat.purchased_ef" → "heat",
// "process.x" → "process.x", "residual_mix" → itself); "" when none can.
std::string OverrideKeyFor(std::string_view ref_key);

// The unit a [[factor]] value is converted to before use (before the engine's scale).
absl::StatusOr<std::string> OverrideUnit(const model::FactorOverride& f, const Reference& ref);

// Checks [[factor]] and [[instrument]] against the reference library: keys that exist, meters
// of the right carrier, units, periods; no conflict with a meter's measured property.
absl::Status ValidateFactorTables(const model::Site& site, const Reference& ref,
                                  const absl::TimeZone& zone);

}  // namespace dc::accounting::internal

#endif  // DC_ACCOUNTING_MARKET_H_
