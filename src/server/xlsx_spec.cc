// ParseXlsxSpec and the name rules of xlsx.h.
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/text.h"
#include "nlohmann/json.hpp"
#include "server/xlsx.h"

namespace dc::server {
namespace {

using nlohmann::json;

// Byte length of the UTF-8 sequence starting with `lead` (valid input assumed).
size_t Utf8Len(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

// The first `max_chars` characters of valid UTF-8 `s`.
std::string TruncateChars(std::string_view s, size_t max_chars) {
  size_t i = 0;
  for (size_t n = 0; i < s.size() && n < max_chars; ++n) i += Utf8Len(s[i]);
  return std::string(s.substr(0, std::min(i, s.size())));
}

absl::StatusOr<std::string> Text(const json& obj, const char* key, std::string_view where,
                                 bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(absl::StrCat(AV(where), ".", key, ": required"));
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(AV(where), ".", key, ": expected a string"));
  }
  const std::string& s = it->get_ref<const std::string&>();
  if (absl::Status st = CheckText(absl::StrCat(AV(where), ".", key), s, kXlsxMaxString); !st.ok()) {
    return st;
  }
  return s;
}

// Cell text: CheckText's rules, except that tabs and line breaks are kept (Excel shows them).
absl::Status CheckCellText(const std::string& where, const std::string& s) {
  std::string flat = s;
  for (char& c : flat) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return CheckText(where, flat, kXlsxMaxString);
}

absl::StatusOr<XlsxCell> Cell(const json& v, const std::string& where) {
  if (v.is_null()) return XlsxCell{};
  if (v.is_number()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > kXlsxMaxNumber) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": ", v.dump(), " is outside Excel's number range (magnitude at most ",
          kXlsxMaxNumber, ")"));
    }
    return XlsxCell{d};
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (absl::Status st = CheckCellText(where, s); !st.ok()) return st;
    return XlsxCell{s};
  }
  if (v.is_boolean()) return XlsxCell{std::string(v.get<bool>() ? "true" : "false")};
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": a cell is a string, a number or null (got ", v.type_name(), ")"));
}

absl::Status ParseColumns(const json& sheet, const std::string& where, XlsxSheet* out) {
  auto it = sheet.find("columns");
  if (it == sheet.end() || !it->is_array() || it->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".columns: required, an array of {\"name\", \"unit\"}"));
  }
  if (it->size() > kXlsxMaxColumns) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".columns: ", it->size(), " columns, at most ", kXlsxMaxColumns));
  }
  for (size_t c = 0; c < it->size(); ++c) {
    const json& col = (*it)[c];
    std::string cw = absl::StrCat(where, ".columns[", c, "]");
    if (col.is_string()) {  // shorthand: just the name
      if (absl::Status s = CheckText(cw, col.get_ref<const std::string&>(), kXlsxMaxString);
          !s.ok()) {
        return s;
      }
      out->columns.push_back({col.get<std::string>(), ""});
      continue;
    }
    if (!col.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(cw, ": expected {\"name\", \"unit\"}"));
    }
    auto name = Text(col, "name", cw, true);
    if (!name.ok()) return name.status();
    auto unit = Text(col, "unit", cw, false);
    if (!unit.ok()) return unit.status();
    out->columns.push_back({std::move(*name), std::move(*unit)});
  }
  return absl::OkStatus();
}

absl::Status ParseRows(const json& sheet, const std::string& where, size_t* cells, XlsxSheet* out) {
  auto it = sheet.find("rows");
  if (it == sheet.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".rows: expected an array of arrays"));
  }
  out->rows.reserve(it->size());
  for (size_t r = 0; r < it->size(); ++r) {
    const json& row = (*it)[r];
    std::string rw = absl::StrCat(where, ".rows[", r, "]");
    if (!row.is_array()) return absl::InvalidArgumentError(absl::StrCat(rw, ": expected an array"));
    if (row.size() > out->columns.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(rw, ": ", row.size(), " cells for ", out->columns.size(), " columns"));
    }
    *cells += row.size();
    if (*cells > kXlsxMaxCells) {
      return absl::InvalidArgumentError(absl::StrCat(rw, ": more than ", kXlsxMaxCells,
                                                     " cells in the workbook; export fewer rows"));
    }
    std::vector<XlsxCell>& cells_out = out->rows.emplace_back();
    cells_out.reserve(row.size());
    for (size_t c = 0; c < row.size(); ++c) {
      auto cell = Cell(row[c], absl::StrCat(rw, "[", c, "]"));
      if (!cell.ok()) return cell.status();
      cells_out.push_back(std::move(*cell));
    }
  }
  return absl::OkStatus();
}

