// Internals of the site loader shared by its .cc files (not part of the model's public header).
#ifndef DC_MODEL_SITE_INTERNAL_H_
#define DC_MODEL_SITE_INTERNAL_H_

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "model/site.h"

namespace dc::model::internal {

// An optional number of a table, read, written to TOML and to JSON from one entry (site.cc,
// site_write.cc): adding a key to a section means adding one entry here.
template <typename T>
struct NumberField {
  enum class Rule { kAny, kPositive, kFraction };
  std::string_view key;
  Rule rule;
  std::optional<double> T::*member;
};
const std::vector<NumberField<Meter>>& MeterNumbers();
const std::vector<NumberField<LabValue>>& LabNumbers();
const std::vector<NumberField<ProcessItem>>& ItemNumbers();

// Unique ids, references to meters from virtual meters, products and processes, and cycles
// among virtual meters; errors name file:line:column and the field (site_references.cc).
absl::Status CheckReferences(const Site& site);

}  // namespace dc::model::internal

#endif  // DC_MODEL_SITE_INTERNAL_H_
