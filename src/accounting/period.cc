#include "accounting/period.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/strings.h"
#include "common/time.h"

namespace dc::accounting {
namespace {

bool Digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int ToInt(std::string_view s) {
  int v = 0;
  (void)absl::SimpleAtoi(AV(s), &v);
  return v;
}

int64_t At(absl::CivilSecond c, const absl::TimeZone& zone) {
  return absl::ToUnixNanos(absl::FromCivil(c, zone));
}

// Years whose every instant fits int64 nanoseconds (1677-09-21 .. 2262-04-11), in any zone.
constexpr int kMinYear = 1678, kMaxYear = 2261;

// A calendar period ("2025", "2025-Q1", "2025-03", "2025-03-01"); false if `s` is not one.
bool Calendar(std::string_view s, const absl::TimeZone& zone, int64_t* start, int64_t* end,
              std::string* error) {
  if (s.size() >= 4 && Digits(s.substr(0, 4)) &&
      (ToInt(s.substr(0, 4)) < kMinYear || ToInt(s.substr(0, 4)) > kMaxYear) &&
      (s.size() == 4 || s[4] == '-')) {
    *error = absl::StrCat("year ", AV(s.substr(0, 4)), " is ", kTimeRangeText);
    return true;
  }
  if (s.size() == 4 && Digits(s)) {
    int y = ToInt(s);
    *start = At(absl::CivilYear(y), zone);
    *end = At(absl::CivilYear(y + 1), zone);
    return true;
  }
  if (s.size() == 7 && Digits(s.substr(0, 4)) && s[4] == '-' && (s[5] == 'Q' || s[5] == 'q')) {
    int q = s[6] - '0';
    if (q < 1 || q > 4) {
      *error = "quarter must be Q1..Q4";
      return true;
    }
    absl::CivilMonth m(ToInt(s.substr(0, 4)), (q - 1) * 3 + 1);
    *start = At(m, zone);
    *end = At(m + 3, zone);
    return true;
  }
  if (s.size() == 7 && Digits(s.substr(0, 4)) && s[4] == '-' && Digits(s.substr(5))) {
    int mo = ToInt(s.substr(5));
    if (mo < 1 || mo > 12) {
      *error = "month must be 01..12";
      return true;
    }
    absl::CivilMonth m(ToInt(s.substr(0, 4)), mo);
    *start = At(m, zone);
    *end = At(m + 1, zone);
    return true;
  }
  if (s.size() == 10 && Digits(s.substr(0, 4)) && s[4] == '-' && Digits(s.substr(5, 2)) &&
      s[7] == '-' && Digits(s.substr(8))) {
    int y = ToInt(s.substr(0, 4)), mo = ToInt(s.substr(5, 2)), d = ToInt(s.substr(8));
    absl::CivilDay day(y, mo, d);
    if (day.year() != y || day.month() != mo || day.day() != d) {
      *error = "not a valid date";
      return true;
    }
    *start = At(day, zone);
    *end = At(day + 1, zone);
    return true;
  }
  return false;
}

absl::Status Bad(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "period \"", AV(text), "\": ", AV(why),
      " (expected 2025, 2025-Q1, 2025-03, 2025-03-01 or START..END, e.g. 2025-01..2025-03)"));
}

// One side of a range: `want_end` picks the end of a calendar period.
absl::StatusOr<int64_t> Side(std::string_view s, const absl::TimeZone& zone, bool want_end,
                             std::string_view whole) {
  int64_t a = 0, b = 0;
  std::string error;
  if (Calendar(s, zone, &a, &b, &error)) {
    if (!error.empty()) return Bad(whole, error);
    return want_end ? b : a;
  }
  auto t = ParseUserTime(s, zone);
  if (!t.ok()) {
    return Bad(whole, absl::StrCat("\"", AV(s), "\" is neither a calendar period nor a time (",
                                   t.status().message(), ")"));
  }
  return *t;
}

}  // namespace

absl::StatusOr<int64_t> ParseUserTime(std::string_view text, const absl::TimeZone& zone) {
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (Digits(digits) && text != "0" && digits.size() != 19) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", AV(text), "\" is a bare number, which would be read as ", AV(text),
        " nanoseconds after 1970-01-01T00:00:00Z; write a date (2025-01-01), a time "
        "(2025-01-01T00:00:00Z, or local 2025-01-01T08:00:00) or epoch nanoseconds with 19 "
        "digits (1735689600000000000)"));
  }
  return ParseTime(text, zone);
}

absl::StatusOr<Period> ParsePeriod(std::string_view text, const absl::TimeZone& zone) {
  std::string_view s = SV(absl::StripAsciiWhitespace(AV(text)));
  Period p;
  p.text = std::string(s);
  if (s.empty()) return Bad(text, "empty");
  if (size_t dots = s.find(".."); dots != std::string_view::npos) {
    auto a = Side(SV(absl::StripAsciiWhitespace(AV(s.substr(0, dots)))), zone, false, s);
    if (!a.ok()) return a.status();
    auto b = Side(SV(absl::StripAsciiWhitespace(AV(s.substr(dots + 2)))), zone, true, s);
    if (!b.ok()) return b.status();
    if (*b <= *a) return Bad(text, "the end is not after the start");
    p.start = *a;
    p.end = *b;
    return p;
  }
  std::string error;
  if (!Calendar(s, zone, &p.start, &p.end, &error)) return Bad(text, "unrecognised");
  if (!error.empty()) return Bad(text, error);
  return p;
}

absl::StatusOr<std::vector<Period>> SplitPeriod(const Period& period, std::string_view by,
                                                const absl::TimeZone& zone) {
  if (by != "month") {
    return absl::InvalidArgumentError(
        absl::StrCat("breakdown by \"", AV(by), "\": expected month"));
  }
  std::vector<Period> parts;
  absl::CivilMonth m = absl::ToCivilMonth(absl::FromUnixNanos(period.start), zone);
  for (int64_t start = period.start; start < period.end; ++m) {
    if (parts.size() == kMaxPeriodParts) {
      return absl::InvalidArgumentError(absl::StrCat("period \"", period.text,
                                                     "\" by month has more than ", kMaxPeriodParts,
                                                     " months; account a shorter period"));
    }
    int64_t end = std::min(period.end, At(m + 1, zone));
    parts.push_back(
        Period{start, end, absl::StrFormat("%04d-%02d", static_cast<int>(m.year()), m.month())});
    start = end;
  }
  return parts;
}

}  // namespace dc::accounting
