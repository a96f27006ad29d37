// Internal to the CSV importer (csv_import.h): cells — times, numbers, missing markers — and
// the conversion of the input bytes to UTF-8.
#ifndef DC_INGEST_CSV_CELLS_H_
#define DC_INGEST_CSV_CELLS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ingest/csv_import.h"

namespace dc::csv_internal {

// "", NA, N/A, NaN, null, none, -, --, #N/A (any case, blanks around): no value.
bool IsMissingCell(std::string_view cell);

// A number cell; false when it is not one. With `decimal_comma`, ',' is the decimal point.
bool ParseNumberCell(std::string_view cell, bool decimal_comma, double* v);

// Parses time cells as the options say (time_format, dayfirst, zone, midnight_ends_day).
class TimeParser {
 public:
  // An unknown epoch_* name is an error.
  static absl::StatusOr<TimeParser> Create(const CsvImportOptions& o);
  // UTC ns, or an error "time \"...\": why" (outside int64 ns: kTimeRangeText).
  absl::StatusOr<int64_t> Parse(std::string_view cell) const;

 private:
  enum class Mode { kAuto, kEpoch, kFormat };
  absl::StatusOr<int64_t> ParseAuto(std::string_view s) const;
  absl::StatusOr<int64_t> ParseEpoch(std::string_view s, int64_t unit_ns) const;
  absl::StatusOr<int64_t> EndOfDay(int64_t t, std::string_view s) const;

  Mode mode_ = Mode::kAuto;
  int64_t epoch_unit_ns_ = 0;
  std::string format_;
  bool dayfirst_ = false;
  bool midnight_ends_day_ = false;
  absl::TimeZone zone_;
};

// Converts input bytes to UTF-8 as they arrive (a multi-byte character may straddle calls).
// kAuto decides from the first 64 KiB: a BOM or valid UTF-8 → UTF-8, else GBK. GBK is read
// as GB18030 (its superset) with glibc iconv; a byte sequence that is not GB18030 becomes
// U+FFFD and is counted.
class Utf8Decoder {
 public:
  explicit Utf8Decoder(CsvEncoding encoding);
  ~Utf8Decoder();
  // Appends the UTF-8 text of `in` to *out; with `last`, flushes what was held back.
  absl::Status Decode(std::string_view in, bool last, std::string* out);
  // "utf-8" | "gbk" | "" (not decided yet).
  std::string_view encoding() const;
  uint64_t replaced() const { return replaced_; }

 private:
  absl::Status Convert(std::string_view in, bool last, std::string* out);

  CsvEncoding encoding_;
  std::string pending_;  // bytes held back: undecided (auto) or an incomplete character
  uint64_t replaced_ = 0;
  void* iconv_ = nullptr;  // iconv_t, opened when GBK is decided
};

}  // namespace dc::csv_internal

#endif  // DC_INGEST_CSV_CELLS_H_
