// CBAM report: specific embedded emissions (SEE, tCO2e per tonne) of a site's products per
// Commission Implementing Regulation (EU) 2023/1773, Annex III (transitional period), computed
// from an Inventory and optional [cbam] keys of the site file. Start here: ParseCbamConfig,
// ComputeCbam, CbamToJson. Method, formulas and keys: docs/reports.md.
//
// Per good g (a [[product]] of the site; activity level AL_g = its output in t):
//   AttrEm_dir,g   = emissions attributed to the product by the inventory (its areas' scope 1
//                    lines, heat lines, its process lines) minus its electricity part
//   AttrEm_indir,g = E_el,g (MWh, net electricity of its areas) × EF_el (the inventory's grid
//                    factor)
//   SEE_dir,g      = (AttrEm_dir,g   + Σ_i M_i × SEE_dir,i)   / AL_g
//   SEE_indir,g    = (AttrEm_indir,g + Σ_i M_i × SEE_indir,i) / AL_g
// with precursors i: another good of the same site (its SEE from this report), or bought in
// with the supplier's actual values, or with a CBAM default value from the reference library.
//
// Pure and deterministic like ComputeInventory; every number carries its evidence (ledger
// lines, factors with source and confidence, default values used).
#ifndef DC_ACCOUNTING_CBAM_H_
#define DC_ACCOUNTING_CBAM_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accounting/inventory.h"
#include "accounting/readings.h"
#include "accounting/reference.h"
#include "model/site.h"

