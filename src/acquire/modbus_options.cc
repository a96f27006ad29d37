// ParseModbusOptions: the [[modbus]] tables of dualcarbon.toml.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "acquire/modbus_source.h"
#include "acquire/table_reader.h"
#include "common/strings.h"
#include "common/text.h"

namespace dc::acquire {
namespace {

const std::set<std::string, std::less<>>& KnownKeys() {
  static const auto* keys = new std::set<std::string, std::less<>>{
      "name",          "meter",    "site",         "template",   "templates_dir", "host",
      "port",          "serial",   "baud",         "parity",     "data_bits",     "stop_bits",
      "unit_id",       "interval", "timeout",      "retries",    "backoff",       "backoff_max",
      "max_registers", "max_gap",  "address_base", "byte_order", "table",         "register"};
  return *keys;
}

using Reader = TableReader;

absl::Status ParseTransport(const Reader& r, ModbusOptions* o) {
  if (auto s = r.String("host", &o->host); !s.ok()) return s;
  if (auto s = r.String("serial", &o->serial); !s.ok()) return s;
  if (o->host.empty() == o->serial.empty()) {
    return r.Bad("host/serial", "— set exactly one: host (Modbus TCP) or serial (Modbus RTU)");
  }
  if (auto s = r.Int("port", 1, 65535, &o->port); !s.ok()) return s;
  if (auto s = r.Int("baud", 50, 4'000'000, &o->baud); !s.ok()) return s;
  if (auto s = r.Int("data_bits", 5, 8, &o->data_bits); !s.ok()) return s;
  if (auto s = r.Int("stop_bits", 1, 2, &o->stop_bits); !s.ok()) return s;
  if (auto s = r.Parity(&o->parity); !s.ok()) return s;
  return r.Int("unit_id", 0, 255, &o->unit_id);
}

absl::Status ParseTiming(const Reader& r, ModbusOptions* o) {
  using absl::Milliseconds, absl::Hours, absl::Seconds;
  if (auto s = r.Duration("interval", Milliseconds(10), Hours(24), &o->interval_ns); !s.ok()) {
    return s;
  }
  if (auto s = r.Duration("timeout", Milliseconds(1), Seconds(60), &o->timeout_ns); !s.ok()) {
    return s;
  }
  if (auto s = r.Backoff(&o->retries, &o->backoff_initial_ns, &o->backoff_max_ns); !s.ok()) {
    return s;
  }
  return r.Int("max_gap", 0, 124, &o->max_gap);
}

absl::Status ParseRegisterMap(const Reader& r, ModbusOptions* o) {
  std::string templates_dir;
  if (auto s = r.String("templates_dir", &templates_dir); !s.ok()) return s;
  if (auto s = r.String("template", &o->template_name); !s.ok()) return s;
  std::vector<RegisterSpec> base;
  int template_max = 0;
  if (!o->template_name.empty()) {
    auto tpl = LoadTemplate(templates_dir.empty() ? DefaultTemplateDir() : templates_dir,
                            o->template_name);
    if (!tpl.ok())
      return absl::Status(tpl.status().code(), absl::StrCat(r.where, ": ", tpl.status().message()));
    base = std::move(tpl->registers);
    template_max = tpl->max_registers;
  }
  if (template_max > 0) o->max_registers = template_max;
  if (auto s = r.Int("max_registers", 1, 125, &o->max_registers); !s.ok()) return s;
  std::vector<RegisterSpec> overrides;
  if (const toml::node* n = r.t.get("register")) {
    const toml::array* regs = n->as_array();
    if (regs == nullptr)
      return r.Bad("register", "must be an array of tables ([[modbus.register]])");
    auto defaults = ParseRegisterDefaults(r.t, r.where);
    if (!defaults.ok()) return defaults.status();
    auto parsed = ParseRegisters(*regs, *defaults, r.where);
    if (!parsed.ok()) return parsed.status();
    overrides = std::move(*parsed);
  }
  o->registers = MergeRegisters(std::move(base), overrides);
  if (o->registers.empty()) {
    return r.Bad("template/register", "— the device has no registers to read");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ModbusOptions> ParseModbusOptions(const toml::table& device) {
  ModbusOptions o;
  std::string label = device["name"].value_or(device["meter"].value_or(std::string("?")));
  Reader r{device, absl::StrCat("[[modbus]] \"", label, "\"")};
  for (const auto& [k, v] : device) {
    if (!KnownKeys().contains(k.str())) {
      return r.Bad(k.str(), "is not a [[modbus]] key (see dualcarbon.example.toml)");
    }
  }
  if (auto s = r.String("meter", &o.meter); !s.ok()) return s;
  if (auto s = r.String("site", &o.site); !s.ok()) return s;
  if (o.meter.empty()) return r.Bad("meter", "is required (the series tag id=<meter>)");
  if (o.site.empty()) return r.Bad("site", "is required (every series belongs to a site)");
  o.name = absl::StrCat("modbus:", o.meter);
  if (auto s = r.String("name", &o.name); !s.ok()) return s;
  if (auto s = ParseTransport(r, &o); !s.ok()) return s;
  if (auto s = ParseTiming(r, &o); !s.ok()) return s;
  if (auto s = ParseRegisterMap(r, &o); !s.ok()) return s;
  return o;
}

absl::StatusOr<std::vector<ModbusOptions>> ParseModbusDevices(const toml::table& root) {
  std::vector<ModbusOptions> out;
  const toml::node* n = root.get("modbus");
  if (n == nullptr) return out;
  const toml::array* devices = n->as_array();
  if (devices == nullptr) return absl::InvalidArgumentError("modbus must be [[modbus]] tables");
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < devices->size(); ++i) {
    const toml::table* t = (*devices)[i].as_table();
    if (t == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("[[modbus]] ", i + 1, ": not a table"));
    }
    auto o = ParseModbusOptions(*t);
    if (!o.ok()) return o.status();
    if (!names.insert(o->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("[[modbus]] \"", o->name, "\": name is used by another device"));
    }
    out.push_back(std::move(*o));
  }
  return out;
}

}  // namespace dc::acquire
