#include "common/time.h"

#include <charconv>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc {
namespace {

absl::Status TimeError(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("time \"", AV(text), "\": ", AV(why)));
}

// Bucket arithmetic saturates at the extremes (absl::ToUnixNanos does).
int64_t SaturatingNanos(absl::Time t) { return absl::ToUnixNanos(t); }

// The one time-range rule of every input path: a time outside what int64 nanoseconds since
// the Unix epoch can hold is an error naming the value, never clamped.
absl::StatusOr<int64_t> ToNanos(absl::Time t, std::string_view text) {
  if (t < absl::FromUnixNanos(kMinTime) || t > absl::FromUnixNanos(kMaxTime)) {
    return TimeError(text, kTimeRangeText);
  }
  return absl::ToUnixNanos(t);
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMaxTime : kMinTime;
  return r;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

absl::StatusOr<absl::TimeZone> LoadZone(std::string_view name) {
  absl::TimeZone tz;
  if (name.empty() || name == "UTC" || name == "Z") return absl::UTCTimeZone();
  if (!absl::LoadTimeZone(std::string(name), &tz)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone \"", AV(name), "\" (expected an IANA name like Asia/Shanghai)"));
  }
  return tz;
}

absl::StatusOr<int64_t> ParseTime(std::string_view text, const absl::TimeZone& zone) {
  text = SV(absl::StripAsciiWhitespace(AV(text)));
  if (text.empty()) return TimeError(text, "empty");
  bool all_digits = true;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!(absl::ascii_isdigit(text[i]) || (i == 0 && text[i] == '-'))) all_digits = false;
  }
  if (all_digits && !(text.size() == 1 && text[0] == '-')) {
    int64_t ns;
    if (!absl::SimpleAtoi(AV(text), &ns)) return TimeError(text, kTimeRangeText);
    return ns;
  }
  std::string s(text);
  std::string err;
  absl::Time t;
  // With an explicit offset or Z.
  static const char* kOffsetFormats[] = {"%Y-%m-%d%ET%H:%M:%E*S%Ez", "%Y-%m-%d%ET%H:%M%Ez",
                                         "%Y-%m-%d %H:%M:%E*S%Ez", "%Y-%m-%d %H:%M%Ez"};
  bool has_offset = s.back() == 'Z' || s.back() == 'z';
  if (s.size() > 10) {
    size_t tail = s.find_last_of("+-");
    if (tail != std::string::npos && tail > 10) has_offset = true;
  }
  if (has_offset) {
    if (s.back() == 'z') s.back() = 'Z';
    if (s.back() == 'Z') s.replace(s.size() - 1, 1, "+00:00");
    for (const char* f : kOffsetFormats) {
      if (absl::ParseTime(f, s, &t, &err)) return ToNanos(t, text);
    }
    return TimeError(text, "not RFC 3339 (expected e.g. 2025-03-01T00:15:00+08:00)");
  }
  static const char* kLocalFormats[] = {"%Y-%m-%d%ET%H:%M:%E*S", "%Y-%m-%d%ET%H:%M",
                                        "%Y-%m-%d %H:%M:%E*S", "%Y-%m-%d %H:%M", "%Y-%m-%d"};
  for (const char* f : kLocalFormats) {
    if (absl::ParseTime(f, s, zone, &t, &err)) return ToNanos(t, text);
  }
  return TimeError(text,
                   "not ISO 8601 (expected e.g. 2025-03-01 00:15 or 2025-03-01T00:15:00+08:00)");
}

std::string FormatTime(int64_t t_ns, const absl::TimeZone& zone) {
  absl::Time t = absl::FromUnixNanos(t_ns);
  // RFC 3339 offsets are whole minutes; a local mean time offset (Asia/Shanghai before 1901 is
  // +08:05:43) would be cut to +08:05 and name another instant, so such times are written in UTC.
  const absl::TimeZone& z = zone.At(t).offset % 60 == 0 ? zone : absl::UTCTimeZone();
  if (t_ns % kNanosPerSecond != 0) return absl::FormatTime("%Y-%m-%dT%H:%M:%E*S%Ez", t, z);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, z);
}

