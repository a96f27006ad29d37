// libFuzzer target: any byte sequence gives a result or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/json_write.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  dc::PointBatch batch;
  auto r = dc::ParseJsonWrite(body, dc::JsonWriteOptions{.max_errors = 5}, &batch);
  if (!r.ok()) {
    if (!batch.empty()) std::abort();
    return 0;
  }
  if (r->points != batch.size() || r->points + r->error_count != r->elements) std::abort();
  for (const auto& e : r->errors) {
    if (e.index >= r->elements || e.message.empty()) std::abort();
  }
  return 0;
}
