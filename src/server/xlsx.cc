// WriteXlsx: the workbook through libxlsxwriter, into a temporary file read back via Env.
#include "server/xlsx.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/env.h"
#include "common/strings.h"
#include "xlsxwriter.h"

namespace dc::server {
namespace {

constexpr double kMinWidth = 8, kMaxWidth = 60;

// Display width of UTF-8 text in Excel's character units: East Asian characters count two.
double TextWidth(std::string_view s) {
  double w = 0;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += n >= 3 ? 2 : 1;
    i += n;
  }
  return w;
}

double CellWidth(const XlsxCell& cell) {
  if (const auto* d = std::get_if<double>(&cell)) {
    return static_cast<double>(absl::StrCat(*d).size());
  }
  if (const auto* s = std::get_if<std::string>(&cell)) return TextWidth(*s);
  return 0;
}

absl::Status Check(lxw_error e, std::string_view what) {
  if (e == LXW_NO_ERROR) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("xlsx: ", AV(what), ": ", lxw_strerror(e)));
}

struct Formats {
  lxw_format* title;
  lxw_format* header;
  lxw_format* unit;
};

absl::Status WriteSheet(lxw_workbook* wb, const XlsxSheet& sheet, const Formats& f) {
  lxw_worksheet* ws = workbook_add_worksheet(wb, sheet.name.c_str());
  if (ws == nullptr) return absl::InternalError(absl::StrCat("xlsx: sheet \"", sheet.name, "\""));
  lxw_row_t row = 0;
  if (!sheet.title.empty()) {
    if (auto s = Check(worksheet_write_string(ws, row++, 0, sheet.title.c_str(), f.title), "title");
        !s.ok()) {
      return s;
    }
  }
  const lxw_row_t header = row;
  std::vector<double> widths(sheet.columns.size(), kMinWidth);
  for (size_t c = 0; c < sheet.columns.size(); ++c) {
    const XlsxColumn& col = sheet.columns[c];
    auto cc = static_cast<lxw_col_t>(c);
    if (auto s =
            Check(worksheet_write_string(ws, header, cc, col.name.c_str(), f.header), "header");
        !s.ok()) {
      return s;
    }
    if (auto s =
            Check(worksheet_write_string(ws, header + 1, cc, col.unit.c_str(), f.unit), "unit");
        !s.ok()) {
      return s;
    }
    widths[c] = std::max({widths[c], TextWidth(col.name) + 2, TextWidth(col.unit) + 2});
  }
  row = header + 2;
  for (const std::vector<XlsxCell>& cells : sheet.rows) {
    for (size_t c = 0; c < cells.size(); ++c) {
      auto cc = static_cast<lxw_col_t>(c);
      lxw_error e = LXW_NO_ERROR;
      if (const auto* d = std::get_if<double>(&cells[c])) {
        e = worksheet_write_number(ws, row, cc, *d, nullptr);
      } else if (const auto* str = std::get_if<std::string>(&cells[c])) {
        e = worksheet_write_string(ws, row, cc, str->c_str(), nullptr);
      }
      if (auto s = Check(e, absl::StrCat("sheet \"", sheet.name, "\" row ", row + 1)); !s.ok()) {
        return s;
      }
      widths[c] = std::max(widths[c], CellWidth(cells[c]) + 1);
    }
    ++row;
  }
  for (size_t c = 0; c < widths.size(); ++c) {
    auto cc = static_cast<lxw_col_t>(c);
    worksheet_set_column(ws, cc, cc, std::min(widths[c], kMaxWidth), nullptr);
  }
  worksheet_freeze_panes(ws, header + 2, 0);
  return absl::OkStatus();
}

std::string TempPath(const std::string& dir) {
  static std::atomic<int64_t> counter{0};
  return absl::StrCat(dir.empty() ? "." : dir, "/dc-export-", getpid(), "-",
                      Env::Default()->NowNanos(), "-", counter.fetch_add(1), ".xlsx");
}

}  // namespace

absl::StatusOr<std::string> WriteXlsx(const XlsxBook& book, const std::string& tmp_dir) {
  const std::string path = TempPath(tmp_dir);
  lxw_workbook_options options = {};
  options.tmpdir = const_cast<char*>(tmp_dir.c_str());
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &options);
  if (wb == nullptr) return absl::InternalError(absl::StrCat("xlsx: cannot create ", path));
  Formats f{workbook_add_format(wb), workbook_add_format(wb), workbook_add_format(wb)};
  format_set_bold(f.title);
  format_set_font_size(f.title, 13);
  format_set_bold(f.header);
  format_set_bottom(f.header, LXW_BORDER_NONE);
  format_set_bg_color(f.header, 0xE8EEF4);
  format_set_italic(f.unit);
  format_set_font_color(f.unit, 0x606060);
  format_set_bg_color(f.unit, 0xE8EEF4);
  absl::Status status;
  for (const XlsxSheet& sheet : book.sheets) {
    status = WriteSheet(wb, sheet, f);
    if (!status.ok()) break;
  }
  lxw_error closed = workbook_close(wb);  // frees wb, writes the file
  if (status.ok()) status = Check(closed, "writing the workbook");
  absl::StatusOr<std::string> bytes =
      status.ok() ? ReadFileToString(Env::Default(), path) : absl::StatusOr<std::string>(status);
  if (Env::Default()->FileExists(path)) (void)Env::Default()->RemoveFile(path);
  return bytes;
}

}  // namespace dc::server