absl::StatusOr<Step> ParseStep(std::string_view text) {
  Step step;
  if (text == "raw" || text.empty()) return step;
  size_t i = 0;
  while (i < text.size() && absl::ascii_isdigit(text[i])) ++i;
  int64_t n = 1;
  if (i > 0 && !absl::SimpleAtoi(AV(text.substr(0, i)), &n)) n = 0;
  std::string_view unit = text.substr(i);
  if (n <= 0 || n > 1'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("step \"", AV(text), "\": count must be 1..1000000"));
  }
  struct FixedUnit {
    std::string_view name;
    int64_t ns;
  };
  static constexpr FixedUnit kFixed[] = {
      {"ms", 1'000'000}, {"s", kNanosPerSecond}, {"m", kNanosPerMinute}, {"h", kNanosPerHour}};
  for (const auto& u : kFixed) {
    if (unit == u.name) {
      step.unit = Step::Unit::kFixed;
      step.n = n * u.ns;
      return step;
    }
  }
  step.n = n;
  if (unit == "d") {
    step.unit = Step::Unit::kDay;
  } else if (unit == "w") {
    step.unit = Step::Unit::kWeek;
  } else if (unit == "mo") {
    step.unit = Step::Unit::kMonth;
  } else if (unit == "y") {
    step.unit = Step::Unit::kYear;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("step \"", AV(text),
                     "\": unknown unit (expected raw, <n>s, <n>m, <n>h, <n>d, <n>w, <n>mo, <n>y)"));
  }
  return step;
}

int64_t BucketStart(int64_t t, const Step& step, const absl::TimeZone& zone) {
  absl::Time at = absl::FromUnixNanos(t);
  if (step.unit == Step::Unit::kFixed) {
    if (kNanosPerDay % step.n == 0) {
      int64_t off = int64_t{zone.At(at).offset} * kNanosPerSecond;
      int64_t local = SaturatingAdd(t, off);
      return SaturatingAdd(FloorDiv(local, step.n) * step.n, -off);
    }
    return FloorDiv(t, step.n) * step.n;
  }
  absl::CivilSecond cs = absl::ToCivilSecond(at, zone);
  absl::CivilDay day(cs);
  absl::CivilDay start;
  switch (step.unit) {
    case Step::Unit::kDay: {
      // Align multi-day steps to the epoch day count so buckets are stable.
      int64_t d = day - absl::CivilDay(1970, 1, 1);
      start = absl::CivilDay(1970, 1, 1) + FloorDiv(d, step.n) * step.n;
      break;
    }
    case Step::Unit::kWeek: {
      absl::CivilDay monday = absl::PrevWeekday(day + 1, absl::Weekday::monday);
      int64_t w = FloorDiv(monday - absl::CivilDay(1969, 12, 29), 7);
      start = absl::CivilDay(1969, 12, 29) + FloorDiv(w, step.n) * step.n * 7;
      break;
    }
    case Step::Unit::kMonth: {
      int64_t m = (day.year() - 1970) * 12 + (day.month() - 1);
      m = FloorDiv(m, step.n) * step.n;
      start = absl::CivilDay(absl::CivilMonth(1970, 1) + m);
      break;
    }
    case Step::Unit::kYear: {
      int64_t y = FloorDiv(day.year(), step.n) * step.n;
      start = absl::CivilDay(absl::CivilYear(y));
      break;
    }
    default:
      return t;
  }
  return SaturatingNanos(absl::FromCivil(start, zone));
}

int64_t NextBucket(int64_t start, const Step& step, const absl::TimeZone& zone) {
  if (start == kMaxTime) return kMaxTime;
  if (step.unit == Step::Unit::kFixed) {
    int64_t next = SaturatingAdd(start, step.n);
    // Re-align: local-midnight alignment may shift by a DST change.
    return next == kMaxTime ? next : std::max(next, BucketStart(next, step, zone));
  }
  absl::CivilDay day = absl::ToCivilDay(absl::FromUnixNanos(start), zone);
  absl::CivilDay next;
  switch (step.unit) {
    case Step::Unit::kDay:
      next = day + step.n;
      break;
    case Step::Unit::kWeek:
      next = day + 7 * step.n;
      break;
    case Step::Unit::kMonth:
      next = absl::CivilDay(absl::CivilMonth(day) + step.n);
      break;
    case Step::Unit::kYear:
      next = absl::CivilDay(absl::CivilYear(day) + step.n);
      break;
    default:
      return kMaxTime;
  }
  int64_t r = SaturatingNanos(absl::FromCivil(next, zone));
  return r <= start ? kMaxTime : r;
}

}  // namespace dc
