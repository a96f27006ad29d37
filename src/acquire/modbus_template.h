// Modbus device templates: a meter's register map as a data file (templates/modbus/*.toml),
// with per-device overrides. Format and shipped templates: docs/protocols/modbus.md.
#ifndef DC_ACQUIRE_MODBUS_TEMPLATE_H_
#define DC_ACQUIRE_MODBUS_TEMPLATE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ingest/modbus_decode.h"
#include "toml++/toml.h"

namespace dc::acquire {

// One value of a register map: read, decoded, then stored as `value * scale + offset` under
// the series field `field`.
struct RegisterSpec {
  std::string field;  // series field name ("voltage_l1")
  modbus::Field reg;  // table, 0-based protocol address, type
  modbus::ByteOrder order = modbus::ByteOrder::kABCD;
  double scale = 1;
  double offset = 0;
};

struct DeviceTemplate {
  std::string name;         // file name without .toml ("eastron-sdm630")
  std::string description;  // "Eastron SDM630 three-phase meter"
  int max_registers = 0;    // largest read the meter accepts; 0 = not stated
  std::vector<RegisterSpec> registers;
};

// How a register list writes its addresses.
//   0: protocol addresses (0..65535);  1: register numbers from 1 (address = n - 1);
//   "modicon": 40001-style (4xxxx holding, 3xxxx input, 0xxxx coil, 1xxxx discrete; the table
//   follows from the number and address = n % 10000 - 1; 5-digit numbers only).
enum class AddressBase { kZero, kOne, kModicon };

struct RegisterDefaults {
  AddressBase base = AddressBase::kZero;
  modbus::ByteOrder order = modbus::ByteOrder::kABCD;
  modbus::Table table = modbus::Table::kHolding;
};

// Reads `address_base`, `byte_order` and `table` defaults from `t` (all optional), starting
// from `defaults`. Errors name `origin` and the key.
absl::StatusOr<RegisterDefaults> ParseRegisterDefaults(const toml::table& t,
                                                       std::string_view origin,
                                                       RegisterDefaults defaults = {});

// Parses an array of register tables ({field, table, address, type, byte_order, scale,
// offset}). Errors name `origin`, the entry's index and field, and the key at fault: a missing
// field or address, an unknown table/type/order, an address out of range, a bool outside
// coil/discrete tables or a word type in them, a field used twice.
absl::StatusOr<std::vector<RegisterSpec>> ParseRegisters(const toml::array& registers,
                                                         const RegisterDefaults& defaults,
                                                         std::string_view origin);

// Parses a template file's table (name is given by the caller: the file name).
absl::StatusOr<DeviceTemplate> ParseTemplate(const toml::table& t, std::string name,
                                             std::string_view origin);

// Loads `dir`/`name`.toml. `name` is a file name: letters, digits, '-', '_' and '.' only.
absl::StatusOr<DeviceTemplate> LoadTemplate(const std::string& dir, std::string_view name);

// Names of the templates in `dir` (sorted).
absl::StatusOr<std::vector<std::string>> ListTemplates(const std::string& dir);

// Where templates are found, in order: $DC_MODBUS_TEMPLATES; templates/modbus beside or above
// the binary (build trees, ../share/dualcarbon/templates/modbus when installed); the source
// tree ($DC_SOURCE_DIR); else "templates/modbus".
std::string DefaultTemplateDir();

// `base` with `overrides` applied: an override with a field of the template replaces it, a new
// field is added. Result in template order, new fields last.
std::vector<RegisterSpec> MergeRegisters(std::vector<RegisterSpec> base,
                                         const std::vector<RegisterSpec>& overrides);

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_MODBUS_TEMPLATE_H_
