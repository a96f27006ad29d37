// libFuzzer target: time strings and calendar buckets. ParseTime gives a time or an error;
// a parsed time formats and parses back to itself. ParseStep gives a step or an error; for a
// calendar or fixed step, BucketStart(t) <= t < NextBucket(BucketStart(t)) and BucketStart is
// idempotent. Input: text, or "<step>|<time>" to exercise both together.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/time/time.h"
#include "common/time.h"

namespace {

const absl::TimeZone& Shanghai() {
  static const auto* z = new absl::TimeZone(*dc::LoadZone("Asia/Shanghai"));
  return *z;
}

void CheckTime(std::string_view text, const absl::TimeZone& zone) {
  auto t = dc::ParseTime(text, zone);
  if (!t.ok()) {
    if (t.status().message().empty()) std::abort();
    return;
  }
  std::string formatted = dc::FormatTime(*t, zone);
  auto back = dc::ParseTime(formatted, zone);
  if (!back.ok() || *back != *t) std::abort();
}

void CheckBuckets(const dc::Step& step, int64_t t, const absl::TimeZone& zone) {
  if (step.unit == dc::Step::Unit::kRaw) return;
  // Stay inside the range where a bucket and its successor are both representable.
  if (t < dc::kMinTime / 2 || t > dc::kMaxTime / 2) return;
  int64_t b = dc::BucketStart(t, step, zone);
  int64_t next = dc::NextBucket(b, step, zone);
  if (b > t || next <= t) std::abort();
  if (dc::BucketStart(b, step, zone) != b) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size > 256) return 0;  // longer strings add nothing
  CheckTime(text, absl::UTCTimeZone());
  CheckTime(text, Shanghai());
  size_t bar = text.find('|');
  auto step = dc::ParseStep(text.substr(0, bar));
  if (!step.ok()) return 0;
  if (step->n <= 0) std::abort();
  if (bar == std::string_view::npos) return 0;
  auto t = dc::ParseTime(text.substr(bar + 1), absl::UTCTimeZone());
  if (!t.ok()) return 0;
  CheckBuckets(*step, *t, absl::UTCTimeZone());
  CheckBuckets(*step, *t, Shanghai());
  return 0;
}
