// libFuzzer target: a Modbus device template (TOML text) parsed and planned. Any input gives a
// template or an error, never a crash; a parsed template's registers fit 0..65535.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "acquire/modbus_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  toml::table t;
  try {
    t = toml::parse(text, std::string_view("fuzz.toml"));
  } catch (const toml::parse_error&) {
    return 0;
  }
  auto tpl = dc::acquire::ParseTemplate(t, "fuzz", "fuzz.toml");
  if (!tpl.ok()) return 0;
  std::vector<dc::modbus::Field> fields;
  for (const auto& r : tpl->registers) {
    const int last = r.reg.address + dc::modbus::RegisterCount(r.reg.type) - 1;
    if (r.reg.address < 0 || last > 65535 || r.field.empty()) std::abort();
    fields.push_back(r.reg);
  }
  (void)dc::modbus::PlanReads(fields, tpl->max_registers > 0 ? tpl->max_registers : 64);
  return 0;
}
