// Helpers shared by the CBAM files (cbam_config.cc, cbam.cc, cbam_output.cc); not part of the
// accounting layer's interface.
#ifndef DC_ACCOUNTING_CBAM_INTERNAL_H_
#define DC_ACCOUNTING_CBAM_INTERNAL_H_

#include <string>
#include <string_view>
#include <vector>

#include <optional>
#include <set>

#include "absl/status/statusor.h"
#include "accounting/cbam.h"
#include "accounting/reference.h"
#include "model/site.h"

namespace dc::accounting {

// "file:line:column: " for error messages.
std::string CbamWhere(std::string_view file, model::Pos p);

// The goods of `c` in computation order (own precursors first); error on a precursor cycle.
absl::StatusOr<std::vector<size_t>> CbamOrder(const CbamConfig& c);

// A CN code without spaces or punctuation: "2523 10 00" → "25231000".
std::string CbamCompact(std::string_view code);

// The Annex II aggregated goods category of a CN code (longest matching entry of
// cbam_aggregated_goods.csv); all empty when none matches.
struct CbamCategoryInfo {
  std::string sector, category;
  std::string scope;  // emissions_in_scope_definitive, e.g. "CO2 direct+indirect"
};
CbamCategoryInfo CbamCategory(const Reference& ref, std::string_view cn);

Factor CbamRefFactor(const RefValue& v, std::string name);

// Which rules the report period falls under: transitional (2023-10-01 .. 2025-12-31) or
// definitive (from 2026-01-01), in the site's time zone. A period across the two, or a
// definitive period across two calendar years (the mark-ups differ by year), is an error.
struct CbamRules {
  bool definitive = false;
  int year = 0;  // calendar year of the period
};
absl::StatusOr<CbamRules> CbamPeriodRules(const Period& p, const std::string& tz,
                                          std::set<std::string>* warnings);

// A CBAM default value of `period` ("transitional" | "definitive") and `country` for `cn`,
// walking the CN hierarchy: the 8-digit code, its 6-digit subheading, its 4-digit heading.
// Definitive values of a year from 2026 carry that year's mark-up (2025/2621): the value the
// regulation's table prints for the year when the reference library has it, else the base
// value × (1 + mark-up of the sector). Errors list the keys tried.
struct CbamDefaultValue {
  double direct = 0, indirect = 0;
  bool has_indirect = false;
  std::string cn_used, cn_level;
  std::optional<double> markup;
  std::string markup_basis;
  std::vector<Factor> factors;  // base values and mark-up, with sources
};
absl::StatusOr<CbamDefaultValue> CbamLookupDefault(const Reference& ref, std::string_view period,
                                                   std::string_view country, std::string_view cn,
                                                   int year);

// Definitive-period and method items of a good, after its attributed emissions are known:
// waste-gas corrections (added to attributed_direct), qualifying parameters.
absl::Status CbamWasteGasCorrection(const CbamGoodSpec& spec, const Reference& ref,
                                    std::string_view where, CbamGood* g);
absl::Status CbamQualifying(const CbamGoodSpec& spec, const Reference& ref, std::string_view where,
                            CbamGood* g, std::set<std::string>* warnings);
// The estimated share and its 20 % flag, then (definitive) the certificates.
void CbamEstimated(const CbamRules& rules, CbamGood* g, std::set<std::string>* warnings);
absl::Status CbamCertificatesOf(const CbamConfig& c, const CbamGoodSpec& spec,
                                std::string_view where, CbamGood* g,
                                std::set<std::string>* warnings);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_CBAM_INTERNAL_H_
