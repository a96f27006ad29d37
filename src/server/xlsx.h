// Excel workbooks from table specs (docs/api.md "Export"): the JSON spec of POST
// /api/v1/export/xlsx parsed and bounded, then written with libxlsxwriter — a title row, a
// header row of column names, a row of units, the header frozen, column widths from the
// content, numbers as numbers.
#ifndef DC_SERVER_XLSX_H_
#define DC_SERVER_XLSX_H_

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace dc::server {

inline constexpr size_t kXlsxMaxSheets = 16;
inline constexpr size_t kXlsxMaxCells = 200'000;  // over all sheets, header cells included
inline constexpr size_t kXlsxMaxColumns = 1'000;
inline constexpr size_t kXlsxMaxString = 32'767;  // Excel's limit for one cell, in bytes here
inline constexpr size_t kXlsxMaxSheetName = 31;   // Excel's limit, in characters
// Excel's largest number. Numbers are written with 16 significant digits (libxlsxwriter's
// "%.16G"): a double near DBL_MAX would be written rounded up past it and read back as infinity.
inline constexpr double kXlsxMaxNumber = 9.99999999999999e307;

using XlsxCell = std::variant<std::monostate, double, std::string>;  // empty, number, text

struct XlsxColumn {
  std::string name;
  std::string unit;  // "" = none
};

struct XlsxSheet {
  std::string name;   // sanitised: see SanitizeSheetName
  std::string title;  // "" = no title row
  std::vector<XlsxColumn> columns;
  std::vector<std::vector<XlsxCell>> rows;  // each at most columns.size() cells
};

struct XlsxBook {
  std::string filename;  // sanitised, ends in ".xlsx"
  std::vector<XlsxSheet> sheets;
};

// Parses {"filename": "...", "sheets": [{"name", "title", "columns": [{"name", "unit"}],
// "rows": [[string | number | null, ...], ...]}]}. Errors name the offending element
// (sheets[2].rows[10][3]) and why. Bounds: the kXlsx* constants, JSON depth kMaxJsonDepth.
absl::StatusOr<XlsxBook> ParseXlsxSpec(std::string_view json);

// Excel's rules: 1..31 characters, none of : \ / ? * [ ], not starting or ending with an
// apostrophe, unique ignoring case among `taken` (a " (2)" suffix otherwise). `index` names an
// empty or unusable one ("Sheet3").
std::string SanitizeSheetName(std::string_view name, size_t index,
                              const std::vector<std::string>& taken);

// A file name safe in Content-Disposition: letters (any script), digits, "-", "_", ".", " ";
// others become "_"; ".xlsx" appended if missing; "export.xlsx" if nothing is left.
std::string SanitizeFileName(std::string_view name);

// The .xlsx file's bytes. Writes a temporary file under `tmp_dir` (libxlsxwriter writes only to
// files) and removes it.
absl::StatusOr<std::string> WriteXlsx(const XlsxBook& book, const std::string& tmp_dir);

}  // namespace dc::server

#endif  // DC_SERVER_XLSX_H_
