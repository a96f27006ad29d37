// The site model: a site, its meters (physical and virtual), products and process-emission
// sources, loaded from a TOML site file (contract: SITE_MODEL.md §1, every field documented in
// docs/site-file.md). Start here: ParseSite / LoadSiteFile, SiteToToml.
//
// ParseSite checks the structure (types, required keys, enumerations, ids, references between
// meters, products and processes, formulas). Checks that need the reference library (carrier
// keys and units, grid region, benchmark keys) are in accounting::ValidateSite. Every error
// names the file, line, column and field: "site.toml:12:11: meter 'kiln' field 'kind': ...".
#ifndef DC_MODEL_SITE_H_
#define DC_MODEL_SITE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/formula.h"
#include "nlohmann/json_fwd.hpp"

namespace dc::model {

// Where a table or value was written in the site file (1-based; 0 = not from a file).
struct Pos {
  int line = 0;
  int column = 0;
};

// Positions of a table and of each of its keys.
struct Positions {
  Pos table;
  std::map<std::string, Pos, std::less<>> keys;
  Pos of(std::string_view key) const {
    auto it = keys.find(key);
    return it == keys.end() ? table : it->second;
  }
};

// Enumerations of the site file, parsed once (ParseSite) and named back by Name().
enum class MeterKind { kCounter, kInterval, kGauge };
enum class Flow { kPurchased, kExported, kGenerated, kInternal };
// How a gauge's instantaneous values become an amount over a period (docs/site-file.md).
enum class Integration { kNone, kTrapezoid, kStep };
// Process (non-combustion) methods; one entry each in ProcessSchemas() (model) and in the
// accounting layer's method table, both indexed by this enum.
enum class ProcessMethod {
  kCementClinker,
  kCementRawMeal,
  kCarbonate,
  kGlassCarbonates,
  kSteelCarbonBalance,
  kAluminiumAnode,
  kAluminiumPfc,
  kAmmonia,
  kCount
};
// Which factors a process method uses: the Chinese guideline's (default) or IPCC 2006 Tier 1
// defaults, allowed by the guideline when plant data are missing.
enum class Tier { kGuideline, kIpccTier1 };

// A name as written in the site file and the value it stands for.
template <typename E>
struct Named {
  std::string_view name;
  E value;
};
const std::vector<Named<MeterKind>>& MeterKinds();
const std::vector<Named<Flow>>& Flows();
const std::vector<Named<Integration>>& Integrations();
const std::vector<Named<Tier>>& Tiers();
std::string_view Name(MeterKind k);
std::string_view Name(Flow f);
std::string_view Name(Integration i);
std::string_view Name(Tier t);
std::string_view Name(ProcessMethod m);
}  // namespace dc::model
#include "model/site_factors.h"  // [[factor]], [[instrument]] (they need Positions)
namespace dc::model {

// A laboratory value valid over a period ("2025-03", "2025-03-01..2025-03-16"): measured fuel
// properties that change over time ([[meter.lab]]).
struct LabValue {
  std::string period;
  std::optional<double> ncv_gj_per_t, ncv_gj_per_10k_nm3, carbon_tc_per_gj, oxidation;
  Positions pos;
};

struct Meter {
  std::string id;
  std::string carrier;
  MeterKind kind = MeterKind::kInterval;
  std::string unit;  // of the readings; a rate (kW, t/h) for an integrated gauge
  Flow flow = Flow::kPurchased;
  Integration integrate = Integration::kNone;  // gauges only
  std::string area;
  std::string site;    // id of the site the meter belongs to (set by ParseSite)
  std::string series;  // canonical series key; "" = default "meter,id=<id>,site=<site> value"
  double rollover = 0;
  // Measured properties (absent = reference defaults).
  std::optional<double> ncv_gj_per_t, ncv_gj_per_10k_nm3, carbon_tc_per_gj, oxidation;
  std::optional<double> enthalpy_kj_per_kg, temperature_c;
  std::vector<LabValue> lab;
  Positions pos;

