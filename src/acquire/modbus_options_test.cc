#include <gtest/gtest.h>

#include <string>

#include "acquire/modbus_source.h"

namespace dc::acquire {
namespace {

using modbus::Table;
using modbus::ValueType;

const std::string kDir = std::string(DC_SOURCE_DIR) + "/templates/modbus";

absl::StatusOr<ModbusOptions> ParseDevice(const std::string& text) {
  toml::table root = toml::parse("[[modbus]]\ntemplates_dir = \"" + kDir + "\"\n" + text);
  auto devices = ParseModbusDevices(root);
  if (!devices.ok()) return devices.status();
  EXPECT_EQ(devices->size(), 1u);
  return devices->at(0);
}

const RegisterSpec* Find(const ModbusOptions& o, std::string_view field) {
  for (const auto& r : o.registers) {
    if (r.field == field) return &r;
  }
  return nullptr;
}

TEST(ModbusOptions, TcpDeviceWithTemplateAndOverrides) {
  auto o = ParseDevice(R"(meter = "main-in"
site = "plant-a"
template = "eastron-sdm630"
host = "10.0.0.7"
port = 1502
unit_id = 3
interval = "500ms"
timeout = "250ms"
retries = 2
backoff = "2s"
backoff_max = "1m"
address_base = 1
[[modbus.register]]
field = "import_kwh"
table = "input"
address = 73
type = "float32"
scale = 1000
[[modbus.register]]
field = "alarm"
table = "coil"
address = 1
type = "bool"
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->name, "modbus:main-in");
  EXPECT_EQ(o->host, "10.0.0.7");
  EXPECT_EQ(o->port, 1502);
  EXPECT_EQ(o->unit_id, 3);
  EXPECT_EQ(o->interval_ns, 500'000'000);
  EXPECT_EQ(o->timeout_ns, 250'000'000);
  EXPECT_EQ(o->retries, 2);
  EXPECT_EQ(o->backoff_initial_ns, 2'000'000'000);
  EXPECT_EQ(o->backoff_max_ns, 60'000'000'000);
  EXPECT_EQ(o->max_registers, 80);  // from the template
  const RegisterSpec* imp = Find(*o, "import_kwh");
  ASSERT_NE(imp, nullptr);
  EXPECT_EQ(imp->reg.address, 72);  // 1-based 73 (the device's address_base)
  EXPECT_DOUBLE_EQ(imp->scale, 1000);
  const RegisterSpec* alarm = Find(*o, "alarm");
  ASSERT_NE(alarm, nullptr);
  EXPECT_EQ(alarm->reg.table, Table::kCoil);
  EXPECT_EQ(alarm->reg.address, 0);
  EXPECT_NE(Find(*o, "voltage_l1"), nullptr);  // the rest of the template stays
}

TEST(ModbusOptions, RtuDeviceWithOwnRegisters) {
  auto o = ParseDevice(R"(meter = "m2"
site = "s"
name = "boiler-meter"
serial = "/dev/ttyUSB0"
baud = 19200
parity = "even"
stop_bits = 2
max_registers = 32
[[modbus.register]]
field = "t"
address = 4
type = "int16"
scale = 0.1
)");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->name, "boiler-meter");
  EXPECT_EQ(o->serial, "/dev/ttyUSB0");
  EXPECT_EQ(o->baud, 19200);
  EXPECT_EQ(o->parity, 'E');
  EXPECT_EQ(o->stop_bits, 2);
  EXPECT_EQ(o->max_registers, 32);
  ASSERT_EQ(o->registers.size(), 1u);
  EXPECT_EQ(o->registers[0].reg.type, ValueType::kInt16);
}

TEST(ModbusOptions, ErrorsNameTheDeviceAndKey) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"site='s'\nhost='h'\ntemplate='eastron-sdm630'", "meter is required"},
      {"meter='m'\nhost='h'\ntemplate='eastron-sdm630'", "site is required"},
      {"meter='m'\nsite='s'\ntemplate='eastron-sdm630'", "set exactly one"},
      {"meter='m'\nsite='s'\nhost='h'\nserial='/dev/x'\ntemplate='eastron-sdm630'",
       "set exactly one"},
      {"meter='m'\nsite='s'\nhost='h'", "no registers"},
      {"meter='m'\nsite='s'\nhost='h'\ntemplate='nope'", "template \"nope\" not found"},
      {"meter='m'\nsite='s'\nhost='h'\ntemplate='eastron-sdm630'\ninterval='1'", "interval"},
      {"meter='m'\nsite='s'\nhost='h'\ntemplate='eastron-sdm630'\ninterval='1ms'", "interval"},
      {"meter='m'\nsite='s'\nhost='h'\ntemplate='eastron-sdm630'\nparity='X'", "parity"},
      {"meter='m'\nsite='s'\nhost='h'\ntemplate='eastron-sdm630'\nunit_id=300", "unit_id"},
      {"meter='m'\nsite='s'\nhost='h'\ntemplate='eastron-sdm630'\nbogus=1", "bogus is not"},
      {"meter='m'\nsite='s'\nhost='h'\ntemplate='eastron-sdm630'\nbackoff='5s'\nbackoff_max='1s'",
       "backoff_max"},
  };
  for (const Case& c : cases) {
    auto o = ParseDevice(c.text);
    ASSERT_FALSE(o.ok()) << c.text;
    EXPECT_NE(o.status().message().find(c.expect), std::string::npos)
        << c.text << " -> " << o.status();
    EXPECT_NE(o.status().message().find("[[modbus]]"), std::string::npos) << o.status();
  }
}

TEST(ModbusOptions, DuplicateNamesAreRefused) {
  toml::table root = toml::parse(
      "[[modbus]]\nmeter='m'\nsite='s'\nhost='a'\n[[modbus.register]]\nfield='x'\naddress=1\n"
      "[[modbus]]\nmeter='m'\nsite='t'\nhost='b'\n[[modbus.register]]\nfield='x'\naddress=1\n");
  auto d = ParseModbusDevices(root);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("used by another device"), std::string::npos);
  EXPECT_TRUE(ParseModbusDevices(toml::table{})->empty());
}

TEST(ModbusOptions, ValueLongerThanMaxRegistersIsRefusedByTheFactory) {
  class NullSink : public Sink {
   public:
    absl::Status Write(const PointBatch&) override { return absl::OkStatus(); }
  } sink;
  ModbusOptions o;
  o.name = "x";
  o.meter = "m";
  o.site = "s";
  o.host = "127.0.0.1";
  o.max_registers = 2;
  o.registers.push_back(RegisterSpec{"big", {Table::kHolding, 0, ValueType::kInt64}});
  auto s = MakeModbusSource(o, sink);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("modbus device \"x\""), std::string::npos) << s.status();
}

}  // namespace
}  // namespace dc::acquire
