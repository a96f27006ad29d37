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
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "model/site.h"
#include "model/site_factors.h"
#include "nlohmann/json.hpp"
#include "toml++/toml.h"

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

// What most fields write: a text (nothing when empty and kIfSet), an optional number.
enum class Json { kAlways, kIfSet };
inline FieldValue TextValue(const std::string& s, Json when) {
  if (when == Json::kIfSet && s.empty()) return std::monostate{};
  return s;
}
inline FieldValue NumberValue(const std::optional<double>& v) {
  if (!v) return std::monostate{};
  return *v;
}

// A field's value into a TOML table (nothing for monostate).
inline void PutValue(toml::table* t, std::string_view key, const FieldValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) t->insert_or_assign(key, *s);
  if (const auto* d = std::get_if<double>(&v)) t->insert_or_assign(key, *d);
  if (const auto* i = std::get_if<int64_t>(&v)) t->insert_or_assign(key, *i);
  if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
    toml::array a;
    for (const auto& x : *l) a.push_back(x);
    t->insert_or_assign(key, std::move(a));
  }
}

inline void JsonValue(nlohmann::json* j, std::string_view key, const FieldValue& v) {
  std::visit(
      [&](const auto& x) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) {
          (*j)[std::string(key)] = x;
        }
      },
      v);
}

// A section's entry as a TOML table and as a JSON object.
template <typename T>
toml::table TomlOf(const std::vector<Field<T>>& fields, const T& v) {
  toml::table t;
  for (const auto& f : fields) PutValue(&t, f.key, f.toml(v));
  return t;
}

template <typename T>
nlohmann::json JsonOf(const std::vector<Field<T>>& fields, const T& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : fields) JsonValue(&j, f.key, f.json(v));
  return j;
}

const std::vector<Field<Site>>& SiteFields();
const std::vector<Field<Meter>>& MeterFields();
const std::vector<Field<LabValue>>& LabFields();
const std::vector<Field<VirtualMeter>>& VirtualMeterFields();
const std::vector<Field<Product>>& ProductFields();
// A process's own keys; its method's keys come from ProcessSchemas() (site.cc).
const std::vector<Field<Process>>& ProcessFields();
const std::vector<Field<ProcessItem>>& ItemFields();
const std::vector<Field<FactorOverride>>& FactorFields();  // site_factors.cc
const std::vector<Field<Instrument>>& InstrumentFields();  // site_factors.cc

}  // namespace dc::model::internal

#endif  // DC_MODEL_SITE_FIELDS_H_
