#include "common/csv_writer.h"

#include <charconv>
#include <cmath>

namespace dc {

void AppendCsvText(std::string_view s, std::string* out) {
  out->push_back('"');
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t')) {
    out->push_back('\'');
  }
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

CsvWriter::CsvWriter(const std::vector<std::string>& header) {
  out_.append(kUtf8Bom);
  for (const std::string& h : header) Text(h);
  EndRow();
}

CsvWriter::CsvWriter(std::initializer_list<std::string_view> header) {
  out_.append(kUtf8Bom);
  for (std::string_view h : header) Text(h);
  EndRow();
}

void CsvWriter::Separator() {
  if (row_started_) out_.push_back(',');
  row_started_ = true;
}

CsvWriter& CsvWriter::Text(std::string_view s) {
  Separator();
  AppendCsvText(s, &out_);
  return *this;
}

CsvWriter& CsvWriter::Number(std::string_view s) {
  Separator();
  out_.append(s);
  return *this;
}

CsvWriter& CsvWriter::Number(double v) {
  Separator();
  if (!std::isfinite(v)) return *this;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

CsvWriter& CsvWriter::Empty() {
  Separator();
  return *this;
}

void CsvWriter::EndRow() {
  out_.push_back('\n');
  row_started_ = false;
}

}  // namespace dc
