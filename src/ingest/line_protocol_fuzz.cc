// libFuzzer target: any byte sequence is parsed without crashing, and the result is consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/line_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dc::LpOptions opt;
  if (size > 0) {
    // The first byte picks the precision, so every unit's overflow checks get exercised.
    opt.precision = static_cast<dc::Precision>(data[0] % 6);
    ++data;
    --size;
  }
  opt.default_time_ns = 1700000000000000000;
  opt.max_errors = 5;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  dc::PointBatch batch;
  dc::LpResult r = dc::ParseLineProtocol(body, opt, &batch);
  if (r.points != batch.size()) std::abort();
  if (r.error_count > r.lines || r.errors.size() > opt.max_errors) std::abort();
  if (r.errors.size() != std::min(r.error_count, opt.max_errors)) std::abort();
  for (const auto& e : r.errors) {
    if (e.line == 0 || e.column == 0 || e.message.empty()) std::abort();
  }
  for (const auto& key : batch.keys()) {
    if (key.empty() || key.find(' ') == std::string_view::npos) std::abort();
  }
  return 0;
}
