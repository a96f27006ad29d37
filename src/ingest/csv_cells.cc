#include "ingest/csv_cells.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/time.h"

namespace dc::csv_internal {
namespace {

constexpr int64_t kNs = 1, kUs = 1000, kMs = 1000 * kUs, kS = 1000 * kMs;
constexpr size_t kDetectBytes = 64 << 10;
constexpr char kBom[] = "\xEF\xBB\xBF";
constexpr char kReplacement[] = "\xEF\xBF\xBD";

absl::Status TimeError(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("time \"", AV(text), "\": ", AV(why)));
}

// The one time-range rule (common/time.h): outside int64 ns is an error, never clamped.
absl::StatusOr<int64_t> RangeChecked(absl::Time t, std::string_view text) {
  if (t < absl::FromUnixNanos(std::numeric_limits<int64_t>::min()) ||
      t > absl::FromUnixNanos(std::numeric_limits<int64_t>::max())) {
    return TimeError(text, kTimeRangeText);
  }
  return absl::ToUnixNanos(t);
}

bool AllDigits(std::string_view s) {
  if (!s.empty() && s[0] == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// "d/m/yyyy", "m.d.yyyy", "dd-mm-yyyy" ... followed by an optional time: the date part uses
// '/', '.' or '-' and does not start with a 4-digit year.
bool IsNumericDate(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i >= 1 && i <= 2 && i < s.size() && (s[i] == '/' || s[i] == '.' || s[i] == '-');
}

}  // namespace

bool IsMissingCell(std::string_view cell) {
  std::string_view s = SV(absl::StripAsciiWhitespace(AV(cell)));
  static constexpr std::string_view kMissing[] = {"",     "na", "n/a", "nan", "null",
                                                  "none", "-",  "--",  "#n/a"};
  for (std::string_view m : kMissing) {
    if (absl::EqualsIgnoreCase(AV(s), AV(m))) return true;
  }
  return false;
}

bool ParseNumberCell(std::string_view cell, bool decimal_comma, double* v) {
  std::string s(absl::StripAsciiWhitespace(AV(cell)));
  if (decimal_comma) {
    if (absl::StrContains(s, '.')) return false;  // "1.234,5": thousands marks are not read
    std::replace(s.begin(), s.end(), ',', '.');
  }
  if (s.empty() || !absl::SimpleAtod(s, v)) return false;
  return std::isfinite(*v);
}

absl::StatusOr<TimeParser> TimeParser::Create(const CsvImportOptions& o) {
  TimeParser p;
  p.dayfirst_ = o.dayfirst;
  p.midnight_ends_day_ = o.midnight_ends_day;
  p.zone_ = o.zone;
  const std::string& f = o.time_format;
  static constexpr std::pair<std::string_view, int64_t> kEpochs[] = {
      {"epoch", kS}, {"epoch_s", kS}, {"epoch_ms", kMs}, {"epoch_us", kUs}, {"epoch_ns", kNs}};
  if (f.empty() || f == "auto") return p;
  for (const auto& [name, unit] : kEpochs) {
    if (f == name) {
      p.mode_ = Mode::kEpoch;
      p.epoch_unit_ns_ = unit;
      return p;
    }
  }
  if (absl::StartsWith(f, "epoch")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time format \"", f, "\": unknown epoch unit (epoch_s, epoch_ms, epoch_us, epoch_ns)"));
  }
  if (!absl::StrContains(f, '%')) {
    return absl::InvalidArgumentError(
        absl::StrCat("time format \"", f,
                     "\": expected auto, epoch_s/ms/us/ns or a strptime format such as "
                     "%d/%m/%Y %H:%M"));
  }
  p.mode_ = Mode::kFormat;
  p.format_ = f;
  return p;
}

absl::StatusOr<int64_t> TimeParser::Parse(std::string_view cell) const {
  std::string_view s = SV(absl::StripAsciiWhitespace(AV(cell)));
  if (s.empty()) return TimeError(s, "empty");
  absl::StatusOr<int64_t> t;
  switch (mode_) {
    case Mode::kEpoch:
      t = ParseEpoch(s, epoch_unit_ns_);
      break;
    case Mode::kFormat: {
      absl::Time at;
      std::string err;
      if (!absl::ParseTime(format_, std::string(s), zone_, &at, &err)) {
        return TimeError(s, absl::StrCat("does not match the time format \"", format_, "\""));
      }
      t = RangeChecked(at, s);
      break;
    }
    case Mode::kAuto:
      t = ParseAuto(s);
      break;
  }
  if (!t.ok() || !midnight_ends_day_) return t;
  return EndOfDay(*t, s);
}

absl::StatusOr<int64_t> TimeParser::ParseEpoch(std::string_view s, int64_t unit_ns) const {
  int64_t n;
  if (!AllDigits(s)) return TimeError(s, "not an integer epoch time");
  if (!absl::SimpleAtoi(AV(s), &n)) return TimeError(s, kTimeRangeText);
  int64_t ns;
  if (__builtin_mul_overflow(n, unit_ns, &ns)) return TimeError(s, kTimeRangeText);
  return ns;
}

