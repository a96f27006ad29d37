// Time: UTC int64 nanoseconds inside; civil time and IANA zones (Abseil/cctz) at the edges.
#ifndef DC_COMMON_TIME_H_
#define DC_COMMON_TIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dc {

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
inline constexpr int64_t kNanosPerHour = 60 * kNanosPerMinute;
inline constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;
inline constexpr int64_t kMinTime = INT64_MIN;
inline constexpr int64_t kMaxTime = INT64_MAX;

// What every input path says of a time it cannot store (RFC 3339, epoch, CSV, query bounds).
inline constexpr char kTimeRangeText[] =
    "outside the storable range 1677-09-21T00:12:43Z .. 2262-04-11T23:47:16Z "
    "(int64 nanoseconds since 1970)";

// Loads an IANA zone ("Asia/Shanghai", "UTC"); error names the zone.
absl::StatusOr<absl::TimeZone> LoadZone(std::string_view name);

// Parses RFC 3339 / ISO 8601 with offset ("2025-03-01T00:15:00+08:00", "...Z"), or a local civil
// time in `zone` without offset ("2025-03-01 00:15", "2025-03-01T00:15:30", "2025-03-01"),
// or an integer of epoch nanoseconds. A time outside [kMinTime, kMaxTime] is an error naming
// the text (kTimeRangeText), never clamped.
absl::StatusOr<int64_t> ParseTime(std::string_view text, const absl::TimeZone& zone);

// RFC 3339 with the zone's offset, seconds always, fraction only when non-zero.
std::string FormatTime(int64_t t_ns, const absl::TimeZone& zone);

// A bucket step: fixed nanoseconds, or a calendar unit counted in a time zone.
struct Step {
  enum class Unit { kRaw, kFixed, kDay, kWeek, kMonth, kYear };
  Unit unit = Unit::kRaw;
  int64_t n = 1;  // nanoseconds for kFixed, count of units otherwise
  bool calendar() const { return unit != Unit::kRaw && unit != Unit::kFixed; }
};

// "raw", "<n>s", "<n>m", "<n>h" (fixed), "<n>d", "<n>w", "<n>mo", "<n>y" (calendar).
absl::StatusOr<Step> ParseStep(std::string_view text);

// Start of the bucket containing t. Fixed steps that divide a day are aligned to local
// midnight in `zone` (so hourly buckets in +05:30 start at :00 local); other fixed steps to
// the Unix epoch. Days start at local midnight, weeks on Monday, months on the 1st, years on
// January 1st. REQUIRES: step.unit != kRaw.
int64_t BucketStart(int64_t t, const Step& step, const absl::TimeZone& zone);
// Start of the bucket after the one starting at `start` (saturates at kMaxTime).
int64_t NextBucket(int64_t start, const Step& step, const absl::TimeZone& zone);

}  // namespace dc

#endif  // DC_COMMON_TIME_H_