  // Unit of the meter's amounts: `unit`, or for an integrated gauge the unit times hours
  // (kW -> kWh, MW -> MWh, t/h -> t); "" if an integrated gauge's unit is not a rate.
  std::string AmountUnit() const;
};

struct VirtualMeter {
  std::string id;
  Formula formula;
  std::string carrier = "product";
  std::string unit;
  Flow flow = Flow::kInternal;
  std::string area;
  Positions pos;
};

struct Product {
  std::string id;
  std::string meter;
  std::vector<std::string> areas;  // empty = whole site
  std::string benchmark;           // "" = none
  Positions pos;
};

// One input or output item of a process method (carbonates, steel inputs/outputs).
struct ProcessItem {
  std::string meter;
  std::string material;
  std::optional<double> purity, fraction, ef_tco2_per_t, carbon_content;
  Positions pos;
};

// A process (non-combustion) emission source. Keys depend on the method; see
// docs/site-file.md. Meter references and numbers are kept by key.
struct Process {
  ProcessMethod method = ProcessMethod::kCarbonate;
  Tier tier = Tier::kGuideline;
  std::string id;  // optional label; default "<method>-<n>"
  std::string area;
  std::map<std::string, std::string, std::less<>> meters;   // key -> meter id (*_meter, meter)
  std::map<std::string, double, std::less<>> numbers;       // cao, purity, ...
  std::map<std::string, std::string, std::less<>> strings;  // material, ...
  std::vector<ProcessItem> inputs, outputs;
  Positions pos;
};

struct Site {
  std::string file;  // name used in error messages
  std::string id, name;
  std::string timezone = "Asia/Shanghai";
  std::string sector = "generic";
  std::string grid_region = "national";
  int grid_year = 0;  // 0 = the period's data year (nearest earlier published year)
  std::string grid_factor = "average";  // published factor type (accounting GridFactorTypes)
  std::string gwp = "AR5";
  std::string fuel_table = "A";               // fuel-defaults variant A | B | C
  std::string electricity_tce = "calorific";  // calorific (0.1229) | equal_value
  std::optional<double> electricity_coal_rate_gce_per_kwh;
  std::vector<Meter> meters;
  std::vector<VirtualMeter> virtual_meters;
  std::vector<Product> products;
  std::vector<Process> processes;
  std::vector<FactorOverride> factors;  // [[factor]] (model/site_factors.h)
  std::vector<Instrument> instruments;  // [[instrument]]
  std::vector<std::string> warnings;    // unknown keys (ignored), with positions
  Positions pos;

  const Meter* FindMeter(std::string_view id) const;
  const VirtualMeter* FindVirtual(std::string_view id) const;
  bool HasMeter(std::string_view id) const { return FindMeter(id) || FindVirtual(id); }
  // "file:line:column: " for a position.
  std::string Where(Pos p) const;
};

// Bounds of a site file (docs/site-file.md "Limits"). Larger input is an error naming the
// file, line, column and field, never a crash or an unbounded allocation.
inline constexpr size_t kMaxSiteFileBytes = 4 << 20;  // the whole file, 4 MiB
inline constexpr size_t kMaxSiteTextBytes = 256;      // names, carriers, units, areas, ...
inline constexpr size_t kMaxSiteIdBytes = 64;         // site, meter, product, process ids
inline constexpr size_t kMaxSeriesKeyBytes = 1024;    // a meter's `series`
inline constexpr size_t kMaxMeters = 10000;           // [[meter]]
inline constexpr size_t kMaxVirtualMeters = 1000;     // [[virtual_meter]]
inline constexpr size_t kMaxProducts = 1000;          // [[product]]
inline constexpr size_t kMaxProcesses = 1000;         // [[process]]
inline constexpr size_t kMaxListEntries = 1000;  // [[meter.lab]], inputs, outputs, areas (each)

// Parses a site file. `file` names it in errors.
absl::StatusOr<Site> ParseSite(std::string_view toml, std::string_view file);
absl::StatusOr<Site> LoadSiteFile(const std::string& path);

// Writes the site back as TOML that ParseSite reads to an equal Site (positions aside).
std::string SiteToToml(const Site& site);
// The parsed form as JSON (for the API and the SQLite store).
nlohmann::json SiteToJson(const Site& site);

// What a process method reads from its [[process]] table (docs/site-file.md). Checks that
// need the reference library are in the accounting layer's method table.
struct ProcessSchema {
  enum class Rule { kFraction, kNonNegative };
  struct Number {
    std::string_view key;
    Rule rule;
    bool required;  // with the guideline tier
  };
  ProcessMethod method;
  std::string_view name;
  std::vector<std::string_view> required_meters, optional_meters;
  std::vector<Number> numbers;
  std::vector<std::string_view> strings;
  bool inputs = false;      // [[process.inputs]] (and an inline meter = ...) allowed
  bool outputs = false;     // [[process.outputs]] allowed
  bool ipcc_tier1 = false;  // tier = "ipcc_tier1" allowed
};
// Every method, indexed by ProcessMethod.
const std::vector<ProcessSchema>& ProcessSchemas();
const ProcessSchema& SchemaOf(ProcessMethod m);
// Method names known to ParseSite, sorted.
const std::vector<std::string>& ProcessMethods();

}  // namespace dc::model

#endif  // DC_MODEL_SITE_H_
