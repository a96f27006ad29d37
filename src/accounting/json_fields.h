// JSON pieces shared by the accounting outputs (inventory and CBAM): numbers rounded as every
// output rounds them, times in the site's zone, factors with their provenance.
#ifndef DC_ACCOUNTING_JSON_FIELDS_H_
#define DC_ACCOUNTING_JSON_FIELDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "accounting/inventory.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {

using Json = nlohmann::ordered_json;

// RoundOutput(v) as a JSON number; an absent value is null.
Json NumberJson(double v);
Json NumberJson(const std::optional<double>& v);
// RFC 3339 in zone `tz` (UTC if the zone cannot be loaded).
std::string ZonedTime(int64_t t, const std::string& tz);
// {"name","value","unit","source"[,"key","confidence","citation"]}.
Json FactorJson(const Factor& f);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_JSON_FIELDS_H_