// Digits alone are epoch time in the unit their size suggests (seconds up to 11 digits,
// then ms, us, ns: 1700000000, 1700000000000, ...).
absl::StatusOr<int64_t> TimeParser::ParseAuto(std::string_view s) const {
  if (AllDigits(s)) {
    size_t digits = s.size() - (s[0] == '-' ? 1 : 0);
    int64_t unit = digits <= 11 ? kS : digits <= 14 ? kMs : digits <= 17 ? kUs : kNs;
    return ParseEpoch(s, unit);
  }
  if (!IsNumericDate(s)) {
    std::string iso(s);
    if (iso.size() >= 10 && iso[4] == '/' && iso[7] == '/') {  // 2025/03/01 00:15
      iso[4] = iso[7] = '-';
    }
    return ParseTime(iso, zone_);
  }
  std::string t(s);
  for (size_t i = 0; i < t.size() && t[i] != ' ' && t[i] != 'T'; ++i) {
    if (t[i] == '.' || t[i] == '-') t[i] = '/';
  }
  const char* const kDayFirst[] = {"%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"};
  const char* const kMonthFirst[] = {"%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"};
  absl::Time at;
  std::string err;
  for (const char* f : dayfirst_ ? kDayFirst : kMonthFirst) {
    if (absl::ParseTime(f, t, zone_, &at, &err)) return RangeChecked(at, s);
  }
  return TimeError(s, dayfirst_ ? "not a day-first date (expected e.g. 31/12/2018 23:45)"
                                : "not a month-first date (expected e.g. 12/31/2018 23:45; "
                                  "day-first files need --dayfirst)");
}

// 00:00:00 local time names the midnight that ENDS its date (24:00).
absl::StatusOr<int64_t> TimeParser::EndOfDay(int64_t t, std::string_view s) const {
  absl::CivilSecond c = absl::ToCivilSecond(absl::FromUnixNanos(t), zone_);
  if (c.hour() != 0 || c.minute() != 0 || c.second() != 0) return t;
  if (absl::FromUnixNanos(t) != absl::FromCivil(c, zone_)) return t;  // sub-second part
  return RangeChecked(absl::FromCivil(absl::CivilDay(c) + 1, zone_), s);
}

Utf8Decoder::Utf8Decoder(CsvEncoding encoding) : encoding_(encoding) {}

Utf8Decoder::~Utf8Decoder() {
  if (iconv_ != nullptr) iconv_close(static_cast<iconv_t>(iconv_));
}

std::string_view Utf8Decoder::encoding() const {
  switch (encoding_) {
    case CsvEncoding::kUtf8:
      return "utf-8";
    case CsvEncoding::kGbk:
      return "gbk";
    case CsvEncoding::kAuto:
      break;
  }
  return "";
}

absl::Status Utf8Decoder::Decode(std::string_view in, bool last, std::string* out) {
  if (encoding_ == CsvEncoding::kAuto) {
    pending_.append(in);
    if (pending_.size() < kDetectBytes && !last) return absl::OkStatus();
    std::string_view head(pending_);
    if (!absl::StartsWith(AV(head), kBom) && !last) {
      // Judge whole lines only, so a character cut by the 64 KiB mark is not "invalid".
      size_t nl = head.rfind('\n');
      if (nl != std::string_view::npos) head = head.substr(0, nl + 1);
    }
    bool utf8 = absl::StartsWith(AV(head), kBom) || IsValidUtf8(head);
    encoding_ = utf8 ? CsvEncoding::kUtf8 : CsvEncoding::kGbk;
    std::string held = std::move(pending_);
    pending_.clear();
    return Decode(held, last, out);
  }
  if (encoding_ == CsvEncoding::kUtf8) {
    out->append(in);
    return absl::OkStatus();
  }
  return Convert(in, last, out);
}

absl::Status Utf8Decoder::Convert(std::string_view in, bool last, std::string* out) {
  if (iconv_ == nullptr) {
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == reinterpret_cast<iconv_t>(-1)) {
      return absl::InternalError(
          absl::StrCat("cannot convert from GB18030 (iconv_open: ", std::strerror(errno), ")"));
    }
    iconv_ = cd;
  }
  pending_.append(in);
  char* src = pending_.data();
  size_t left = pending_.size();
  char buf[16 << 10];
  while (left > 0) {
    char* dst = buf;
    size_t room = sizeof buf;
    size_t r = iconv(static_cast<iconv_t>(iconv_), &src, &left, &dst, &room);
    out->append(buf, static_cast<size_t>(dst - buf));
    if (r != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    if (errno == EINVAL && !last) break;  // an incomplete character: wait for its other bytes
    // Not GB18030 (EILSEQ), or cut off at the end of the file: one byte becomes U+FFFD.
    out->append(kReplacement);
    ++replaced_;
    ++src;
    --left;
  }
  pending_.erase(0, pending_.size() - left);
  return absl::OkStatus();
}

}  // namespace dc::csv_internal
