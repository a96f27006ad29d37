// The keys of the site file's tables, one table per section ([site], [[meter]], [[meter.lab]],
// [[virtual_meter]], [[product]], process items): each entry says how its key is read
// (Reader::Fields, site_reader.h) and what it writes to the TOML (SiteToToml) and to the JSON
// form (SiteToJson), so parsing and both outputs cannot drift apart and a new key is one entry.
// The checks that tie keys together (an integrated meter must be a gauge, ...) stay in the
// section's parser (site.cc). Process methods' own keys come from ProcessSchemas().
#ifndef DC_MODEL_SITE_FIELDS_H_
#define DC_MODEL_SITE_FIELDS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "model/site.h"

namespace dc::model::internal {

class Reader;

// What a field writes: nothing (the key is left out), a text, a number, an integer or a list.
using FieldValue =
    std::variant<std::monostate, std::string, double, int64_t, std::vector<std::string>>;

template <typename T>
struct Field {
  std::string_view key;
  // Reads the key into *out (an absent optional key leaves the default). Empty: the section's
  // parser reads it (ids, formulas), the table only writes it.
  std::function<absl::Status(Reader&, T*)> read;
  std::function<FieldValue(const T&)> toml;
  std::function<FieldValue(const T&)> json;
};

const std::vector<Field<Site>>& SiteFields();
const std::vector<Field<Meter>>& MeterFields();
const std::vector<Field<LabValue>>& LabFields();
const std::vector<Field<VirtualMeter>>& VirtualMeterFields();
const std::vector<Field<Product>>& ProductFields();
const std::vector<Field<ProcessItem>>& ItemFields();

}  // namespace dc::model::internal

#endif  // DC_MODEL_SITE_FIELDS_H_
