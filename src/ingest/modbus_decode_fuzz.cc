// libFuzzer target: any registers decode without crashing in every type and order; 16/32-bit
// integers and floats re-encode to the same words; read plans cover every field exactly once
// within the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ingest/modbus_decode.h"

using namespace dc::modbus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint16_t> words;
  for (size_t i = 0; i + 1 < size; i += 2)
    words.push_back(static_cast<uint16_t>(data[i] << 8 | data[i + 1]));
  for (int t = 0; t <= static_cast<int>(ValueType::kFloat64); ++t) {
    auto type = static_cast<ValueType>(t);
    size_t n = static_cast<size_t>(RegisterCount(type));
    if (words.size() < n) continue;
    std::span<const uint16_t> regs(words.data(), n);
    for (int o = 0; o < 4; ++o) {
      auto order = static_cast<ByteOrder>(o);
      auto v = Decode(regs, type, order);
      if (!v.ok()) continue;
      bool exact =
          type != ValueType::kBool && type != ValueType::kInt64 && type != ValueType::kUInt64;
      if (exact && Encode(*v, type, order) != std::vector<uint16_t>(regs.begin(), regs.end())) {
        std::abort();
      }
    }
  }
  // Fields from the words: table, address, type.
  std::vector<Field> fields;
  for (size_t i = 0; i + 1 < words.size() && fields.size() < 64; i += 2) {
    fields.push_back(Field{static_cast<Table>(words[i] & 3), words[i + 1],
                           static_cast<ValueType>((words[i] >> 2) % 9)});
  }
  int max_count = words.empty() ? 125 : 1 + words[0] % 125;
  auto plan = PlanReads(fields, max_count, words.size() > 1 ? words[1] % 20 : 0);
  if (!plan.ok()) return 0;
  std::vector<int> seen(fields.size());
  for (const Read& r : *plan) {
    if (r.count > max_count || r.count <= 0) std::abort();
    for (size_t i : r.fields) {
      const Field& f = fields[i];
      if (f.table != r.table || f.address < r.start ||
          f.address + RegisterCount(f.type) > r.start + r.count) {
        std::abort();
      }
      ++seen[i];
    }
  }
  for (int s : seen) {
    if (s != 1) std::abort();
  }
  return 0;
}
