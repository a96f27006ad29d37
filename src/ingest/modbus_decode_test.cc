#include "ingest/modbus_decode.h"

#include <vector>

#include "gtest/gtest.h"

namespace dc::modbus {
namespace {

using Regs = std::vector<uint16_t>;

TEST(ModbusDecode, Float32InEveryByteOrder) {
  // 123.456f = 0x42F6E979: bytes A=42 B=F6 C=E9 D=79.
  const struct {
    ByteOrder order;
    Regs regs;
  } cases[] = {{ByteOrder::kABCD, {0x42F6, 0xE979}},
               {ByteOrder::kCDAB, {0xE979, 0x42F6}},
               {ByteOrder::kBADC, {0xF642, 0x79E9}},
               {ByteOrder::kDCBA, {0x79E9, 0xF642}}};
  for (const auto& c : cases) {
    auto v = Decode(c.regs, ValueType::kFloat32, c.order);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_FLOAT_EQ(static_cast<float>(*v), 123.456f);
    EXPECT_EQ(Encode(123.456, ValueType::kFloat32, c.order), c.regs);
  }
}

TEST(ModbusDecode, IntegersSignsAndWidths) {
  EXPECT_EQ(*Decode(Regs{0xFFFF}, ValueType::kInt16, ByteOrder::kABCD), -1);
  EXPECT_EQ(*Decode(Regs{0xFFFF}, ValueType::kUInt16, ByteOrder::kABCD), 65535);
  EXPECT_EQ(*Decode(Regs{0x5678, 0x1234}, ValueType::kUInt32, ByteOrder::kCDAB), 0x12345678);
  EXPECT_EQ(*Decode(Regs{0xFFFF, 0xFFFE}, ValueType::kInt32, ByteOrder::kABCD), -2);
  // 64-bit: ABCD = words high to low; CDAB = words low to high (as many meters send kWh).
  EXPECT_EQ(*Decode(Regs{0x0000, 0x0001, 0x0000, 0x0002}, ValueType::kUInt64, ByteOrder::kABCD),
            4294967298.0);
  EXPECT_EQ(*Decode(Regs{0x0002, 0x0000, 0x0001, 0x0000}, ValueType::kUInt64, ByteOrder::kCDAB),
            4294967298.0);
  EXPECT_EQ(*Decode(Encode(-1234567890123.0, ValueType::kInt64, ByteOrder::kDCBA),
                    ValueType::kInt64, ByteOrder::kDCBA),
            -1234567890123.0);
  EXPECT_EQ(*Decode(Encode(-2.5e300, ValueType::kFloat64, ByteOrder::kBADC), ValueType::kFloat64,
                    ByteOrder::kBADC),
            -2.5e300);
}

TEST(ModbusDecode, NonFiniteFloatsAndWrongLengthsAreErrors) {
  EXPECT_FALSE(Decode(Regs{0x7FC0, 0x0000}, ValueType::kFloat32, ByteOrder::kABCD).ok());  // NaN
  EXPECT_FALSE(Decode(Regs{0x7F80, 0x0000}, ValueType::kFloat32, ByteOrder::kABCD).ok());  // inf
  EXPECT_FALSE(Decode(Regs{0x0001}, ValueType::kUInt32, ByteOrder::kABCD).ok());
  EXPECT_FALSE(ParseValueType("float").ok());
  EXPECT_NE(ParseByteOrder("ABDC").status().message().find("ABCD, CDAB, BADC, DCBA"),
            std::string::npos);
  EXPECT_EQ(*ParseTable("Holding"), Table::kHolding);
}

TEST(ModbusPlan, MergesAdjacentRegistersWithinTheLimit) {
  // A meter map: voltage (float32 @0), current (float32 @6), power (float32 @12), energy
  // (uint32 @100), and one input register.
  std::vector<Field> f = {{Table::kHolding, 12, ValueType::kFloat32},
                          {Table::kHolding, 0, ValueType::kFloat32},
                          {Table::kHolding, 6, ValueType::kFloat32},
                          {Table::kHolding, 100, ValueType::kUInt32},
                          {Table::kInput, 0, ValueType::kUInt16}};
  auto tight = PlanReads(f, 125, 0);
  ASSERT_TRUE(tight.ok());
  EXPECT_EQ(tight->size(), 5u);  // no gaps allowed: every field its own read
  auto gaps = PlanReads(f, 125, 10);
  ASSERT_TRUE(gaps.ok());
  ASSERT_EQ(gaps->size(), 3u);
  EXPECT_EQ((*gaps)[0].start, 0);
  EXPECT_EQ((*gaps)[0].count, 14);
  EXPECT_EQ((*gaps)[0].fields, (std::vector<size_t>{1, 2, 0}));
  EXPECT_EQ((*gaps)[1].start, 100);
  EXPECT_EQ((*gaps)[2].table, Table::kInput);
  auto small = PlanReads(f, 8, 10);  // a meter that refuses long reads
  ASSERT_TRUE(small.ok());
  for (const Read& r : *small) EXPECT_LE(r.count, 8);
  EXPECT_EQ(small->size(), 4u);
  EXPECT_FALSE(
      PlanReads(std::vector<Field>{{Table::kHolding, 65535, ValueType::kUInt32}}, 125).ok());
  EXPECT_FALSE(PlanReads(std::vector<Field>{{Table::kHolding, 0, ValueType::kUInt64}}, 3).ok());
}

}  // namespace
}  // namespace dc::modbus
