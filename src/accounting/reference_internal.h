// Internal to the reference library: the CSV helpers its loaders share (reference.cc,
// reference_grid.cc, reference_audit.cc). Not a public header.
#ifndef DC_ACCOUNTING_REFERENCE_INTERNAL_H_
#define DC_ACCOUNTING_REFERENCE_INTERNAL_H_

#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "accounting/csv.h"
#include "accounting/reference.h"

namespace dc::accounting::internal {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Trim(std::string_view s);
// The whole field as a number, or NaN.
double ParseNumber(std::string_view s);
std::string Path(const std::string& dir, std::string_view file);
// Reads `file` of `dir`; the error names the file and the first missing `required` column.
absl::StatusOr<CsvTable> Open(const std::string& dir, std::string_view file,
                              std::initializer_list<std::string_view> required);
// The value of `value_col` in row `r`, with the row's source, confidence, note and line.
RefValue Make(std::string key, const CsvTable& t, const CsvRow& r, std::string_view value_col,
              std::string unit);
// tce per base unit for a coefficient "kgce/<unit>" where the carrier's base unit is `base`.
double TcePerBase(double coef, std::string_view coef_unit, std::string_view base);

}  // namespace dc::accounting::internal

#endif  // DC_ACCOUNTING_REFERENCE_INTERNAL_H_
