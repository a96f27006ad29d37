// CSV for people and spreadsheets: the one writer every CSV output uses (inventory, breakdown,
// query and export routes). RFC 4180 fields, "\n" line ends, and:
// - a UTF-8 byte-order mark first, so Excel reads the file as UTF-8 (Chinese names) instead of
//   the local code page; readers that follow RFC 4180 (Python's csv with utf-8-sig, pandas,
//   dualcarbon import) skip it;
// - a header row, every name quoted;
// - every text field (keys, ids, units, formulas) quoted with "" doubled, numbers bare so a
//   spreadsheet sees numbers;
// - a text field starting with = + - @ or a tab is prefixed with ' so a spreadsheet shows it as
//   text instead of evaluating it as a formula (CSV injection).
#ifndef DC_COMMON_CSV_WRITER_H_
#define DC_COMMON_CSV_WRITER_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace dc {

inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Appends `s` as one quoted CSV field (with the formula guard above).
void AppendCsvText(std::string_view s, std::string* out);

class CsvWriter {
 public:
  // Writes the BOM and the header row.
  explicit CsvWriter(const std::vector<std::string>& header);
  CsvWriter(std::initializer_list<std::string_view> header);

  CsvWriter& Text(std::string_view s);    // a quoted text field
  CsvWriter& Number(std::string_view s);  // a number already formatted, or "" (written as is)
  CsvWriter& Number(double v);            // shortest round-trip form; "" when not finite
  CsvWriter& Empty();                     // an empty field
  void EndRow();

  const std::string& str() const { return out_; }
  std::string Take() && { return std::move(out_); }

 private:
  void Separator();
  std::string out_;
  bool row_started_ = false;
};

}  // namespace dc

#endif  // DC_COMMON_CSV_WRITER_H_
