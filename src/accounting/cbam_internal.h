// Helpers shared by the CBAM files (cbam_config.cc, cbam.cc, cbam_output.cc); not part of the
// accounting layer's interface.
#ifndef DC_ACCOUNTING_CBAM_INTERNAL_H_
#define DC_ACCOUNTING_CBAM_INTERNAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accounting/cbam.h"
#include "model/site.h"

namespace dc::accounting {

// "file:line:column: " for error messages.
std::string CbamWhere(std::string_view file, model::Pos p);

// The goods of `c` in computation order (own precursors first); error on a precursor cycle.
absl::StatusOr<std::vector<size_t>> CbamOrder(const CbamConfig& c);

// A CN code without spaces or punctuation: "2523 10 00" → "25231000".
std::string CbamCompact(std::string_view code);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_CBAM_INTERNAL_H_
