// The energy and carbon inventory of a site over a period: the accounting layer's public API.
// Start here: ValidateSite, ComputeInventory, InventoryToJson.
//
// ComputeInventory is a pure function of (site, data, period, reference): the same inputs give
// the same Inventory, and InventoryToJson prints it byte-identically (SITE_MODEL.md §3; numbers
// rounded to 12 significant digits, never -0). Every ledger line carries its activity, each
// factor with value, unit and source (measured, lab, site parameter, reference key with its
// citation and confidence, or a formula constant), and the formula.
//
// Methods (docs/accounting.md): combustion FC × NCV × CC × OF × 44/12 (GB/T 32150 / NDRC
// guidelines); purchased/exported electricity AD_MWh × EF_grid; heat AD_GJ × 0.11 (steam
// Ma × (En − 83.74) × 10⁻³, hot water Ma × (T − 20) × 4.1868 × 10⁻³); process methods
// cement_clinker, cement_raw_meal, carbonate, glass_carbonates, steel_carbon_balance,
// aluminium_anode, aluminium_pfc; energy in tce per GB/T 2589-2020.
#ifndef DC_ACCOUNTING_INVENTORY_H_
#define DC_ACCOUNTING_INVENTORY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accounting/period.h"
#include "accounting/readings.h"
#include "accounting/reference.h"
#include "model/site.h"

