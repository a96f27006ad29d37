// The reference library: versioned tables of coefficients and factors (GB/T 2589-2020, the
// national guidelines' fuel defaults, MEE/NBS grid factors, GWP sets, 标杆/基准 benchmarks,
// process factors, CBAM values), loaded from the repository's reference/ directory. Every value
// carries its unit, source and confidence. Start here: Reference::Load, Find/Get, List.
//
// Keys (dot-separated, first segment = table):
//   tce.<carrier>                     GB/T 2589 coefficient as published (kgce/kWh, kgce/kg, ...)
//   fuel.<A|B|C>.<carrier>.<ncv|cc|of> fuel defaults (GJ/t or GJ/10^4Nm3; tC/TJ; fraction)
//   grid.<region>.<year>              electricity CO2 factor (MEE/NBS average), tCO2/MWh
//   grid_excl_market.<region>.<year>  average excluding market-traded non-fossil power, tCO2/MWh
//   grid_fossil.<region>.<year>       fossil-only electricity factor, tCO2/MWh
//   grid_carbon_market.<region>.<year> national carbon market's factor for enterprises, tCO2/MWh
//   grid_footprint.<region>.<year>    life-cycle carbon-footprint factor (listed, not selectable)
//   gwp.<SAR|AR4|AR5|AR6>.<gas>       GWP100
//   benchmark.<key>.<benchmark|baseline>
//   process.<key>                     process factors (see reference/process_factor_keys.csv)
//   energy.gj_per_tce, coal_rate.<year>, cbam.default.<country>.<cn code>.<direct|indirect>,
//   cbam.const.<parameter>, media.<medium>
#ifndef DC_ACCOUNTING_REFERENCE_H_
#define DC_ACCOUNTING_REFERENCE_H_

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace dc::accounting {

enum class Confidence { kHigh, kMedium, kLow };

// "high" | "medium" | "low" from a table's confidence text ("medium-high" -> medium,
// "low-medium" -> low, "memory"/"unverified" -> low).
Confidence ParseConfidence(std::string_view text);
std::string_view ConfidenceName(Confidence c);

struct RefValue {
  std::string key;
  std::string table;  // file the value comes from
  double value = 0;   // numeric value (NaN when the value is text only)
  std::string text;   // the value as written in the table
  std::string unit;
  std::string source;
  std::string confidence;  // as written in the table
  Confidence level = Confidence::kHigh;
  std::string note;
  std::string basis;  // benchmarks: what is graded (energy_kgce | energy_kgoe | electricity_kwh)
  std::string text_unit;  // unit of `text` as published, when it differs from `unit` ("%")
  int line = 0;           // row of `table` (1 = header)
  bool numeric() const { return value == value; }
};

// "key = <used> <used_unit>" and, when the table publishes it differently, "(published as
// <text> <text_unit>)": how a warning names a value in the unit it is used in.
std::string DescribeUse(const RefValue& v, double used, std::string_view used_unit);

// One published electricity-factor type: the site's `grid_factor` name, the key prefix
// (<prefix>.<region>.<year>) and the factor_type text in cn_grid_emission_factors.csv.
struct GridFactorType {
  std::string_view name, prefix, factor_type_cn, description;
  bool selectable = true;  // false: listed in the library, not usable as a scope-2 factor
};
std::span<const GridFactorType> GridFactorTypes();
const GridFactorType* FindGridFactorType(std::string_view name);  // by name; nullptr if unknown
std::string GridFactorTypeNames();                                // selectable ones

// Which grid factor a site asks for. With `year` = 0 the factor is that of `data_year` (the
// period's year) or, if none is published for it, of the nearest earlier year; `data_year` = 0
// takes the newest.
struct GridRequest {
  std::string_view type = "average";
  std::string_view region = "national";
  int year = 0;
  int data_year = 0;
  int data_year_end = 0;  // the period's last year, when it spans several (warned about)
};
struct GridChoice {
  const RefValue* value = nullptr;
  int year = 0;
  std::string warning;  // non-empty when the factor's year is not the period's data year
};

enum class CarrierClass {
  kElectricity,
  kHeat,
  kSteam,
  kHotWater,
  kSolid,
  kLiquid,
  kGas,
  kMedium,
  kProduct
};

struct Carrier {
  std::string key, name_cn, name_en;
  CarrierClass cls = CarrierClass::kProduct;
  std::string base_unit;                              // "" for product (any unit)
  std::vector<std::pair<std::string, double>> units;  // unit -> multiplier to base; empty = any
  // How energy (tce) is computed without a measured NCV: "gbt2589" | "gbt2589_upper" |
  // "default_ncv" | "heat" | "media" | "none".
  std::string tce_rule;
  std::string tce_key;      // reference key of the coefficient ("tce.<key>"), if any
  double tce_per_base = 0;  // tce per base unit from that coefficient
  std::string fuel_item;    // name in the fuel-defaults table ("" = no defaults)
  std::string note;

  bool is_fuel() const {
    return cls == CarrierClass::kSolid || cls == CarrierClass::kLiquid || cls == CarrierClass::kGas;
  }
  bool is_heat() const {
    return cls == CarrierClass::kHeat || cls == CarrierClass::kSteam ||
           cls == CarrierClass::kHotWater;
  }
  // Multiplier from `unit` to the base unit; the error names the allowed units.
  absl::StatusOr<double> ToBase(std::string_view unit) const;
  std::string UnitList() const;
};

class Reference {
 public:
  // Loads every table from `dir` (a copy of the repository's reference/ folder).
  static absl::StatusOr<Reference> Load(const std::string& dir);
  // Where to look when no --reference is given: $DC_REFERENCE_DIR, then <exe dir>/../reference,
  // <exe dir>/../../reference, ../share/dualcarbon/reference, then $DC_SOURCE_DIR/reference.
  static std::string DefaultDir(std::string_view argv0);

  const std::string& version() const { return version_; }
  const std::string& dir() const { return dir_; }

  const RefValue* Find(std::string_view key) const;
  // Like Find; the error names the key and the reference version ("missing factor").
  absl::StatusOr<const RefValue*> Get(std::string_view key) const;
  // Values whose key starts with `prefix` (a table name or "table.sub"), sorted by key.
  std::vector<const RefValue*> List(std::string_view prefix) const;
  std::vector<std::string> Tables() const;

  // The carrier named by its key ("natural_gas"), its Chinese name ("天然气") or its English name
  // ("natural gas", ASCII case ignored), as in carriers.csv; nullptr if none. Callers use the
  // returned carrier's `key` from then on, so outputs always show keys.
  const Carrier* FindCarrier(std::string_view name) const;
  std::string CarrierKeys() const;  // "electricity (电力), heat (热力), ..." sorted

  // Canonical region key for a key or Chinese name ("east_china", "华东"); "" if unknown.
  std::string RegionKey(std::string_view region) const;
  std::string RegionKeys() const;
  // Average grid factor for the region in `year` (0 = newest year available for that region).
  absl::StatusOr<const RefValue*> GridFactor(std::string_view region, int year) const;
  // The factor `req` asks for; errors name the type, region and the years published.
  absl::StatusOr<GridChoice> SelectGridFactor(const GridRequest& req) const;

  // Adds or replaces a value (used by the loader and by tests).
  void Put(RefValue v);

 private:
  absl::Status LoadCarriers(const std::string& dir);
  absl::Status IndexCarrierNames();
  absl::Status LoadGbt2589(const std::string& dir);
  absl::Status LoadFuelDefaults(const std::string& dir);
  absl::Status LoadGrid(const std::string& dir);
  absl::Status LoadGwp(const std::string& dir);
  absl::Status LoadProcess(const std::string& dir);
  absl::Status LoadBenchmarks(const std::string& dir);
  absl::Status LoadMisc(const std::string& dir);
  absl::Status LoadCbam(const std::string& dir);

  std::string version_, dir_;
  std::map<std::string, RefValue, std::less<>> values_;
  std::map<std::string, Carrier, std::less<>> carriers_;
  std::map<std::string, std::string, std::less<>> carrier_names_;  // name -> key (not keys)
  std::map<std::string, std::string, std::less<>> regions_;        // alias -> key
};

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_REFERENCE_H_