bool ForbiddenInSheetName(char c) {
  return c == ':' || c == '\\' || c == '/' || c == '?' || c == '*' || c == '[' || c == ']' ||
         static_cast<unsigned char>(c) < 0x20;
}

bool Taken(const std::vector<std::string>& taken, std::string_view name) {
  for (const std::string& t : taken) {
    if (absl::EqualsIgnoreCase(AV(t), AV(name))) return true;
  }
  return false;
}

}  // namespace

std::string SanitizeSheetName(std::string_view name, size_t index,
                              const std::vector<std::string>& taken) {
  std::string s;
  if (IsValidUtf8(name)) {
    for (char c : name) s.push_back(ForbiddenInSheetName(c) ? '_' : c);
  }
  while (!s.empty() && s.front() == '\'') s.erase(0, 1);
  s = TruncateChars(s, kXlsxMaxSheetName);
  while (!s.empty() && s.back() == '\'') s.pop_back();
  if (s.empty() || absl::EqualsIgnoreCase(s, "history")) s = absl::StrCat("Sheet", index + 1);
  std::string candidate = s;
  for (int n = 2; Taken(taken, candidate); ++n) {
    std::string suffix = absl::StrCat(" (", n, ")");
    candidate = TruncateChars(s, kXlsxMaxSheetName - suffix.size()) + suffix;
  }
  return candidate;
}

std::string SanitizeFileName(std::string_view name) {
  std::string s;
  if (IsValidUtf8(name)) {
    for (size_t i = 0; i < name.size();) {
      size_t n = Utf8Len(name[i]);
      unsigned char c = name[i];
      bool ok = n > 1 || absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == ' ';
      if (ok)
        s.append(name.substr(i, n));
      else
        s.push_back('_');
      i += n;
    }
  }
  s = TruncateChars(s, 120);
  while (!s.empty() && (s.front() == '.' || s.front() == ' ')) s.erase(0, 1);
  if (s.empty()) s = "export";
  if (!absl::EndsWithIgnoreCase(s, ".xlsx")) s += ".xlsx";
  return s;
}

absl::StatusOr<XlsxBook> ParseXlsxSpec(std::string_view text) {
  if (!IsValidUtf8(text)) return absl::InvalidArgumentError("body: not valid UTF-8");
  if (absl::Status s = CheckJsonDepth(text); !s.ok()) return s;
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("body: not valid JSON");
  if (!doc.is_object()) {
    return absl::InvalidArgumentError("body: expected an object {\"filename\", \"sheets\"}");
  }
  XlsxBook book;
  auto filename = Text(doc, "filename", "body", false);
  if (!filename.ok()) return filename.status();
  book.filename = SanitizeFileName(*filename);
  auto sheets = doc.find("sheets");
  if (sheets == doc.end() || !sheets->is_array() || sheets->empty()) {
    return absl::InvalidArgumentError("body.sheets: required, a non-empty array");
  }
  if (sheets->size() > kXlsxMaxSheets) {
    return absl::InvalidArgumentError(
        absl::StrCat("body.sheets: ", sheets->size(), " sheets, at most ", kXlsxMaxSheets));
  }
  size_t cells = 0;
  std::vector<std::string> names;
  for (size_t i = 0; i < sheets->size(); ++i) {
    const json& sj = (*sheets)[i];
    std::string where = absl::StrCat("body.sheets[", i, "]");
    if (!sj.is_object())
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected an object"));
    XlsxSheet sheet;
    auto name = Text(sj, "name", where, false);
    if (!name.ok()) return name.status();
    sheet.name = SanitizeSheetName(*name, i, names);
    names.push_back(sheet.name);
    auto title = Text(sj, "title", where, false);
    if (!title.ok()) return title.status();
    sheet.title = std::move(*title);
    if (absl::Status s = ParseColumns(sj, where, &sheet); !s.ok()) return s;
    cells += sheet.columns.size() * 2;
    if (absl::Status s = ParseRows(sj, where, &cells, &sheet); !s.ok()) return s;
    book.sheets.push_back(std::move(sheet));
  }
  return book;
}

}  // namespace dc::server
