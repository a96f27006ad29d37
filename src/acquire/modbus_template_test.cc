#include "acquire/modbus_template.h"

#include <gtest/gtest.h>

#include <string>

#include "acquire/modbus_source.h"

namespace dc::acquire {
namespace {

using modbus::ByteOrder;
using modbus::Table;
using modbus::ValueType;

class NullSink : public Sink {
 public:
  absl::Status Write(const PointBatch&) override { return absl::OkStatus(); }
};

toml::table Parse(std::string_view text) { return toml::parse(text); }

absl::StatusOr<DeviceTemplate> ParseText(std::string_view text) {
  return ParseTemplate(Parse(text), "t", "t.toml");
}

const std::string kDir = std::string(DC_SOURCE_DIR) + "/templates/modbus";

TEST(ModbusTemplate, ModiconNumbersPickTheTableAndAddress) {
  auto t = ParseText(R"(address_base = "modicon"
    [[register]]
    field = "a"
    address = 30001
    type = "float32"
    [[register]]
    field = "b"
    address = 40010
    [[register]]
    field = "c"
    address = 10003
    type = "bool"
    [[register]]
    field = "d"
    address = 1
    type = "bool")");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->registers.size(), 4u);
  EXPECT_EQ(t->registers[0].reg.table, Table::kInput);
  EXPECT_EQ(t->registers[0].reg.address, 0);
  EXPECT_EQ(t->registers[1].reg.table, Table::kHolding);
  EXPECT_EQ(t->registers[1].reg.address, 9);
  EXPECT_EQ(t->registers[1].reg.type, ValueType::kUInt16);
  EXPECT_EQ(t->registers[2].reg.table, Table::kDiscrete);
  EXPECT_EQ(t->registers[2].reg.address, 2);
  EXPECT_EQ(t->registers[3].reg.table, Table::kCoil);
  EXPECT_EQ(t->registers[3].reg.address, 0);
}

TEST(ModbusTemplate, OneBasedAndDefaults) {
  auto t = ParseText(R"(address_base = 1
    table = "input"
    byte_order = "CDAB"
    max_registers = 32
    [[register]]
    field = "e"
    address = 3000
    type = "uint32"
    scale = 0.1
    offset = -5
    [[register]]
    field = "f"
    address = 7
    table = "holding"
    byte_order = "DCBA"
    type = "int64")");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->max_registers, 32);
  const RegisterSpec& e = t->registers[0];
  EXPECT_EQ(e.reg.table, Table::kInput);
  EXPECT_EQ(e.reg.address, 2999);
  EXPECT_EQ(e.order, ByteOrder::kCDAB);
  EXPECT_DOUBLE_EQ(e.scale, 0.1);
  EXPECT_DOUBLE_EQ(e.offset, -5);
  EXPECT_EQ(t->registers[1].reg.table, Table::kHolding);
  EXPECT_EQ(t->registers[1].order, ByteOrder::kDCBA);
  EXPECT_EQ(t->registers[1].reg.address, 6);
}

TEST(ModbusTemplate, ErrorsNameTheRegisterAndWhy) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"[[register]]\nfield='a'\naddress=1\ntype='int128'", "register 1 (\"a\")"},
      {"[[register]]\nfield='a'\naddress=70000", "outside 0..65535"},
      {"[[register]]\nfield='a'\naddress=65535\ntype='float32'", "past address 65535"},
      {"address_base=1\n[[register]]\nfield='a'\naddress=0", "outside 1..65536"},
      {"address_base='modicon'\n[[register]]\nfield='a'\naddress=20001", "40001-style"},
      {"address_base='modicon'\n[[register]]\nfield='a'\naddress=40000", "40001-style"},
      {"[[register]]\nfield='a'\naddress=1\ntable='coil'\ntype='uint16'", "type must be \"bool\""},
      {"[[register]]\nfield='a'\naddress=1\n[[register]]\nfield='a'\naddress=2", "used twice"},
      {"[[register]]\naddress=1", "field (a name) is missing"},
      {"[[register]]\nfield='a'", "address (an integer) is missing"},
      {"[[register]]\nfield='a'\naddress=1\nscale='x'", "scale must be a finite number"},
      {"address_base=2\n[[register]]\nfield='a'\naddress=1", "address_base must be"},
      {"max_registers=126\n[[register]]\nfield='a'\naddress=1", "max_registers"},
      {"description='x'", "no [[register]]"},
      {"[[register]]\nfield=\"a\\u0001\"\naddress=1", "control"},
  };
  for (const Case& c : cases) {
    auto t = ParseText(c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_NE(t.status().message().find(c.expect), std::string::npos)
        << c.text << " -> " << t.status();
    EXPECT_NE(t.status().message().find("t.toml"), std::string::npos) << t.status();
  }
}

TEST(ModbusTemplate, ShippedTemplatesLoadAndPlanWithinTheirLimit) {
  auto names = ListTemplates(kDir);
  ASSERT_TRUE(names.ok()) << names.status();
  for (const char* want : {"acrel-adl400", "chint-dtsu666", "eastron-sdm630", "schneider-pm5xxx"}) {
    EXPECT_NE(std::find(names->begin(), names->end(), want), names->end()) << want;
  }
  for (const std::string& n : *names) {
    auto t = LoadTemplate(kDir, n);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_GE(t->registers.size(), 10u) << n;
    EXPECT_FALSE(t->description.empty()) << n;
    ModbusOptions o;
    o.name = n;
    o.meter = "m";
    o.site = "s";
    o.host = "127.0.0.1";
    o.registers = t->registers;
    o.max_registers = t->max_registers;
    NullSink sink;
    // MakeModbusSource plans the reads: it fails if a value would not fit max_registers.
    auto s = MakeModbusSource(o, sink);
    EXPECT_TRUE(s.ok()) << n << ": " << s.status();
  }
}

TEST(ModbusTemplate, EastronMapMatchesTheManual) {
  auto t = LoadTemplate(kDir, "eastron-sdm630");
  ASSERT_TRUE(t.ok()) << t.status();
  const RegisterSpec* imp = nullptr;
  for (const auto& r : t->registers) {
    if (r.field == "import_kwh") imp = &r;
  }
  ASSERT_NE(imp, nullptr);
  EXPECT_EQ(imp->reg.table, Table::kInput);
  EXPECT_EQ(imp->reg.address, 0x48);  // 30073 in the manual
  EXPECT_EQ(imp->reg.type, ValueType::kFloat32);
}

TEST(ModbusTemplate, UnknownOrBadNamesAreRefused) {
  auto t = LoadTemplate(kDir, "no-such-meter");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("eastron-sdm630"), std::string::npos) << t.status();
  EXPECT_FALSE(LoadTemplate(kDir, "../etc/passwd").ok());
}

TEST(ModbusTemplate, MergeReplacesByFieldAndAppends) {
  RegisterSpec a{"a", {Table::kHolding, 0, ValueType::kUInt16}};
  RegisterSpec b{"b", {Table::kHolding, 1, ValueType::kUInt16}};
  RegisterSpec b2{"b", {Table::kInput, 5, ValueType::kInt16}};
  RegisterSpec c{"c", {Table::kHolding, 9, ValueType::kUInt16}};
  auto m = MergeRegisters({a, b}, {b2, c});
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[1].reg.table, Table::kInput);
  EXPECT_EQ(m[1].reg.address, 5);
  EXPECT_EQ(m[2].field, "c");
}

}  // namespace
}  // namespace dc::acquire
