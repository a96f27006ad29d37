#include "ingest/csv.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/env.h"
#include "common/input_file.h"
#include "common/strings.h"

namespace dc {

void CsvReader::EndField() {
  row_.fields.push_back(std::move(field_));
  field_.clear();
  field_quoted_ = false;
}

void CsvReader::EndRow(std::vector<CsvRow>* out) {
  EndField();
  bool blank = row_.fields.size() == 1 && row_.fields[0].empty() && !row_has_content_;
  if (!blank) out->push_back(std::move(row_));
  row_ = CsvRow();
  row_has_content_ = false;
}

absl::Status CsvReader::Feed(std::string_view bytes, std::string_view name,
                             std::vector<CsvRow>* out) {
  if (!started_) {  // the BOM may arrive split over several calls
    size_t take = std::min(bytes.size(), 3 - bom_.size());
    bom_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (bom_.size() < 3 && std::string_view("\xEF\xBB\xBF").substr(0, bom_.size()) == bom_) {
      return absl::OkStatus();  // still a possible BOM: wait for more
    }
    started_ = true;
    std::string head = bom_ == "\xEF\xBB\xBF" ? std::string() : std::move(bom_);
    bom_.clear();
    if (!head.empty()) {
      if (absl::Status s = Feed(head, name, out); !s.ok()) return s;
    }
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (quote_pending_) {  // the previous byte was '"' inside quotes
      quote_pending_ = false;
      if (c == '"') {
        field_.push_back('"');
        continue;
      }
      in_quotes_ = false;  // it closed the field; `c` is handled below
    }
    if (in_quotes_) {
      if (c == '"') {
        quote_pending_ = true;
        continue;
      }
      if (c == '\n') ++line_;
      field_.push_back(c);
      if (max_field_bytes_ != 0 && field_.size() > max_field_bytes_) {
        return absl::InvalidArgumentError(
            absl::StrCat(AV(name), ":", quote_line_, ": quoted field longer than ",
                         max_field_bytes_, " bytes (an unterminated quote?)"));
      }
      continue;
    }
    if (c == '"' && field_.empty() && !field_quoted_) {
      in_quotes_ = field_quoted_ = row_has_content_ = true;
      quote_line_ = line_;
    } else if (c == delimiter_) {
      row_has_content_ = true;
      EndField();
    } else if (c == '\r') {
      // dropped; '\n' ends the row
    } else if (c == '\n') {
      EndRow(out);
      ++line_;
      row_.line = line_;
    } else {
      field_.push_back(c);
      if (max_field_bytes_ != 0 && field_.size() > max_field_bytes_) {
        return absl::InvalidArgumentError(
            absl::StrCat(AV(name), ":", line_, ": field longer than ", max_field_bytes_, " bytes"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CsvReader::Finish(std::string_view name, std::vector<CsvRow>* out) {
  if (!started_) {  // fewer than 3 bytes in all, a prefix of the BOM: they are data
    started_ = true;
    std::string head = std::move(bom_);
    bom_.clear();
    if (absl::Status s = Feed(head, name, out); !s.ok()) return s;
  }
  if (quote_pending_) {
    quote_pending_ = false;
    in_quotes_ = false;
  }
  if (in_quotes_) {
    return absl::InvalidArgumentError(
        absl::StrCat(AV(name), ":", quote_line_, ": unterminated quoted field"));
  }
  if (!field_.empty() || !row_.fields.empty() || row_has_content_) EndRow(out);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CsvRow>> ParseCsv(std::string_view text, std::string_view name) {
  CsvReader reader;
  std::vector<CsvRow> rows;
  if (absl::Status s = reader.Feed(text, name, &rows); !s.ok()) return s;
  if (absl::Status s = reader.Finish(name, &rows); !s.ok()) return s;
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

}  // namespace dc
