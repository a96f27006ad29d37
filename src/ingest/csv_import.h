// CSV readings into a PointBatch (docs/import.md): the long layout of the site model
// (time,meter,value[,quality]) and the wide layout (one time column, one column per series),
// in UTF-8 (with or without BOM) or GBK/GB18030, any delimiter, day-first dates, decimal
// commas. Streams: bytes go in in pieces of any size, points come out as rows complete, so a
// large file never needs a large batch.
//
// Bad rows are reported with their line and reason and skipped; good rows are always kept.
// Non-numeric cells ("", "NA", "-", ...) are counted and skipped, never errors. Every key
// passes ValidateSeriesKey (common/series_key.h) after conversion to UTF-8.
#ifndef DC_INGEST_CSV_IMPORT_H_
#define DC_INGEST_CSV_IMPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/env.h"
#include "common/sample.h"

namespace dc {

enum class CsvLayout { kLong, kWide };
enum class CsvEncoding { kAuto, kUtf8, kGbk };

struct CsvImportOptions {
  CsvLayout layout = CsvLayout::kLong;
  char delimiter = ',';        // ',' ';' or '\t'
  bool decimal_comma = false;  // "3,17" means 3.17
  CsvEncoding encoding = CsvEncoding::kAuto;
  std::string time_column;                    // header name or 1-based number; "" = "time" (wide:
                                              // "time" if present, else the first column)
  std::string time_format = "auto";           // auto | epoch_s | epoch_ms | epoch_us | epoch_ns |
                                              // a strptime format ("%d/%m/%Y %H:%M")
  bool dayfirst = false;                      // auto: 02/01/2018 is 2 January (else February 1)
  bool midnight_ends_day = false;             // "dd/mm/yyyy 00:00" is 24:00 of that day
  absl::TimeZone zone = absl::UTCTimeZone();  // for times without an offset
  std::string site;  // {site} of the key template; site tag of default keys
  // Wide: column -> series key. Long: meter id -> series key (e.g. from a site file).
  std::vector<std::pair<std::string, std::string>> map;
  std::string key_template;          // wide: key of an unmapped column ("" = skip it), with
                                     // {column} and {site}: "meter,id={column},site={site} value"
  std::vector<std::string> ignore;   // columns never imported
  bool known_meters_only = false;    // long: a meter not in `map` is a bad row
  size_t max_errors = 100;           // bad rows listed (all are counted)
  size_t max_field_bytes = 1 << 20;  // longest cell (a stray quote is reported, not buffered)
};

// Parses the spellings used by the CLI, the API and the configuration.
absl::StatusOr<CsvLayout> ParseCsvLayout(std::string_view s);      // long | csv | wide
absl::StatusOr<CsvEncoding> ParseCsvEncoding(std::string_view s);  // auto | utf-8 | gbk | gb18030
absl::StatusOr<char> ParseCsvDelimiter(std::string_view s);        // , ; tab \t comma semicolon
// "COLUMN=KEY" (the first '=' splits; the key is made canonical).
absl::StatusOr<std::pair<std::string, std::string>> ParseCsvMap(std::string_view spec);

// Sets the option `name` from its text form, the one spelling shared by the CLI flags
// (without "--"), the query parameters of POST /api/v1/import and [[folder]] tables:
//   format|layout long|csv|wide   delimiter , ; tab   decimal_comma true|false
//   encoding auto|utf-8|gbk       time_column NAME|N  time_format auto|epoch_s|...|%d/%m/%Y %H:%M
//   dayfirst true|false           midnight_ends_day true|false   tz ZONE
//   site ID                       map COLUMN=KEY (repeatable)    key_template KEY
//   ignore COLUMN (repeatable; a comma-separated list also works)
// An unknown name or a bad value is an error naming both.
absl::Status SetCsvImportOption(std::string_view name, std::string_view value,
                                CsvImportOptions* options);
// The names SetCsvImportOption knows.
const std::vector<std::string_view>& CsvImportOptionNames();

struct CsvImportError {
  int64_t line = 0;  // 1-based line where the row starts
  std::string reason;
};

struct CsvImportResult {
  std::string encoding;                // what the file was read as: "utf-8" | "gbk"
  size_t rows = 0;                     // data rows (after the header)
  size_t points = 0;                   // points appended
  size_t empty_cells = 0;              // "", NA, N/A, -, null, NaN ... (skipped)
  size_t bad_rows = 0;                 // rows with an error (their good cells are still kept)
  std::vector<CsvImportError> errors;  // the first max_errors, in order
  std::vector<std::string> notes;      // about the file: skipped columns, replaced bytes
};

// One file. Not thread-safe.
class CsvImporter {
 public:
  // `name` (a file name) starts every error message.
  CsvImporter(CsvImportOptions options, std::string name);
  ~CsvImporter();
  CsvImporter(const CsvImporter&) = delete;
  CsvImporter& operator=(const CsvImporter&) = delete;

  // Appends the points of the rows `bytes` completes to *out (the caller may write and clear
  // *out between calls). An error means the rest of the file cannot be read (bad options, no
  // time column, an overlong field); what was appended before stays good.
  // REQUIRES: out != nullptr.
  absl::Status Feed(std::string_view bytes, PointBatch* out);
  // End of the file (an unterminated quoted field is an error).
  absl::Status Finish(PointBatch* out);
  const CsvImportResult& result() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A whole text at once; *result is filled even on error.
absl::Status ImportCsv(std::string_view text, const CsvImportOptions& options,
                       std::string_view name, PointBatch* out, CsvImportResult* result);

// Streams the file `path` (read through `env`) in chunks, handing every batch of at most about
// `batch_points` points to `write`; a write error stops the import and is returned as it is
// (storage faults keep their code). *result is filled even on error.
absl::Status ImportCsvFile(Env* env, const std::string& path, const CsvImportOptions& options,
                           const std::function<absl::Status(const PointBatch&)>& write,
                           CsvImportResult* result, size_t batch_points = 50000);

}  // namespace dc

#endif  // DC_INGEST_CSV_IMPORT_H_
