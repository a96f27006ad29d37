// A small RFC 4180 CSV reader: quoted fields, "" escapes, CRLF, UTF-8 BOM; rows keep their
// line numbers so errors can name them.
#ifndef DC_ACCOUNTING_CSV_H_
#define DC_ACCOUNTING_CSV_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dc::accounting {

struct CsvRow {
  int line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
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

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_CSV_H_
