// Accounting periods in a site's time zone. A period is the half-open instant range
// (start, end]: an interval amount stamped at its end time t belongs to it when start < t <= end
// (docs/site-model.md §2); counters are read at the two bounds.
#ifndef DC_ACCOUNTING_PERIOD_H_
#define DC_ACCOUNTING_PERIOD_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dc::accounting {

struct Period {
  int64_t start = 0;  // UTC ns, exclusive for interval amounts
  int64_t end = 0;    // UTC ns, inclusive for interval amounts
  std::string text;   // as given
};

// A time written by a person (command-line flags, period bounds): ParseTime's forms, but a
// bare integer must be epoch nanoseconds with 19 digits (2001-09-09 .. 2262), or "0" for
// 1970-01-01T00:00:00Z: "2025" or "1700000000" would otherwise be read as nanoseconds
// after 1970. The error says how to write the time.
absl::StatusOr<int64_t> ParseUserTime(std::string_view text, const absl::TimeZone& zone);

// "2025" (year), "2025-Q1" (quarter), "2025-03" (month), "2025-03-01" (day), or START..END.
// In a range, each side is one of those calendar periods or a time (ISO 8601 with or without
// offset): START is the start of its period, END the end of its period ("2025-01..2025-03" is
// the first quarter; "2025-03-01..2025-03-31" is March) or the instant when a time is given.
// Errors name the text and what was expected; an empty or reversed range is an error, and so
// is a period outside the storable time range (years 1678 .. 2261).
absl::StatusOr<Period> ParsePeriod(std::string_view text, const absl::TimeZone& zone);

// At most this many parts in a breakdown (ten years by month).
inline constexpr size_t kMaxPeriodParts = 120;

// `period` cut at the calendar boundaries of `by` in `zone`, in order: the parts are contiguous,
// do not overlap and cover `period` exactly (the first and last are clipped to it). by = "month":
// "2025" gives 12 parts, "2025-Q1" 3, "2025-03-15..2025-05-10" three (Mar 15 .., April,
// .. May 10). Each part's text is its month ("2025-03"). Errors: an unknown `by` (naming the
// accepted ones) and more than kMaxPeriodParts parts.
absl::StatusOr<std::vector<Period>> SplitPeriod(const Period& period, std::string_view by,
                                                const absl::TimeZone& zone);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_PERIOD_H_