namespace dc::accounting {

// One factor of a ledger line.
struct Factor {
  std::string name;  // "ncv", "cc", "of", "ef_grid", "cao", ...
  double value = 0;
  std::string unit;
  // "measured" (site file, on the meter) | "lab" ([[meter.lab]] values, activity-weighted) |
  // "site" (a process parameter in the site file) | "reference" | "formula" (a constant of the
  // formula, e.g. 44/12).
  std::string source;
  std::string key;         // reference key when source == "reference"
  std::string citation;    // the reference value's source text
  std::string confidence;  // high | medium | low (reference values)
  // A value the site gives in [[factor]]: "<key>" or "<key> meter <id>" (source is then the
  // factor's origin: measured | supplier | published | calculated | estimated; citation and
  // confidence are the site's; key is the reference key it replaces, if the library has one).
  std::string site_factor = {};
};

// A metered amount contributing to a line (process lines that add several meters).
struct Part {
  std::string meter;
  double amount = 0;
  std::string unit;
};

// What a ledger line accounts for, in the ledger's order (lines are sorted by it).
enum class LineCategory {
  kCombustion,
  kProcess,
  kPurchasedElectricity,
  kPurchasedHeat,
  kExportedElectricity,
  kExportedHeat,
};
inline constexpr LineCategory kLineCategories[] = {
    LineCategory::kCombustion,           LineCategory::kProcess,
    LineCategory::kPurchasedElectricity, LineCategory::kPurchasedHeat,
    LineCategory::kExportedElectricity,  LineCategory::kExportedHeat};
// "combustion", "process", "purchased_electricity", "purchased_heat", "exported_electricity",
// "exported_heat": the name in JSON, CSV and the reports.
std::string_view CategoryName(LineCategory c);
// Scope 1 (direct), scope 2 (purchased energy), or an export (deducted from the total).
inline bool IsDirect(LineCategory c) {
  return c == LineCategory::kCombustion || c == LineCategory::kProcess;
}
inline bool IsPurchased(LineCategory c) {
  return c == LineCategory::kPurchasedElectricity || c == LineCategory::kPurchasedHeat;
}

struct Line {
  std::string source;  // meter id, or process id (process id/meter for per-item lines)
  LineCategory category = LineCategory::kCombustion;
  int scope = 1;      // 1 (combustion, process) | 2 (purchased electricity/heat)
  double amount = 0;  // activity in the formula's unit
  std::string unit;
  std::vector<Factor> factors;
  std::string formula;
  double tco2e = 0;   // negative for exports and fixed-carbon deductions
  std::string meter;  // the meter (for meter-based lines)
  std::string area;
  std::string method;  // process method, "" for meter lines
  std::vector<Part> parts;
};

// Energy of one meter over the period.
struct MeterEnergy {
  std::string meter, carrier;
  model::Flow flow = model::Flow::kPurchased;
  std::string area;
  double amount = 0;  // in the carrier's base unit
  std::string unit;
  double tce = 0;          // unsigned; the flow decides whether it adds or is deducted
  std::string basis;       // "gbt2589", "measured_ncv", "default_ncv", "heat", "equal_value", ...
  double coefficient = 0;  // tce per base unit actually used (averaged when lab values vary)
  std::string coefficient_key;  // reference key of the coefficient, if any
};

struct CarrierEnergy {
  std::string carrier;
  double amount = 0;  // purchased − exported, base unit
  std::string unit;
  double tce = 0;
};

struct BenchmarkResult {
  std::string key;
  double benchmark = 0, baseline = 0;
  std::string unit;
  std::string basis;  // energy_kgce | energy_kgoe | electricity_kwh
  double value = 0;   // the product's value on that basis
  std::string grade;  // benchmark | between | below_baseline
  std::string confidence;
};

struct ProductResult {
  std::string id, meter;
  double output = 0;
  std::string unit;
  std::vector<std::string> areas;  // empty = whole site
  double energy_tce = 0;           // energy attributed to the product
  double co2e_t = 0;               // emissions attributed to the product
  double electricity_kwh = 0;      // electricity attributed (net)
  std::optional<double> energy_kgce_per_unit, co2e_t_per_unit;  // absent when output is 0
  std::optional<BenchmarkResult> benchmark;
};

// Market-based scope 2 (GHG Protocol Scope 2 Guidance, 2015; market.cc, docs/accounting.md).
struct InstrumentUse {
  std::string id, type, period, meter;  // meter "" = any purchased electricity
  double mwh = 0;                       // as given, over the instrument's own period
  double counted_mwh = 0;               // the part within the inventory period (pro rata by time)
  double used_mwh = 0;  // applied to consumption: <= counted, <= uncovered consumption
  Factor factor;        // tCO2/MWh (0 for renewables unless the site gives one)
  double tco2e = 0;     // used_mwh × factor
  std::vector<std::string> certificates;
  std::string source;
  std::vector<Part> parts;  // MWh applied per meter
};

struct ResidualUse {
  std::string meter;
  double mwh = 0;  // purchased electricity no instrument covers
  Factor factor;   // the residual mix (site-given), else the meter's grid factor (warned)
  double tco2e = 0;
};

struct MarketScope2 {
  double electricity_mwh = 0, covered_mwh = 0, residual_mwh = 0;
  double electricity_tco2e = 0;            // market-based purchased electricity
  std::vector<InstrumentUse> instruments;  // in site order
  std::vector<ResidualUse> residual;       // by meter id
};

struct Inventory {
  std::string site, site_name, timezone;
  Period period;
  std::string data_source;
  // Reference used.
  std::string reference_version, gwp, fuel_table;
  std::string grid_region;
  int grid_year = 0;
  double grid_tco2_per_mwh = 0;
  std::string grid_key;
  // The site-wide [[factor]] key = "grid", when the site gives one: it replaces the published
  // factor above for every meter without a factor of its own (outputs show both).
  std::optional<Factor> grid_site;
  std::string electricity_tce;  // calorific | equal_value
  // Energy (GB/T 2589): purchased − exported; internal and generated meters not added.
  double total_tce = 0;
  std::vector<CarrierEnergy> by_carrier;  // sorted by carrier
  std::vector<MeterEnergy> by_meter;      // every meter with energy, sorted by meter id
  // Emissions (GB/T 32150): scope1 + scope2 − exports = total.
  double total_tco2e = 0, scope1_tco2e = 0, scope2_tco2e = 0, exports_tco2e = 0;
  // Market-based: scope 2 with purchased electricity from instruments and the residual mix
  // (heat as location-based); total = scope1 + scope2_market − exports. scope2_tco2e is
  // location-based.
  double scope2_market_tco2e = 0, total_market_tco2e = 0;
  MarketScope2 market;
  std::vector<Line> lines;              // sorted by category order, then source
  std::vector<ProductResult> products;  // in site order
  std::vector<std::string> warnings;    // sorted, unique
};

// Checks what needs the reference library: carriers (unknown → error naming the known ones),
// units per carrier, required properties (steam enthalpy, hot water temperature), NCV keys per
// phase, grid region and year, GWP, benchmarks, process materials and units, lab periods
// (parsable, not overlapping). Errors name the site file, line and field.
[[nodiscard]] absl::Status ValidateSite(const model::Site& site, const Reference& ref);

// The inventory of `site` over `period` from `data`. REQUIRES: ValidateSite(site, ref) is OK
// (it is called again here). Errors: data source failures, missing factors (naming the meter
// and the reference key), invalid data (naming meter and time).
absl::StatusOr<Inventory> ComputeInventory(const model::Site& site, DataSource& data,
                                           const Period& period, const Reference& ref);

// Convenience: parses `period_text` in the site's zone, then ComputeInventory.
absl::StatusOr<Inventory> ComputeInventory(const model::Site& site, DataSource& data,
                                           std::string_view period_text, const Reference& ref);

// SITE_MODEL.md §3 JSON (with extra fields: by_meter, exports_tco2e, factor citations).
std::string InventoryToJson(const Inventory& inv);
std::string InventoryToCsv(const Inventory& inv);
std::string InventoryToMarkdown(const Inventory& inv);
std::string InventoryToHtml(const Inventory& inv);

// Rounds to 12 significant digits and turns -0 into 0 (the output's number format).
double RoundOutput(double v);
// RoundOutput printed with %.12g.
std::string FormatNumber(double v);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_INVENTORY_H_
