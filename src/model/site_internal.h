// Internals of the site loader shared by its .cc files (not part of the model's public header).
#ifndef DC_MODEL_SITE_INTERNAL_H_
#define DC_MODEL_SITE_INTERNAL_H_

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "model/site.h"

namespace dc::model::internal {

// Unique ids, references to meters from virtual meters, products and processes, and cycles
// among virtual meters; errors name file:line:column and the field (site_references.cc).
absl::Status CheckReferences(const Site& site);

}  // namespace dc::model::internal

#endif  // DC_MODEL_SITE_INTERNAL_H_