namespace dc::accounting {

// ---------------------------------------------------------------- site-file keys

struct CbamPrecursorSpec {
  std::string product;  // a good of this site (its own [[cbam.good]]); "" = bought in
  std::string name;     // label of a bought-in precursor
  // Mass consumed: exactly one of these.
  std::optional<double> t_per_t;   // tonnes per tonne of the good (× AL)
  std::optional<double> amount_t;  // tonnes over the period
  std::string meter;               // a physical meter in t or kg
  // SEE of a bought-in precursor: supplier's actual values, or a default value.
  std::optional<double> direct_tco2e_per_t, indirect_tco2e_per_t;
  std::string default_cn;       // CN code whose default value is used
  std::string default_country;  // default: [cbam] country
  std::string default_period;   // "transitional" | "definitive"; default: [cbam] default_period
  bool estimated = false;       // the supplier's values are estimates, not from measurement
  model::Pos pos;
};

// Waste gas exported from or imported into the good's production process (steel: blast-furnace,
// coke-oven and converter gas). Energy: energy_tj, or volume_nm3 × ncv_mj_per_nm3.
struct CbamWasteGasSpec {
  std::string direction;  // "exported" | "imported"
  std::string name;       // label, e.g. "BF gas to power plant"
  std::optional<double> energy_tj, volume_nm3, ncv_mj_per_nm3;
  model::Pos pos;
};

// A value the site file gives with the document it comes from.
struct CbamSourced {
  std::optional<double> value;
  std::string source;  // required with the value
};

struct CbamGoodSpec {
  std::string product;  // [[product]] id
  std::string cn_code;  // e.g. "2523 10 00"
  std::vector<CbamPrecursorSpec> precursors;
  // Definitive-period and method keys (all optional).
  std::optional<double> n2o_t;  // N2O emitted by the good's process over the period (t)
  std::string n2o_meter;        // or a meter of N2O in t or kg
  std::vector<CbamWasteGasSpec> waste_gas;
  std::vector<std::pair<std::string, double>> qualifying;  // parameter → value, file order
  std::optional<double> estimated_tco2e;  // direct emissions not from measurement (t CO2e)
  CbamSourced free_allocation;            // free allocation adjustment, tCO2e per t of good
  CbamSourced price_paid_cny;             // carbon price effectively paid, CNY over the period
  model::Pos pos;
};

struct CbamConfig {
  std::string file;               // for error messages
  std::string installation;       // optional name of the installation
  std::string country = "China";  // country of origin (default values)
  std::string default_period;     // which default values by default; "" = the report's period
  CbamSourced ets_price_eur;      // CBAM certificate price (EU ETS), EUR per certificate (tCO2e)
  CbamSourced cny_per_eur;        // exchange rate, CNY per EUR
  std::vector<CbamGoodSpec> goods;
  model::Pos pos;
};

// Reads the optional [cbam] table and [[cbam.good]] entries of a site file's TOML text.
// A site file without [cbam] gives an empty config (no goods). Errors name the file, line,
// column and key: unknown products or meters, a precursor without or with two amounts, a
// bought-in precursor without SEE values, negative numbers, unknown keys.
absl::StatusOr<CbamConfig> ParseCbamConfig(std::string_view toml, std::string_view file,
                                           const model::Site& site);

// ---------------------------------------------------------------- result

struct CbamPrecursor {
  std::string id;        // product id or bought-in name
  std::string origin;    // "own" | "supplier" | "default"
  std::string category;  // aggregated goods category of the precursor ("" if unknown)
  double mass_t = 0;
  std::string mass_basis;  // "t_per_t 0.95 × AL", "amount_t", "meter <id>"
  double see_direct = 0, see_indirect = 0;
  double embedded_direct = 0, embedded_indirect = 0;  // mass × SEE
  std::vector<Factor> factors;                        // default values or supplier values
  bool estimated = false;      // default values, or supplier values marked estimated
  double estimated_tco2e = 0;  // the part of embedded_direct + embedded_indirect estimated
  // Default values of the definitive period: the CN level used and the year's mark-up.
  std::string cn_used, cn_level;  // e.g. "7208", "4-digit heading"
  std::optional<double> markup;   // fraction (0.1 = +10 %)
  std::string markup_basis;       // how the marked-up value was found
};

struct CbamWasteGas {
  std::string direction, name;
  double energy_tj = 0, tco2e = 0;  // tco2e: + imported, − exported
  std::string formula;
};

// CBAM certificates of a good (definitive period), Regulation (EU) 2023/956 Art. 6(2)(c), 9,
// 22 and 31: certificates = EmbEm − FAA − CP_paid,EUR / P_cert.
struct CbamCertificates {
  double embedded_tco2e = 0;  // embedded emissions counted (direct, + indirect where counted)
  double free_allocation_tco2e = 0;
  double price_paid_cny = 0, price_paid_eur = 0;
  double reduction_certificates = 0;  // price_paid_eur / P_cert
  double certificates = 0;            // never below 0
  std::optional<double> price_due_eur;  // certificates × P_cert (needs P_cert)
  std::vector<Factor> inputs;         // P_cert, CNY/EUR, FAA per t, price paid (with sources)
};

struct CbamGood {
  std::string product, cn_code, sector, category;  // category/sector from Annex II ("" if none)
  std::string meter;
  double activity_t = 0;           // AL
  std::vector<std::string> areas;  // empty = whole site
  // Direct.
  std::vector<Line> direct_lines;  // site ledger lines attributed to the good
  double internal_tco2e = 0;       // attributed lines of internal sub-meters (not in the ledger)
  std::vector<std::string> internal_meters;
  double attributed_direct = 0;
  // Indirect.
  double electricity_mwh = 0;
  Factor ef_electricity;
  double attributed_indirect = 0;
  std::vector<CbamPrecursor> precursors;
  double precursors_direct = 0, precursors_indirect = 0;
  double embedded_direct = 0, embedded_indirect = 0;          // attributed + precursors
  std::optional<double> see_direct, see_indirect, see_total;  // absent when AL is 0
  std::vector<Factor> default_values;  // CBAM default values of the good's CN code (comparison)
  // Method items (present when given or in the definitive period).
  std::optional<double> electricity_mwh_per_t;
  bool indirect_counted = true;  // definitive: indirect emissions count for this sector
  double n2o_t = 0, n2o_tco2e = 0;
  std::optional<Factor> gwp_n2o;
  std::vector<CbamWasteGas> waste_gas;
  double waste_gas_tco2e = 0;
  std::vector<Factor> ref_waste_gas;  // EF_NG and Corr_eta
  std::vector<Factor> qualifying;
  double estimated_tco2e = 0;
  std::optional<double> estimated_share;  // of embedded direct + indirect
  std::optional<CbamCertificates> certificates;
};

struct CbamReport {
  std::string site, site_name, installation, country, timezone;
  Period period;
  std::string data_source, reference_version, gwp;
  bool definitive = false;      // the period's rules: transitional (2023-10..2025) or definitive
  int year = 0;                 // calendar year of the period (mark-ups)
  std::vector<CbamGood> goods;  // in [[cbam.good]] order
  std::vector<std::string> warnings;
};

// REQUIRES: `inv` computed for `site` (ComputeInventory). `data` (nullable) reads precursor
// meters; a precursor with `meter` and no data source is an error.
absl::StatusOr<CbamReport> ComputeCbam(const CbamConfig& config, const model::Site& site,
                                       const Inventory& inv, DataSource* data,
                                       const Reference& ref);

std::string CbamToJson(const CbamReport& r);
std::string CbamToHtml(const CbamReport& r);
std::string CbamToMarkdown(const CbamReport& r);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_CBAM_H_
