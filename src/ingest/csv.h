// A small RFC 4180 CSV reader: quoted fields, "" escapes, CRLF, UTF-8 BOM; rows keep their
// line numbers so errors can name them.
#ifndef DC_INGEST_CSV_H_
#define DC_INGEST_CSV_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dc {

struct CsvRow {
  int line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

// An incremental RFC 4180 reader: bytes go in in pieces of any size (a chunk may end inside a
// field, a quoted field or a CRLF), whole rows come out. `delimiter` is ',' ';' or '\t'.
// A UTF-8 BOM at the very start is dropped; '\r' outside quotes is dropped; blank lines are
// skipped. Not thread-safe.
class CsvReader {
 public:
  // `max_field_bytes` bounds one field (0 = unbounded): a stray quote that would swallow the
  // rest of a large file is reported instead of buffered.
  explicit CsvReader(char delimiter = ',', size_t max_field_bytes = 0)
      : delimiter_(delimiter), max_field_bytes_(max_field_bytes) {}
  // Appends the rows completed by `bytes` to *out. An error (oversized field) names `name`
  // and the line; the reader is then unusable.
  absl::Status Feed(std::string_view bytes, std::string_view name, std::vector<CsvRow>* out);
  // End of input: appends the last row (one without a final newline). An unterminated quoted
  // field is an error naming `name` and the line where the quote opened.
  absl::Status Finish(std::string_view name, std::vector<CsvRow>* out);
  // The line the reader is on (1-based).
  int line() const { return line_; }

 private:
  void EndField();
  void EndRow(std::vector<CsvRow>* out);

  const char delimiter_;
  const size_t max_field_bytes_;
  CsvRow row_{1, {}};
  std::string field_;
  bool started_ = false;  // past the BOM check
  bool in_quotes_ = false, field_quoted_ = false, row_has_content_ = false;
  bool quote_pending_ = false;  // a '"' inside quotes was the last byte fed: escape or close
  int line_ = 1, quote_line_ = 0;
  std::string bom_;  // the first bytes while fewer than 3 have been seen
};

// Splits `text` into rows. Blank lines are skipped. Returns an error (naming `name` and the
// line) only for an unterminated quoted field.
absl::StatusOr<std::vector<CsvRow>> ParseCsv(std::string_view text, std::string_view name);

// A parsed file with a header: column lookup by name.
class CsvTable {
 public:
  static absl::StatusOr<CsvTable> Parse(std::string_view text, std::string_view name);
  static absl::StatusOr<CsvTable> ReadFile(const std::string& path);

  // Index of column `col`, or -1.
  int Column(std::string_view col) const;
  // Field `col` of `row` ("" if the column or field is absent).
  std::string_view Get(const CsvRow& row, std::string_view col) const;
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRow>& rows() const { return rows_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<std::string> header_;
  std::vector<CsvRow> rows_;
};

// Largest text file read whole (readings CSV, site file text, reference tables): 1 GiB.
inline constexpr uint64_t kMaxTextFileBytes = uint64_t{1} << 30;

// Reads a whole file; `kind` names what it should be in errors ("a readings CSV file"): a
// missing file, a directory or a file over kMaxTextFileBytes is an error naming the path.
absl::StatusOr<std::string> ReadTextFile(const std::string& path,
                                         std::string_view kind = "a text file");

}  // namespace dc

#endif  // DC_INGEST_CSV_H_
