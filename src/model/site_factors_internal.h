// Internals of the site loader for [[factor]] and [[instrument]] (site_factors.cc), called by
// ParseSite, SiteToToml and SiteToJson. Not part of the model's public header.
#ifndef DC_MODEL_SITE_FACTORS_INTERNAL_H_
#define DC_MODEL_SITE_FACTORS_INTERNAL_H_

#include "absl/status/status.h"
#include "model/site.h"
#include "nlohmann/json_fwd.hpp"
#include "toml++/toml.h"

namespace dc::model::internal {

// Parses root's [[factor]] and [[instrument]] arrays into site->factors / site->instruments.
// REQUIRES: the meters are parsed (references to meters are checked here). Errors name
// file:line:column and the field; unknown keys become warnings.
absl::Status ParseFactorTables(Site* site, const toml::table& root);
// Adds the two arrays to `root` (nothing when empty).
void FactorTablesToToml(const Site& site, toml::table* root);
// Adds "factors" and "instruments" to the site's JSON form.
void FactorTablesToJson(const Site& site, nlohmann::json* j);

}  // namespace dc::model::internal

#endif  // DC_MODEL_SITE_FACTORS_INTERNAL_H_
