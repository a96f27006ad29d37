// Modbus register maps: decoding register words into values (types, byte and word order, scale
// and offset) and planning reads (adjacent registers merged, bounded per read). Pure functions;
// the poller (libmodbus) is built on these. Formats: docs/protocols/modbus.md.
#ifndef DC_INGEST_MODBUS_DECODE_H_
#define DC_INGEST_MODBUS_DECODE_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dc::modbus {

enum class Table { kHolding, kInput, kCoil, kDiscrete };
enum class ValueType {
  kBool,
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kFloat32,
  kFloat64
};
// Order of the value's bytes A (most significant) .. on the wire, register by register:
// ABCD big-endian (the Modbus default), CDAB word-swapped, BADC byte-swapped, DCBA reversed.
// For 64-bit values the same rule extends to 4 registers (ABCD = words high to low).
enum class ByteOrder { kABCD, kCDAB, kBADC, kDCBA };

// "holding" | "input" | "coil" | "discrete"; "bool" "int16" "uint16" "int32" "uint32" "int64"
// "uint64" "float32" "float64"; "ABCD" "CDAB" "BADC" "DCBA". Errors name the text and the choices.
absl::StatusOr<Table> ParseTable(std::string_view text);
absl::StatusOr<ValueType> ParseValueType(std::string_view text);
absl::StatusOr<ByteOrder> ParseByteOrder(std::string_view text);

// Registers (16-bit words) a value of `type` occupies: 1, 2 or 4 (bool: 1 bit of a coil/input).
int RegisterCount(ValueType type);

// The value of `type` in `regs` (exactly RegisterCount(type) words, as received: each word
// big-endian per Modbus, already in host order). A float that is NaN or infinite is an error
// (meters signal "no value" that way), never a stored number.
absl::StatusOr<double> Decode(std::span<const uint16_t> regs, ValueType type, ByteOrder order);
// The words of `value` as `type` in `order` (for simulators and tests). REQUIRES: value is
// finite and within the range of `type`.
std::vector<uint16_t> Encode(double value, ValueType type, ByteOrder order);

// One value of a register map to read.
struct Field {
  Table table = Table::kHolding;
  int address = 0;  // 0-based protocol address
  ValueType type = ValueType::kUInt16;
};

// One read request: `count` registers (or bits) of `table` from `start`, covering `fields`
// (indexes into the input).
struct Read {
  Table table = Table::kHolding;
  int start = 0;
  int count = 0;
  std::vector<size_t> fields;
};

// Groups fields into as few reads as possible: fields of one table whose registers are adjacent
// (or separated by at most `max_gap` unused registers) share a read, no read is longer than
// `max_count` registers (many meters refuse 125; 2000 bits for coils), and a field never spans
// two reads. Errors: a field longer than max_count, an address outside 0..65535.
absl::StatusOr<std::vector<Read>> PlanReads(std::span<const Field> fields, int max_count,
                                            int max_gap = 0);

}  // namespace dc::modbus

#endif  // DC_INGEST_MODBUS_DECODE_H_
