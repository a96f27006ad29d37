#include "ingest/modbus_decode.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc::modbus {
namespace {

template <typename E, size_t N>
absl::StatusOr<E> Choose(std::string_view what, std::string_view text,
                         const std::pair<std::string_view, E> (&names)[N]) {
  std::string list;
  for (const auto& [name, e] : names) {
    if (absl::AsciiStrToLower(AV(text)) == absl::AsciiStrToLower(AV(name))) return e;
    absl::StrAppend(&list, list.empty() ? "" : ", ", AV(name));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(AV(what), " \"", AV(text), "\": expected one of ", list));
}

// The value's bytes, most significant first, from the registers as received.
uint64_t Gather(std::span<const uint16_t> regs, ByteOrder order) {
  const size_t n = regs.size();
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    bool word_swap = order == ByteOrder::kCDAB || order == ByteOrder::kDCBA;
    bool byte_swap = order == ByteOrder::kBADC || order == ByteOrder::kDCBA;
    uint16_t w = regs[word_swap ? n - 1 - i : i];
    if (byte_swap) w = static_cast<uint16_t>((w >> 8) | (w << 8));
    v = (v << 16) | w;
  }
  return v;
}

std::vector<uint16_t> Scatter(uint64_t v, size_t n, ByteOrder order) {
  std::vector<uint16_t> regs(n);
  for (size_t i = 0; i < n; ++i) {
    bool word_swap = order == ByteOrder::kCDAB || order == ByteOrder::kDCBA;
    bool byte_swap = order == ByteOrder::kBADC || order == ByteOrder::kDCBA;
    auto w = static_cast<uint16_t>(v >> (16 * (n - 1 - i)));
    if (byte_swap) w = static_cast<uint16_t>((w >> 8) | (w << 8));
    regs[word_swap ? n - 1 - i : i] = w;
  }
  return regs;
}

}  // namespace

absl::StatusOr<Table> ParseTable(std::string_view text) {
  static constexpr std::pair<std::string_view, Table> kNames[] = {{"holding", Table::kHolding},
                                                                  {"input", Table::kInput},
                                                                  {"coil", Table::kCoil},
                                                                  {"discrete", Table::kDiscrete}};
  return Choose("register table", text, kNames);
}

absl::StatusOr<ValueType> ParseValueType(std::string_view text) {
  static constexpr std::pair<std::string_view, ValueType> kNames[] = {
      {"bool", ValueType::kBool},      {"int16", ValueType::kInt16},
      {"uint16", ValueType::kUInt16},  {"int32", ValueType::kInt32},
      {"uint32", ValueType::kUInt32},  {"int64", ValueType::kInt64},
      {"uint64", ValueType::kUInt64},  {"float32", ValueType::kFloat32},
      {"float64", ValueType::kFloat64}};
  return Choose("value type", text, kNames);
}

absl::StatusOr<ByteOrder> ParseByteOrder(std::string_view text) {
  static constexpr std::pair<std::string_view, ByteOrder> kNames[] = {{"ABCD", ByteOrder::kABCD},
                                                                      {"CDAB", ByteOrder::kCDAB},
                                                                      {"BADC", ByteOrder::kBADC},
                                                                      {"DCBA", ByteOrder::kDCBA}};
  return Choose("byte order", text, kNames);
}

int RegisterCount(ValueType type) {
  switch (type) {
    case ValueType::kBool:
    case ValueType::kInt16:
    case ValueType::kUInt16:
      return 1;
    case ValueType::kInt32:
    case ValueType::kUInt32:
    case ValueType::kFloat32:
      return 2;
    case ValueType::kInt64:
    case ValueType::kUInt64:
    case ValueType::kFloat64:
      return 4;
  }
  return 1;
}

absl::StatusOr<double> Decode(std::span<const uint16_t> regs, ValueType type, ByteOrder order) {
  if (regs.size() != static_cast<size_t>(RegisterCount(type))) {
    return absl::InvalidArgumentError(
        absl::StrCat("value needs ", RegisterCount(type), " register(s), got ", regs.size()));
  }
  const uint64_t v = Gather(regs, order);
  double out = 0;
  switch (type) {
    case ValueType::kBool:
      return v != 0 ? 1.0 : 0.0;
    case ValueType::kInt16:
      return static_cast<double>(static_cast<int16_t>(v));
    case ValueType::kUInt16:
    case ValueType::kUInt32:
    case ValueType::kUInt64:
      return static_cast<double>(v);
    case ValueType::kInt32:
      return static_cast<double>(static_cast<int32_t>(v));
    case ValueType::kInt64:
      return static_cast<double>(static_cast<int64_t>(v));
    case ValueType::kFloat32:
      out = std::bit_cast<float>(static_cast<uint32_t>(v));
      break;
    case ValueType::kFloat64:
      out = std::bit_cast<double>(v);
      break;
  }
  if (!std::isfinite(out)) {
    return absl::InvalidArgumentError("register value is not a finite number (NaN or infinity)");
  }
  return out;
}

std::vector<uint16_t> Encode(double value, ValueType type, ByteOrder order) {
  uint64_t v = 0;
  switch (type) {
    case ValueType::kBool:
      v = value != 0;
      break;
    case ValueType::kInt16:
      v = static_cast<uint16_t>(static_cast<int16_t>(value));
      break;
    case ValueType::kUInt16:
      v = static_cast<uint16_t>(value);
      break;
    case ValueType::kInt32:
      v = static_cast<uint32_t>(static_cast<int32_t>(value));
      break;
    case ValueType::kUInt32:
      v = static_cast<uint32_t>(value);
      break;
    case ValueType::kInt64:
      v = static_cast<uint64_t>(static_cast<int64_t>(value));
      break;
    case ValueType::kUInt64:
      v = static_cast<uint64_t>(value);
      break;
    case ValueType::kFloat32:
      v = std::bit_cast<uint32_t>(static_cast<float>(value));
      break;
    case ValueType::kFloat64:
      v = std::bit_cast<uint64_t>(value);
      break;
  }
  return Scatter(v, static_cast<size_t>(RegisterCount(type)), order);
}

absl::StatusOr<std::vector<Read>> PlanReads(std::span<const Field> fields, int max_count,
                                            int max_gap) {
  std::vector<size_t> order(fields.size());
  std::iota(order.begin(), order.end(), 0);
  for (size_t i : order) {
    const Field& f = fields[i];
    int n = RegisterCount(f.type);
    if (f.address < 0 || f.address + n > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("register address ", f.address, " is outside 0..65535"));
    }
    if (n > max_count) {
      return absl::InvalidArgumentError(
          absl::StrCat("a value of ", n, " registers does not fit in reads of ", max_count));
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (fields[a].table != fields[b].table) return fields[a].table < fields[b].table;
    return fields[a].address < fields[b].address;
  });
  std::vector<Read> reads;
  for (size_t i : order) {
    const Field& f = fields[i];
    const int end = f.address + RegisterCount(f.type);
    if (!reads.empty()) {
      Read& r = reads.back();
      const int r_end = r.start + r.count;
      if (r.table == f.table && f.address <= r_end + max_gap &&
          std::max(end, r_end) - r.start <= max_count) {
        r.count = std::max(end, r_end) - r.start;
        r.fields.push_back(i);
        continue;
      }
    }
    reads.push_back(Read{f.table, f.address, end - f.address, {i}});
  }
  return reads;
}

}  // namespace dc::modbus
