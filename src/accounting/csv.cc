#include "accounting/csv.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/env.h"
#include "common/input_file.h"
#include "common/strings.h"

namespace dc::accounting {

absl::StatusOr<std::vector<CsvRow>> ParseCsv(std::string_view text, std::string_view name) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool in_quotes = false, field_quoted = false, row_has_content = false;
  int line = 1;
  row.line = 1;
  auto end_field = [&] {
    row.fields.push_back(field);
    field.clear();
    field_quoted = false;
  };
  auto end_row = [&] {
    end_field();
    bool blank = row.fields.size() == 1 && row.fields[0].empty() && !row_has_content;
    if (!blank) rows.push_back(std::move(row));
    row = CsvRow();
    row_has_content = false;
  };
  int quote_line = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !field_quoted) {
      in_quotes = field_quoted = row_has_content = true;
      quote_line = line;
    } else if (c == ',') {
      row_has_content = true;
      end_field();
    } else if (c == '\r') {
      // dropped; '\n' ends the row
    } else if (c == '\n') {
      end_row();
      ++line;
      row.line = line;
    } else {
      field.push_back(c);
    }
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(
        absl::StrCat(AV(name), ":", quote_line, ": unterminated quoted field"));
  }
  if (!field.empty() || !row.fields.empty() || row_has_content) end_row();
  return rows;
}

absl::StatusOr<CsvTable> CsvTable::Parse(std::string_view text, std::string_view name) {
  auto rows = ParseCsv(text, name);
  if (!rows.ok()) return rows.status();
  CsvTable t;
  t.name_ = std::string(name);
  if (rows->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(AV(name), ": empty file (a header is required)"));
  }
  t.header_ = std::move(rows->front().fields);
  for (auto& h : t.header_) h = std::string(absl::StripAsciiWhitespace(h));
  rows->erase(rows->begin());
  t.rows_ = std::move(*rows);
  return t;
}

absl::StatusOr<CsvTable> CsvTable::ReadFile(const std::string& path) {
  auto text = ReadTextFile(path, "a CSV file");
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

int CsvTable::Column(std::string_view col) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == col) return static_cast<int>(i);
  }
  return -1;
}

std::string_view CsvTable::Get(const CsvRow& row, std::string_view col) const {
  int i = Column(col);
  if (i < 0 || static_cast<size_t>(i) >= row.fields.size()) return {};
  return row.fields[i];
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path, std::string_view kind) {
  return ReadInputFile(Env::Default(), path, kind, kMaxTextFileBytes);
}

}  // namespace dc::accounting
